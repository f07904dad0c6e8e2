"""How many of the facts the offline analyzer states about a real repository git itself confirms.

Every commit of the window is read and analysed the way a report does it (through the library),
then each fact stated in its summary is checked against ``git show --first-parent -M`` of
that commit, read independently of the analyzer's own parsing:

- "adds/removes public definitions: …": each name on a ``+`` (``-``) line of the diff, in a
  definition form (``def``, ``class``, ``fn``, ``func``, ``function``, ``public …``), and not
  both removed and added (a move is not news);
- "dependencies: …": each name and version on changed lines of a manifest or lock file (for a
  lock file the name may be on a context line of the same hunk, as lock files write it), and
  the name neither a manifest's own metadata key (``version``, ``requires-python``…) nor the
  project's own package (the ``name`` of [project]/[package]/package.json at that commit);
- the change type, when the subject has a conventional prefix (``feat:``, ``fix(x):``, also
  ``feat(x) text`` without the colon), must be the type that prefix names;
- what the semantic stage's sentences say (``analysis/semantic_text.py``), each checked on the
  lines of the diff, never on the stage's own records:
  - a value "before → after": ``before`` on a removed line and ``after`` on an added line of one file;
  - a symbol added (removed): its own name on an added (removed) line; changed, renamed or moved:
    its name in the diff of a file (changed, context or hunk-header line), and for a move the name
    on a removed line of the old file and an added line of the new one;
  - new parameters (dropped ones): each on an added (removed) line;
  - behaviour, in the two versions of the definition the sentence names (read by this audit's
    own rules: indentation or braces): a guard added (its condition and exit) or an exception
    newly raised is in the new version and not in the old; one removed the other way round; a
    return changed has its old text in the old version only and its new text in the new only;
  - environment variables, options, configuration keys, error types, deprecations added
    (removed): each name on an added (removed) line.
  Which symbols changed is checked against an independent parser by ``bench/semantic_audit.py``.

Prints the share verified per kind of fact and every failure. Aim: 100 %.

Run: python bench/facts_audit.py REPO --since 2026-07-20 --until 2026-08-20 [--branch main]
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

import commitdigest
from commitdigest.models import CommitAnalysis, CommitEntry
from commitdigest.vocab import words

W = words("en").offline

# The conventional types and what each must be reported as (the audit's own table, not the
# analyzer's). A "deps" scope may also make any of them a dependency change.
TYPES = {
    "feat": {"feature"}, "feature": {"feature"}, "fix": {"fix"}, "bugfix": {"fix"}, "hotfix": {"fix"},
    "perf": {"perf"}, "refactor": {"refactor"}, "docs": {"docs"}, "doc": {"docs"}, "test": {"test"},
    "tests": {"test"}, "ci": {"ci"}, "build": {"build"}, "deps": {"deps"}, "chore": {"chore"},
    "style": {"chore", "refactor"}, "revert": {"revert"},
}
_PREFIX = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^)]*)\))?!?(?::|(?<=\))\s)")
_MARKUP = re.compile(r"&(?:amp|lt|gt|quot|#\d+);|</?[a-z]+[ >]")
_DEF_WORDS = r"(?:def|class|fn|struct|enum|trait|type|union|mod|module|func|function\*?|interface|record|object|fun)"
# Where visibility is a keyword, a definition without it is not public: `pub fn x` becoming `fn x`
# removes a public definition even though `fn x` is still there.
_VISIBILITY = {".rs": r"\bpub\b", ".ts": r"\bexport\b", ".tsx": r"\bexport\b", ".js": r"\bexport\b",
               ".mjs": r"\bexport\b", ".jsx": r"\bexport\b", ".java": r"\bpublic\b", ".cs": r"\bpublic\b",
               ".swift": r"\bpublic\b", ".php": r"\bpublic\b", ".dart": r"\bpublic\b"}
_MANIFEST = re.compile(r"(^|/)(requirements[^/]*\.txt|constraints[^/]*\.txt|go\.mod|package\.json|Cargo\.toml|"
                       r"pyproject\.toml|Cargo\.lock|poetry\.lock|uv\.lock)$")


def _template(key: str, slot: str) -> re.Pattern[str]:
    before, _, after = W[key].partition("{" + slot + "}")
    return re.compile("^" + re.escape(before) + "(?P<rest>.*)" + re.escape(after) + "$")


_ADDED, _REMOVED, _BUMPS = _template("defs_added", "names"), _template("defs_removed", "names"), _template("bumps", "items")
_MORE = re.compile(" " + re.escape(W["more_names"]).replace(r"\{rest\}", r"\d+").replace(r"\{n\}", r"\d+") + "$")


def _bump_item(item: str) -> tuple[str, str | None, str | None] | None:
    for key in ("bump", "bump_added", "bump_removed"):
        rx = re.escape(W[key])
        for slot in ("name", "old", "new"):
            rx = rx.replace(re.escape("{" + slot + "}"), rf"(?P<{slot}>\S+)")
        m = re.fullmatch(rx, item)
        if m:
            g = m.groupdict()
            return g["name"], g.get("old"), g.get("new")
    return None


@dataclass
class Diff:
    """One commit's patch as git prints it, per file and per hunk."""

    files: dict[str, list[list[str]]] = field(default_factory=dict)  # path → hunks → lines

    @classmethod
    def of(cls, repo: str, sha: str) -> Diff:
        out = subprocess.run(["git", "-C", repo, "show", "--first-parent", "-M", "--format=", "--no-color",
                              "--no-ext-diff", sha], capture_output=True, check=True).stdout.decode("utf-8", "replace")
        d = cls()
        path, hunks = None, None
        for line in out.split("\n"):
            if line.startswith("diff --git "):
                path, hunks = None, None
            elif line.startswith(("+++ ", "--- ")):
                p = line[4:].strip().strip('"')
                if p != "/dev/null":
                    path = p[2:] if p[:2] in ("a/", "b/") else p
                    hunks = d.files.setdefault(path, [])
            elif line.startswith("@@") and hunks is not None:
                hunks.append([line])
            elif hunks:
                hunks[-1].append(line)
        return d

    def changed(self, sign: str, tests: bool = True, public: bool = False) -> list[str]:
        out = []
        for path, hunks in self.files.items():
            if not tests and _TESTS.search(path):
                continue
            visible = _VISIBILITY.get(path[path.rfind("."):].lower()) if public and "." in path else None
            out += [ln[1:] for h in hunks for ln in h[1:] if ln[:1] == sign and (not visible or re.search(visible, ln))]
        return out


