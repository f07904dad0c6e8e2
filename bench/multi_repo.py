"""Twenty repositories, one day, offline: `commitdigest run` wall time and the share spent in git.

    python bench/multi_repo.py [--repos 20] [--commits 2000]

Each repository is a synthetic history (bench/_synth.py) with 30 commits on the reported day.
The share in git is measured, not estimated: the run is profiled in-process and the time spent
waiting on git subprocesses (runner.run / runner.stream) is summed. Baseline in the same run: raw
`git log --first-parent -p --numstat` of the day for every repository, one after the other.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env  # noqa: E402
from _synth import BUSY_DAY, build  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", type=int, default=20)
    ap.add_argument("--commits", type=int, default=2_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repos = [build(root / f"r{i:02d}", args.commits + i, days=200, busy=30) for i in range(args.repos)]
        cfg = 'timezone = "UTC"\nanalyzer = "heuristic"\n' + "".join(
            f'[[repos]]\npath = "{r}"\nname = "team/r{i:02d}"\n' for i, r in enumerate(repos))
        (root / "commitdigest.toml").write_text(cfg + '[output]\ndir = "out"\n')
        day = BUSY_DAY.isoformat()
        t = time.perf_counter()
        for r in repos:
            subprocess.run(["git", "log", "--first-parent", "-p", "--numstat", f"--since={day}T00:00:00Z",
                            f"--until={day}T23:59:59Z"], cwd=r, check=True, stdout=subprocess.DEVNULL)
        raw = time.perf_counter() - t

        env = tool_env(root / "cache")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "commitdigest", "run", "--date", day, "--quiet", "--no-notify",
                        "--no-cache"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t

        # The same run in-process, with git's share measured at the one place git is started.
        os.environ["COMMITDIGEST_CACHE_DIR"] = str(root / "cache2")
        os.chdir(root)
        from commitdigest.cli import main as cli_main
        from commitdigest.git import runner

        spent = {"git": 0.0}
        real_run, real_stream = runner.run, runner.stream

        def run(*a, **k):
            s = time.perf_counter()
            try:
                return real_run(*a, **k)
            finally:
                spent["git"] += time.perf_counter() - s

        from contextlib import contextmanager

        @contextmanager
        def stream(*a, **k):
            s = time.perf_counter()
            with real_stream(*a, **k) as chunks:
                def timed():
                    nonlocal s
                    for c in chunks:
                        spent["git"] += time.perf_counter() - s
                        yield c
                        s = time.perf_counter()
                    spent["git"] += time.perf_counter() - s
                yield timed()

        runner.run, runner.stream = run, stream
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                cli_main(["run", "--date", day, "--quiet", "--no-notify", "--no-cache", "--force", "--out",
                          str(root / "o2")])
            except SystemExit:
                pass
        inproc = time.perf_counter() - t
        print(f"{args.repos} repositories x 1 day (30 commits each), offline analyzer")
        print(f"raw git log -p --numstat, all repositories   {raw:6.2f} s")
        print(f"commitdigest run (one process)               {wall:6.2f} s   {wall / raw:5.1f}x raw git")
        print(f"in-process run {inproc:.2f} s, of which waiting on git {spent['git']:.2f} s "
              f"({100 * spent['git'] / inproc:.0f} %)")


if __name__ == "__main__":
    main()
