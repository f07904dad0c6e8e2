"""A day whose one commit has a giant message body, this code against the code before.

    python bench/long_message.py [--lines 240000 500000] [--base-rev c62df7a] [--base DIR] [--src DIR]
                                 [--repeat 3]

Each body is one paragraph of short lines (``ln 000001`` …: 240,000 lines are 2.4 MB, 500,000
are 5 MB). The code before is a ``src`` folder: ``--base DIR``, or by default ``git archive`` of
``--base-rev`` from this repository (the commit before the body was read in linear time); this
code is this checkout's ``src`` or ``--src DIR``. Both are measured in the same run.

1. The gist of the body alone (``analysis/message.py``, loaded from each tree) on the same
   bodies: this code with its read bound lifted (the algorithm's own growth), with the bound (what
   a report does), and the code before; the best of --repeat runs (the code before: one run).
2. ``commitdigest report`` (offline, no cache, Markdown and JSON) of a repository with one commit
   per size on its own day, plus a day whose commit has a one-line body: the body's cost is a
   day's time minus that day's (start-up, git, writing the files). The median of --repeat runs
   (the code before: one run per size; it takes minutes).

Linear time: a 5 MB body costs about twice a 2.4 MB one, not four times.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def build(repo: Path, sizes: list[int]) -> list[str]:
    """One commit a day: a one-line body first, then one body per size. Returns the days."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    days = []
    for i, lines in enumerate([1, *sizes]):
        day = f"2026-01-{10 + i:02d}"
        body = "".join(f"ln {n:06d}\n" for n in range(lines))
        (repo / "notes.txt").write_text(f"version {i}\n")
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        env = {**os.environ, "GIT_AUTHOR_DATE": f"{day}T10:00:00Z", "GIT_COMMITTER_DATE": f"{day}T10:00:00Z",
               "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_COMMITTER_NAME": "A",
               "GIT_COMMITTER_EMAIL": "a@example.com"}
        subprocess.run(["git", "commit", "-q", "--no-verify", "-F", "-"], cwd=repo, env=env, check=True,
                       input=f"docs: changelog {lines} lines\n\n{body}".encode())
        days.append(day)
    return days


def seconds(src: Path, repo: Path, day: str, out: Path, cache: Path) -> float:
    env = {**tool_env(cache), "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "commitdigest", "report", "--repo", str(repo), "--date", day, "--tz", "UTC",
           "--no-cache", "--quiet", "--format", "md,json", "--out", str(out)]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def load_message(src: Path, name: str):
    """A tree's ``analysis/message.py`` as a module of its own (it needs nothing but ``re``)."""
    spec = importlib.util.spec_from_file_location(name, src / "commitdigest" / "analysis" / "message.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gist_seconds(module, body: str, bound: bool, repeat: int) -> float:
    kept = getattr(module, "READ_LIMIT", None)
    if kept is not None and not bound:
        module.READ_LIMIT = len(body) + 1
    try:
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            module.gist(body)
            runs.append(time.perf_counter() - t)
        return min(runs)  # the least disturbed run: the machine is shared
    finally:
        if kept is not None:
            module.READ_LIMIT = kept


def gists(ours: Path, base: Path, sizes: list[int], repeat: int, label: str) -> None:
    new, old = load_message(ours, "message_this"), load_message(base, "message_before")
    rows = []
    for lines in sizes:
        body = "".join(f"ln {n:06d}\n" for n in range(lines))
        rows.append((lines, len(body) / 1e6, gist_seconds(new, body, False, repeat),
                     gist_seconds(new, body, True, repeat), gist_seconds(old, body, True, 1)))
    print("1. the gist of the body alone (seconds)")
    print(f"{'lines':>9} {'MB':>5} {'this, unbounded':>16} {'this':>9} {'before (' + label + ')':>20} "
          f"{'before / this':>14}")
    for lines, mb, free, bounded, before in rows:
        print(f"{lines:>9,} {mb:5.1f} {free:16.4f} {bounded:9.4f} {before:20.2f} {before / bounded:13.0f}x")
    if len(rows) >= 2:
        (a, *_), (b, *_) = rows[0], rows[-1]
        grow = b / a
        print(f"body {grow:.2f}x longer: the unwrapping's cost grows {rows[-1][2] / rows[0][2]:.2f}x here, "
              f"{rows[-1][4] / rows[0][4]:.2f}x before (linear: ~{grow:.1f}x, quadratic: ~{grow * grow:.1f}x)")


def base_src(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, nargs="+", default=[240_000, 500_000])
    ap.add_argument("--base-rev", default="c62df7a", help="the code before, from this repository's history")
    ap.add_argument("--base", type=Path, help="a src folder of the code before (instead of --base-rev)")
    ap.add_argument("--src", type=Path, help="the src folder measured (default: this checkout's)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = root / "repo"
        repo.mkdir()
        days = build(repo, args.lines)
        ours = args.src.resolve() if args.src else ROOT / "src"
        base = args.base.resolve() if args.base else base_src(args.base_rev, root / "base")
        label = str(args.base) if args.base else args.base_rev
        gists(ours, base, args.lines, args.repeat, label)
        runs = {"this": (ours, args.repeat), "before": (base, 1)}
        times: dict[str, list[float]] = {}
        for name, (src, repeat) in runs.items():
            times[name] = [statistics.median(seconds(src, repo, day, root / f"out-{name}", root / "cache")
                                             for _ in range(repeat if day != days[0] else max(repeat, 3)))
                           for day in days]
        print(f"\n2. report of a day whose commit body is N short lines in one paragraph (seconds; body's cost = "
              f"time - the one-line day's {times['this'][0]:.2f} s / {times['before'][0]:.2f} s)")
        print(f"{'lines':>9} {'MB':>5} {'this':>8} {'before (' + label + ')':>20} {'body: this':>11} "
              f"{'body: before':>13} {'before / this':>14}")
        for i, lines in enumerate(args.lines, start=1):
            mb = lines * len("ln 000000\n") / 1e6
            t, b = times["this"][i], times["before"][i]
            bt, bb = t - times["this"][0], b - times["before"][0]
            print(f"{lines:>9,} {mb:5.1f} {t:8.2f} {b:20.2f} {bt:11.2f} {bb:13.2f} {b / t:13.1f}x")
        if len(args.lines) >= 2:
            first, last = args.lines[0], args.lines[-1]
            grow = last / first

            def growth(name: str) -> str:
                lo, hi = times[name][1] - times[name][0], times[name][-1] - times[name][0]
                # Below a tenth of a second the difference is the noise of starting a process.
                return f"{hi / lo:.2f}x" if lo > 0.1 else f"not measurably ({lo:+.2f} s to {hi:+.2f} s)"

            print(f"body {grow:.2f}x longer: its cost in a report grows {growth('this')} here, "
                  f"{growth('before')} before (linear: ~{grow:.1f}x, quadratic: ~{grow * grow:.1f}x)")

if __name__ == "__main__":
    main()
