"""How much of each real commit's change a model is shown within the prompt budget.

For every commit of a real repository in a period, the prompt the LLM analyzer would send is
built (no server needed) and its coverage read: the share of the commit's changed lines that
appear in the prompt. Baseline, same run: the same selection without context trimming (the
patch clipped as git printed it, three lines of context around every change).

Also counted: the commits of at most 100 changed lines whose every changed line is shown (at
budget 2,500 all of them should be, in the ``json_object`` mode of a llama.cpp server).

Run: python bench/diff_coverage.py REPO [--since 2026-08-01] [--until 2026-08-20] [--budget 12000 4000]
         [--mode json_schema|json_object]
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from unittest import mock

from commitdigest.analysis import budget
from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.git.log import commits_in_window
from commitdigest.git.repo import open_repo
from commitdigest.llm.settings import LLMSettings
from commitdigest.window import make_window, parse_zone

SMALL = 100


def coverage(commits, budget_tokens: int, mode: str = "json_schema") -> tuple[int, int, int, int, int, int]:
    """(changed lines shown, changed lines in all, commits seen in full, commits, small commits
    whose every changed line is shown, small commits)."""
    analyzer = LLMAnalyzer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="bench", budget=budget_tokens))
    shown = total = full = small = small_whole = 0
    for c in commits:
        cov = analyzer._prompt(c, "zh", mode).coverage
        lines = sum(f.lines for f in c.files if not budget.skip_reason(f))
        seen = min(cov.lines_analyzed, lines)  # lockfile lines shown on top do not count
        shown += seen
        total += lines
        full += cov.complete
        if 0 < lines <= SMALL:
            small += 1
            small_whole += seen == lines
    return shown, total, full, len(commits), small_whole, small


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--since", default="2026-08-01")
    ap.add_argument("--until", default="2026-08-20")
    ap.add_argument("--budget", type=int, nargs="+", default=[12_000, 4_000])
    ap.add_argument("--mode", default="json_schema", choices=["json_schema", "json_object", "prompt"])
    args = ap.parse_args()
    repo = open_repo(args.repo)
    window = make_window(date.fromisoformat(args.since), date.fromisoformat(args.until), parse_zone("UTC"))
    commits = commits_in_window(repo, window)
    print(f"{repo.name}: {len(commits)} commits, {args.since} … {args.until}")
    for b in args.budget:
        start = time.perf_counter()
        shown, total, full, n, small_whole, small = coverage(commits, b, args.mode)
        seconds = time.perf_counter() - start
        with mock.patch.object(budget, "condense", lambda patch, context=1: patch):
            base_shown, _, base_full, *_ = coverage(commits, b, args.mode)
        print(f"budget {b:>6,} ({args.mode}): changed lines shown {shown / max(total, 1):6.1%} ({shown:,} of "
              f"{total:,}), commits seen in full {full}/{n}, commits of ≤ {SMALL} changed lines shown whole "
              f"{small_whole}/{small}, prompt building {seconds * 1000 / max(n, 1):.1f} ms/commit")
        print(f"   baseline, untrimmed context: {base_shown / max(total, 1):6.1%} ({base_shown:,}), "
              f"in full {base_full}/{n}; ratio {shown / max(base_shown, 1):.2f}x")


if __name__ == "__main__":
    main()
