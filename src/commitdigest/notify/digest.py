"""What a notification says: headline counts, the high-importance commits, the link."""

from __future__ import annotations

from pydantic import BaseModel

from commitdigest.models import Importance, Report
from commitdigest.report.labels import EMOJI, IMPORTANCE_WORD

WORDS = {
    "zh": {"total": "共 {n} 个提交", "high": "高重要度变更", "more": "…… 另有 {n} 条", "link": "查看完整报告",
           "failed": "⚠️ 无法读取：{repos}", "none": "今日无高重要度变更"},
    "en": {"total": "{n} commits", "high": "High-importance changes", "more": "… and {n} more",
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
        parts = [w["total"].format(n=self.total)]
        parts += [f"{EMOJI[i]}{IMPORTANCE_WORD[self.language][i]} {self.counts[i.value]}"
                  for i in (Importance.high, Importance.medium, Importance.low)]
        return " | ".join(parts)


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_digest(report: Report, report_url: str | None = None) -> Digest:
    counts = {i.value: 0 for i in Importance}
    items = []
    for repo in report.repos:
        for level in counts:
            counts[level] += getattr(repo.stats, level)
        for c in repo.commits:
            if c.analysis.importance == Importance.high:
                summary = c.analysis.summary[0] if c.analysis.summary else c.analysis.importance_reason
                items.append(Item(repo=repo.name, short_sha=c.short_sha, subject=_one_line(c.subject),
                                  summary=_one_line(summary), url=c.url))
    return Digest(title=report.title, language=report.language, total=sum(r.stats.total for r in report.repos),
                  counts=counts, failed_repos=[r.name for r in report.repos if r.error], items=items,
                  report_url=report_url)
