"""What of a commit's diff a model is shown, within a prompt-token budget.

The rules follow what works in PR-Agent's diff processing, made into pure functions:

- files whose diff says nothing a reviewer needs (lockfiles, generated, vendored, minified,
  binary, submodules) are listed by name with their +/- but their diff is never shown;
- source files come first, then tests, then docs and config;
- a file too big for what is left first loses the unchanged context around its changes (one
  line kept each side), since the changed lines are what the model must see; if it is still too
  big it is clipped at hunk boundaries (a single huge hunk at a line boundary), never mid-line;
- everything left out is still named in the file list, so the model knows it exists; past the
  list's own share of the budget, the rest is summarised by directory.

Token counts are estimates (no tokenizer of every model is available offline), chosen to
over-count: ~3 ASCII characters per token and one token per other character. Real tokenizers
do better on code, so the real prompt stays under the budget.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from commitdigest.models import Commit, Coverage, FileChange

# Diff-less kinds: the name and +/- carry all there is to say about them.
SKIP_LOCK = "lockfile"
SKIP_GENERATED = "generated"
SKIP_VENDORED = "vendored"
SKIP_MINIFIED = "minified"
SKIP_BINARY = "binary"
SKIP_SUBMODULE = "submodule"
SKIP_UNREADABLE = "not read by git"
OMIT_BUDGET = "over budget"
CLIPPED = "clipped"  # shown up to a hunk (or line) boundary, the rest cut
CONTEXT_TRIMMED = "context trimmed"  # every changed line shown, most unchanged context left out

_LOCKFILES = {
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "cargo.lock", "poetry.lock", "pipfile.lock", "uv.lock", "pdm.lock", "gemfile.lock",
    "composer.lock", "go.sum", "mix.lock", "pubspec.lock", "podfile.lock", "packages.lock.json",
    "flake.lock", "gradle.lockfile", "conda-lock.yml", "requirements.lock",
}
_GENERATED = re.compile(
    r"(\.pb\.go|_pb2(_grpc)?\.pyi?|\.pb\.(cc|h)|\.g\.dart|\.designer\.cs|\.generated\.\w+|_generated\.\w+"
    r"|\.snap|\.map|\.svg|\.ipynb|\.csv|\.tsv|\.parquet|\.pdf)$", re.I)
_GENERATED_DIRS = re.compile(r"(^|/)(dist|build|out|generated|gen|__generated__|\.next|target)/", re.I)
_VENDORED = re.compile(r"(^|/)(vendor|vendored|third_party|thirdparty|third-party|external|node_modules|"
                       r"bower_components|\.yarn|site-packages)/", re.I)
_MINIFIED = re.compile(r"\.min\.(js|css|mjs)$|[.-]bundle\.js$", re.I)
_TEST = re.compile(r"(^|/)(tests?|__tests__|spec|specs|testing|testdata|fixtures|e2e)/|(^|/)test_[^/]*$|"
                   r"_test\.\w+$|\.(test|spec)\.\w+$|Tests?\.\w+$", re.I)
_DOCS_CONFIG = re.compile(
    r"\.(md|mdx|rst|txt|adoc|org|ya?ml|toml|json|ini|cfg|conf|xml|lock|properties|env)$|"
    r"(^|/)(docs?|documentation|examples?)/|(^|/)(readme|changelog|license|notice|authors|contributing)[^/]*$|"
    r"(^|/)\.(github|gitlab|circleci|vscode|idea)/|(^|/)\.[^/]+$", re.I)

RANK_SOURCE, RANK_TEST, RANK_DOCS = 0, 1, 2

# Longest average line seen in minified or generated text that slipped past the name rules.
_MINIFIED_LINE = 500


def estimate_tokens(text: str) -> int:
    n = len(text)
    # Non-ASCII characters are 2–4 UTF-8 bytes; this counts them without a Python-level loop.
    extra = len(text.encode("utf-8", "surrogatepass")) - n
    non_ascii = (extra + 1) // 2
    return (n - non_ascii + 2) // 3 + non_ascii


def skip_reason(f: FileChange) -> str | None:
    """Why this file's diff is never shown, or None when it is worth showing."""
    path = f.path
    name = path.rsplit("/", 1)[-1].lower()
    if f.submodule:
        return SKIP_SUBMODULE
    if f.binary:
        return SKIP_BINARY
    if name in _LOCKFILES or name.endswith(".lock"):
        return SKIP_LOCK
    if _VENDORED.search(path):
        return SKIP_VENDORED
    if _MINIFIED.search(path):
        return SKIP_MINIFIED
    if _GENERATED.search(path) or _GENERATED_DIRS.search(path) or _looks_generated(f.patch):
        return SKIP_GENERATED
    # The whole patch per changed line bounds the changed lines' average length from above, so
    # only patches past it need the exact measure (context lines of prose can be long too).
    if f.patch and f.lines and len(f.patch) / max(f.lines, 1) > _MINIFIED_LINE and _long_lines(f.patch):
        return SKIP_MINIFIED
    return None


