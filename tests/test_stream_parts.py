"""A batch handed over in parts while git still prints the rest of it: the same commits, in the
same order, whatever git does (a commit it cannot read, a shallow boundary), and the next batch's
git process only once every part of this one has been analysed."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from test_batches import UTC, Counting, _dump, two_days
from test_git_hostile import DAY, build_upstream

from commitdigest import pipeline
from commitdigest.git import log as gitlog
from commitdigest.git import runner
from commitdigest.git.repo import open_repo


def _facts(batches) -> list[tuple]:
    return [(c.sha, c.read_error, c.counts_known,
             [(f.path, f.status, f.insertions, f.deletions, f.patch, f.patch_clipped) for f in c.files])
            for batch in batches for c in batch]


def _read(repo, window, **options) -> list[list]:
    return list(gitlog.read_batches(gitlog.list_window(repo, window), **options))


def test_parts_are_the_batch_in_order_and_in_full(tmp_path):
    two_days(tmp_path / "r")
    repo = open_repo(str(tmp_path / "r"))
    window = pipeline.make_window(date(2026, 1, 13), date(2026, 1, 16), UTC)
    whole = _read(repo, window, size=10)
    parts = _read(repo, window, size=10, part=3)
    assert [len(b) for b in whole] == [10, 10, 5]
    # every part is full but a batch's last: 10 = 3 + 3 + 3 + 1
    assert [len(b) for b in parts] == [3, 3, 3, 1, 3, 3, 3, 1, 3, 2]
    assert _facts(parts) == _facts(whole)
    # a small limit clips the same lines either way
    tight = gitlog.PatchLimits(per_file=40, per_commit=100)
    assert _facts(_read(repo, window, size=10, part=4, limits=tight)) == _facts(_read(repo, window, size=10,
                                                                                      limits=tight))


def test_a_commit_git_cannot_read_comes_out_in_its_place(make_repo):
    up, shas = build_upstream(make_repo, n=12, broken=5)
    blob = up.git("rev-parse", f"{shas[5]}:big.bin.txt")
    (up.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = open_repo(up.path)
    whole = _read(repo, DAY)
    parts = _read(repo, DAY, part=2)
    assert _facts(parts) == _facts(whole)
    flagged = [c.subject for b in parts for c in b if c.read_error]
    assert flagged == ["c5"] and blob in next(c for b in parts for c in b if c.read_error).read_error
    assert [c.subject for b in parts for c in b] == [f"c{i}" for i in reversed(range(12))]


def test_a_partial_clone_that_cannot_fetch_reads_the_same_in_parts(make_repo, tmp_path):
    up, _ = build_upstream(make_repo)
    clone = tmp_path / "lean.git"
    subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:limit=1k", f"file://{up.path}", str(clone)],
                   check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "config", "remote.origin.url", str(tmp_path / "gone")], check=True)
    repo = open_repo(clone)
    assert _facts(_read(repo, DAY, part=3)) == _facts(_read(repo, DAY))


def test_a_shallow_boundary_keeps_its_place(make_repo, tmp_path):
    up = make_repo("upstream")
    for i in range(6):
        up.commit(f"c{i}", {f"src/m{i}.py": f"v = {i}\n"}, when=f"2026-01-13T{8 + i:02d}:00:00+08:00")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "4", f"file://{up.path}", str(shallow)], check=True,
                   capture_output=True)
    repo = open_repo(shallow)
    parts = _read(repo, DAY, part=1)
    assert _facts(parts) == _facts(_read(repo, DAY))
    assert [c.subject for b in parts for c in b] == ["c5", "c4", "c3", "c2"]
    assert parts[-1][0].read_error == gitlog.SHALLOW_NOTE


@pytest.mark.parametrize("part", [2, 5])
def test_the_core_analyses_parts_and_reads_the_next_batch_only_after(tmp_path, monkeypatch, part):
    two_days(tmp_path / "r")
    repo = open_repo(str(tmp_path / "r"))
    span = pipeline.Span(date(2026, 1, 13), date(2026, 1, 14))
    [plain] = pipeline.generate([span], [pipeline.Tracked.of(repo)], Counting(), zone=UTC, language="en",
                                batch_size=7)  # one part per batch: PART is larger than a batch
    monkeypatch.setattr(gitlog, "PART", part)
    streams: list[list[str]] = []
    real_stream = runner.stream
    monkeypatch.setattr(runner, "stream", lambda *a, **k: streams.append(a[1]) or real_stream(*a, **k))
    analyzer = Counting()
    calls: list[tuple[int, int]] = []

    def on_call(commits):
        # what was analysed before holds no patch text any more; this part's commits still do
        assert all(f.patch == "" for c in analyzer.seen for f in c.files)
        assert all(f.patch for c in commits for f in c.files)
        calls.append((len(commits), sum("-p" in args for args in streams)))

    analyzer.on_call = on_call
    [report] = pipeline.generate([span], [pipeline.Tracked.of(repo)], analyzer, zone=UTC, language="en",
                                 batch_size=7)
    assert _dump(report) == _dump(plain)
    # 24 commits in batches of 7: one git process per batch, each batch's parts analysed before
    # the next batch's process starts (the path filters of the core keep every commit here)
    per_batch = [7, 7, 7, 3]
    expected = [(min(part, n - k), b + 1) for b, n in enumerate(per_batch) for k in range(0, n, part)]
    assert calls == expected