# A test defining a helper of the same name does not make a removal a move.
_TESTS = re.compile(r"(^|/)(tests?|__tests__|testing|spec)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$", re.IGNORECASE)


def defined_on(diff: Diff, sign: str, name: str, tests: bool = True, public: bool = False) -> bool:
    n = re.escape(name)
    rx = re.compile(rf"\b{_DEF_WORDS}\s+(?:\([^)]*\)\s*)?(?:self\.)?{n}\b|"
                    rf"\bexport\s+(?:default\s+)?(?:declare\s+)?(?:const|let|var)\s+{n}\b|"
                    rf"\bpublic\b.*\b{n}\s*[(<{{]|\bpublic\b.*\b{n}\s*$")
    return any(rx.search(text) for text in diff.changed(sign, tests, public))


_METADATA = {"version", "name", "requires-python", "python", "edition", "rust-version", "description",
             "license", "readme", "node", "npm", "engines"}


def own_packages(repo: str, sha: str, diff: Diff) -> set[str]:
    """Names the project's own manifests give the project, read from git at ``sha``."""
    names = set()
    for path in [p for p in diff.files if re.search(r"(^|/)(Cargo\.toml|pyproject\.toml|package\.json)$", p)]:
        r = subprocess.run(["git", "-C", repo, "show", f"{sha}:{path}"], capture_output=True, check=False)
        if r.returncode:
            continue
        try:
            if path.endswith(".json"):
                data = json.loads(r.stdout)
                names.add(data.get("name"))
            else:
                data = tomllib.loads(r.stdout.decode("utf-8", "replace"))
                for table in (data.get("package", {}), data.get("project", {}),
                              data.get("tool", {}).get("poetry", {})):
                    names.add(table.get("name"))
        except (ValueError, AttributeError):
            continue
    return {n for n in names if isinstance(n, str)}


