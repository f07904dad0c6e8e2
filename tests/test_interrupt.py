"""A `run` killed at a random moment (SIGKILL, or Ctrl-C as SIGINT): its reports are whole or
absent, the Markdown is never there without its twin, and the next run leaves no temp file and
every day whole."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli

DAYS = ["2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15"]
SUFFIXES = ("md", "json", "html")
TRIES = 20


@pytest.fixture
def project(make_repo, tmp_path):
    repo = make_repo("svc")
    for d, day in enumerate(DAYS):
        for i in range(4):
            repo.commit(f"feat: part {d}.{i}", {f"src/m{d}_{i}.py": f"X = {i}\n" * 40},
                        when=f"{day}T{9 + i:02d}:00:00+08:00")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{repo.path}"\n'
        '[output]\ndir = "out"\nformats = ["md", "json", "html", "feed"]\n')
    return tmp_path


def _start(cwd: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "commitdigest", "run", "--since", DAYS[0], "--until", DAYS[-1],
                             "--out", str(out), "--no-notify", "-q"],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))


def _check_whole(out: Path, interrupted_by: int) -> None:
    if not out.is_dir():
        return
    for day in DAYS:
        present = {s for s in SUFFIXES if (out / f"{day}.{s}").is_file()}
        if "md" in present:  # the Markdown is renamed into place last
            assert present == set(SUFFIXES), (day, present)
        if interrupted_by == signal.SIGINT:  # Ctrl-C waits for the renames: all or nothing
            assert present in (set(), set(SUFFIXES)), (day, present)
        if "json" in present:
            assert json.loads((out / f"{day}.json").read_text())["repos"]
        if "html" in present:
            assert (out / f"{day}.html").read_text().rstrip().endswith("</html>")
        if "md" in present:
            assert (out / f"{day}.md").read_text().startswith("# ")


@pytest.mark.slow
def test_killed_runs_leave_whole_reports_and_the_next_run_cleans_up(project):
    # One undisturbed run, to learn how long a run takes here: kills land inside that span.
    started = time.monotonic()
    first = run_cli("run", "--since", DAYS[0], "--until", DAYS[-1], "--out", str(project / "warm"),
                    "--no-notify", "-q", cwd=project)
    span = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    rng = random.Random(20260113)
    killed_at_work = 0
    for n in range(TRIES):
        sig = signal.SIGKILL if n % 2 == 0 else signal.SIGINT
        out = project / f"out{n}"
        proc = _start(project, out)
        time.sleep(rng.uniform(0.1, span))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        killed_at_work += proc.returncode in (-sig, 130)
        if sig == signal.SIGINT and proc.returncode == 130:
            assert err.decode().strip() in ("commitdigest: error: aborted", "commitdigest: error: interrupted"), err
        _check_whole(out, sig)
        # The next run finishes the job: every day whole, no debris.
        again = run_cli("run", "--since", DAYS[0], "--until", DAYS[-1], "--out", str(out), "--no-notify", "-q",
                        cwd=project)
        assert again.returncode == 0, again.stderr
        assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
        for day in DAYS:
            assert all((out / f"{day}.{s}").is_file() for s in SUFFIXES)
    assert killed_at_work >= TRIES // 2  # most kills landed while the run was still working


def test_stale_temp_files_are_removed_by_the_next_writer(project):
    out = project / "out"
    out.mkdir()
    stale = [out / ".2026-01-13.md.abc123.tmp", out / ".index.html.x9.tmp"]
    for p in stale:
        p.write_text("half a report")
    keep = out / "notes.tmp"  # not one of ours: not hidden
    keep.write_text("mine")
    r = run_cli("report", "--repo", str(project / "svc"), "--date", DAYS[1], "--tz", "Asia/Shanghai",
                "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    assert not any(p.exists() for p in stale) and keep.read_text() == "mine"
