"""Incremental update of remote mirrors when nothing changed upstream: time per repository.

    python bench/mirror_update.py [--repos 10] [--commits 5000]

Remotes are local bare repositories reached over file:// (real git transport, no network noise).
Baseline in the same run: a plain `git fetch --prune` in an ordinary bare clone of each remote,
which is the least an up-to-date check can cost; commitdigest adds the per-mirror lock and its
own process handling around that fetch.
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
from _synth import build  # noqa: E402

from commitdigest.git.mirror import ensure_mirror  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", type=int, default=10)
    ap.add_argument("--commits", type=int, default=5_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        urls = []
        for i in range(args.repos):
            work = build(root / f"w{i}", args.commits + i, days=300, busy=10)
            bare = root / f"remote{i}.git"
            subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
            urls.append(bare.as_uri())
        cache = root / "cache"
        t = time.perf_counter()
        for url in urls:
            ensure_mirror(url, cache)
        clone_s = time.perf_counter() - t
        for i, url in enumerate(urls):
            subprocess.run(["git", "clone", "-q", "--bare", url, str(root / f"plain{i}.git")], check=True)
        ours, raw = [], []
        for _ in range(args.rounds):
            t = time.perf_counter()
            for url in urls:
                assert not ensure_mirror(url, cache).cloned
            ours.append((time.perf_counter() - t) / len(urls))
            t = time.perf_counter()
            for i in range(len(urls)):
                subprocess.run(["git", "fetch", "--prune", "--quiet", "origin", "+refs/heads/*:refs/heads/*"],
                               cwd=root / f"plain{i}.git", check=True)
            raw.append((time.perf_counter() - t) / len(urls))
        o, r = statistics.median(ours), statistics.median(raw)
        print(f"{args.repos} mirrors of ~{args.commits} commits each over file://")
        print(f"first clone, all mirrors             {clone_s:6.2f} s")
        print(f"update, nothing changed, per repo    {o * 1000:6.1f} ms   (median of {args.rounds} rounds)")
        print(f"raw git fetch, per repo              {r * 1000:6.1f} ms")
        print(f"ratio                                {o / r:6.2f}x")


if __name__ == "__main__":
    main()
