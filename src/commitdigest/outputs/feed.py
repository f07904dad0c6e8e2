"""An Atom feed of the reports and rollups in the directory (RFC 4287), newest first.

Each entry carries the headline counts and the high-importance commits (a rollup's also how its
period compares with the one before), so a feed reader shows what matters without opening the
page. Entry ids are derived from the report stem (``rollup-<label>`` for a rollup) and the feed's
address, so they stay stable across reruns and a regenerated day is an update, not a new entry.
Periods without commits are left out unless asked for: a feed reader shows every entry as news.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from commitdigest.models import Importance
from commitdigest.outputs.catalog import Entry, scan
from commitdigest.outputs.html import env
from commitdigest.outputs.rollup import written
from commitdigest.outputs.text import clean
from commitdigest.outputs.urls import web_url_or_none
from commitdigest.rollup import Rollup
from commitdigest.vocab import EMOJI, words

MAX_ENTRIES = 50


class HighItem(BaseModel):
    repo: str
    subject: str
    short_sha: str
    url: str | None = None


class FeedEntry(BaseModel):
    """One entry, a daily report's or a rollup's, in the shape the template reads."""

    key: str  # the entry id's fragment
    title: str
    page: str  # the file to link to, relative to the directory
    #: the end of the day or period it covers, or when it was written if that is earlier (a
    #: report of today): an entry is dated by its report, not by the run that wrote it, so a
    #: backfill of thirty days does not show thirty entries of today
    updated: datetime
    published: datetime  # the end of the day or period it covers
    start: datetime
    total: int
    counts: dict[str, int]
    high: list[HighItem]
    versus: str | None = None
    errors: list[tuple[str, str]]

    @property
    def quiet(self) -> bool:
        """Nothing to tell: no commits, and no unreadable repository (which is news)."""
        return self.total == 0 and not self.errors


def _from_report(e: Entry) -> FeedEntry:
    return FeedEntry(key=e.stem, title=e.title, page=e.page, updated=min(e.window_end, e.generated), published=e.window_end,
                     start=e.window_start, total=e.total, counts={i.value: e.count(i.value) for i in Importance},
                     high=[HighItem(repo=repo, subject=c.subject, short_sha=c.short_sha, url=c.url)
                           for repo, c in e.high_commits()],
                     errors=[(r.name, r.error) for r in e.repos if r.error])


def _midnight(day, zone_name: str) -> datetime:
    """The start of ``day`` in the zone a rollup names (an IANA name or an offset such as +08:00)."""
    from commitdigest.errors import InputError
    from commitdigest.window import parse_zone

    try:
        zone = parse_zone(zone_name).tz if zone_name else ZoneInfo("UTC")
    except (InputError, ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day, time(0), tzinfo=zone)


def _from_rollup(rollup: Rollup, twin: Path, page: str) -> FeedEntry:
    # The same summary the notification channels send: one wording of a rollup's headline.
    from commitdigest.notify.digest import rollup_digest

    d = rollup_digest(rollup)
    label = rollup.period.label
    end = _midnight(rollup.period.until + timedelta(days=1), rollup.timezone)
    return FeedEntry(key=f"rollup-{label}", title=rollup.title, page=page,
                     updated=min(end, datetime.fromtimestamp(twin.stat().st_mtime).astimezone()), published=end,
                     start=_midnight(rollup.period.since, rollup.timezone), total=d.total, counts=d.counts,
                     high=[HighItem(**i.model_dump(include={"repo", "subject", "short_sha", "url"})) for i in d.items],
                     versus=d.versus, errors=[(r.name, r.error) for r in rollup.repos if r.error])


def rollup_entries(reports_dir: Path) -> list[FeedEntry]:
    """The rollups written under ``reports_dir/rollups/`` (``outputs.rollup.write``); a file that
    is not a rollup twin is skipped."""
    entries = []
    for rollup, twin, page in written(reports_dir):
        try:
            entries.append(_from_rollup(rollup, twin, page))
        except OSError:  # the twin went away while the feed was being built
            continue
    return entries


def render_feed(reports_dir: Path, language: str, base_url: str | None = None, quiet_days: bool = False) -> str:
    everything = [_from_report(e) for e in scan(reports_dir).entries] + rollup_entries(reports_dir)
    # Newest first by the instant the entry's days end, then by their start: on the Sunday a week
    # ends, the day's report comes before the week's rollup.
    everything.sort(key=lambda e: (e.published, e.start), reverse=True)
    entries = [e for e in everything if quiet_days or not e.quiet][:MAX_ENTRIES]
    # The config and the flag are checked already; this keeps "javascript:" out of links regardless.
    base_url = web_url_or_none(base_url)
    base = base_url.rstrip("/") + "/" if base_url else ""
    updated = max((e.updated for e in entries), default=None)
    w = words(language)
    return clean(env().get_template("feed.xml.j2").render(
        entries=entries, base=base, title=w.html["index_title"], H=w.html,
        feed_id=f"{base}feed.xml" if base else "urn:commitdigest:" + reports_dir.resolve().name,
        updated=updated.isoformat(timespec="seconds") if updated else "1970-01-01T00:00:00+00:00",
        LEVELS=[(i.value, EMOJI[i], w.importance[i])
                for i in (Importance.high, Importance.medium, Importance.low)],
    ))
