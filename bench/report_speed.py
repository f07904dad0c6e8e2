"""Wall time of an offline report of a busy day in a 20,000-commit repository, against raw git.

    python bench/report_speed.py [--commits 20000] [--repeat 5]

Baselines, measured in the same run on the same repository and window:
    git log --first-parent -p --numstat <window>      (what any tool must at least read)
    python -c pass                                     (a bare interpreter's start-up)
    python -c "import jinja2"                          (the template engine the report format
                                                        requires, imported and nothing else)
    commitdigest --version                             (start-up of the tool: interpreter plus
                                                        pydantic, click and jinja2 imports)
Goal: commitdigest ≤ 2 × (raw git + start-up). Both readings of "start-up" are printed. Against a
bare interpreter the goal is out of reach for any program that renders through Jinja2: importing
it alone costs more than the whole budget, which the jinja2 line shows in the same run. Each figure
is the median of --repeat runs; the analysis cache is off, so every run reads and analyses the
day from scratch.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env  # noqa: E402
from _synth import BUSY_DAY, build  # noqa: E402


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def median(cmd: list[str], cwd: Path, repeat: int, env: dict | None = None) -> float:
    timed(cmd, cwd, env)  # warm the page cache
    return statistics.median(timed(cmd, cwd, env) for _ in range(repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        repo = build(Path(tmp) / "repo", args.commits, days=1000, busy=30)
        print(f"built {args.commits} + 30 commits in {time.perf_counter() - t:.1f} s")
        day = BUSY_DAY.isoformat()
        since, until = f"{day}T00:00:00+00:00", f"{day}T23:59:59+00:00"
        raw = ["git", "log", "--first-parent", "-p", "--numstat", f"--since={since}", f"--until={until}"]
        count = subprocess.run(["git", "rev-list", "--count", "--first-parent", f"--since={since}",
                                f"--until={until}", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
        git_s = median(raw, repo, args.repeat)
        py_s = median([sys.executable, "-c", "pass"], repo, args.repeat)
        env = tool_env(Path(tmp) / "cache")
        ours = [sys.executable, "-m", "commitdigest", "report", "--repo", str(repo), "--date", day, "--tz", "UTC",
                "--no-cache", "--quiet", "--out", str(Path(tmp) / "out")]
        ours_s = median(ours, repo, args.repeat, env)
        boot_s = median([sys.executable, "-m", "commitdigest", "--version"], repo, args.repeat, env)
        jinja_s = median([sys.executable, "-c", "import jinja2"], repo, args.repeat, env)
        print(f"window: {day}, {count} commits on the first-parent line")
        print(f"raw git log -p --numstat     {git_s * 1000:8.1f} ms")
        print(f"python start-up              {py_s * 1000:8.1f} ms")
        print(f"python -c 'import jinja2'    {jinja_s * 1000:8.1f} ms   (the template engine alone)")
        print(f"commitdigest start-up        {boot_s * 1000:8.1f} ms   (--version)")
        print(f"commitdigest report          {ours_s * 1000:8.1f} ms")
        print(f"ratio to raw git + python start-up        {ours_s / (git_s + py_s):6.2f}x   (goal <= 2.00x; "
              f"importing jinja2 alone is {jinja_s / (git_s + py_s):.2f}x)")
        print(f"ratio to raw git + commitdigest start-up  {ours_s / (git_s + boot_s):6.2f}x   (goal <= 2.00x)")
        print(f"work after start-up vs raw git            {(ours_s - boot_s) / git_s:6.2f}x")


if __name__ == "__main__":
    main()