def _long_lines(patch: str) -> bool:
    changed = [line for line in patch.split("\n")
               if line[:1] in ("+", "-") and not line.startswith(("+++ ", "--- "))]
    return bool(changed) and sum(map(len, changed)) / len(changed) > _MINIFIED_LINE


def _looks_generated(patch: str) -> bool:
    head = patch[:2000].lower()
    return ("do not edit" in head or "@generated" in head or "autogenerated" in head
            or "auto-generated" in head or "code generated by" in head)


def rank(path: str) -> int:
    if _TEST.search(path):
        return RANK_TEST
    if _DOCS_CONFIG.search(path):
        return RANK_DOCS
    return RANK_SOURCE


@dataclass
class FileView:
    """One file as the prompt presents it."""

    change: FileChange
    shown: str = ""  # the diff text shown (possibly clipped); "" when none
    note: str = ""  # why the diff is absent or partial: a skip reason, OMIT_BUDGET, CLIPPED
    lines_shown: int = 0

    @property
    def analyzed(self) -> bool:
        # A file counts as analysed when the model saw all there is worth seeing of it: its
        # diff in full, or its name and +/- for kinds whose diff carries no meaning.
        return self.note not in (OMIT_BUDGET, CLIPPED, SKIP_UNREADABLE)


@dataclass
class Selection:
    files: list[FileView]  # every file, in prompt order
    listed: int  # how many of ``files`` the file list names individually
    unlisted_dirs: list[tuple[str, int]] = field(default_factory=list)  # (top directory, files)
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def shown(self) -> list[FileView]:
        return [v for v in self.files if v.shown]


def file_line(v: FileView) -> str:
    f = v.change
    rename = f" (from {f.old_path})" if f.old_path else ""
    note = f" [diff {v.note}]" if v.note else ""
    return f"{f.status} +{f.insertions} -{f.deletions} {f.path}{rename}{note}"


def select(commit: Commit, diff_tokens: int, list_tokens: int,
           clean: Callable[[str, str], str] = lambda _path, text: text) -> Selection:
    """Choose what of ``commit`` to show: a file list within ``list_tokens`` and diffs within
    ``diff_tokens``. ``clean(path, text)`` is applied to each patch before it is measured
    (redaction), so what is counted is what is sent."""
    order = sorted(range(len(commit.files)), key=lambda i: (rank(commit.files[i].path), i))
    views = [FileView(commit.files[i]) for i in order]
    candidates: list[FileView] = []
    for v in views:
        reason = skip_reason(v.change)
        if reason:
            v.note = reason
        elif not v.change.patch:
            if v.change.patch_clipped:
                v.note = OMIT_BUDGET  # the git layer's per-commit memory cap cut it off
            elif commit.read_error is not None and (v.change.lines or not commit.counts_known):
                v.note = SKIP_UNREADABLE
            # else: nothing to show (pure rename, mode change, empty file)
        else:
            candidates.append(v)
    _fill(candidates, diff_tokens, clean)
    for v in views:
        if v.change.patch_clipped and v.shown and v.note != CLIPPED:
            v.note = CLIPPED
    listed, dirs = _listing(views, list_tokens)
    return Selection(files=views, listed=listed, unlisted_dirs=dirs,
                     coverage=_coverage(commit, views))


