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
  ``feat(x) text`` without the colon), must be the type that prefix names.

Prints the share verified per kind of fact and every failure. Aim: 100 %.

Run: python bench/facts_audit.py REPO --since 2026-07-20 --until 2026-08-20 [--branch main]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field

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
    tallies = {k: Tally() for k in ("definitions", "dependencies", "change type")}
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
