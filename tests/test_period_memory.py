"""A long period's patches are not held line by line: reading a window of many commits peaks at
about twice the patch text it keeps (its bytes, then its text), not at four times."""

from __future__ import annotations

import subprocess
import tracemalloc
from datetime import date

from commitdigest.git import log as gitlog
from commitdigest.git.repo import open_repo
from commitdigest.window import make_window, parse_zone


def many_commits(path, n: int = 300) -> None:
    """``n`` commits on 2026-01-13, each rewriting every line of one of 20 files (one git process)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = []
    for i in range(n):
        ts = 1768262400 + 60 * i  # 2026-01-13T00:00:00Z onwards
        msg = f"fix: change {i}\n".encode()
        blob = "".join(f"value_{j} = {i * 1000 + j}  # a line of code\n" for j in range(60)).encode()
        stream += [b"commit refs/heads/main\n",
                   f"author Dev <dev@example.com> {ts} +0000\ncommitter Dev <dev@example.com> {ts} +0000\n".encode(),
                   f"data {len(msg)}\n".encode(), msg,
                   f"M 100644 inline src/f{i % 20}.py\ndata {len(blob)}\n".encode(), blob, b"\n"]
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(stream), cwd=path, check=True)


def test_a_window_of_many_commits_peaks_near_its_patch_text(tmp_path):
    many_commits(tmp_path / "r")
    repo = open_repo(str(tmp_path / "r"))
    window = make_window(date(2026, 1, 13), date(2026, 1, 13), parse_zone("UTC"))
    tracemalloc.start()
    try:
        commits = gitlog.commits_in_window(repo, window)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    patch = sum(len(f.patch) for c in commits for f in c.files)
    assert len(commits) == 300 and patch > 1_000_000
    assert all("+value_0" in c.files[0].patch for c in commits)
    # One bytes object per line, all alive until the stream ended, took 4.2x.
    assert peak < 3 * patch
