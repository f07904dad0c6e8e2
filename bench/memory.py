"""Peak memory of an offline report whose day holds one commit of 5,000 files.

    python bench/memory.py [--files 5000]

Peak RSS of each child process (getrusage of the waited child; Linux reports KiB). Baselines in
the same run: raw `git log -p --numstat` of the same day, and a bare interpreter. Goal: the
report process < 300 MB. git's own memory is printed too: the report runs git as a separate
process, streamed, so git's peak does not add to Python's. The report is also sampled with
every process it starts (git, the workers that parse code), for what the machine holds at once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import peak_mb, tool_env, tree_peak_mb  # noqa: E402
from _synth import BUSY_DAY, build  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=5_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = build(root / "repo", 2_000, days=100, busy=5, huge_files=args.files)
        env = tool_env(root / "cache")
        day = BUSY_DAY.isoformat()
        git = peak_mb(["git", "log", "--first-parent", "-p", "--numstat", f"--since={day}T00:00:00Z",
                       f"--until={day}T23:59:59Z"], repo, env)
        bare = peak_mb([sys.executable, "-c", "pass"], repo, env)
        boot = peak_mb([sys.executable, "-m", "commitdigest", "--version"], repo, env)
        ours = peak_mb([sys.executable, "-m", "commitdigest", "report", "--repo", str(repo), "--date", day,
                        "--tz", "UTC", "--no-cache", "--quiet", "--out", str(root / "out")], repo, env)
        own, other, total = tree_peak_mb([sys.executable, "-m", "commitdigest", "report", "--repo", str(repo),
                                          "--date", day, "--tz", "UTC", "--no-cache", "--quiet",
                                          "--out", str(root / "out")], repo, env)
        md = (root / "out" / f"{day}.md").stat().st_size / 1e6
        js = (root / "out" / f"{day}.json").stat().st_size / 1e6
        print(f"day {day}: 5 ordinary commits + one commit of {args.files} files (report: md {md:.1f} MB, json {js:.1f} MB)")
        print(f"raw git log -p --numstat     {git:7.1f} MB peak RSS")
        print(f"bare python                  {bare:7.1f} MB")
        print(f"commitdigest --version       {boot:7.1f} MB")
        print(f"commitdigest report          {ours:7.1f} MB   (goal < 300 MB)   {ours / boot:4.1f}x its start-up")
        print(f"  sampled: report {own:.1f} MB, largest worker or git {other:.1f} MB, all at once {total:.1f} MB")


if __name__ == "__main__":
    main()
