"""The cache on a broken disk: a full or read-only file system costs the run its cache writes,
never the cache itself; a file that is really damaged (an interior page) is set aside once.

The full and read-only disks are real: small tmpfs mounts, which need root (mode bits do not stop
root, so a chmod would prove nothing). Without root these tests skip and say why.
"""

from __future__ import annotations

import logging
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from commitdigest.models import ChangeType, CommitAnalysis, Importance
from commitdigest.store import DB_NAME, Store

FP = "fp-test"


def _analysis(i: int) -> CommitAnalysis:
    return CommitAnalysis(change_type=ChangeType.fix, importance=Importance.low,
                          summary=[f"analysis number {i} " + "x" * 200])


def _rows(start: int, n: int) -> list[tuple[str, str, CommitAnalysis]]:
    return [(f"{i:040x}", FP, _analysis(i)) for i in range(start, start + n)]


def _shas(start: int, n: int) -> list[str]:
    return [f"{i:040x}" for i in range(start, start + n)]


def _fill(store_dir: Path, n: int = 200) -> None:
    store = Store(store_dir)
    store.put_many(_rows(0, n))
    store.close()


@contextmanager
def tmpfs(where: Path, size: str):
    if os.geteuid() != 0:
        pytest.skip("a real full or read-only disk needs a tmpfs mount, which needs root")
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def _fill_disk(where: Path) -> None:
    with (where / "filler").open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    try:  # the last partial blocks
        with (where / "filler2").open("wb") as fh:
            while True:
                fh.write(b"\0")
                fh.flush()
    except OSError:
        pass


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_full_disk_keeps_a_healthy_cache(tmp_path, caplog):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        cache = disk / "cache"
        _fill(cache)
        _fill_disk(disk)
        caplog.clear()
        store = Store(cache)  # must not raise, must not set the file aside
        assert len(store.get_many(_shas(0, 200), FP)) == 200
        store.put_many(_rows(1000, 50))
        store.put_many(_rows(2000, 50))
        store.close()
        warned = _warnings(caplog)
        assert len(warned) == 1 and "not cached this run" in warned[0] and "damaged" not in warned[0], warned
        assert not list(cache.glob("*.damaged-*"))
        # Room again: the same file serves every old analysis and takes new ones.
        (disk / "filler").unlink()
        (disk / "filler2").unlink(missing_ok=True)
        caplog.clear()
        store = Store(cache)
        assert len(store.get_many(_shas(0, 200), FP)) == 200
        store.put_many(_rows(1000, 5))
        assert len(store.get_many(_shas(1000, 5), FP)) == 5
        store.close()
        assert _warnings(caplog) == []


def test_read_only_cache_is_read_not_called_damaged(tmp_path, caplog):
    with tmpfs(tmp_path / "disk", "4m") as disk:
        cache = disk / "cache"
        _fill(cache)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        caplog.clear()
        store = Store(cache)
        assert len(store.get_many(_shas(0, 200), FP)) == 200
        store.put_many(_rows(1000, 5))  # silently not written: the warning at open said so
        store.close()
        warned = _warnings(caplog)
        assert len(warned) == 1 and "read-only" in warned[0] and "damaged" not in warned[0], warned
        assert sorted(p.name for p in cache.iterdir()) == [DB_NAME]


def test_cache_dir_that_cannot_be_created_is_not_fatal(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = Store(blocker / "cache")
    assert store.get_many(["a" * 40], FP) == {}
    store.put_many(_rows(0, 1))
    store.close()
    warned = _warnings(caplog)
    assert len(warned) == 1 and "not cached this run" in warned[0]


def _corrupt_interior_page(db: Path) -> None:
    """Overwrite one page in the middle of the file; page 1 (the header) stays intact, so the
    file opens and simple queries may even work."""
    page = 4096
    size = db.stat().st_size
    assert size > 8 * page, "the fixture cache is too small to have interior pages"
    with db.open("r+b") as fh:
        fh.seek((size // page // 2) * page)
        fh.write(bytes(range(256)) * (page // 256))


def test_interior_corruption_is_set_aside_once(tmp_path, caplog):
    cache = tmp_path / "cache"
    _fill(cache, 400)
    _corrupt_interior_page(cache / DB_NAME)
    caplog.clear()
    store = Store(cache)
    store.put_many(_rows(5000, 3))
    store.close()
    warned = _warnings(caplog)
    assert len(warned) == 1 and "damaged" in warned[0] and "set aside" in warned[0], warned
    assert len(list(cache.glob(f"{DB_NAME}.damaged-*"))) == 1
    # The next run finds a healthy cache: nothing set aside again, what it wrote is there.
    caplog.clear()
    store = Store(cache)
    assert len(store.get_many(_shas(5000, 3), FP)) == 3
    store.close()
    assert _warnings(caplog) == []
    assert len(list(cache.glob(f"{DB_NAME}.damaged-*"))) == 1


def test_a_full_output_disk_leaves_no_markdown_without_its_twin(make_repo, tmp_path):
    from conftest import run_cli

    repo = make_repo("svc")
    repo.commit("feat: one change", {f"src/m{i}.py": f"A = {i}\n" for i in range(12)},
                when="2026-01-13T10:00:00+08:00")
    args = ("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "+08:00", "-q")
    sizes = run_cli(*args, "--out", str(tmp_path / "probe"))
    assert sizes.returncode == 0, sizes.stderr
    md, twin = ((tmp_path / "probe" / f"2026-01-13.{s}").stat().st_size for s in ("md", "json"))
    assert md < 4096 < twin, (md, twin)  # one free page holds the Markdown, not the twin
    with tmpfs(tmp_path / "disk", "256k") as disk:
        out = disk / "out"
        out.mkdir()
        (out / ".commitdigest.lock").touch()
        _fill_disk(disk)
        (disk / "filler2").unlink(missing_ok=True)
        with (disk / "filler").open("r+b") as fh:  # free exactly one page
            fh.truncate((disk / "filler").stat().st_size - 4096)
        r = run_cli(*args, "--out", str(out))
        assert r.returncode == 5 and r.stderr.count("\n") == 1 and "No space left" in r.stderr, r.stderr
        assert sorted(p.name for p in out.iterdir()) == [".commitdigest.lock"]
