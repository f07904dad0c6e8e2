"""The importance score of a real repository's period, checked against git itself.

    python bench/score_audit.py REPO [--since 2026-06-01] [--until 2026-08-31] [--branch main] [--tz UTC]

Builds the period's report through the library (offline analyzer, no cache), then recomputes
every commit's score independently from ``git show --first-parent -M --numstat`` — its own
parsing of the subject, the numstat lines and the rename arrows, with the default weights — and
prints the share of commits whose total and tier agree (expect 100 %), any that do not, the tier
distribution and a histogram of the totals.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import commitdigest

TYPES = {"feat": 8, "fix": 7, "perf": 6, "refactor": 5, "test": 3, "docs": 2, "ci": 2, "chore": 1, "style": 1,
         "build": 1}
CORE = (".py", ".rs", ".cpp", ".cc", ".c", ".h", ".hpp", ".go", ".js", ".ts")
CONFIG = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf")
TEST = ("_test.py", "test_.py", "_test.rs", "_test.go")
DOC = (".md", ".rst", ".txt", "adoc")


def by_hand(repo: Path, sha: str) -> int:
    out = subprocess.run(["git", "-C", str(repo), "show", "--first-parent", "-M", "--numstat", "-z",
                          "--format=%s%x00", sha], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    subject, _, rest = out.partition("\x00")
    m = re.match(r"^([a-z]+)(\(.+\))?:", subject.strip())
    total = TYPES.get(m.group(1), 3) if m else 3
    tokens = rest.lstrip("\n").split("\x00")
    changed, files = 0, []
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip("\n")
        if not tok:
            i += 1
            continue
        add, dele, path = tok.split("\t", 2)
        if path == "":  # -z: a rename's two paths follow as their own tokens; the new one counts
            path = tokens[i + 2]
            i += 2
        changed += (int(add) if add != "-" else 0) + (int(dele) if dele != "-" else 0)
        files.append(path)
        i += 1
    counts = {"core": 0, "config": 0, "test": 0, "doc": 0}
    for p in files:
        cls = ("core" if p.endswith(CORE) else "config" if p.endswith(CONFIG)
               else "test" if any(t in p for t in TEST) else "doc" if p.endswith(DOC) else None)
        if cls:
            counts[cls] += 1
    total += 3 if changed > 500 else 2 if changed > 100 else 1 if changed > 50 else 0
    total += {"core": 2, "config": 1, "test": 1, "doc": 0}[max(counts.items(), key=lambda kv: kv[1])[0]]
    total += 2 if len(files) > 5 else 1 if len(files) >= 3 else 0
    return total


def tier(total: int) -> str:
    return "high" if total >= 10 else "medium" if total >= 6 else "low"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--since", default="2026-06-01")
    ap.add_argument("--until", default="2026-08-31")
    ap.add_argument("--branch")
    ap.add_argument("--tz", default="UTC")
    args = ap.parse_args()
    started = time.monotonic()
    report = commitdigest.build_report(args.repo, args.since, args.until, tz=args.tz, language="en",
                                       branch=args.branch, use_cache=False)  # the offline analyzer
    took = time.monotonic() - started
    repo = Path(args.repo)
    commits = report.repos[0].commits
    if not commits:
        sys.exit(f"score_audit.py: no commits in {args.since} … {args.until}")
    wrong, totals, tiers = [], Counter(), Counter()
    for c in commits:
        a = c.analysis
        expect = by_hand(repo, c.sha)
        totals[a.importance_score.total] += 1
        tiers[a.importance.value] += 1
        if (a.importance_score.total, a.importance.value) != (expect, tier(expect)):
            wrong.append(f"  {c.short_sha} tool {a.importance_score.total} {a.importance.value}, git show {expect} "
                         f"{tier(expect)}: {c.subject[:70]}")
    n = len(commits)
    print(f"{report.repos[0].name} {args.since} … {args.until}: {n} commits, report in {took:.1f} s")
    print(f"score equals the one computed from git show: {100.0 * (n - len(wrong)) / n:.1f} % ({n - len(wrong)}/{n})")
    print("\n".join(wrong[:20]))
    print("tiers: " + ", ".join(f"{t} {tiers[t]} ({100.0 * tiers[t] / n:.0f} %)" for t in ("high", "medium", "low")))
    print("score histogram:")
    peak = max(totals.values())
    for total in range(min(totals), max(totals) + 1):
        bar = "#" * round(40 * totals[total] / peak)
        print(f"  {total:>3} {tier(total):<6} {totals[total]:>5} {bar}")


if __name__ == "__main__":
    main()
