"""The offline analyzer: deterministic rules over git facts, no network.

Importance is scored from evidence — the commit type, where the change lands, its size, breaking
markers and removed public API — and the deciding evidence is named in ``importance_reason``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from collections.abc import Sequence

from pydantic import BaseModel, PrivateAttr

from commitdigest.analysis.diff_facts import Definitions, definitions, dependency_bumps
from commitdigest.analysis.message import gist
from commitdigest.analysis.wording import WORDS
from commitdigest.report.labels import CHANGE_TYPE_WORD, counted

from commitdigest.models import (
    ChangeType, Commit, CommitAnalysis, Coverage, ImpactItem, Importance, Insights, Risk, Usage,
)

RULES_VERSION = 15

_PREFIX = re.compile(r"^(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?(?P<bang>!)?:\s*")
_TYPES = {
    "feat": ChangeType.feature, "feature": ChangeType.feature, "fix": ChangeType.fix,
    "bugfix": ChangeType.fix, "perf": ChangeType.perf, "refactor": ChangeType.refactor,
    "docs": ChangeType.docs, "doc": ChangeType.docs, "test": ChangeType.test, "tests": ChangeType.test,
    "ci": ChangeType.ci, "build": ChangeType.build, "deps": ChangeType.deps, "chore": ChangeType.chore,
    "style": ChangeType.chore, "revert": ChangeType.revert, "config": ChangeType.config,
}
_DOC = re.compile(r"(^|/)(docs?/|README|CHANGELOG)|\.(md|rst|txt|adoc)$", re.I)
# Images illustrate the docs or dress a UI: they never change what the code does.
_ASSET = re.compile(r"\.(svg|png|jpe?g|gif|webp|ico|bmp)$", re.I)
_TEST = re.compile(r"(^|/)(tests?|__tests__|testing)/|(^|/)test_[^/]*$|_test\.\w+$|\.test\.\w+$", re.I)
_CI = re.compile(r"^\.github/|^\.gitlab-ci|^\.ci/|^(scripts/)?ci/|Jenkinsfile", re.I)
_BUILD = re.compile(r"(^|/)(Dockerfile[^/]*|container/|Makefile|CMakeLists\.txt|setup\.py|build\.rs)", re.I)
_DEPS = re.compile(r"(^|/)(Cargo\.lock|Cargo\.toml|package(-lock)?\.json|yarn\.lock|go\.(mod|sum)|"
                   r"requirements[^/]*\.txt|pyproject\.toml|poetry\.lock|uv\.lock)$", re.I)
_CONFIG = re.compile(r"\.(ya?ml|toml|ini|cfg|json|conf)$|(^|/)(deploy|helm|charts|k8s)/", re.I)
# Code is code wherever it lives: a Go controller under deploy/ is source, not configuration.
_CODE = re.compile(r"\.(py|pyx|rs|go|c|cc|cpp|cxx|h|hh|hpp|cu|cuh|java|kt|scala|swift|rb|php|cs|"
                   r"js|jsx|ts|tsx|mjs|zig|ex|exs|erl|hs|ml|lua|pl|r|jl|dart|m|mm|sql|proto|thrift|graphql|fbs)$", re.I)
# Bugs whose fix is urgent for anyone running the code: crashes, hangs, corruption, resource loss.
# Word starts matter: "hang" is inside "change", "sync" inside "asyncio".
_SEVERE = re.compile(r"crash|panic|segfault|deadlock|\brace\b|\bhang|\bleak|corrupt|data loss|\boom\b|"
                     r"out of memory|failure|\bsync|overflow|use.after.free|\bcve|vulnerab|regression", re.I)
# The author saying the change is small outweighs its type.
_MINOR = re.compile(r"\b(minor|typos?|nits?|cosmetic|wording|spelling|whitespace|comment)\b", re.I)
_EXAMPLE = re.compile(r"(^|/)(examples?|recipes?|samples?|benchmarks?)/", re.I)
# Not a bare "token": in model-serving code a token is a unit of text, not a credential.
# "auth" but not "author(s)" or "authority": an authors.yml is not security code.
_SECURITY = re.compile(r"auth(?!or(?!i[sz]))|access.?token|api.?key|bearer|secret|\btls\b|\bssl\b|rbac|crypt|password|"
                       r"permission|\bcve\b|rustsec|\bghsa\b|security|vuln|xss|csrf|injection|sanitiz|privilege", re.I)
# Without a conventional prefix ("mcp: forward the client-id header"), the verb says the type.
_FIX_WORDS = re.compile(r"\b(fix\w*|bugs?|crash\w*|errors?|correct\w*|prevent\w*|avoid\w*|preserve\w*|"
                        r"honou?r\w*|missing|wrong|broken|leak\w*|regression|don't|do not|stop\w*|"
                        r"handle\w*|guard\w*|ensure\w*|restore\w*|reject\w*|validat\w*)\b", re.I)
_FEATURE_WORDS = re.compile(r"\b(add\w*|support\w*|introduc\w*|new|implement\w*|enabl\w*|allow\w*|expose\w*|"
                            r"include\w*|forward\w*|emit\w*|provid\w*|propagat\w*)\b", re.I)
_PERF = re.compile(r"perf|latency|throughput|cache|memory|alloc|fast|slow|speed|optimi", re.I)
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
    severe: bool = False
    minor: bool = False
    workflows: bool = False
    migrations: int = 0  # files that look like schema or data migrations
    defaults_changed: list[str] = []  # files where a default value was replaced
    # Definitions added/removed in source files: computed once, used by several bullets.
    _defs: Definitions | None = PrivateAttr(default=None)


@lru_cache(maxsize=1 << 16)  # asked of the same paths by several rules of a commit
def _area(path: str) -> str:
    # deps before docs: requirements.txt is a manifest, not prose.
    for name, rx in (("test", _TEST), ("ci", _CI), ("deps", _DEPS), ("docs", _DOC), ("asset", _ASSET),
                     ("build", _BUILD), ("example", _EXAMPLE)):
        if rx.search(path):
            return name
    if _CONFIG.search(path) and not _CODE.search(path):
        return "config"
    return "source"


def signals(commit: Commit) -> Signals:
    areas: dict[str, int] = defaultdict(int)
    for f in commit.files:
        areas[_area(f.path)] += 1
    m = _PREFIX.match(commit.subject)
    if commit.subject.lower().startswith("revert"):
        ctype, source = ChangeType.revert, "subject"
    elif m and m.group("type").lower() in _TYPES:
        ctype, source = _TYPES[m.group("type").lower()], "prefix"
        if (m.group("scope") or "").lower() == "deps":
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
        elif _FIX_WORDS.search(commit.subject):
            ctype = ChangeType.fix
        elif _FEATURE_WORDS.search(commit.subject):
            ctype = ChangeType.feature
        else:
            ctype = ChangeType.chore
    text = commit.message
    defs = definitions(f.patch for f in commit.files if _area(f.path) == "source")
    removed = len(defs.removed)
    record = Signals(
        change_type=ctype, type_source=source,
        breaking=bool((m and m.group("bang")) or "BREAKING CHANGE" in text),
        areas=dict(areas), files=len(commit.files), lines=commit.insertions + commit.deletions,
        removed_api=removed,
        security=bool(_SECURITY.search(commit.subject) or any(_SECURITY.search(f.path) for f in commit.files[:200])),
        performance=ctype == ChangeType.perf or bool(_PERF.search(commit.subject)),
        tests_touched="test" in areas, deps_touched="deps" in areas,
        severe=bool(_SEVERE.search(commit.subject)), minor=bool(_MINOR.search(commit.subject)),
        workflows=any(f.path.startswith((".github/workflows/", ".github/actions/")) or f.path.startswith(".gitlab-ci")
                      for f in commit.files),
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


_HIGH, _MEDIUM, _LOW = Importance.high, Importance.medium, Importance.low
_PERIPHERAL = {"docs", "test", "asset"}  # areas whose change alone never matters to a user of the code


def importance_of(s: Signals) -> tuple[Importance, list[str]]:
    """The importance and the names of the rules that decided it (keys of ``wording.WORDS``), first match wins
    within each step. Calibrated on a reference report's labels (bench/agreement.py): new features
    rate high; fixes medium, high when they reach across several source files, bring their own test
    or cure a crash-class bug; housekeeping low unless it rewrites real code; docs and tests alone
    low unless they fix something or span a section. Checked on held-out reports of the same kind
    (bench/report_labels.py)."""
    src = s.areas.get("source", 0)
    areas = set(s.areas)
    t = s.change_type
    if s.breaking:
        return _HIGH, ["breaking"]
    if s.removed_api and src:
        return _HIGH, ["api"]
    if t == ChangeType.docs and s.files >= 5 and not s.minor:
        # Pages rewritten across a section: a reader's picture of the project changes.
        return _MEDIUM, ["docs_wide"]
    if areas and areas <= _PERIPHERAL:
        if t == ChangeType.fix and s.type_source != "paths" and not s.minor:
            # The author says something was wrong: a broken test hides regressions, a wrong page
            # misleads users. Not housekeeping, though not a change to the code either.
            return _MEDIUM, ["fix_peripheral"]
        only = ("tests_only" if areas == {"test"} else "assets_only" if areas == {"asset"}
                else "docs_tests" if "test" in areas else "docs")
        return _LOW, [only]
    if t == ChangeType.test and src:
        # Tests that needed the source to change too: the code under test moved.
        return _MEDIUM, ["test_source"]
    if t == ChangeType.docs and src >= 2:
        # More than a docstring riding along: the code documented is changing with its docs.
        return _MEDIUM, ["docs_source"]
    if t in (ChangeType.docs, ChangeType.test):
        # The author's own label wins over a few source lines riding along (a docstring).
        return _LOW, ["docs_type" if t == ChangeType.docs else "test_type"]
    level, why = _by_type(s, t, src)
    if level == _LOW and (s.defaults_changed or s.migrations):
        # Users feel a changed default or a schema migration without touching their own code.
        level, why = _MEDIUM, why + ["defaults" if s.defaults_changed else "migration"]
    if s.minor and level == _HIGH:
        level, why = _MEDIUM, why + ["minor"]
    elif s.security and src and level != _HIGH:
        # Security-sensitive code is worth a look whatever the label; a fix there is worth more.
        fixes = t in (ChangeType.fix, ChangeType.revert, ChangeType.perf, ChangeType.refactor)
        level, why = (_HIGH if level == _MEDIUM and fixes else _MEDIUM), why + ["security"]
    return level, why


def _by_type(s: Signals, t: ChangeType, src: int) -> tuple[Importance, list[str]]:
    if t == ChangeType.feature:
        return _HIGH, ["feature"]
    if t in (ChangeType.fix, ChangeType.revert):
        if src >= 3:
            return _HIGH, ["wide_fix", "core"]
        if src and s.severe:
            return _HIGH, ["severe"]
        if src and s.tests_touched:
            # A bug pinned down by a test alongside its fix: real, and in code users run.
            return _HIGH, ["tested_fix"]
        if s.areas.get("build", 0) >= 5:
            return _HIGH, ["build_wide"]
        if src and s.lines >= 400:
            return _HIGH, ["large"]
        return _MEDIUM, ["fix" if src else "fix_outside"]
    if t == ChangeType.perf:
        return (_HIGH, ["perf", "core"]) if src >= 2 or s.lines >= 200 else (_MEDIUM, ["perf"])
    if t == ChangeType.refactor:
        return (_HIGH, ["large", "core"]) if src >= 5 or s.lines >= 500 else (_MEDIUM, ["core"])
    if t == ChangeType.ci:
        return (_MEDIUM, ["workflows"]) if s.workflows else (_LOW, [_small(src)])
    if t == ChangeType.config:
        return (_MEDIUM, ["config"]) if "config" in s.areas else (_LOW, [_small(src)])
    # chore, build, deps: bookkeeping, unless it rewrites a good part of the code.
    if src >= 3:
        return _MEDIUM, ["chore_core", "core"]
    if t == ChangeType.deps and s.security:
        return _MEDIUM, ["deps", "security"]
    if src and t == ChangeType.chore and s.type_source == "paths":
        # No label from the author and no telling verb: "housekeeping" is only our guess, and a
        # change to the code itself deserves a look (repositories without conventional commits).
        return _MEDIUM, ["untyped_source"]
    return _LOW, ["deps" if s.deps_touched else _small(src)]


def _small(src: int) -> str:
    # "only tests, CI…" would contradict the source files named next to it
    return "small_chore" if src else "peripheral"


def _terms(rx: re.Pattern, commit: Commit) -> str:
    """The words that made a rule fire, so the reader can judge whether it fired for a reason."""
    found = dict.fromkeys(m.group(0).lower() for text in [commit.subject, *(f.path for f in commit.files[:200])]
                          for m in rx.finditer(text))
    return ", ".join(list(found)[:4]) or "?"


def _architecture(commit: Commit, s: Signals, modules: dict, ranked: list, w: dict) -> str:
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


def _names(names: list[str], w: dict, limit: int = 5) -> str:
    shown = w["list_sep"].join(names[:limit])
    # zh says how many in all ("等 12 个"), en how many more ("and 7 more")
    return shown + (" " + w["more_names"].format(n=len(names), rest=len(names) - limit) if len(names) > limit else "")


def _diff_bullets(commit: Commit, defs: Definitions, w: dict) -> list[str]:
    """What the diff itself says, for commits whose message says little (squash merges often
    carry only trailers): public definitions in and out, dependency versions, the biggest files."""
    out = []
    if defs.added:
        out.append(w["defs_added"].format(names=_names(defs.added, w)))
    if defs.removed:
        out.append(w["defs_removed"].format(names=_names(defs.removed, w)))
    bumps = dependency_bumps((f.path, f.patch) for f in commit.files if _area(f.path) in ("deps", "build", "config"))
    if bumps:
        items = [w["bump"].format(name=b.name, old=b.old, new=b.new) if b.old and b.new else
                 w["bump_added"].format(name=b.name, new=b.new) if b.new else w["bump_removed"].format(name=b.name)
                 for b in bumps]
        out.append(w["bumps"].format(items=_names(items, w)))
    if len(commit.files) > 1:
        ranked = sorted(commit.files, key=lambda f: -(f.insertions + f.deletions))[:3]
        out.append(w["top_files"].format(items=w["list_sep"].join(
            f"{f.path} (+{f.insertions}/-{f.deletions})" for f in ranked)))
    return out


def _module(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:min(2, len(parts) - 1)]) if len(parts) > 1 else path


class HeuristicAnalyzer:
    name = "heuristic"

    def fingerprint(self, language: str) -> str:
        return f"heuristic:v{RULES_VERSION}:{language}"

    def usage(self) -> Usage:
        return Usage()

    def analyze_batch(self, commits: Sequence[Commit], language: str, progress=None) -> list[CommitAnalysis]:
        out = []
        for c in commits:
            out.append(self.analyze(c, language))
            if progress:
                progress(1)
        return out

    def analyze(self, commit: Commit, language: str) -> CommitAnalysis:
        w = WORDS[language]
        s = signals(commit)
        source_files = s.areas.get("source", 0)
        importance, rule_names = importance_of(s)
        # The deciding rules first, then the other evidence a reader would want to weigh.
        supporting = [name for name, present in (("api", s.removed_api), ("core", source_files),
                                                 ("security", s.security), ("deps", s.deps_touched))
                      if present and name not in rule_names]
        number = {"core": source_files, "large": s.lines, "docs_wide": s.files, "api": s.removed_api}
        reasons = [counted(w[name], number.get(name, 0)) for name in rule_names + supporting]
        if not reasons:
            reasons.append(w["small"])
        counts = defaultdict(int)
        for f in commit.files:
            counts[f.status] += 1
        summary = gist(commit.body)
        if commit.files:
            summary.append(w["facts"].format(a=counts["A"], m=counts["M"] + counts["T"], d=counts["D"],
                                             r=counts["R"] + counts["C"], ins=commit.insertions, dels=commit.deletions))
        else:
            summary.append(w["empty"])
        summary += _diff_bullets(commit, s._defs, w)
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
            mod = _module(f.path)
            entry = modules.setdefault(mod, [0, 0, 0, []])
            entry[0] += 1; entry[1] += f.insertions; entry[2] += f.deletions
            if (area := _area(f.path)) not in entry[3]:
                entry[3].append(area)  # a module can hold source and its tests: name both
        ranked = sorted(modules.items(), key=lambda kv: -(kv[1][1] + kv[1][2] + kv[1][0]))[:8]
        impact = [ImpactItem(path=mod, note=counted(w["module"], v[0], area="/".join(w["areas"][a] for a in v[3]), ins=v[1], dels=v[2]))
                  for mod, v in ranked]
        risks, recs = [], []

        def add(key: str, sev: Importance, n: int = 0, **fmt) -> None:
            risk, detail, rec = w[key]
            risks.append(Risk(risk=risk, detail=counted(detail, n, **fmt), severity=sev)); recs.append(rec)

        if commit.read_error:
            add("r_unread", Importance.medium)
        if s.removed_api or s.breaking:
            add("r_api", Importance.high)
        if source_files and not s.tests_touched and s.change_type not in (ChangeType.docs, ChangeType.chore):
            add("r_notest", Importance.medium if importance != Importance.low else Importance.low)
        if s.deps_touched:
            add("r_deps", Importance.medium)
        if len(commit.files) >= 50 or s.lines >= 1000:
            add("r_large", Importance.medium)
        if s.security:
            add("r_security", Importance.high)
        if "ci" in s.areas:
            add("r_ci", Importance.low)
        if s.defaults_changed:
            add("r_defaults", Importance.medium, paths=", ".join(s.defaults_changed[:3]))
        if s.migrations:
            add("r_migration", Importance.high, n=s.migrations)
        insights = Insights(architecture=_architecture(commit, s, modules, ranked, w),
                            performance=w["perfi"].format(terms=_terms(_PERF, commit)) if s.performance else "",
                            security=w["sec"].format(terms=_terms(_SECURITY, commit)) if s.security else "")
        reason = "，".join(reasons[:3]) if language == "zh" else "; ".join(reasons[:3])
        analysed = sum(1 for f in commit.files if f.patch)
        return CommitAnalysis(
            change_type=s.change_type, importance=importance, importance_reason=reason,
            summary=summary, impact_scope=impact, insights=insights, risks=risks, recommendations=recs,
            conclusion=w["conclusion"].format(type=CHANGE_TYPE_WORD[language][s.change_type].lower() if language == "en" else CHANGE_TYPE_WORD[language][s.change_type], imp=w["imp"][importance.value], reason=reason),
            analyzer="heuristic", fallback=False,
            coverage=Coverage(files_total=len(commit.files),
                              files_analyzed=len(commit.files) if not commit.read_error else analysed,
                              truncated=any(f.patch_clipped for f in commit.files),
                              lines_total=commit.insertions + commit.deletions,
                              lines_analyzed=sum(f.patch.count("\n") + 1 for f in commit.files if f.patch),
                              unreadable=commit.read_error is not None),
        )
