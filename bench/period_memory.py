"""Peak memory of an offline period report over 20,000 commits.

    python bench/period_memory.py [--commits 20000] [--days 100] [--src DIR] [--base DIR]

Builds a synthetic repository whose history holds ``--commits`` commits over ``--days`` days and
runs ``commitdigest report --since FIRST --until LAST`` over all of them (offline analyzer,
``--no-cache``, Markdown and JSON twin). Peak RSS of each child process (getrusage of the waited
child; Linux reports KiB), against baselines measured in the same run: a bare interpreter,
``commitdigest --version``, and raw ``git log -p --numstat`` of the same period (the report runs
git as a separate, streamed process, so git's peak does not add to Python's).

``--src DIR`` runs the tool from another checkout's ``src`` folder (e.g. an older commit, to
compare before and after a change on the same repository and machine). ``--base DIR`` also runs
the report from that ``src`` folder on the same repository and prints the ratio of the two peaks.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import peak_mb, tool_env  # noqa: E402
from _synth import END, build  # noqa: E402


def _timeless(path: Path) -> bytes:
    """A report's bytes with the run's duration blanked: the one value two runs never share."""
    return re.sub('("seconds": |耗时 |\\| )[0-9]+\\.[0-9]+'.encode(), rb"\\1#", path.read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--src", type=Path, help="run the tool from this src folder instead of the installed one")
    ap.add_argument("--base", type=Path, help="also run the report from this src folder (the baseline) and compare")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        # busy=0: the period's commits are spread evenly, none piled on one day.
        repo = build(root / "repo", args.commits, days=args.days, busy=0)
        built = time.perf_counter() - started
        env = tool_env(root / "cache")
        if args.src:
            env["PYTHONPATH"] = str(args.src.resolve())
        first, last = (END - timedelta(days=args.days - 1)).isoformat(), END.isoformat()
        count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.strip()
        git = peak_mb(["git", "log", "--first-parent", "-p", "--numstat", f"--since={first}T00:00:00Z",
                       f"--until={last}T23:59:59Z"], repo, env)
        bare = peak_mb([sys.executable, "-c", "pass"], repo, env)
        boot = peak_mb([sys.executable, "-m", "commitdigest", "--version"], repo, env)

        def report(env: dict, out: Path) -> float:
            return peak_mb([sys.executable, "-m", "commitdigest", "report", "--repo", str(repo), "--since", first,
                            "--until", last, "--tz", "UTC", "--no-cache", "--quiet", "--format", "md,json",
                            "--out", str(out)], repo, env)

        base = None
        if args.base:
            base = report({**env, "PYTHONPATH": str(args.base.resolve())}, root / "out-base")
        started = time.perf_counter()
        ours = report(env, root / "out")
        took = time.perf_counter() - started
        stem = f"{first}_{last}"
        md = (root / "out" / f"{stem}.md").stat().st_size / 1e6
        js = (root / "out" / f"{stem}.json").stat().st_size / 1e6
        print(f"period {first} … {last}: {count} commits (built in {built:.0f} s; report: md {md:.1f} MB, "
              f"json {js:.1f} MB, {took:.0f} s)")
        print(f"raw git log -p --numstat     {git:7.1f} MB peak RSS")
        print(f"bare python                  {bare:7.1f} MB")
        print(f"commitdigest --version       {boot:7.1f} MB")
        print(f"commitdigest report          {ours:7.1f} MB   {ours / boot:5.1f}x its start-up, "
              f"{ours / bare:5.1f}x a bare interpreter, {ours / git:5.1f}x raw git")
        print(f"report minus start-up        {ours - boot:7.1f} MB   ({(ours - boot) * 1e3 / int(count):.1f} KB a commit)")
        if base is not None:
            same = all(_timeless(root / "out" / f"{stem}.{s}") == _timeless(root / "out-base" / f"{stem}.{s}")
                       for s in ("md", "json"))
            print(f"baseline report ({args.base}) {base:7.1f} MB   this one is {ours / base:.2f}x it; "
                  f"files {'identical' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
