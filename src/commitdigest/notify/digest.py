"""What a notification says: headline counts, the high-importance commits, the link — of a daily
report, or of a weekly/monthly rollup (which adds how the period compares with the one before)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from commitdigest.models import Importance, Report
from commitdigest.vocab import EMOJI, counted, words

if TYPE_CHECKING:
    from commitdigest.rollup import Rollup

class Item(BaseModel):
    repo: str
    short_sha: str
    subject: str
    summary: str
    url: str | None
    #: the symbols it changed that the reader's code uses (``uses``), when it touches that code
    uses: str = ""

    def text(self) -> str:
        """The subject as a message lists it: a change to the reader's code marked, its symbols said."""
        return f"🧭 {self.subject} — {self.uses}" if self.uses else self.subject


class Digest(BaseModel):
    title: str
    language: str
    total: int
    counts: dict[str, int]  # high / medium / low
    failed_repos: list[str]
    items: list[Item]  # the high-importance commits, newest first per repository (a rollup's: oldest first)
    report_url: str | None
    #: "report" (a day or a period of days), or a rollup's period: "week", "month", "period"
    kind: Literal["report", "week", "month", "period"] = "report"
    #: high-importance commits the source itself left out (a rollup lists at most 30 per repository)
    more: int = 0
    #: a rollup's difference from the previous period, when that was read
    versus: str | None = None
    #: the line about the reader's code (``uses``): how many commits changed what it uses
    lead: str | None = None

    def headline(self) -> str:
        v = words(self.language)
        parts = [counted(v.notify["total"], self.total)]
        parts += [f"{EMOJI[i]}{v.importance[i]} {self.counts[i.value]}"
                  for i in (Importance.high, Importance.medium, Importance.low)]
        return " | ".join(parts)

    def items_title(self) -> str:
        """The list's title: the changes to the reader's code come first when there are any."""
        v = words(self.language)
        return v.uses["notify_items"] if any(i.uses for i in self.items) else v.notify["high"]

    @property
    def nothing_high(self) -> str:
        """The line that stands for the list when there is nothing of high importance."""
        w = words(self.language).notify
        return w["none"] if self.kind == "report" else w["none_rollup"]


class Message(BaseModel):
    """Everything a channel may draw on: the digest, and the document it announces."""

    digest: Digest
    #: the report's (or rollup's) JSON twin, exactly as written to disk
    document: dict[str, Any]
    markdown: str | None = None
    html: str | None = None
    stem: str = "report"


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_digest(report: Report, report_url: str | None = None) -> Digest:
    """The digest of a report record (a report read back from disk: ``commitdigest.api.load_report``).
    The commits that touch the reader's code (``uses``) lead the list, whatever their tier."""
    from commitdigest.analysis.uses_text import plain_symbols, top_line

    counts = {i.value: 0 for i in Importance}
    yours: list[Item] = []
    items: list[Item] = []
    total = 0
    for repo in report.repos:
        total += repo.stats.total
        for level in counts:
            counts[level] += getattr(repo.stats, level)
        for c in repo.commits:
            a = c.analysis
            if a.importance == Importance.high or c.uses:
                summary = (a.summary or [a.importance_reason])[0]
                item = Item(repo=repo.name, short_sha=c.short_sha, subject=_one_line(c.subject),
                            summary=_one_line(summary), url=c.url, uses=_one_line(plain_symbols(c.uses or [])))
                (yours if c.uses else items).append(item)
    return Digest(title=report.title, language=report.language, total=total, counts=counts,
                  failed_repos=[r.name for r in report.repos if r.error], items=yours + items, report_url=report_url,
                  lead=top_line(report))


def _delta(now: int, before: int) -> str:
    d = now - before
    return f"+{d}" if d > 0 else str(d) if d < 0 else "±0"


def rollup_digest(rollup: Rollup, report_url: str | None = None) -> Digest:
    """The digest of a weekly/monthly rollup: its totals, its high-importance changes, and the
    difference from the previous period (over the repositories whose previous period was read)."""
    v = words(rollup.language)
    counts = {i.value: sum(getattr(r.totals, i.value) for r in rollup.repos) for i in Importance}
    from commitdigest.analysis.uses_text import plain_symbols, rollup_line

    yours = [Item(repo=r.name, short_sha=h.short_sha, subject=_one_line(h.subject), summary=_one_line(h.summary),
                  url=h.url, uses=_one_line(plain_symbols(h.uses))) for r in rollup.repos for h in (r.yours or [])]
    told = {(i.repo, i.short_sha) for i in yours}
    items = yours + [Item(repo=r.name, short_sha=h.short_sha, subject=_one_line(h.subject),
                          summary=_one_line(h.summary), url=h.url)
                     for r in rollup.repos for h in r.shown_highlights if (r.name, h.short_sha) not in told]
    compared = [r for r in rollup.repos if r.previous is not None]
    versus = None
    if compared:
        def now(field: str) -> int:
            return sum(getattr(r.totals, field) for r in compared)

        def before(field: str) -> int:
            return sum(getattr(r.previous, field) for r in compared)

        versus = v.notify["versus"].format(prev=v.rollup["prev"][rollup.period.kind],
                                    **{f: _delta(now(f), before(f)) for f in ("commits", "high", "medium", "low")})
    return Digest(title=rollup.title, language=rollup.language, kind=rollup.period.kind,  # type: ignore[arg-type]
                  total=sum(r.totals.commits for r in rollup.repos), counts=counts,
                  failed_repos=[r.name for r in rollup.repos if r.error], items=items,
                  more=sum(r.highlights_more for r in rollup.repos), versus=versus, report_url=report_url,
                  lead=rollup_line(rollup))


def report_message(report: Report, *, report_url: str | None = None, markdown: str | None = None,
                   html: str | None = None, stem: str = "report") -> Message:
    from commitdigest.report.render import render_json

    # The twin as written (cleaned of control characters), so a webhook receiver gets the same
    # record whether it reads the message or the file.
    return Message(digest=build_digest(report, report_url), document=json.loads(render_json(report)),
                   markdown=markdown, html=html, stem=stem)


def rollup_message(rollup: Rollup, *, report_url: str | None = None, markdown: str | None = None,
                   html: str | None = None, stem: str = "rollup") -> Message:
    from commitdigest.outputs.rollup import render

    return Message(digest=rollup_digest(rollup, report_url), document=json.loads(render(rollup, ("json",))["json"]),
                   markdown=markdown, html=html, stem=stem)
