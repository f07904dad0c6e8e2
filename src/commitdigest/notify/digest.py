"""What a notification says: headline counts, the high-importance commits, the link."""

from __future__ import annotations

from pydantic import BaseModel

from commitdigest.models import Importance, Report
from commitdigest.report.labels import EMOJI, IMPORTANCE_WORD, counted

WORDS = {
    "zh": {"total": "共 {n} 个提交", "high": "高重要度变更", "more": "…… 另有 {n} 条", "link": "查看完整报告",
           "failed": "⚠️ 无法读取：{repos}", "none": "今日无高重要度变更"},
    "en": {"total": "{n} commit{s}", "high": "High-importance changes", "more": "… and {n} more",
           "link": "Full report", "failed": "⚠️ Could not read: {repos}", "none": "No high-importance changes"},
}


class Item(BaseModel):
    repo: str
    short_sha: str
    subject: str
    summary: str
    url: str | None


class Digest(BaseModel):
    title: str
    language: str
    total: int
    counts: dict[str, int]  # high / medium / low
    failed_repos: list[str]
    items: list[Item]  # the high-importance commits, newest first per repository
    report_url: str | None

    def headline(self) -> str:
        w = WORDS[self.language]
        parts = [counted(w["total"], self.total)]
        parts += [f"{EMOJI[i]}{IMPORTANCE_WORD[self.language][i]} {self.counts[i.value]}"
                  for i in (Importance.high, Importance.medium, Importance.low)]
        return " | ".join(parts)


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_digest(report: Report | dict, report_url: str | None = None) -> Digest:
    """From the report record, or from its JSON twin as written to disk (so a delivery that
    failed can be retried by a later run without rebuilding the report)."""
    data = report.to_json_dict() if isinstance(report, Report) else report
    counts = {i.value: 0 for i in Importance}
    items, total = [], 0
    for repo in data["repos"]:
        stats = repo.get("stats") or {}
        total += stats.get("total", 0)
        for level in counts:
            counts[level] += stats.get(level, 0)
        for c in repo.get("commits", []):
            a = c.get("analysis") or {}
            if a.get("importance") == Importance.high.value:
                summary = (a.get("summary") or [a.get("importance_reason", "")])[0]
                items.append(Item(repo=repo["name"], short_sha=c["short_sha"], subject=_one_line(c["subject"]),
                                  summary=_one_line(summary), url=c.get("url")))
    return Digest(title=data["title"], language=data["language"], total=total, counts=counts,
                  failed_repos=[r["name"] for r in data["repos"] if r.get("error")], items=items,
                  report_url=report_url)
