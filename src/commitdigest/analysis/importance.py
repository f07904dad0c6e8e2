"""The importance tier of a commit: one weighted score, the same for every analyzer.

The score is the earlier report system's, so a team moving over keeps every tier it had:

    type weight (Conventional-Commits type of the subject's first line)
  + size weight (lines added + deleted)
  + file-type weight (the class most of the commit's files fall in)
  + scope weight (number of files)
  [+ optional signals: breaking change, security, revert, dependency — 0 by default]
  = total; ≥ thresholds.high → high, ≥ thresholds.medium → medium, else low.

Facts are taken as a hosting API reports them: the first-parent diff with rename detection (a
renamed file counts once, under its new path), binary files counting 0 lines — which is what
``git.log`` reads. Every number is configurable in ``[importance]`` of ``commitdigest.toml``, per
repository too; the defaults keep the earlier system's quirks on purpose (``tests/test_x.py`` is
"core": the extension rule comes before the test pattern; a commit of only a Dockerfile counts no
file, and a commit with no counted file is "core").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)

from commitdigest.analysis.message import readable
from commitdigest.models import Commit, Importance, ImportanceScore
from commitdigest.paths import is_dependency_manifest, is_security
from commitdigest.vocab import counted, words

_Strict = ConfigDict(extra="forbid", frozen=True)

# The earlier system's type match: lowercase letters, an optional "(scope)", then ":" — so
# "Feat:" and "feat!:" have no type. The greedy scope is kept: "fix(a) b(c):" is a fix there too.
_TYPE = re.compile(r"^([a-z]+)(?:\(.+\))?:")
# Signals beyond the earlier system (weight 0 unless configured).
_BANG = re.compile(r"^[A-Za-z]+(?:\([^)]*\))?!:")
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:", re.MULTILINE)
_ADVISORY = re.compile(r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|RUSTSEC-\d{4}-\d{4})\b", re.IGNORECASE)
# A path component that names authentication or cryptography code: "auth/", "oauth2.py",
# "crypto_utils.rs" — but not "authors.md" or "author.py".
_REVERT = re.compile(r'^(?:revert(?:\(.+\))?!?:|Revert\b)', re.IGNORECASE)
_DEPS_SUBJECT = re.compile(r"^[a-z]+\(deps(?:-dev)?\)!?:|^deps(?:\(.+\))?:|^(?:chore|build)?.*\bbump\b.+\bfrom\b.+\bto\b",
                           re.IGNORECASE)


class Levels(BaseModel):
    """Three named levels; ``large > medium > small`` or ``wide > medium`` as thresholds."""

    model_config = _Strict


class ChangeSizes(Levels):
    """Lines added + deleted: more than ``large`` is large, and so on."""

    large: StrictInt = Field(500, ge=0)
    medium: StrictInt = Field(100, ge=0)
    small: StrictInt = Field(50, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> ChangeSizes:
        if not self.large >= self.medium >= self.small:
            raise ValueError("must satisfy large >= medium >= small")
        return self


class SizeWeights(Levels):
    large: StrictInt = 3
    medium: StrictInt = 2
    small: StrictInt = 1


class Scopes(Levels):
    """Files touched: more than ``wide`` is wide; ``medium`` or more is medium."""

    wide: StrictInt = Field(5, ge=0)
    medium: StrictInt = Field(3, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Scopes:
        if not self.wide >= self.medium:
            raise ValueError("must satisfy wide >= medium")
        return self


class ScopeWeights(Levels):
    wide: StrictInt = 2
    medium: StrictInt = 1


class Thresholds(Levels):
    """Total score at which a commit is high / medium importance."""

    high: StrictInt = 10
    medium: StrictInt = 6

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.high > self.medium:
            raise ValueError("must satisfy high > medium")
        return self


class Signals(Levels):
    """Additive weights beyond the earlier system's score; 0 keeps its tiers exactly."""

    #: "!" after the type ("feat!:") or a "BREAKING CHANGE:" footer
    breaking: StrictInt = 0
    #: an advisory id (CVE/GHSA/RUSTSEC) in the message, or a change to auth/crypto/security paths
    security: StrictInt = 0
    #: a revert ("Revert \"…\"", "revert: …")
    revert: StrictInt = 0
    #: a dependency bump: a "(deps)" scope, "bump X from a to b", or a manifest/lockfile changed
    dependency: StrictInt = 0


