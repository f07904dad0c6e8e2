"""A year of daily reports in one run: `commitdigest run --since … --until …` over 365 days of a
5,000-commit repository, offline analyzer, Markdown + JSON.

    python bench/backfill.py [--commits 5000] [--formats md,json]

Goal: < 60 s on a 2-core machine. Baselines in the same run:
  - raw `git log --first-parent -p --numstat` of the whole year (what must be read at least);
  - the naive way, one `commitdigest report --date D` process per day, timed on a sample of days
    and scaled to 365.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env  # noqa: E402
from _synth import END, build  # noqa: E402

DAYS = 365


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5_000)
    ap.add_argument("--formats", default="md,json")
    ap.add_argument("--sample", type=int, default=10, help="days timed for the naive per-day baseline")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = build(root / "repo", args.commits, days=DAYS, busy=30)
        first = END - timedelta(days=DAYS - 1)
        (root / "commitdigest.toml").write_text(
            f'timezone = "UTC"\nlanguage = "zh"\nanalyzer = "heuristic"\n[[repos]]\npath = "{repo}"\n'
            f'[output]\ndir = "out"\n')
        env = tool_env(root / "cache")
        env.pop("COMMITDIGEST_CONFIG", None)
        git_s = timed(["git", "log", "--first-parent", "-p", "--numstat", f"--since={first}T00:00:00Z",
                       f"--until={END}T23:59:59Z"], repo, env)
        run = [sys.executable, "-m", "commitdigest", "run", "--since", first.isoformat(), "--until",
               END.isoformat(), "--format", args.formats, "--no-notify", "--quiet"]
        cold = timed(run, root, env)
        files = len(list((root / "out").glob("*.md")))
        warm = timed(run + ["--force"], root, env)  # every analysis now comes from the cache
        skip = timed(run, root, env)  # every day already reported
        step = max(1, DAYS // args.sample)
        sample = [first + timedelta(days=i) for i in range(0, DAYS, step)][: args.sample]
        naive = sum(timed([sys.executable, "-m", "commitdigest", "report", "--repo", str(repo), "--date",
                           d.isoformat(), "--tz", "UTC", "--no-cache", "--quiet", "--format", args.formats,
                           "--out", str(root / "naive")], root, env) for d in sample)
        naive_365 = naive / len(sample) * DAYS
        print(f"{args.commits} commits over {DAYS} days -> {files} daily reports ({args.formats})")
        print(f"raw git log -p --numstat, whole year   {git_s:7.2f} s")
        print(f"commitdigest run, cold cache            {cold:7.2f} s   (goal < 60 s)   {cold / git_s:6.1f}x raw git")
        print(f"commitdigest run --force, warm cache    {warm:7.2f} s")
        print(f"commitdigest run, all days done         {skip:7.2f} s")
        print(f"naive: one process per day (scaled)     {naive_365:7.2f} s   run is {naive_365 / cold:4.1f}x faster")


if __name__ == "__main__":
    main()
