"""Lean (blob-less) mirrors against full ones, over a real transport that supports filters.

    python bench/lean_mirror.py [--commits 3000] [--days 120] [--runs 30]

A synthetic repository (``--commits`` commits over ``--days`` days ending on 2026-01-20, each
editing a few lines of 1–4 files of a 400-file tree of ~16 KB text files; fixed dates and seed)
is served by ``git daemon`` on 127.0.0.1 with ``uploadpack.allowFilter`` and
``uploadpack.allowAnySHA1InWant``. ``commitdigest run`` follows it twice in the same run, once
with the default lean mirror and once with ``mirror = "full"``, each in its own cache:

- first run (clone + one day's report): bytes of the mirror on disk and wall time, lean vs full;
- a day's report on an existing mirror (update fetch + prefetch + read), median over 5 days;
- fetch requests the server saw per day's run (its log: one line per upload-pack request);
- the lean mirror's size over ``--runs`` daily runs (each a new day, so each fetches new blobs),
  with the trims its policy makes (every 14 updates on a repository this small).

Goals: lean ≤ 15 % of the full mirror's bytes, a day's report ≤ 1.5× the full mirror's time,
≤ 2 fetch requests per window.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env

from commitdigest.git import mirror

END = date(2026, 1, 20)
WORDS = ["alpha", "beta", "gamma", "delta", "tensor", "kernel", "cache", "shard", "route", "batch", "token",
         "stream", "worker", "queue", "scheduler", "request", "response", "config", "engine", "block", "layer",
         "model", "weight", "buffer"]


def build(target: Path, commits: int, days: int, seed: int = 7) -> Path:
    """A bare repository written with one fast-import stream: 400 files of ~280 lines each; every
    commit rewrites a handful of lines in 1–4 of them (small deltas, as real edits are)."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(target)], check=True)
    paths = [f"{['src', 'tests', 'docs'][i % 3]}/pkg{i % 23}/file{i}.{'py' if i % 3 < 2 else 'md'}" for i in range(400)]
    files = {p: [" ".join(rng.choices(WORDS, k=8)) + f"  # {p}:{j}" for j in range(280)] for p in paths}
    start = datetime.combine(END - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    step = timedelta(days=days) / commits
    out: list[bytes] = []
    for n in range(commits):
        ts = int((start + step * n).timestamp())
        touched = paths if n == 0 else rng.sample(paths, rng.randint(1, 4))
        msg = f"{rng.choice(['feat', 'fix', 'refactor', 'docs'])}: change {n}\n".encode()
        out.append(f"commit refs/heads/main\nauthor Dev {n % 9} <d{n % 9}@example.com> {ts} +0000\n"
                   f"committer Dev {n % 9} <d{n % 9}@example.com> {ts} +0000\ndata {len(msg)}\n".encode() + msg)
        for p in touched:
            lines = files[p]
            for _ in range(rng.randint(2, 12) if n else 0):
                lines[rng.randrange(len(lines))] = " ".join(rng.choices(WORDS, k=8)) + f"  # edit {n}"
            blob = ("\n".join(lines) + "\n").encode()
            out.append(f"M 100644 inline {p}\ndata {len(blob)}\n".encode() + blob)
        out.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(out), cwd=target, check=True)
    subprocess.run(["git", "-C", str(target), "repack", "-adq", "--window=50"], check=True)
    subprocess.run(["git", "-C", str(target), "config", "uploadpack.allowFilter", "true"], check=True)
    subprocess.run(["git", "-C", str(target), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    return target


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: int) -> str:
    return f"{n / 1e6:8.1f} MB"


class Daemon:
    def __init__(self, base: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = base.parent / "daemon.log"
        self._log = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--verbose", "--log-destination=stderr",
             f"--base-path={base}", "--listen=127.0.0.1", f"--port={self.port}", "--timeout=120", str(base)],
            stdout=subprocess.DEVNULL, stderr=self._log)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("git daemon did not start")

    def requests(self) -> int:
        return self.log.read_text(errors="replace").count("Request upload-pack")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self._log.close()