def bump_on(diff: Diff, name: str, old: str | None, new: str | None) -> bool:
    """The old version on a removed line and the new one on an added line, each beside the name:
    on one line of a manifest, or in one hunk of a lock file (which names a package on a context
    line). The two sides may be in different manifests: a dependency moved from go.mod to
    tools/go.mod at a new version is still that version change."""
    def side(sign: str, version: str | None) -> bool:
        version = version or ""  # "drops x": the name on a removed line is all there is to see
        for path, hunks in diff.files.items():
            if not _MANIFEST.search(path):
                continue
            lock = path.endswith(".lock")
            for h in hunks:
                changed = [ln for ln in h[1:] if ln[:1] == sign and version in ln]
                if (lock and changed and any(name in ln for ln in h[1:])) or \
                        (not lock and any(name in ln for ln in changed)):
                    return True
        return False

    if old is None and new is None:
        return side("-", None)
    return (old is None or side("-", old)) and (new is None or side("+", new))


# ---------------------------------------------------------------- the semantic sentences

S = W["sem"]
_SPAN = re.compile(r"(`+) ?(.+?) ?\1")


def _sentence(key: str) -> re.Pattern[str]:
    """A template as a pattern: each slot captures what was filled in."""
    rx = re.escape(S[key])
    for slot in re.findall(r"\{(\w+)\}", S[key]):
        rx = rx.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>.+?)", 1)
    return re.compile("^" + rx + "$")


_SENTENCES = {key: _sentence(key) for key in sorted(S, key=lambda k: -len(re.sub(r"\{\w+\}", "", str(S[k]))))
              if isinstance(S[key], str) and "{" in S[key]
              and key not in ("t_added", "t_modified", "t_removed", "t_naming", "impact_api", "a_types", "a_counts",
                              "a_count_added", "a_count_modified", "a_count_removed", "a_signatures", "a_behaviour")}


def spans(text: str) -> list[str]:
    """The code spans of a filled slot, as the report shows them (without their backticks)."""
    return [m.group(2) for m in _SPAN.finditer(_MORE.sub("", text))]


def _bare(name: str) -> str:
    return re.split(r"\.|::", name.removesuffix("()"))[-1]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pieces_in(needle: str, text: str) -> bool:
    """Every piece of ``needle`` (cut where the sentence elided "(…)" or "…") in ``text``, in order."""
    at = 0
    for piece in re.split(r"\(…\)|…", needle):
        if not piece:
            continue
        at = text.find(piece, at)
        if at < 0:
            return False
        at += len(piece)
    return True


def on_lines(diff: Diff, sign: str, needle: str, path: str | None = None, *, squash: bool = False,
             context: bool = False) -> bool:
    """``needle`` on a line of the sign (or, ``squash``ed, in those lines run together; with
    ``context`` the unchanged lines of the hunks count too)."""
    for p, hunks in diff.files.items():
        if path is not None and p != path:
            continue
        signs = (sign, " ") if context else (sign,)
        lines = [ln[1:] for h in hunks for ln in h[1:] if ln[:1] in signs]
        if squash and _pieces_in(_squash(needle), _squash("".join(lines))):
            return True
        if not squash and any(_pieces_in(needle, ln) for ln in lines):
            return True
    return False


_DEFINES = r"(?:def|class|fn|func|function|struct|enum|trait|interface|type|impl|namespace|union)\b"


def _changed_numbers(hunks: list[list[str]], sign: str) -> list[int]:
    """Line numbers (1-based) of one side's changed lines, from the hunk headers."""
    out = []
    for h in hunks:
        m = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)", h[0])
        if not m:
            continue
        n = int(m.group(1) if sign == "-" else m.group(2))
        for ln in h[1:]:
            if ln[:1] == sign:
                out.append(n)
                n += 1
            elif ln[:1] == " " or ln == "":
                n += 1
    return out


