"""Lean mirrors over a real transport: a `git daemon` on 127.0.0.1 serving a bare repository,
with and without partial-clone support. `run` mirrors blob-less, fetches a window's blobs in one
request, reports what a full mirror reports, falls back to full with one line, and trims."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import run_cli

from commitdigest.git import mirror
from commitdigest.window import make_window, parse_zone

DAY = "2026-01-13"


def _has_git_daemon() -> bool:
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True,
                               check=False).stdout.strip()
    return bool(exec_path) and (Path(exec_path) / "git-daemon").is_file()


pytestmark = pytest.mark.skipif(not _has_git_daemon(), reason="git daemon is not installed")


class Daemon:
    """`git daemon` on a free loopback port; every upload-pack request is a line in its log."""

    def __init__(self, base: Path):
        self.base, self.log = base, base / "daemon.log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._log_file = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--verbose", "--log-destination=stderr",
             f"--base-path={base}", "--listen=127.0.0.1", f"--port={self.port}", "--timeout=60",
             "--init-timeout=10", "--max-connections=8", str(base)],
            stdout=subprocess.DEVNULL, stderr=self._log_file)
        for _ in range(200):  # until it listens (it stops with the fixture in any case)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                import time
                time.sleep(0.05)
        self.stop()
        pytest.skip("git daemon did not start")

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def requests(self) -> int:
        return self.log.read_text(errors="replace").count("Request upload-pack")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()


@pytest.fixture
def served(make_repo, tmp_path):
    """A history with sizeable files: older days, the day reported (3 commits touching 5 files,
    with a modification, a rename and a deletion), and a .mailmap at HEAD (never read: authors are
    shown as the commits record them)."""
    work = make_repo("work")

    def big(n, v):
        return "".join(f"line {i} of {n} v{v} " + "x" * 60 + "\n" for i in range(400))

    work.commit("feat: first", {"src/a.py": big("a", 1), "src/b.py": big("b", 1), "docs/c.md": big("c", 1)},
                when="2026-01-10T10:00:00+08:00")
    work.commit("chore: mailmap", {".mailmap": "Alice Example <alice@example.com> <old@example.com>\n"},
                when="2026-01-11T10:00:00+08:00")
    work.commit("fix: a", {"src/a.py": big("a", 2)}, when=f"{DAY}T09:00:00+08:00")
    work.git("mv", "docs/c.md", "docs/renamed.md")
    work.commit("docs: rename c", {"src/new.py": big("new", 1)}, when=f"{DAY}T10:00:00+08:00")
    work.commit("refactor: drop b", {"src/b.py": None, "src/a.py": big("a", 3)}, when=f"{DAY}T11:00:00+08:00")
    root = tmp_path / "served"
    root.mkdir()
    for name, allow in (("lean-ok.git", True), ("no-filter.git", False)):
        subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(root / name)], check=True)
        if allow:
            subprocess.run(["git", "-C", str(root / name), "config", "uploadpack.allowFilter", "true"], check=True)
            subprocess.run(["git", "-C", str(root / name), "config", "uploadpack.allowAnySHA1InWant", "true"],
                           check=True)
    daemon = Daemon(root)
    yield work, daemon
    daemon.stop()


def _config(tmp_path: Path, url: str, extra: str = "", name: str = "cfg.toml") -> Path:
    p = tmp_path / name
    p.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n{extra}\n[[repos]]\nurl = "{url}"\nname = "acme/lib"\n'
                 f'[output]\ndir = "out-{name}"\nformats = ["md", "json"]\n')
    return p


def _facts(out: Path) -> list:
    data = json.loads((out / f"{DAY}.json").read_text())
    return [(c["sha"], c["subject"], c["author"], c["read_error"],
             [(f["path"], f["status"], f["insertions"], f["deletions"]) for f in c["files"]])
            for c in data["repos"][0]["commits"]]


def _mirror(cache: Path) -> Path:
    (found,) = (cache / "mirrors").glob("*.git")
    return found


def _git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False).stdout.strip()


def test_run_mirrors_lean_fetches_a_window_in_one_request_and_reports_like_a_full_mirror(served, tmp_path):
    _, daemon = served
    url = daemon.url("lean-ok.git")
    lean_cache, full_cache = tmp_path / "lean-cache", tmp_path / "full-cache"

    r = run_cli("run", "--config", str(_config(tmp_path, url)), "--date", DAY, "--no-notify",
                "--cache-dir", str(lean_cache))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lean = _mirror(lean_cache)
    assert _git(lean, "config", "remote.origin.promisor") == "true"
    assert _git(lean, "config", "remote.origin.partialclonefilter") == "blob:none"
    # The clone and one batched blob fetch (the day needs 6 file versions; the .mailmap is not
    # read): git's own lazy fetching asks once per commit.
    assert daemon.requests() == 2
    lean_facts = _facts(tmp_path / "out-cfg.toml")

    before = daemon.requests()
    full = run_cli("run", "--config", str(_config(tmp_path, url, 'mirror = "full"', name="full.toml")),
                   "--date", DAY, "--no-notify", "--cache-dir", str(full_cache))
    assert full.returncode == 0, full.stderr
    assert _git(_mirror(full_cache), "config", "remote.origin.promisor") == ""
    assert daemon.requests() == before + 1  # a full clone reads everything at once
    full_facts = _facts(tmp_path / "out-full.toml")

    assert lean_facts == full_facts
    assert [c[1] for c in lean_facts] == ["refactor: drop b", "docs: rename c", "fix: a"]
    assert all(c[3] is None for c in lean_facts)  # every diff was readable
    by_subject = {c[1]: c[4] for c in lean_facts}
    assert ("src/b.py", "D", 0, 400) in by_subject["refactor: drop b"]
    assert ("docs/renamed.md", "R", 0, 0) in by_subject["docs: rename c"]
    # The lean mirror holds the day's blobs only, far less than the full one.
    lean_blobs = _git(lean, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split().count("blob")
    assert 0 < lean_blobs < 12


def test_rerun_of_a_fetched_window_asks_the_server_for_no_blob(served, tmp_path):
    _, daemon = served
    cfg = _config(tmp_path, daemon.url("lean-ok.git"))
    cache = tmp_path / "cache"
    assert run_cli("run", "--config", str(cfg), "--date", DAY, "--no-notify", "--cache-dir", str(cache)).returncode == 0
    before = daemon.requests()
    again = run_cli("run", "--config", str(cfg), "--date", DAY, "--no-notify", "--force", "--no-cache",
                    "--cache-dir", str(cache))
    assert again.returncode == 0, again.stderr
    assert daemon.requests() == before + 1  # the update fetch; the blobs are already here


def test_a_server_without_filters_gets_a_full_mirror_and_one_line_saying_why(served, tmp_path):
    _, daemon = served
    cache = tmp_path / "cache"
    r = run_cli("run", "--config", str(_config(tmp_path, daemon.url("no-filter.git"))), "--date", DAY,
                "--no-notify", "--cache-dir", str(cache))
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "does not allow partial clones" in lines[0] and "mirrored in full" in lines[0]
    m = _mirror(cache)
    assert _git(m, "config", "remote.origin.promisor") == ""
    assert not list((m / "objects" / "pack").glob("*.promisor"))
    assert [c[1] for c in _facts(tmp_path / "out-cfg.toml")] == ["refactor: drop b", "docs: rename c", "fix: a"]
    again = run_cli("run", "--config", str(_config(tmp_path, daemon.url("no-filter.git"))), "--date", DAY,
                    "--no-notify", "--force", "--cache-dir", str(cache))
    assert again.returncode == 0 and again.stderr == ""  # said once, at the clone


def test_trim_drops_fetched_blobs_every_n_updates_and_the_next_report_still_reads(served, tmp_path, monkeypatch):
    _work, daemon = served
    cfg = _config(tmp_path, daemon.url("lean-ok.git"))
    cache = tmp_path / "cache"
    assert run_cli("run", "--config", str(cfg), "--date", DAY, "--no-notify", "--cache-dir", str(cache)).returncode == 0
    m = _mirror(cache)

    def blobs() -> int:
        return _git(m, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split().count("blob")

    assert blobs() > 0
    objects_before = set(_git(m, "rev-list", "--objects", "--all", "--filter=blob:none").split())
    monkeypatch.setattr(mirror, "TRIM_GROWTH", 1000.0)  # the count alone decides here
    monkeypatch.setattr(mirror, "TRIM_EVERY", 3)
    results = [mirror.ensure_mirror(daemon.url("lean-ok.git"), cache) for _ in range(3)]
    assert [r.trimmed for r in results] == [False, False, True]
    assert blobs() == 0
    assert set(_git(m, "rev-list", "--objects", "--all", "--filter=blob:none").split()) == objects_before
    assert len(list((m / "objects" / "pack").glob("*.pack"))) == 1

    r = run_cli("run", "--config", str(cfg), "--date", DAY, "--no-notify", "--force", "--no-cache",
                "--cache-dir", str(cache))
    assert r.returncode == 0, r.stderr
    assert all(c[3] is None for c in _facts(tmp_path / "out-cfg.toml"))


def test_mirror_full_turns_an_existing_lean_mirror_full(served, tmp_path):
    _, daemon = served
    cache = tmp_path / "cache"
    url = daemon.url("lean-ok.git")
    lean = mirror.ensure_mirror(url, cache)
    assert lean.lean
    stale = lean.path.with_name(lean.path.name + ".full")  # a run killed halfway through this
    (stale / "objects").mkdir(parents=True)
    m = mirror.ensure_mirror(url, cache, kind="full")
    assert not m.lean and _git(m.path, "config", "remote.origin.promisor") == ""
    every_blob = _git(daemon.base / "lean-ok.git", "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)")
    assert _git(m.path, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split().count("blob") \
        == every_blob.split().count("blob") == 7
    assert not mirror.ensure_mirror(url, cache, kind="lean").lean  # a full mirror stays full
    assert not list(cache.glob("mirrors/*.old")) and not list(cache.glob("mirrors/*.full"))


def test_mirror_key_is_checked_with_its_name(tmp_path):
    cfg = _config(tmp_path, "https://github.com/acme/lib", 'mirror = "thin"')
    r = run_cli("run", "--config", str(cfg), "--no-notify")
    assert r.returncode == 4
    assert r.stderr.startswith("commitdigest: error: ") and "mirror" in r.stderr and "'lean'" in r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_file_urls_stay_full_by_default(make_repo, tmp_path):
    src = make_repo("src")
    src.commit("feat: x", {"x.py": "x = 1\n"})
    assert not mirror.wants_lean(src.path.as_uri(), "auto")
    assert mirror.wants_lean("https://github.com/acme/lib", "auto")
    assert mirror.wants_lean("git@github.com:acme/lib.git", "auto")
    assert not mirror.wants_lean("https://github.com/acme/lib", "full")
    got = mirror.ensure_mirror(src.path.as_uri(), tmp_path / "cache")
    assert not got.lean and not os.path.exists(got.path / "objects" / "info" / "promisor")


def test_a_mirror_grown_to_twice_its_lean_size_is_trimmed_at_the_next_update(served, tmp_path, monkeypatch):
    _, daemon = served
    monkeypatch.setattr(mirror, "TRIM_MIN_BYTES", 0)  # a small repository: its growth is all in kilobytes
    url = daemon.url("lean-ok.git")
    cache = tmp_path / "cache"
    m = mirror.ensure_mirror(url, cache).path
    assert not mirror.ensure_mirror(url, cache).trimmed  # nothing fetched yet: no reason to trim
    window = make_window(date(2026, 1, 13), date(2026, 1, 13), parse_zone("Asia/Shanghai"))
    assert mirror.prefetch_window(m, "refs/heads/main", window) == 6  # the 6 file versions the day's diffs need
    assert mirror.prefetch_window(m, "refs/heads/main", window) == 0  # all here now
    assert mirror.ensure_mirror(url, cache).trimmed
    assert mirror.prefetch_window(m, "refs/heads/main", window) == 6  # dropped, fetched again on demand
