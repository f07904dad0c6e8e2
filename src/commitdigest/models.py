"""Typed records that flow between the stages.

Facts (``Commit``, ``FileChange``) come from git; judgements (``CommitAnalysis``) come from an
analyzer; ``Report`` is what the renderers turn into bytes. The JSON report is
``Report.to_json_dict()``, so its field names live here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from commitdigest.kinds import AnalyzerKind as AnalyzerKind  # re-exported: the records and their enums
from commitdigest.kinds import DateField as DateField
from commitdigest.kinds import Language
from commitdigest.semantic.records import Semantic
from commitdigest.uses.records import Use, UsesSummary


class ChangeType(StrEnum):
    feature = "feature"
    fix = "fix"
    perf = "perf"
    refactor = "refactor"
    docs = "docs"
    test = "test"
    ci = "ci"
    build = "build"
    deps = "deps"
    config = "config"
    chore = "chore"
    revert = "revert"


class Importance(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"

    @property
    def rank(self) -> int:
        return {"high": 2, "medium": 1, "low": 0}[self.value]


IMPORTANCE_ORDER = (Importance.high, Importance.medium, Importance.low)



_PR_RE = re.compile(r"\(#(\d+)\)\s*$")


def pr_number(subject: str) -> int | None:
    """The PR number of a trailing ``(#N)`` — the squash-merge convention of GitHub and GitLab."""
    m = _PR_RE.search(subject)
    return int(m.group(1)) if m else None


class PullRequest(BaseModel):
    """A pull (merge) request as the hosting API describes it. Every text field is written by
    whoever opened it: hostile input, escaped like commit text wherever it is shown."""

    number: int
    title: str = ""
    body: str = ""  # the description: for analyzers only, never in the JSON twin
    labels: list[str] = Field(default_factory=list)
    author: str = ""
    linked_issues: list[int] = Field(default_factory=list)
    milestone: str | None = None
    url: str | None = None

    def meta(self) -> dict:
        """The JSON twin's ``pr_meta``: everything but the description."""
        return self.model_dump(mode="json", exclude={"body"})


# --------------------------------------------------------------------------------------- facts


class FileChange(BaseModel):
    """One path touched by a commit, diffed against the commit's first parent."""

    path: str
    old_path: str | None = None  # set for renames and copies
    status: str  # A, M, D, R, C, T (git's letters, score stripped)
    insertions: int = 0
    deletions: int = 0
    binary: bool = False
    submodule: bool = False
    # The patch is for analyzers only; it never reaches the JSON report. It may be clipped to
    # bound memory on huge commits (``patch_clipped``).
    patch: str = ""
    patch_clipped: bool = False
    # Blob ids of the two sides, as git's raw diff names them (None: no such side, as for an
    # added file's old one); the semantic stage reads the contents by them.
    old_blob: str | None = None
    new_blob: str | None = None

    @property
    def lines(self) -> int:
        return self.insertions + self.deletions


class Commit(BaseModel):
    sha: str
    parents: list[str] = Field(default_factory=list)
    author: str
    author_email: str = ""
    author_time: datetime
    committer_time: datetime
    subject: str
    body: str = ""
    files: list[FileChange] = Field(default_factory=list)
    # Why part of the commit could not be read (e.g. a blob missing in a partial clone).
    # ``None`` when git gave everything.
    read_error: str | None = None
    # Line counts are unknown when git could not read the blobs (numstat needs them).
    counts_known: bool = True
    # The pull request the commit came from, when the hosting API was asked and answered
    # (``hosting.attach_pull_requests``); ``pr`` is only the number a squash subject names.
    pull_request: PullRequest | None = None
    # What the commit changed in the code's own terms (``semantic``): None when the stage did
    # not run (counts-only reads), empty when no changed file holds code it reads.
    semantic: Semantic | None = None
    # Dated after the run that first saw it on the branch (2100, year 10000): the day it is shown
    # on, that day, instead of its date's (pipeline.py); ``None`` for every ordinary commit.
    first_seen: date | None = None
    # The lines of the reader's code that use a symbol the commit changed (``uses``): None when
    # no code was named for its repository, or its semantic facts were not read.
    uses: list[Use] | None = None
    uses_omitted: int = 0  # uses past the list's cap (``uses.records.USES_CAP``)

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    @property
    def pr(self) -> int | None:
        return pr_number(self.subject)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def insertions(self) -> int:
        return sum(f.insertions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}".strip()


# ----------------------------------------------------------------------------------- analysis


class ImpactItem(BaseModel):
    path: str
    note: str = ""


class Insights(BaseModel):
    architecture: str = ""
    performance: str = ""
    security: str = ""


class Risk(BaseModel):
    risk: str
    detail: str = ""
    severity: Importance = Importance.medium


class Coverage(BaseModel):
    files_total: int = 0
    files_analyzed: int = 0
    truncated: bool = False
    # Lines of diff the analyzer actually saw against the commit's total (+/-).
    lines_total: int = 0
    lines_analyzed: int = 0
    # Files git could not read (missing objects); they are listed but not analysed.
    unreadable: bool = False

    @property
    def complete(self) -> bool:
        return not self.truncated and not self.unreadable and self.files_analyzed >= self.files_total


class ImportanceScore(BaseModel):
    """The weighted score behind a tier (``analysis.importance``): its total and each part
    (``type``, ``size``, ``file_type``, ``scope``, and any signal with a weight that fired)."""

    total: int
    parts: dict[str, int]


class CommitAnalysis(BaseModel):
    """An analyzer's judgement of one commit, constrained to the report's vocabularies."""

    model_config = ConfigDict(use_enum_values=False)

    change_type: ChangeType
    importance: Importance
    importance_reason: str = ""
    #: the score the tier came from; ``None`` only in records cached before scores existed
    importance_score: ImportanceScore | None = None
    #: "score" when the tier is the weighted score, "model" when an LLM re-rated the commit
    importance_source: str = "score"
    summary: list[str] = Field(default_factory=list)
    impact_scope: list[ImpactItem] = Field(default_factory=list)
    insights: Insights = Field(default_factory=Insights)
    risks: list[Risk] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    conclusion: str = ""
    analyzer: str = "heuristic"
    fallback: bool = False
    # Why the configured analyzer did not produce this record, when ``fallback`` is true.
    fallback_reason: str = ""
    coverage: Coverage = Field(default_factory=Coverage)
    # impact_scope paths an analyzer named that the commit did not touch (dropped; see grounding).
    paths_dropped: int = 0
    # A model's items dropped one by one, by cause ("language", "echo", "duplicate", "subject",
    # "identifier", "path", "placeholder", "malformed", "over_limit"); empty when none were.
    items_dropped: dict[str, int] = Field(default_factory=dict)
    # Secrets redacted from what an analyzer was shown.
    redactions: int = 0

    @field_validator("summary", "recommendations")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        return [s.strip() for s in v if s and s.strip()]


# ------------------------------------------------------------------------------------- report


class Window(BaseModel):
    start: datetime
    end: datetime  # exclusive


class Stats(BaseModel):
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0


class FileEntry(BaseModel):
    path: str
    status: str
    insertions: int
    deletions: int
    old_path: str | None = None
    binary: bool = False


class CommitEntry(BaseModel):
    """A commit as the report shows it: facts, links, and its analysis."""

    sha: str
    short_sha: str
    anchor: str  # unique within the report; not part of the JSON twin
    url: str | None
    pr_url_base: str | None = None  # "https://host/owner/repo/pull/" for PR links in Markdown
    time: datetime
    author: str
    subject: str
    pr: int | None
    files: list[FileEntry]
    read_error: str | None = None
    analysis: CommitAnalysis
    pull_request: PullRequest | None = None  # from the hosting API; None without a token
    semantic: Semantic | None = None  # what changed in the code's own terms; None: not read
    #: shown on the day it was first seen, its date being after that day (``Commit.first_seen``)
    first_seen: date | None = None
    #: the reader's lines that use a symbol it changed (``Commit.uses``); None: not looked for
    uses: list[Use] | None = None
    uses_omitted: int = 0
    #: this entry's pieces of output files, rendered ahead by the formats (``Format.prepare``)
    #: while git read the next batch, by the format's own key. They are made from the fields as
    #: they were: setting a field or copying the entry drops them. (A field's own insides are
    #: not watched: an entry's analysis is replaced, never edited in place.)
    _pieces: dict[object, Any] = PrivateAttr(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and self.__pydantic_private__:
            self._pieces.clear()
        super().__setattr__(name, value)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> CommitEntry:
        copied = super().model_copy(update=update, deep=deep)
        copied._pieces = {}
        return copied

    def keep_piece(self, key: object, piece: Any) -> None:
        self._pieces[key] = piece

    def piece(self, key: object, *, take: bool = False) -> Any:
        """The piece kept under ``key`` (``None``: none); ``take`` lets it go as it is read."""
        return self._pieces.pop(key, None) if take else self._pieces.get(key)

    def to_json_dict(self) -> dict:
        """One entry of a section's ``commits`` in the JSON twin (REPORT_FORMAT.md §3)."""
        out = {
            "sha": self.sha,
            "short_sha": self.short_sha,
            "url": self.url,
            "time": self.time.isoformat(),
            "author": self.author,
            "subject": self.subject,
            "pr": self.pr,
            "files": [f.model_dump(mode="json") for f in self.files],
            "read_error": self.read_error,
            "analysis": self.analysis.model_dump(mode="json"),
            "semantic": self.semantic.model_dump(mode="json") if self.semantic is not None else None,
        }
        if self.pull_request is not None:
            out["pr_meta"] = self.pull_request.meta()
        if self.first_seen is not None:
            out["first_seen"] = self.first_seen.isoformat()
        if self.uses is not None:
            out["uses"] = [u.model_dump(mode="json", exclude_none=True) for u in self.uses]
        if self.uses_omitted:
            out["uses_omitted"] = self.uses_omitted
        return out


class RepoSection(BaseModel):
    name: str
    url: str | None
    branch: str
    slug: str  # anchor prefix, unique within the report
    stats: Stats
    commits: list[CommitEntry]
    error: str | None = None  # the repository could not be read; the section says why
    #: what the reader's code was checked against (``uses``); None when no code was named
    uses: UsesSummary | None = None


class Usage(BaseModel):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    seconds: float = 0.0
    cost: float | None = None  # only when a price table is configured
    # How much pull-request metadata the hosting API gave ("PR metadata: 12 of 14 PRs; …");
    # None when it was not asked, and then absent from the JSON twin.
    pr_meta: str | None = None
    # What the LLM run really was, for whoever reads the report later; unset offline.
    #: the structured-output mode the answers came back in (after any downgrade)
    response_format: str | None = None
    #: downgrades the server forced, e.g. "json_schema->json_object"
    format_switches: list[str] = Field(default_factory=list)
    #: the model name(s) the server's answers carried, which may differ from the one configured
    served_model: str | None = None
    #: one line each: e.g. the server does not list the configured model
    warnings: list[str] = Field(default_factory=list)


class Generator(BaseModel):
    name: str = "commitdigest"
    version: str
    analyzer: str


class Report(BaseModel):
    title: str
    language: Language
    timezone: str
    window: Window
    period: bool  # a --since/--until report rather than a single day
    generator: Generator
    repos: list[RepoSection]
    usage: Usage

    def to_json_dict(self, *, commits: bool = True) -> dict:
        """The JSON twin of REPORT_FORMAT.md §3: fixed field names, newest commits first. With
        ``commits=False`` every section's ``commits`` is left empty, for a writer that encodes
        them one at a time (``CommitEntry.to_json_dict``) instead of holding them all as dicts."""
        return {
            "schema_version": 1,
            "title": self.title,
            "language": str(self.language),  # the code itself, whatever encoder writes the twin
            "timezone": self.timezone,
            "window": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat()},
            "generator": self.generator.model_dump(mode="json"),
            "repos": [
                {
                    "name": r.name,
                    "url": r.url,
                    "branch": r.branch,
                    "error": r.error,
                    **({"uses": r.uses.model_dump(mode="json")} if r.uses is not None else {}),
                    "stats": r.stats.model_dump(mode="json"),
                    "commits": [c.to_json_dict() for c in r.commits] if commits else [],
                }
                for r in self.repos
            ],
            "usage": self.usage.model_dump(mode="json", exclude=None if self.usage.pr_meta else {"pr_meta"}),
        }
