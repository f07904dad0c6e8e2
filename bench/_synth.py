"""Synthetic git repositories for the benchmarks, written with one `git fast-import` stream.

History shape: ``commits`` commits spread evenly over ``days`` days ending on ``END`` (UTC), and
exactly ``busy`` commits on ``BUSY_DAY``. Each commit edits 1–4 files of a 400-file tree (source,
tests, docs) with small hunks, the way day-to-day development looks. Deterministic: the same
arguments give the same repository, so runs can be compared.
"""

from __future__ import annotations

import random
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

END = date(2026, 1, 20)
BUSY_DAY = date(2026, 1, 13)
PREFIXES = ["feat", "fix", "fix", "docs", "chore", "refactor", "test", "perf", "ci"]


def _paths(n: int = 400) -> list[str]:
    out = []
    for i in range(n):
        kind = i % 10
        if kind < 6:
            out.append(f"src/mod{i % 37}/file{i}.py")
        elif kind < 8:
            out.append(f"tests/mod{i % 37}/test_file{i}.py")
        else:
            out.append(f"docs/page{i}.md")
    return out


def _content(rng: random.Random, path: str, version: int) -> bytes:
    lines = [f"# {path} v{version}"] + [f"value_{j} = {rng.randint(0, 10**6)}  # line {j}" for j in range(60)]
    return ("\n".join(lines) + "\n").encode()


def build(target: Path, commits: int, days: int = 365, busy: int = 30, huge_files: int = 0) -> Path:
    """Create ``target`` (a fresh repository) and return it. ``huge_files`` > 0 adds, as the last
    commit on the busy day, one commit touching that many new files."""
    rng = random.Random(commits * 7919 + days)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    paths = _paths()
    versions = {p: 0 for p in paths}
    start = datetime.combine(END - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    step = timedelta(days=days) / max(commits, 1)
    # The busy day holds exactly ``busy`` commits: the regular ones that would fall on it move on.
    stamps = [start + step * i for i in range(commits)]
    stamps = [t + timedelta(days=1) if t.date() == BUSY_DAY else t for t in stamps]
    busy_start = datetime.combine(BUSY_DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    stamps += [busy_start + timedelta(minutes=20 * i) for i in range(busy)]
    stamps.sort()
    out: list[bytes] = []
    mark = 0
    for n, when in enumerate(stamps):
        touched = rng.sample(paths, rng.randint(1, 4)) if n else paths
        mark += 1
        ts = int(when.timestamp())
        prefix = rng.choice(PREFIXES)
        msg = f"{prefix}: change {n} in {touched[0].split('/')[1]} (#{1000 + n})\n\nDetails of change {n}.\n".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"mark :{mark}\nauthor Dev {n % 7} <dev{n % 7}@example.com> {ts} +0000\n"
                   f"committer Dev {n % 7} <dev{n % 7}@example.com> {ts} +0000\n".encode())
        out.append(f"data {len(msg)}\n".encode() + msg)
        for p in touched:
            versions[p] += 1
            blob = _content(rng, p, versions[p])
            out.append(f"M 100644 inline {p}\ndata {len(blob)}\n".encode() + blob)
        out.append(b"\n")
    if huge_files:
        ts = int((busy_start + timedelta(hours=12)).timestamp())
        msg = b"chore: vendor generated stubs\n"
        out.append(b"commit refs/heads/main\n")
        out.append(f"author Bot <bot@example.com> {ts} +0000\ncommitter Bot <bot@example.com> {ts} +0000\n".encode())
        out.append(f"data {len(msg)}\n".encode() + msg)
        for i in range(huge_files):
            blob = f"stub_{i} = {i}\nother_{i} = {i * 2}\n".encode()
            out.append(f"M 100644 inline gen/stubs/s{i:05d}.py\ndata {len(blob)}\n".encode() + blob)
        out.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(out), cwd=target, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=target, check=True)
    return target