def _extent(lines: list[str], at: int) -> tuple[int, int]:
    """The lines (0-based, inclusive) a definition starting at line ``at`` spans: by indentation
    when it opens a Python block, else to the brace that closes its first one."""
    head = lines[at]
    first = at
    while first > 0 and lines[first - 1].lstrip().startswith(("@", "#[", "//", "///", "#")):
        first -= 1  # decorators, attributes, doc comments above it
    if re.search(r":\s*(#.*)?$", head.rstrip()) or re.match(r"\s*(async\s+)?def\b|\s*class\b", head):
        indent = len(head) - len(head.lstrip())
        end = at
        for i in range(at + 1, len(lines)):
            text = lines[i]
            if text.strip() and len(text) - len(text.lstrip()) <= indent and not text.lstrip().startswith((")", "]")):
                break
            end = i
        return first, end
    depth, opened = 0, False
    for i in range(at, len(lines)):
        for ch in lines[i]:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
        if opened and depth <= 0:
            return first, i
        if not opened and lines[i].rstrip().endswith(";"):
            return first, i  # a declaration without a body
    return first, len(lines) - 1


@functools.lru_cache(maxsize=512)
def _blob_lines(repo: str, rev: str, path: str) -> list[str] | None:
    """A file's lines at ``rev`` (None where it does not exist); several sentences of a commit
    ask for the same blobs."""
    blob = subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], capture_output=True, check=False)
    return None if blob.returncode else blob.stdout.decode("utf-8", "replace").split("\n")


def _definitions_of(repo: str, rev: str, path: str, name: str) -> Iterator[tuple[list[str], int, int]]:
    """Each definition of ``name`` in a file at ``rev``, by this audit's own simple reading: the
    file's lines and the definition's first and last (0-based)."""
    lines = _blob_lines(repo, rev, path)
    if lines is None:
        return
    defines = _defines(name)
    for i, text in enumerate(lines):
        if defines.search(text):
            yield (lines, *_extent(lines, i))


def definition_texts(repo: str, rev: str, diff: Diff, name: str) -> list[str]:
    """The text of each definition of ``name`` (this audit's own simple reading) in the files
    of the diff, at ``rev``, whitespace removed."""
    return [_squash("\n".join(lines[first:last + 1]))
            for path in diff.files for lines, first, last in _definitions_of(repo, rev, path, name)]


