"""What reading the code costs a report: this tree against another (the code before the semantic
stage), in the same run, runs alternating.

    python bench/semantic_cost.py --base SRC [REPO] [--since D --until D] [--day D] [--repeat 3]

Three reports of the same repository, each timed for both trees, wall clock (the worker
processes that parse run beside the report, so the report process's own CPU time leaves them
out):

- **cold**: the period with ``--no-cache``: every commit read, analysed and, here, parsed;
- **warm**: the period again, with the cache the cold run of the same tree filled (analyses, and
  here the semantic facts, which a commit's sha decides): what a rerun or a rollup of reported
  days costs;
- **day**: one busy day, uncached: what the morning run costs.

Prints each median and the ratio this/base (goal for a year, cold: ≤ 1.3×), then the peak
memory of one more cold period run of each tree, its worker processes included (sampled apart
from the timed runs: sampling costs a little CPU).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env, tree_peak_mb  # noqa: E402

DEFAULT_REPO = "/work/.mirror/openai+openai-agents-python/repo"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", nargs="?", default=DEFAULT_REPO)
    ap.add_argument("--base", type=Path, required=True, help="the other tree's src folder")
    ap.add_argument("--since", default="2025-08-22")
    ap.add_argument("--until", default="2026-08-21")
    ap.add_argument("--day", default="2026-08-07")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    figures: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trees = {"this": None, "base": str(args.base.resolve())}

        def env(tree: str) -> dict[str, str]:
            e = tool_env(root / f"cache-{tree}")
            if trees[tree]:
                e["PYTHONPATH"] = trees[tree]  # type: ignore[assignment]
            return e

        def report(tree: str, *extra: str, period: bool = True) -> list[str]:
            window = ["--since", args.since, "--until", args.until] if period else ["--date", args.day]
            out = root / f"out-{tree}"
            shutil.rmtree(out, ignore_errors=True)
            return [sys.executable, "-m", "commitdigest", "report", "--repo", args.repo, *window, "--tz", "UTC",
                    "-q", "--analyzer", "heuristic", "--out", str(out), *extra]

        for tree in trees:  # warm-up: page cache, bytecode, and the cache the warm runs read
            timed(report(tree), env(tree))
        for _ in range(args.repeat):
            for tree in trees:
                figures.setdefault(("cold", tree), []).append(timed(report(tree, "--no-cache"), env(tree)))
                figures.setdefault(("warm", tree), []).append(timed(report(tree), env(tree)))
                figures.setdefault(("day", tree), []).append(
                    timed(report(tree, "--no-cache", period=False), env(tree)))
        memory = {tree: tree_peak_mb(report(tree, "--no-cache"), root, env(tree), every=0.05) for tree in trees}
    print(f"{args.repo}: {args.since} … {args.until}, busy day {args.day}; {args.repeat} alternating runs each")
    for kind in ("cold", "warm", "day"):
        this, base = statistics.median(figures[(kind, "this")]), statistics.median(figures[(kind, "base")])
        pairs = [a / b for a, b in zip(figures[(kind, "this")], figures[(kind, "base")], strict=True)]
        print(f"  {kind:5} this {this:7.2f} s   base {base:7.2f} s   this/base {this / base:5.2f}x "
              f"(pair by pair: {min(pairs):.2f}–{max(pairs):.2f})")
    for tree, (own, other, total) in memory.items():
        print(f"  peak memory, cold period, {tree:4}: {total:6.1f} MB at once (report {own:.1f} MB, "
              f"largest worker or git {other:.1f} MB)")


if __name__ == "__main__":
    main()
