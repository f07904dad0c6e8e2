"""The offline analyzer: deterministic rules over git facts, no network.

The tier is the weighted importance score every analyzer shares (``analysis.importance``); its
arithmetic is the ``importance_reason``. The rules here find what a reader should know about a
commit — its type, the public definitions and dependencies it changes, risks and insights — and
every fact they state can be checked in the commit's diff.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, PrivateAttr

from commitdigest import paths
from commitdigest.analysis import importance as scoring_module
from commitdigest.analysis import semantic_text
from commitdigest.analysis.diff_facts import Definitions, commit_bumps, commit_definitions
from commitdigest.analysis.message import gist, readable
from commitdigest.models import (
    ChangeType,
    Commit,
    CommitAnalysis,
    Coverage,
    ImpactItem,
    Importance,
    Insights,
    Risk,
    Usage,
)
from commitdigest.semantic.languages import spec_for
from commitdigest.vocab import counted, words
from commitdigest.vocab.tables import OfflineWords

RULES_VERSION = 20

# "type(scope)!: text", and the colon-less "type(scope) text" some teams write.
_PREFIX = re.compile(r"^(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?(?P<bang>!)?:\s*"
                     r"|^(?P<type2>[a-zA-Z]+)\((?P<scope2>[^)]*)\)(?P<bang2>!)?\s+")
_TYPES = {
    "feat": ChangeType.feature, "feature": ChangeType.feature, "fix": ChangeType.fix,
    "bugfix": ChangeType.fix, "perf": ChangeType.perf, "refactor": ChangeType.refactor,
    "docs": ChangeType.docs, "doc": ChangeType.docs, "test": ChangeType.test, "tests": ChangeType.test,
    "ci": ChangeType.ci, "build": ChangeType.build, "deps": ChangeType.deps, "chore": ChangeType.chore,
    "style": ChangeType.chore, "revert": ChangeType.revert, "config": ChangeType.config,
}
# Not a bare "token": in model-serving code a token is a unit of text, not a credential.
# "auth" but not "author(s)" or "authority": an authors.yml is not security code. Not
# "sanitizer" (ASan/TSan are debugging tools) nor "dependency injection".
_SECURITY = re.compile(r"auth(?!or(?!i[sz]))|access.?token|api.?key|bearer|secret|\btls\b|\bssl\b|\brbac\b|"
                       r"\b(?:en|de)?crypt|password|\bpermissions?\b|\bcve\b|rustsec|\bghsa\b|security|"
                       r"vulnerab|\bxss\b|\bcsrf\b|(?:sql|command|code|prompt|header|shell) injection|"
                       r"privilege", re.I)
# Without a conventional prefix ("mcp: forward the client-id header"), the verb says the type.
_FIX_WORDS = re.compile(r"\b(fix\w*|bugs?|crash\w*|errors?|correct\w*|prevent\w*|avoid\w*|preserve\w*|"
                        r"honou?r\w*|missing|wrong|broken|leak\w*|regression|don't|do not|stop\w*|"
                        r"handle\w*|guard\w*|ensure\w*|restore\w*|reject\w*|validat\w*)\b", re.I)
_FEATURE_WORDS = re.compile(r"\b(add\w*|support\w*|introduc\w*|new|implement\w*|enabl\w*|allow\w*|expose\w*|"
                            r"include\w*|forward\w*|emit\w*|provid\w*|propagat\w*)\b", re.I)
# The subject's first verb ("area: verb …" too) decides before words further on do: "Add a
# strict mode that rejects …" adds a feature, whatever it rejects.
_LEAD = re.compile(r"^(?:[\w./-]+:\s*)?(?P<verb>\S+)")
# Words that say the change is about speed or resources, at word starts: not "session memory".
_PERF = re.compile(r"\bperf\b|\bperformance|latency|throughput|\bcach(?:e|es|ing)\b|\balloc\w*|\bfast(?:er|est)?\b|"
                   r"\bslow\w*|\bspeed\w*|\boptimi[sz]\w*|\bmemory (?:usage|footprint|consumption|use)\b|"
                   r"\bzero.copy\b|\bbenchmark\w*", re.I)


class Signals(BaseModel):
    """The evidence behind a judgement, compact enough to show a model as hints."""

    change_type: ChangeType
    type_source: str
    breaking: bool
    areas: dict[str, int]
    files: int
    lines: int
    removed_api: int
    security: bool
    performance: bool
    tests_touched: bool
    deps_touched: bool
    workflows: bool = False
    migrations: int = 0  # files that look like schema or data migrations
    defaults_changed: list[str] = []  # files where a default value was replaced
    # Definitions added/removed in source files: computed once, used by several bullets.
    _defs: Definitions | None = PrivateAttr(default=None)


_area = paths.area


def _verb_type(subject: str) -> ChangeType | None:
    lead = _LEAD.match(subject)
    verb = lead.group("verb") if lead else ""
    if _FEATURE_WORDS.fullmatch(verb):
        return ChangeType.feature
    if _FIX_WORDS.fullmatch(verb):
        return ChangeType.fix
    if _FIX_WORDS.search(subject):
        return ChangeType.fix
    if _FEATURE_WORDS.search(subject):
        return ChangeType.feature
    return None


def subject_change_type(subject: str) -> ChangeType | None:
    """The change type the subject states: a revert, or a Conventional-Commit type (``deps`` as
    a scope makes it a dependency change). None when the subject states none."""
    if subject.lower().startswith("revert"):
        return ChangeType.revert
    m = _PREFIX.match(subject)
    kind = m and (m.group("type") or m.group("type2")).lower()
    if not m or not kind or kind not in _TYPES:
        return None
    return ChangeType.deps if (m.group("scope") or m.group("scope2") or "").lower() == "deps" else _TYPES[kind]


def signals(commit: Commit) -> Signals:
    areas: dict[str, int] = defaultdict(int)
    for f in commit.files:
        areas[_area(f.path)] += 1
    m = _PREFIX.match(commit.subject)
    kind = m and (m.group("type") or m.group("type2")).lower()
    scope = m and (m.group("scope") or m.group("scope2") or "").lower()
    bang = bool(m and (m.group("bang") or m.group("bang2")))
    if commit.subject.lower().startswith("revert"):
        ctype, source = ChangeType.revert, "subject"
    elif kind and kind in _TYPES:
        ctype, source = _TYPES[kind], "prefix"
        if scope == "deps":
            ctype = ChangeType.deps
    else:
        source = "paths"
        only = set(areas)
        if only and only <= {"docs", "asset"}:
            ctype = ChangeType.docs
        elif only == {"test"}:
            ctype = ChangeType.test
        elif only == {"ci"}:
            ctype = ChangeType.ci
        elif only and only <= {"deps"}:
            ctype = ChangeType.deps
        elif only and only <= {"build"}:
            ctype = ChangeType.build
        else:
            ctype = _verb_type(commit.subject) or ChangeType.chore
    text = readable(commit.message)
    # File changes, not bare patches: a file the log reader clipped or dropped then yields no
    # "removed" claim (its re-added half may be in the part not read).
    defs = commit_definitions(commit)
    removed = len(defs.removed)
    record = Signals(
        change_type=ctype, type_source=source,
        breaking=bang or "BREAKING CHANGE" in text,
        areas=dict(areas), files=len(commit.files), lines=commit.insertions + commit.deletions,
        removed_api=removed,
        security=bool(_SECURITY.search(commit.subject) or any(paths.is_security(f.path) for f in commit.files[:200])),
        performance=ctype == ChangeType.perf or bool(_PERF.search(commit.subject)),
        tests_touched="test" in areas, deps_touched="deps" in areas,
        workflows="ci" in areas,
        migrations=sum(1 for f in commit.files if _MIGRATION.search(f.path)),
        defaults_changed=[f.path for f in commit.files if _area(f.path) in ("source", "config") and _default_changed(f.patch)][:5],
    )
    record._defs = defs
    return record


# Schema and data migrations: Django/Rails/Alembic/Flyway/Prisma folders, SQL files.
_MIGRATION = re.compile(r"(^|/)(migrations?|alembic|db/migrate|flyway|prisma/migrations)/|\.sql$", re.I)
# A line that sets a default: `default: 8`, `default=8`, `DEFAULT_TIMEOUT = 30`, `#[serde(default = …)]`.
_DEFAULT_LINE = re.compile(r"^([-+])(?![-+])[^\n]*?\b(?:defaults?\s*[:=]|DEFAULT_\w+\s*[:=]|\w+_default\s*[:=])",
                           re.I | re.M)


def _default_changed(patch: str) -> bool:
    """A default replaced, not merely added: a removed and an added default line in one file."""
    if not patch or ("default" not in patch and "DEFAULT" not in patch and "Default" not in patch):
        return False  # the common case, decided without the line-by-line regex
    return {m.group(1) for m in _DEFAULT_LINE.finditer(patch)} == {"-", "+"}


def _terms(rx: re.Pattern, commit: Commit, path_terms: Callable[[str], list[str]] | None = None) -> str:
    """The words that made a rule fire, so the reader can judge whether it fired for a reason:
    ``rx`` over the subject, and over the paths unless ``path_terms`` reads those."""
    found = dict.fromkeys(m.group(0).lower() for m in rx.finditer(commit.subject))
    for f in commit.files[:200]:
        found.update(dict.fromkeys(path_terms(f.path) if path_terms else
                                   [m.group(0).lower() for m in rx.finditer(f.path)]))
    return ", ".join(list(found)[:4]) or "?"


# The offline words a rule can cite by name: literal keys, so each lookup is checked.
_Evidence = Literal["breaking", "api", "core", "security", "deps", "large"]
_RiskKey = Literal["r_defaults", "r_migration", "r_notest", "r_deps", "r_api", "r_large", "r_security", "r_unread",
                   "r_ci"]


def _area_word(w: OfflineWords, area: paths.Area) -> str:
    return w["areas"][area]


def _architecture(commit: Commit, s: Signals, modules: dict, ranked: list, w: OfflineWords) -> str:
    parts = []
    if len(modules) > 1 and s.areas.get("source"):
        parts.append(w["arch"].format(n=len(modules), mods=", ".join(m for m, _ in ranked[:4])))
    new = [f.path for f in commit.files if f.status == "A" and _area(f.path) == "source"]
    if len(new) >= 2:
        parts.append(w["arch_new"].format(n=len(new), files=", ".join(new[:3])))
    defs = s._defs
    if defs and defs.added and defs.removed:
        parts.append(w["arch_api"])
    return w["part_sep"].join(parts)


def _names(names: list[str], w: OfflineWords, limit: int = 5) -> str:
    shown = w["list_sep"].join(names[:limit])
    # zh says how many in all ("等 12 个"), en how many more ("and 7 more")
    return shown + (" " + w["more_names"].format(n=len(names), rest=len(names) - limit) if len(names) > limit else "")


def _diff_bullets(commit: Commit, defs: Definitions | None, w: OfflineWords, structured: bool = False) -> list[str]:
    """What the diff itself says, for commits whose message says little (squash merges often
    carry only trailers): public definitions in and out, dependency versions, the biggest files.
    With ``structured`` the semantic facts have said what the code did: the definitions named
    here are those of files in languages the stage does not read, and the largest files are
    not listed."""
    out = []
    if structured:
        defs = commit_definitions(commit, lambda path: spec_for(path) is None)
    if defs is not None and defs.added:
        out.append(w["defs_added"].format(names=_names(defs.added, w)))
    if defs is not None and defs.removed:
        out.append(w["defs_removed"].format(names=_names(defs.removed, w)))
    bumps = commit_bumps(commit)
    if bumps:
        items = [w["bump"].format(name=b.name, old=b.old, new=b.new) if b.old and b.new else
                 w["bump_added"].format(name=b.name, new=b.new) if b.new else w["bump_removed"].format(name=b.name)
                 for b in bumps]
        out.append(w["bumps"].format(items=_names(items, w)))
    if len(commit.files) > 1 and not structured:
        ranked = sorted(commit.files, key=lambda f: -(f.insertions + f.deletions))[:3]
        out.append(w["top_files"].format(items=w["list_sep"].join(
            f"{f.path} (+{f.insertions}/-{f.deletions})" for f in ranked)))
    return out


def _evidence(s: Signals, w: OfflineWords) -> list[str]:
    """What a reader would want to weigh, in plain words, for the conclusion line."""
    source_files = s.areas.get("source", 0)
    only = set(s.areas)
    checks: tuple[tuple[_Evidence, object], ...] = (
        ("breaking", s.breaking), ("api", s.removed_api), ("core", source_files), ("security", s.security),
        ("deps", s.deps_touched), ("large", s.lines >= 500))
    found = [name for name, present in checks if present]
    number = {"core": source_files, "large": s.lines, "api": s.removed_api}
    out = [counted(w[name], number.get(name, 0)) for name in found]
    if not out:
        out.append(w["docs"] if only and only <= {"docs", "asset"} else w["tests_only"] if only == {"test"}
                   else w["peripheral"] if only else w["small"])
    return out


class HeuristicAnalyzer:
    name = "heuristic"

    def __init__(self, scoring: scoring_module.Scoring | None = None):
        self.scoring = scoring or scoring_module.DEFAULT_SCORING

    def fingerprint(self, language: str, scoring: scoring_module.Scoring | None = None) -> str:
        return f"heuristic:v{RULES_VERSION}:{language}:s{(scoring or self.scoring).fingerprint}"

    def usage(self) -> Usage:
        return Usage()

    def analyze_batch(self, commits: Sequence[Commit], language: str, progress=None,
                      scoring: scoring_module.Scoring | None = None) -> list[CommitAnalysis]:
        out = []
        for c in commits:
            out.append(self.analyze(c, language, scoring))
            if progress:
                progress(1)
        return out

    def analyze(self, commit: Commit, language: str, scoring: scoring_module.Scoring | None = None) -> CommitAnalysis:
        w = words(language).offline
        s = signals(commit)
        source_files = s.areas.get("source", 0)
        score = scoring_module.score(commit, scoring or self.scoring)
        importance = score.tier
        counts: defaultdict[str, int] = defaultdict(int)
        for f in commit.files:
            counts[f.status] += 1
        summary = gist(commit.body)
        if not summary and commit.pull_request is not None:
            # A squash merge's body is often empty or only trailers: the why is in the PR.
            summary = gist(commit.pull_request.body)
        # What the code did, in its own terms, when the semantic stage read it.
        said = semantic_text.write(commit.semantic, w) if commit.semantic is not None else None
        structured = bool(said and said.summary)
        if said is not None:
            summary += said.summary
        if not commit.files:
            summary.append(w["empty"])
        elif not structured:
            summary.append(w["facts"].format(a=counts["A"], m=counts["M"] + counts["T"], d=counts["D"],
                                             r=counts["R"] + counts["C"], ins=commit.insertions, dels=commit.deletions))
        summary += _diff_bullets(commit, s._defs, w, structured)
        binaries = sum(f.binary for f in commit.files)
        if binaries:
            summary.append(counted(w["binary"], binaries))
        summary += [w["submodule"].format(p=f.path) for f in commit.files if f.submodule][:1]
        if commit.is_merge:
            summary.append(w["merge"])
        if commit.read_error:
            summary.append(w["unread"])
        modules: dict[str, list] = {}
        for f in commit.files:
            mod = paths.module(f.path)
            entry = modules.setdefault(mod, [0, 0, 0, []])
            entry[0] += 1
            entry[1] += f.insertions
            entry[2] += f.deletions
            if (area := _area(f.path)) not in entry[3]:
                entry[3].append(area)  # a module can hold source and its tests: name both
        ranked = sorted(modules.items(), key=lambda kv: -(kv[1][1] + kv[1][2] + kv[1][0]))[:8]
        api = said.impact if said is not None else {}
        impact = [ImpactItem(path=mod, note=w["part_sep"].join(
            [counted(w["module"], v[0], area="/".join(_area_word(w, a) for a in v[3]), ins=v[1], dels=v[2]),
             *([api[mod]] if mod in api else [])]))
                  for mod, v in ranked]
        risks, recs = [], []

        def add(key: _RiskKey, sev: Importance, n: int = 0, **fmt) -> None:
            risk, detail, rec = w[key]
            risks.append(Risk(risk=risk, detail=counted(detail, n, **fmt), severity=sev))
            recs.append(rec)

        if commit.read_error:
            add("r_unread", Importance.medium)
        # Read structurally, the evidence names its symbols (semantic_text); the line rules below
        # stand for what the stage did not read.
        parsed = said is not None and commit.semantic is not None and commit.semantic.files_parsed > 0
        if parsed and said is not None:
            s.removed_api = said.removed  # the conclusion cites what the stage found
        if said is not None:
            for title, severity, detail, rec in said.risks:
                risks.append(Risk(risk=title, detail=detail, severity=severity))
                recs.append(rec)
        if (s.removed_api and not parsed) or s.breaking:
            add("r_api", Importance.high)
        if source_files and not s.tests_touched and s.change_type not in (ChangeType.docs, ChangeType.chore) \
                and not parsed:
            add("r_notest", Importance.medium if importance != Importance.low else Importance.low)
        if s.deps_touched:
            add("r_deps", Importance.medium)
        if len(commit.files) >= 50 or s.lines >= 1000:
            add("r_large", Importance.medium)
        if s.security:
            add("r_security", Importance.high)
        if "ci" in s.areas:
            add("r_ci", Importance.low)
        defaults = [p for p in s.defaults_changed if not parsed or spec_for(p) is None]
        if defaults:
            add("r_defaults", Importance.medium, paths=", ".join(defaults[:3]))
        if s.migrations:
            add("r_migration", Importance.high, n=s.migrations)
        insights = Insights(architecture=(said.architecture if said is not None and said.architecture
                                          else _architecture(commit, s, modules, ranked, w)),
                            performance=w["perfi"].format(terms=_terms(_PERF, commit)) if s.performance else "",
                            security=w["sec"].format(terms=_terms(_SECURITY, commit, paths.security_terms)) if s.security else "")
        reason = scoring_module.reason(score, language)
        evidence = w["evidence_sep"].join(_evidence(s, w)[:3])
        analysed = sum(1 for f in commit.files if f.patch)
        return CommitAnalysis(
            change_type=s.change_type, importance=importance, importance_reason=reason,
            importance_score=score.record(), importance_source="score",
            summary=summary, impact_scope=impact, insights=insights, risks=risks, recommendations=recs,
            conclusion=w["conclusion"].format(type=w["conclusion_types"][s.change_type], imp=w["imp"][importance],
                                              reason=evidence),
            analyzer="heuristic", fallback=False,
            coverage=Coverage(files_total=len(commit.files),
                              files_analyzed=len(commit.files) if not commit.read_error else analysed,
                              truncated=any(f.patch_clipped for f in commit.files),
                              lines_total=commit.insertions + commit.deletions,
                              lines_analyzed=sum(f.patch.count("\n") + 1 for f in commit.files if f.patch),
                              unreadable=commit.read_error is not None),
        )