def _fill(candidates: Sequence[FileView], budget: int, clean: Callable[[str, str], str]) -> None:
    remaining = budget
    # One file may take at most half the budget while others wait, so a single huge file does
    # not hide every other one.
    cap = budget if len(candidates) <= 1 else max(budget // 2, 1)
    for v in candidates:
        if min(cap, remaining) < _MIN_CLIP:
            v.note = OMIT_BUDGET  # no room left: skip the work of cleaning and measuring
            continue
        text = clean(v.change.path, v.change.patch)
        cost = estimate_tokens(text) + 1
        room = min(cap, remaining)
        if cost <= room:
            v.shown, v.lines_shown = text, _changed_lines(text)
            remaining -= cost
            continue
        text = condense(text)
        cost = estimate_tokens(text) + 1
        if cost <= room:
            v.shown, v.note, v.lines_shown = text, CONTEXT_TRIMMED, _changed_lines(text)
            remaining -= cost
            continue
        clipped = clip(text, room)
        if clipped:
            v.shown, v.note, v.lines_shown = clipped, CLIPPED, _changed_lines(clipped)
            remaining -= estimate_tokens(clipped) + 1
        else:
            v.note = OMIT_BUDGET


_MIN_CLIP = 40  # tokens: below this a clipped piece shows too little to be worth its header


def condense(patch: str, context: int = 1) -> str:
    """``patch`` with unchanged lines more than ``context`` lines away from a change replaced by
    one ``…`` line per run: git's three lines of context on each side often outweigh a small
    change, and without this a clip could keep the context and lose the change."""
    lines = patch.split("\n")
    out: list[str] = []
    hunk: list[str] = []

    def flush() -> None:
        changed = [i for i, line in enumerate(hunk) if line[:1] in ("+", "-", "\\")]
        keep = {j for i in changed for j in range(i - context, i + context + 1)}
        gap = False
        for i, line in enumerate(hunk):
            if i in keep:
                out.append(line)
                gap = False
            elif not gap:
                out.append(" …")
                gap = True
        hunk.clear()

    in_hunk = False
    for line in lines:
        if line.startswith("@@"):
            flush()
            out.append(line)
            in_hunk = True
        elif in_hunk:
            hunk.append(line)
        else:
            out.append(line)  # the file header
    flush()
    return "\n".join(out)


def clip(patch: str, tokens: int) -> str:
    """The longest prefix of ``patch`` within ``tokens`` that ends at a hunk boundary (or, when
    even the first hunk is too big, at a line boundary inside it), with a note of what was cut.
    Empty when not even a useful piece fits."""
    if tokens < _MIN_CLIP:
        return ""
    lines = patch.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("@@")]
    note_cost = 20
    if not starts:
        return _clip_lines(lines, tokens - note_cost, 0)
    header = lines[:starts[0]]
    used = estimate_tokens("\n".join(header)) + note_cost
    kept = list(header)
    bounds = starts + [len(lines)]
    taken = 0
    for a, b in zip(bounds, bounds[1:], strict=False):  # consecutive pairs
        hunk = lines[a:b]
        cost = estimate_tokens("\n".join(hunk)) + 1
        if used + cost > tokens:
            break
        kept += hunk
        used += cost
        taken += 1
    if taken == 0:
        return _clip_lines(lines, tokens - note_cost, len(header))
    return "\n".join(kept + [f"… [clipped: {taken} of {len(starts)} hunks shown]"])


def _clip_lines(lines: list[str], tokens: int, min_lines: int) -> str:
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = estimate_tokens(line) + 1
        if used + cost > tokens:
            break
        kept.append(line)
        used += cost
    if len(kept) <= min_lines:
        return ""
    return "\n".join(kept + [f"… [clipped: {len(kept)} of {len(lines)} lines shown]"])


def _changed_lines(text: str) -> int:
    return sum(1 for line in text.split("\n")
               if line[:1] in ("+", "-") and not line.startswith(("+++ ", "--- ")))


def _listing(views: Sequence[FileView], tokens: int) -> tuple[int, list[tuple[str, int]]]:
    """How many files the list names within ``tokens``; the rest grouped by top directory."""
    used = 0
    listed = 0
    for v in views:
        cost = estimate_tokens(file_line(v)) + 1
        if used + cost > tokens:
            break
        used += cost
        listed += 1
    rest = Counter(v.change.path.split("/", 1)[0] if "/" in v.change.path else "."
                   for v in views[listed:])
    return listed, rest.most_common(12)


def _coverage(commit: Commit, views: Sequence[FileView]) -> Coverage:
    return Coverage(
        files_total=len(views),
        files_analyzed=sum(1 for v in views if v.analyzed),
        truncated=any(v.note in (OMIT_BUDGET, CLIPPED) for v in views),  # trimmed context is not a gap
        lines_total=commit.insertions + commit.deletions,
        lines_analyzed=sum(v.lines_shown for v in views),
        unreadable=commit.read_error is not None,
    )