def _defines(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile(rf"{_DEFINES}[^\n]*(?<![\w$]){n}(?![\w$])|^\s*(?:export\s+)?(?:pub(?:\([^)]*\))?\s+)?"
                      rf"(?:(?:static|async|const|public|private|protected|virtual|inline|override)\s+)*"
                      rf"[\w:<>,*&\s]*?(?<![.\w$]){n}\s*(?:<[^>]*>)?\s*\(|^\s*(?:export\s+)?(?:const|let|var)\s+{n}\b|"
                      rf"^\s*{n}\s*[=:]")


def _count(texts: list[str], needle: str) -> int:
    """How often ``needle`` (whitespace aside) occurs in the richest of ``texts``. Its elisions
    "(…)" and "…" stand for text of the same statement: they match anything but the start of
    another ``return``, so a shortened statement cannot be matched across the next one."""
    pieces = [re.escape(_squash(p)) for p in re.split(r"\(…\)|…", needle) if p]
    rx = re.compile("(?:(?!return).)*?".join(pieces)) if pieces else None
    return max((len(rx.findall(t)) for t in texts), default=0) if rx else 0


def behaviour_changed(repo: str, sha: str, diff: Diff, name: str, gone: list[str], came: list[str]) -> bool:
    """In the definitions of ``name``: what is ``gone`` occurs more often in the old version than
    in the new one, what ``came`` more often in the new one (each a list of alternatives)."""
    old, new = definition_texts(repo, f"{sha}^", diff, name), definition_texts(repo, sha, diff, name)
    if gone and not any(_count(old, n) > _count(new, n) for n in gone):
        return False
    return not came or any(_count(new, n) > _count(old, n) for n in came)


def defined_around_change(repo: str, sha: str, diff: Diff, name: str) -> bool:
    """A changed line lies within a definition of ``name`` (read by this audit's own simple rules
    from the blobs: indentation or braces), on either side of the diff."""
    for path, hunks in diff.files.items():
        for sign, rev in (("+", sha), ("-", f"{sha}^")):
            changed = _changed_numbers(hunks, sign)
            if changed and any(first + 1 <= c <= last + 1 for _, first, last in _definitions_of(repo, rev, path, name)
                               for c in changed):
                return True
    return False


def in_diff(diff: Diff, name: str) -> bool:
    word = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    return any(word.search(ln) for hunks in diff.files.values() for h in hunks for ln in h)


def _plain(value: str) -> list[str]:
    """A value as the sentence shows it, and as the diff may write it (quoted)."""
    return [value, f'"{value}"', f"'{value}'"]


def _on_side(diff: Diff, sign: str, text: str) -> bool:
    """``text`` (whitespace aside) on one side of a file's hunks, partly on its changed lines."""
    return any(on_lines(diff, sign, text, p, squash=True, context=True)
               and any(on_lines(diff, sign, word, p) for word in re.findall(r"[\w.]{3,}", text)) for p in diff.files)


def check_sentence(diff: Diff, key: str, m: re.Match[str], around: Callable[[str], bool],
                   changed: Callable[[str, list[str], list[str]], bool]) -> bool:
    g = {k: spans(v) for k, v in m.groupdict().items()}
    if key.startswith("v_"):
        before, after = g["before"][0], g["after"][0]
        return any(on_lines(diff, "-", b, p) and any(on_lines(diff, "+", a, p) for a in _plain(after))
                   for p in diff.files for b in _plain(before))
    if key in ("s_added", "s_removed"):
        sign = "+" if key == "s_added" else "-"
        return all(on_lines(diff, sign, _bare(n)) for n in g["names"])
    if key in ("s_modified", "s_internal"):
        return all(around(_bare(n)) for n in g["names"])
    if key == "s_renamed":
        return on_lines(diff, "-", _bare(g["old"][0])) and on_lines(diff, "+", _bare(g["new"][0]))
    if key == "s_moved":
        name, old, new = _bare(g["name"][0]), g["old"][0], g["path"][0]
        renamed_file = old not in diff.files  # a file renamed whole shows no removed line
        return (renamed_file or on_lines(diff, "-", name, old)) and (on_lines(diff, "+", name, new) or renamed_file)
    if key in ("sig_params_added", "sig_params_removed"):
        sign = "+" if key == "sig_params_added" else "-"
        return all(on_lines(diff, sign, p, squash=True) for p in g["params"]) and in_diff(diff, _bare(g["name"][0]))
    if key == "sig_params":
        return all(on_lines(diff, "-", p, squash=True) for p in g["removed"]) and \
            all(on_lines(diff, "+", p, squash=True) for p in g["added"]) and in_diff(diff, _bare(g["name"][0]))
    if key == "sig_changed":
        return _on_side(diff, "-", g["before"][0]) and _on_side(diff, "+", g["after"][0])
    # Behaviour is checked in the two versions of the definition the sentence names: what it
    # says is gone is in the old one and not in the new, what it says came the other way round.
    if key in ("b_guard_added", "b_guard_removed"):
        cond, exit_ = g["cond"][0], g["exit"][0]
        guard = [f"if {cond}:{exit_}", f"if ({cond}):{exit_}", f"if ({cond}){exit_}", f"if ({cond}) {{{exit_}",
                 f"if {cond} {{{exit_}", f"if ({cond},):{exit_}"]
        name = _bare(g["symbol"][0])
        return changed(name, [], guard) if key == "b_guard_added" else changed(name, guard, [])
    if key in ("b_raises_added", "b_raises_removed"):
        name = _bare(g["symbol"][0])
        return changed(name, [], g["type"]) if key == "b_raises_added" else changed(name, g["type"], [])
    if key == "b_returns":
        return changed(_bare(g["symbol"][0]), [g["before"][0]], [g["after"][0]])
    if key.startswith("u_"):
        sign = "-" if key.endswith("_removed") else "+"
        return all(on_lines(diff, sign, _bare(n).removeprefix("--")) for n in g["names"])
    return True  # tests, files not parsed: counts and paths, not claims about lines


@dataclass
class Tally:
    stated: int = 0
    verified: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        self.stated += 1
        self.verified += ok
        if not ok:
            self.failures.append(what)


def audit(repo_path: str, commit: CommitEntry, analysis: CommitAnalysis, tallies: dict[str, Tally]) -> None:
    diff: Diff | None = None
    for bullet in analysis.summary:
        for kind, rx in (("definitions", _ADDED), ("definitions", _REMOVED), ("dependencies", _BUMPS)):
            m = rx.match(bullet)
            if not m:
                continue
            diff = diff or Diff.of(repo_path, commit.sha)
            items = _MORE.sub("", m.group("rest")).split(W["list_sep"])
            if kind == "definitions":
                sign = "+" if rx is _ADDED else "-"
                for name in items:
                    moved = defined_on(diff, "-" if sign == "+" else "+", name, tests=False, public=True)
                    ok = defined_on(diff, sign, name) and not moved
                    tallies[kind].check(ok, f"{commit.short_sha} {'added' if sign == '+' else 'removed'} "
                                            f"definition {name!r} — {commit.subject[:70]}")
            else:
                own = own_packages(repo_path, commit.sha, diff)
                for item in items:
                    parsed = _bump_item(item)
                    ok = (parsed is not None and bump_on(diff, *parsed) and parsed[0] not in _METADATA
                          and parsed[0] not in own)
                    tallies[kind].check(ok, f"{commit.short_sha} dependency {item!r} — {commit.subject[:70]}")
            break
    for bullet in analysis.summary:
        for key, rx in _SENTENCES.items():
            m = rx.match(bullet)
            if m:
                diff = diff or Diff.of(repo_path, commit.sha)
                tallies["semantic"].check(check_sentence(
                    diff, key, m, partial(defined_around_change, repo_path, commit.sha, diff),
                    partial(behaviour_changed, repo_path, commit.sha, diff)),
                                          f"{commit.short_sha} {key}: {bullet[:110]!r} — {commit.subject[:50]}")
                break
    # Not a fact but worth seeing: markup or entities in the summary's text, which the Markdown
    # renderer must escape (and a reader then sees as "&lt;details&gt;" in the raw file).
    marked = [b for b in analysis.summary if _MARKUP.search(b)]
    tallies["markup"].check(not marked, f"{commit.short_sha} {marked[0][:90]!r}" if marked else "")
    m = _PREFIX.match(commit.subject)
    expected = None
    if commit.subject.lower().startswith("revert"):
        expected = {"revert"}
    elif m and m.group("type").lower() in TYPES:
        expected = set(TYPES[m.group("type").lower()])
        if (m.group("scope") or "").lower() == "deps":
            expected.add("deps")
    if expected is not None:
        got = analysis.change_type.value
        tallies["change type"].check(got in expected, f"{commit.short_sha} typed {got}, prefix says "
                                                      f"{'/'.join(sorted(expected))} — {commit.subject[:70]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--since", required=True)
    ap.add_argument("--until", required=True)
    ap.add_argument("--branch")
    args = ap.parse_args()
    started = time.perf_counter()
    # The period's report as published (offline analyzer, no cache), through the library.
    report = commitdigest.build_report(args.repo, args.since, args.until, tz="UTC", language="en",
                                       branch=args.branch, use_cache=False)
    section = report.repos[0]
    if section.error:
        sys.exit(f"facts_audit.py: {section.error}")
    commits = section.commits
    tallies = {k: Tally() for k in ("definitions", "dependencies", "change type", "semantic")}
    tallies_markup = {"markup": Tally()}
    for c in commits:
        audit(args.repo, c, c.analysis, tallies | tallies_markup)
    seconds = time.perf_counter() - started
    print(f"{section.name}: {len(commits)} commits, {args.since} … {args.until} ({seconds:.1f} s)")
    total = Tally()
    for kind, t in tallies.items():
        share = f"{t.verified / t.stated:6.1%}" if t.stated else "    — "
        print(f"  {kind:<13} {share}  ({t.verified} of {t.stated} stated facts verified)")
        total.stated += t.stated
        total.verified += t.verified
    print(f"  {'all':<13} {total.verified / max(total.stated, 1):6.1%}  ({total.verified} of {total.stated})")
    for f in (f for t in tallies.values() for f in t.failures):
        print("  FAIL", f)
    markup = tallies_markup["markup"]
    print(f"  commits whose summary quotes markup or entities from their text: {len(markup.failures)} of {markup.stated}")
    for f in markup.failures:
        print("  NOTE", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
