"""`commitdigest run` as cron runs it: a config file, local bare repositories as remotes over
file:// (real git transport), mirrors in the cache, idempotent reruns, failures isolated to their
repository, a lock against overlapping runs."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli
from filelock import FileLock

DAY = "2026-01-13"


def push_remote(make_repo, tmp_path: Path, name: str) -> tuple[GitRepo, Path]:
    """A working repo whose commits are pushed to a bare repo, which the config follows by URL."""
    work = make_repo(f"{name}-work")
    bare = tmp_path / "remotes" / f"{name}.git"
    bare.parent.mkdir(exist_ok=True)
    GitRepo(bare, bare=True)
    work.git("remote", "add", "origin", bare.as_uri())
    return work, bare


def config(tmp_path: Path, body: str, formats: str = '"md", "json"') -> Path:
    p = tmp_path / "commitdigest.toml"
    p.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n{body}\n[output]\ndir = "out"\nformats = [{formats}]\n')
    return p


@pytest.fixture
def two_repos(make_repo, tmp_path):
    remote_work, bare = push_remote(make_repo, tmp_path, "engine")
    remote_work.commit("feat: engine start", {"src/engine.rs": "fn start() {}\n"}, when=f"{DAY}T09:00:00+08:00")
    remote_work.commit("docs: engine", {"docs/engine.md": "# Engine\n"}, when=f"{DAY}T10:00:00+08:00")
    remote_work.git("push", "-q", "origin", "main")
    local = make_repo("tool")
    local.commit("fix: tool crash on empty input", {"tool/main.py": "def main():\n    pass\n"},
                 when=f"{DAY}T11:00:00+08:00")
    cfg = config(tmp_path, f'[[repos]]\nurl = "{bare.as_uri()}"\nname = "acme/engine"\n'
                           'web_url = "https://github.com/acme/engine"\n\n'
                           f'[[repos]]\npath = "{local.path}"\n')
    return remote_work, local, cfg


def test_run_mirrors_reports_and_reruns_idempotently(two_repos, tmp_path):
    remote_work, _, cfg = two_repos
    r = run_cli("run", "--date", DAY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    assert r.stdout.split() == [str(out / f"{DAY}.md"), str(out / f"{DAY}.json")]
    data = json.loads((out / f"{DAY}.json").read_text())
    assert [s["name"] for s in data["repos"]] == ["acme/engine", "tool"]  # config order
    assert [c["subject"] for c in data["repos"][0]["commits"]] == ["docs: engine", "feat: engine start"]
    sha = data["repos"][0]["commits"][0]["sha"]
    assert data["repos"][0]["commits"][0]["url"] == f"https://github.com/acme/engine/commit/{sha}"
    assert data["repos"][1]["commits"][0]["url"] is None  # a local repository without an origin
    assert [c["subject"] for c in data["repos"][1]["commits"]] == ["fix: tool crash on empty input"]
    mirrors = list(Path(os.environ["COMMITDIGEST_CACHE_DIR"]).glob("mirrors/*.git"))
    assert len(mirrors) == 1 and (mirrors[0] / "HEAD").is_file()

    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    again = run_cli("run", "--date", DAY, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "" and "already reported" in again.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")} == before

    # A commit lands upstream later that day: --force fetches it into the existing mirror.
    remote_work.commit("fix: engine stop", {"src/engine.rs": "fn start() {}\nfn stop() {}\n"},
                       when=f"{DAY}T20:00:00+08:00")
    remote_work.git("push", "-q", "origin", "main")
    forced = run_cli("run", "--date", DAY, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    data = json.loads((out / f"{DAY}.json").read_text())
    assert data["repos"][0]["commits"][0]["subject"] == "fix: engine stop"
    assert data["usage"]["cache_hits"] == 3  # only the new commit was analysed


def test_unreachable_remote_is_reported_and_the_rest_written(make_repo, tmp_path):
    local = make_repo("tool")
    local.commit("fix: tool", {"tool/main.py": "x = 1\n"}, when=f"{DAY}T11:00:00+08:00")
    config(tmp_path, f'[[repos]]\nurl = "{(tmp_path / "missing.git").as_uri()}"\nname = "gone/repo"\n\n'
                     f'[[repos]]\npath = "{local.path}"\n')
    r = run_cli("run", "--date", DAY, cwd=tmp_path)
    assert r.returncode == 7, r.stderr
    assert "commitdigest: warning: gone/repo:" in r.stderr and "clone failed" in r.stderr
    assert "Traceback" not in r.stderr
    data = json.loads((tmp_path / "out" / f"{DAY}.json").read_text())
    gone, tool = data["repos"]
    assert gone["error"] and "clone failed" in gone["error"] and gone["commits"] == []
    assert tool["error"] is None and [c["subject"] for c in tool["commits"]] == ["fix: tool"]
    md = (tmp_path / "out" / f"{DAY}.md").read_text()
    assert "gone/repo" in md and "clone failed" in md
    # The remote comes back: a plain rerun (no --force) retries the unfinished day.
    work, bare = push_remote(make_repo, tmp_path, "back")
    work.commit("feat: back online", {"src/b.py": "B = 1\n"}, when=f"{DAY}T12:00:00+08:00")
    work.git("push", "-q", "origin", "main")
    bare.rename(tmp_path / "missing.git")
    r = run_cli("run", "--date", DAY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    gone, tool = json.loads((tmp_path / "out" / f"{DAY}.json").read_text())["repos"]
    assert gone["error"] is None and [c["subject"] for c in gone["commits"]] == ["feat: back online"]
    assert json.loads((tmp_path / "out" / f"{DAY}.json").read_text())["usage"]["cache_hits"] == 1


def test_credentials_in_a_url_never_reach_the_output(make_repo, tmp_path):
    config(tmp_path, '[[repos]]\nurl = "https://user:s3cr3t-t0ken@127.0.0.1:9/x/y.git"\n')
    r = run_cli("run", "--date", DAY, cwd=tmp_path, env={"GIT_HTTP_LOW_SPEED_TIME": "5"})
    assert r.returncode == 7, r.stderr
    texts = [r.stderr, r.stdout] + [p.read_text() for p in (tmp_path / "out").glob(f"{DAY}.*")]
    assert all("s3cr3t-t0ken" not in t for t in texts)
    assert "***@127.0.0.1" in r.stderr


def test_backfill_skips_done_days_and_fills_gaps(make_repo, tmp_path):
    repo = make_repo("svc")
    today = datetime.now().astimezone().date()
    for i in range(1, 4):
        day = today - timedelta(days=i)
        repo.commit(f"feat: change {i}", {f"src/m{i}.py": f"X = {i}\n"}, when=f"{day.isoformat()}T12:00:00+00:00")
    config(tmp_path, f'[[repos]]\npath = "{repo.path}"\n').write_text(
        (tmp_path / "commitdigest.toml").read_text().replace('timezone = "Asia/Shanghai"', 'timezone = "UTC"'))
    r = run_cli("run", "--backfill", "3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    days = sorted(p.stem for p in (tmp_path / "out").glob("*.json"))
    assert days == [(today - timedelta(days=i)).isoformat() for i in (3, 2, 1)]
    for i in (1, 2, 3):
        data = json.loads((tmp_path / "out" / f"{(today - timedelta(days=i)).isoformat()}.json").read_text())
        assert [c["subject"] for c in data["repos"][0]["commits"]] == [f"feat: change {i}"]
    gap = tmp_path / "out" / f"{(today - timedelta(days=2)).isoformat()}.md"
    gap.unlink()
    r = run_cli("run", "--backfill", "3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(gap), str(gap.with_suffix(".json"))]
    assert "2 day(s) already reported" in r.stderr


def test_path_filters_select_commits(make_repo, tmp_path):
    repo = make_repo("mono")
    repo.commit("feat: llm part", {"lib/llm/a.rs": "fn a() {}\n"}, when=f"{DAY}T09:00:00+08:00")
    repo.commit("docs: readme", {"README.md": "# M\n"}, when=f"{DAY}T10:00:00+08:00")
    repo.commit("feat: ui part", {"ui/b.ts": "export const b = 1\n"}, when=f"{DAY}T11:00:00+08:00")
    config(tmp_path, f'[[repos]]\npath = "{repo.path}"\ninclude = ["lib/*", "*.md"]\nexclude = ["*.md"]\n')
    r = run_cli("run", "--date", DAY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "out" / f"{DAY}.json").read_text())
    assert [c["subject"] for c in data["repos"][0]["commits"]] == ["feat: llm part"]


def test_a_second_run_while_one_holds_the_lock_exits_8(two_repos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with FileLock(str(out / ".commitdigest.lock")):
        r = run_cli("run", "--date", DAY, cwd=tmp_path)
    assert r.returncode == 8, r.stderr
    assert r.stderr.count("\n") == 1 and "another commitdigest run" in r.stderr
    assert not list(out.glob("*.md"))


@pytest.mark.parametrize("args,message", [
    (["--date", DAY, "--backfill", "2"], "use only one of --date, --since/--until and --backfill"),
    (["--until", DAY], "--until needs --since"),
    (["--since", "2026-01-14", "--until", "2026-01-13"], "after"),
    (["--format", "pdf"], "unknown format 'pdf'"),
    (["--tz", "Mars/Olympus"], "unknown time zone"),
])
def test_bad_options_are_one_line(two_repos, tmp_path, args, message):
    r = run_cli("run", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and message in r.stderr


def test_report_takes_a_url_and_mirrors_it(make_repo, tmp_path):
    work, bare = push_remote(make_repo, tmp_path, "remote-lib")
    work.commit("feat: remote work", {"src/r.py": "R = 1\n"}, when=f"{DAY}T09:00:00+08:00")
    work.git("push", "-q", "origin", "main")
    out = tmp_path / "o"
    r = run_cli("report", "--repo", bare.as_uri(), "--date", DAY, "--tz", "Asia/Shanghai", "--out", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads((out / f"{DAY}.json").read_text())
    assert data["repos"][0]["name"] == "remotes/remote-lib"
    assert [c["subject"] for c in data["repos"][0]["commits"]] == ["feat: remote work"]
    assert list(Path(os.environ["COMMITDIGEST_CACHE_DIR"]).glob("mirrors/*remote-lib*.git"))
    gone = run_cli("report", "--repo", (tmp_path / "nope.git").as_uri(), "--date", DAY, "--out", str(tmp_path / "x"))
    assert gone.returncode == 3 and gone.stderr.count("\n") == 1 and "clone failed" in gone.stderr
    assert not (tmp_path / "x").exists()


def test_skip_empty_writes_no_files_for_quiet_days(make_repo, tmp_path):
    from capture_server import CaptureServer

    repo = make_repo("svc")
    repo.commit("feat: the only change", {"src/a.py": "A = 1\n"}, when=f"{DAY}T10:00:00+08:00")
    with CaptureServer() as hook:
        config(tmp_path, f'[[repos]]\npath = "{repo.path}"\n[[notify]]\ntype = "webhook"\nurl = "{hook.url()}"\n')
        cfg = tmp_path / "commitdigest.toml"
        cfg.write_text(cfg.read_text().replace('[output]\n', '[output]\nskip_empty = true\n'))
        r = run_cli("run", "--since", "2026-01-12", "--until", "2026-01-14", "-q", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        out = tmp_path / "out"
        assert r.stdout.split() == [str(out / f"{DAY}.md"), str(out / f"{DAY}.json")]
        assert sorted(p.name for p in out.glob("2026-*")) == [f"{DAY}.json", f"{DAY}.md"]
        assert hook.posts == []  # the newest day (the 14th) was quiet: no page to announce
        r = run_cli("run", "--date", DAY, "--force", cwd=tmp_path)
        assert r.returncode == 0 and len(hook.posts) == 1