class FileClass(BaseModel):
    """A class of files: a path is in it when it ends with one of ``suffixes`` or contains one
    of ``contains``."""

    model_config = _Strict

    weight: StrictInt
    suffixes: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()

    def matches(self, path: str) -> bool:
        return path.endswith(self.suffixes) or any(part in path for part in self.contains)


_DEFAULT_CLASSES: dict[str, dict[str, Any]] = {
    "core": {"weight": 2, "suffixes": [".py", ".rs", ".cpp", ".cc", ".c", ".h", ".hpp", ".go", ".js", ".ts"]},
    "config": {"weight": 1, "suffixes": [".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf"]},
    "test": {"weight": 1, "contains": ["_test.py", "test_.py", "_test.rs", "_test.go"]},
    "doc": {"weight": 0, "suffixes": [".md", ".rst", ".txt", "adoc"]},
}
_DEFAULT_ORDER = ["core", "config", "test", "doc"]

DEFAULT_COMMIT_TYPES: dict[str, int] = {
    "feat": 8, "fix": 7, "perf": 6, "refactor": 5, "test": 3, "docs": 2, "ci": 2, "chore": 1, "style": 1,
    "build": 1, "other": 3,
}


class Scoring(BaseModel):
    """``[importance]``: how a commit's tier is computed. Defaults reproduce the earlier system."""

    model_config = _Strict

    #: "score": the tier is this score for every analyzer; "model": an LLM re-rates the commit
    source: Literal["score", "model"] = "score"
    #: weight per Conventional-Commits type; ``other`` for any other type, or none
    commit_types: dict[str, StrictInt] = Field(default_factory=lambda: dict(DEFAULT_COMMIT_TYPES))
    change_sizes: ChangeSizes = Field(default_factory=ChangeSizes)
    size_weights: SizeWeights = Field(default_factory=SizeWeights)
    #: the classes, each ``{weight, suffixes, contains}``, and ``order``: the first class whose
    #: rule a path meets is its class, and a tie between classes goes to the earlier one
    file_types: dict[str, Any] = Field(default_factory=lambda: {"order": list(_DEFAULT_ORDER), **_DEFAULT_CLASSES},
                                       validate_default=True)
    scopes: Scopes = Field(default_factory=Scopes)
    scope_weights: ScopeWeights = Field(default_factory=ScopeWeights)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    signals: Signals = Field(default_factory=Signals)

    @field_validator("commit_types")
    @classmethod
    def _types(cls, v: dict[str, int]) -> dict[str, int]:
        for name in v:
            if name != "other" and not re.fullmatch(r"[a-z]+", name):
                raise ValueError(f"'{name}' is not a commit type (lowercase letters, as in 'feat')")
        return {**{"other": DEFAULT_COMMIT_TYPES["other"]}, **v}

    @field_validator("file_types")
    @classmethod
    def _classes(cls, v: dict[str, Any]) -> dict[str, Any]:
        order = v.get("order", _DEFAULT_ORDER)
        if not isinstance(order, list) or not order or not all(isinstance(n, str) for n in order):
            raise ValueError("order: must be a non-empty list of class names")
        classes = {k: c for k, c in v.items() if k != "order"}
        for name in order:
            if name not in classes:
                raise ValueError(f"order: names '{name}', which has no table")
        for name, spec in classes.items():
            if name not in order:
                raise ValueError(f"{name}: not listed in 'order'")
            if not isinstance(spec, dict | FileClass):
                raise ValueError(f"{name}: must be a table with weight, suffixes and contains")
            try:
                classes[name] = spec if isinstance(spec, FileClass) else FileClass.model_validate(spec)
            except Exception as exc:  # pydantic's message, prefixed with the class's key
                first = exc.errors(include_url=False)[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"{name}{'.' + where if where else ''}: {first['msg']}") from None
        return {"order": list(order), **classes}

    # ------------------------------------------------------------------------- derived values

    @cached_property
    def classes(self) -> list[tuple[str, FileClass]]:
        return [(name, self.file_types[name]) for name in self.file_types["order"]]

    @cached_property
    def fingerprint(self) -> str:
        """Short hash of everything that changes a tier: part of every analysis cache key."""
        data = self.model_dump(mode="json", exclude={"source"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]

    def merged(self, override: Mapping[str, Any] | None) -> Scoring:
        """These settings with a (partial) table laid over them: a repository's own weights."""
        if not override:
            return self
        return Scoring.model_validate(deep_merge(self.model_dump(mode="python"), override))


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base`` table by table; lists and scalars replace."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = deep_merge(below, value)
        elif isinstance(value, Mapping) and isinstance(below, BaseModel):
            out[key] = deep_merge(below.model_dump(mode="python"), value)
        else:
            out[key] = value
    return out


def scoring_from_table(table: Mapping[str, Any] | None) -> Scoring:
    """``[importance]`` as written (partial tables keep the defaults they do not name)."""
    if not table:
        return DEFAULT_SCORING
    return DEFAULT_SCORING.merged(table)


# ------------------------------------------------------------------------------- the score


@dataclass(frozen=True)
class Score:
    """A commit's score with the facts it was computed from."""

    commit_type: str  # the matched type, or "other"
    type_known: bool  # the subject had a type the table names
    insertions: int
    deletions: int
    counts_known: bool
    files: int
    file_class: str
    class_counts: dict[str, int]
    parts: dict[str, int]  # type, size, file_type, scope, then any firing signal with a weight
    signals: list[str] = field(default_factory=list)  # signals that fired, weighted or not
    total: int = 0
    tier: Importance = Importance.low
    thresholds: tuple[int, int] = (10, 6)

    @property
    def lines(self) -> int:
        return self.insertions + self.deletions

    def record(self) -> ImportanceScore:
        return ImportanceScore(total=self.total, parts=dict(self.parts))


def commit_type(subject: str) -> str | None:
    """The Conventional-Commits type of the message's first line, as the score reads it."""
    m = _TYPE.match(subject.split("\n", 1)[0].strip())
    return m.group(1) if m else None


def file_class(paths: list[str], scoring: Scoring) -> tuple[str, dict[str, int]]:
    counts = {name: 0 for name, _ in scoring.classes}
    for path in paths:
        if not path:
            continue
        for name, rule in scoring.classes:
            if rule.matches(path):
                counts[name] += 1
                break
    # max() keeps the first of equal counts: ties, and no counted file, go to the earliest class
    best = max(counts.items(), key=lambda kv: kv[1])[0]
    return best, counts


def fired_signals(commit: Commit) -> list[str]:
    subject = commit.subject
    out = []
    if _BANG.match(subject) or _BREAKING_FOOTER.search(readable(commit.body)):
        out.append("breaking")
    if _ADVISORY.search(readable(commit.message)) or any(is_security(f.path) for f in commit.files):
        out.append("security")
    if _REVERT.match(subject):
        out.append("revert")
    if _DEPS_SUBJECT.search(subject) or any(is_dependency_manifest(f.path) for f in commit.files):
        out.append("dependency")
    return out


def score(commit: Commit, scoring: Scoring | None = None) -> Score:
    s = scoring or DEFAULT_SCORING
    ctype = commit_type(commit.subject)
    known = ctype is not None and ctype in s.commit_types
    type_weight = s.commit_types[ctype] if known and ctype else s.commit_types["other"]
    ins, dels = commit.insertions, commit.deletions
    lines = ins + dels
    sizes, sw = s.change_sizes, s.size_weights
    size_weight = (sw.large if lines > sizes.large else sw.medium if lines > sizes.medium
                   else sw.small if lines > sizes.small else 0)
    cls, counts = file_class([f.path for f in commit.files], s)
    n = len(commit.files)
    scope_weight = (s.scope_weights.wide if n > s.scopes.wide else s.scope_weights.medium if n >= s.scopes.medium
                    else 0)
    parts = {"type": type_weight, "size": size_weight, "file_type": s.file_types[cls].weight, "scope": scope_weight}
    fired = fired_signals(commit)
    for name in fired:
        weight = getattr(s.signals, name)
        if weight:
            parts[name] = weight
    total = sum(parts.values())
    tier = (Importance.high if total >= s.thresholds.high else Importance.medium if total >= s.thresholds.medium
            else Importance.low)
    return Score(commit_type=ctype or "other", type_known=known, insertions=ins, deletions=dels,
                 counts_known=commit.counts_known, files=n, file_class=cls, class_counts=counts, parts=parts,
                 signals=fired, total=total, tier=tier, thresholds=(s.thresholds.high, s.thresholds.medium))


# ---------------------------------------------------------------------------- the reason

def reason(sc: Score, language: str) -> str:
    """The arithmetic, in the report's language:
    ``feat 8 + 核心代码 2 + 规模 +87/-7 1 + 4 个文件 1 = 12 ≥ 10``."""
    w = words(language).score
    typ = sc.commit_type if sc.type_known else (w["other"] if sc.commit_type == "other" else sc.commit_type)
    size = f"+{sc.insertions}/-{sc.deletions}" if sc.counts_known else "+?/-?"
    files = counted(w["files"], sc.files)
    named: Mapping[str, str] = w  # type: ignore[assignment]  # file classes and signals arrive as run-time names
    terms = [f"{typ} {sc.parts['type']}", f"{named.get(sc.file_class, sc.file_class)} {sc.parts['file_type']}",
             f"{w['size']} {size} {sc.parts['size']}", f"{files} {sc.parts['scope']}"]
    terms += [f"{named[name]} {sc.parts[name]}" for name in ("breaking", "security", "revert", "dependency")
              if name in sc.parts]
    high, medium = sc.thresholds
    bound = f"≥ {high}" if sc.total >= high else f"≥ {medium}" if sc.total >= medium else f"< {medium}"
    return " + ".join(terms).replace("+ -", "- ") + f" = {sc.total} {bound}"


def explain(sc: Score, scoring: Scoring) -> list[tuple[str, str, str]]:
    """(part, the facts, the weight) rows for ``analyze --explain``."""
    sizes = scoring.change_sizes
    size_rule = (f"> {sizes.large}" if sc.lines > sizes.large else f"> {sizes.medium}" if sc.lines > sizes.medium
                 else f"> {sizes.small}" if sc.lines > sizes.small else f"≤ {sizes.small}")
    scopes = scoring.scopes
    scope_rule = (f"> {scopes.wide}" if sc.files > scopes.wide else f"{scopes.medium}–{scopes.wide}"
                  if sc.files >= scopes.medium else f"< {scopes.medium}")
    typ = sc.commit_type if sc.type_known else f"{sc.commit_type} (no weight of its own: 'other')" \
        if sc.commit_type != "other" else "none ('other')"
    counts = ", ".join(f"{k} {v}" for k, v in sc.class_counts.items())
    lines = f"+{sc.insertions}/-{sc.deletions} = {sc.lines} lines ({size_rule})" if sc.counts_known \
        else "unknown (git could not read the blobs)"
    rows = [("type", typ, str(sc.parts["type"])),
            ("size", lines, str(sc.parts["size"])),
            ("file type", f"{sc.file_class} ({counts})", str(sc.parts["file_type"])),
            ("scope", f"{sc.files} file{'s' if sc.files != 1 else ''} ({scope_rule})", str(sc.parts["scope"]))]
    for name in sc.signals:
        rows.append((f"signal: {name}", "fired", str(sc.parts.get(name, 0))))
    high, medium = sc.thresholds
    rows.append(("total", f"{sc.tier.value} (high ≥ {high}, medium ≥ {medium})", str(sc.total)))
    return rows


DEFAULT_SCORING = Scoring()