def run(cfg: Path, cache: Path, day: date) -> float:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "commitdigest", "run", "--config", str(cfg), "--date", day.isoformat(),
                        "--no-notify", "--quiet", "--cache-dir", str(cache)], capture_output=True, text=True,
                       env=tool_env(cache), check=False)
    if r.returncode != 0 or r.stderr:
        raise SystemExit(f"run failed ({r.returncode}): {r.stderr.strip()}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=3000)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        served = build(root / "served" / "lib.git", args.commits, args.days)
        print(f"synthetic repository: {args.commits} commits over {args.days} days, "
              f"{mb(size(served)).strip()} packed ({time.perf_counter() - t:.0f} s to build)")
        daemon = Daemon(root / "served")
        try:
            url = f"git://127.0.0.1:{daemon.port}/lib.git"
            configs, caches, mirrors = {}, {}, {}
            for kind in ("lean", "full"):
                configs[kind] = root / f"{kind}.toml"
                mirror_key = 'mirror = "full"' if kind == "full" else ""
                configs[kind].write_text(
                    f'timezone = "UTC"\nlanguage = "en"\nanalyzer = "heuristic"\n{mirror_key}\n'
                    f'[[repos]]\nurl = "{url}"\nname = "acme/lib"\n[output]\ndir = "{root / ("out-" + kind)}"\n'
                    'formats = ["md", "json"]\n')
                caches[kind] = root / f"cache-{kind}"
            first_day = END - timedelta(days=1)
            first = {}
            for kind in ("full", "lean"):
                first[kind] = run(configs[kind], caches[kind], first_day)
                (mirrors[kind],) = (caches[kind] / "mirrors").glob("*.git")
            bytes_ = {k: size(mirrors[k]) for k in mirrors}
            print("\nfirst run (clone + one day's report)        lean        full    lean/full")
            print(f"  mirror on disk                       {mb(bytes_['lean'])} {mb(bytes_['full'])}"
                  f"   {bytes_['lean'] / bytes_['full']:6.1%}   (goal <= 15 %)")
            print(f"  wall time                            {first['lean']:9.2f} s {first['full']:9.2f} s"
                  f"   {first['lean'] / first['full']:6.2f}x")

            days = [END - timedelta(days=2 + i) for i in range(5)]
            times: dict[str, list[float]] = {"lean": [], "full": []}
            requests = []
            for day in days:
                before = daemon.requests()
                times["lean"].append(run(configs["lean"], caches["lean"], day))
                requests.append(daemon.requests() - before)
                times["full"].append(run(configs["full"], caches["full"], day))
            lean_t, full_t = statistics.median(times["lean"]), statistics.median(times["full"])
            print("\na day's report on an existing mirror (median of 5 days)")
            print(f"  lean {lean_t:6.2f} s   full {full_t:6.2f} s   ratio {lean_t / full_t:5.2f}x   (goal <= 1.5x)")
            print(f"  fetch requests per day's run: {requests}  (the update fetch + one blob prefetch; "
                  "goal <= 2)")
            commits_per_day = [len(json.loads(
                (root / "out-lean" / f"{d.isoformat()}.json").read_text())["repos"][0]["commits"]) for d in days]
            print(f"  commits per day: {commits_per_day}")
            # Baseline: the same day read by plain git in a fresh blob-less clone, without the
            # prefetch — git's own lazy fetching of what each diff lacks.
            plain = root / "plain-lean.git"
            subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:none", url, str(plain)], check=True)
            before = daemon.requests()
            day = days[0]
            subprocess.run(["git", "-C", str(plain), "log", "--first-parent", "-p", "-M", "--numstat",
                            f"--since={day.isoformat()}T00:00:00Z", f"--until={day.isoformat()}T23:59:59Z", "main"],
                           stdout=subprocess.DEVNULL, check=True)
            print(f"  plain git log -p of one day in a blob-less clone, lazy fetching: "
                  f"{daemon.requests() - before} requests")

            sizes = []
            start = len(days) + 1  # updates the lean mirror has had so far
            for i in range(args.runs):
                run(configs["lean"], caches["lean"], END - timedelta(days=10 + i))
                sizes.append(size(mirrors["lean"]))
            peak = max(sizes)
            print(f"\nlean mirror over {args.runs} more daily runs (a trim every {mirror.TRIM_EVERY} updates; "
                  f"{start} updates before these)")
            series = ", ".join(f"{i + 1}: {sizes[i] / 1e6:.1f}" for i in range(len(sizes))
                               if i == 0 or (i + 1) % 5 == 0 or sizes[i] < sizes[i - 1])
            print(f"  MB after run n (and after each trim): {series}")
            print(f"  after the first of them   {mb(sizes[0])}")
            print(f"  largest                   {mb(peak)}   ({peak / bytes_['full']:.1%} of the full mirror)")
            print(f"  after the last            {mb(sizes[-1])}   ({sizes[-1] / bytes_['full']:.1%} of the full mirror)")
            print(f"  full mirror               {mb(size(mirrors['full']))}")
        finally:
            daemon.stop()


if __name__ == "__main__":
    main()
