"""Odd and hostile input at the command line: each is one clear line and a sensible exit code,
never "internal error"; text from repositories never drives the terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from conftest import run_cli
from filelock import FileLock

DAY = "2026-01-13"
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"


@pytest.fixture
def repo(make_repo):
    r = make_repo("proj")
    r.commit(f"feat: parser {CLEAR}cleared {TITLE}titled\x1b[31m red", {"src/parser.py": "def parse(x):\n    return x\n"},
             when=f"{DAY}T09:00:00+08:00")
    return r


def one_line(result, code, fragment):
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("commitdigest: error: ") and fragment in lines[0], result.stderr
    assert "internal error" not in result.stderr


def test_deeply_nested_toml_is_a_config_error(repo, tmp_path):
    (tmp_path / "commitdigest.toml").write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    one_line(run_cli("run", cwd=tmp_path), 4, "nested too deeply")
    (tmp_path / "commitdigest.toml").write_text("a = " + "{b=" * 3000 + "1" + "}" * 3000 + "\n")
    one_line(run_cli("report", "--repo", str(repo.path), cwd=tmp_path), 4, "nested too deeply")


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_bad_input(repo, tmp_path, value):
    one_line(run_cli("report", "--repo", str(repo.path), "--date", value, "--allow-future", "--tz", "+08:00",
                     "--out", str(tmp_path / "o")), 2, f"invalid date '{value}'")


def test_a_future_date_is_refused_unless_allowed(repo, tmp_path):
    zone = timezone(timedelta(hours=14))
    tomorrow = (datetime.now(zone).date() + timedelta(days=1)).isoformat()
    r = run_cli("report", "--repo", str(repo.path), "--date", tomorrow, "--tz", "+14:00", "--out", str(tmp_path / "o"))
    one_line(r, 2, f"--date {tomorrow} is after today")
    assert "--allow-future" in r.stderr and not (tmp_path / "o").exists()
    r = run_cli("report", "--repo", str(repo.path), "--since", DAY, "--until", "2099-01-01", "--tz", "+14:00",
                "--out", str(tmp_path / "o"))
    one_line(r, 2, "--until 2099-01-01 is after today")
    r = run_cli("report", "--repo", str(repo.path), "--date", tomorrow, "--tz", "+14:00", "--allow-future",
                "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    (tmp_path / "commitdigest.toml").write_text(f'[[repos]]\npath = "{repo.path}"\n[output]\ndir = "out"\n')
    one_line(run_cli("run", "--date", "2099-01-01", cwd=tmp_path), 2, "--date 2099-01-01 is after today")


@pytest.mark.parametrize("lang,heading", [("EN", "# Daily Update"), ("en-US", "# Daily Update"),
                                          ("en_GB", "# Daily Update"), ("zh-CN", "# 每日更新报告"),
                                          ("zh-Hans", "# 每日更新报告"), ("ZH", "# 每日更新报告")])
def test_language_is_case_insensitive_with_regional_aliases(repo, tmp_path, lang, heading):
    r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "+08:00", "--lang", lang,
                "--out", str(tmp_path / "o"), "--format", "md")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o" / f"{DAY}.md").read_text().startswith(heading)


def test_an_empty_out_is_bad_input(repo, tmp_path):
    one_line(run_cli("report", "--repo", str(repo.path), "--date", DAY, "--out", "", cwd=tmp_path), 2, "--out")
    (tmp_path / "commitdigest.toml").write_text(f'[[repos]]\npath = "{repo.path}"\n')
    one_line(run_cli("run", "--date", DAY, "--out", "", cwd=tmp_path), 2, "--out")
    assert not list(tmp_path.glob("*.md"))


def test_report_honours_the_lock_a_run_holds(repo, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    with FileLock(str(out / ".commitdigest.lock")):
        r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--out", str(out),
                    env={"COMMITDIGEST_LOCK_WAIT": "0.2"})
    one_line(r, 8, "another commitdigest run is writing here")
    assert not list(out.glob("*.md"))
    r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--out", str(out))
    assert r.returncode == 0 and (out / f"{DAY}.md").is_file()


def test_stdout_on_a_full_device_is_one_line_exit_5(repo, tmp_path):
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "commitdigest", "analyze", "HEAD", "--repo", str(repo.path)],
                           check=False, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 5, r.stderr
    assert r.stderr == "commitdigest: error: cannot write to standard output: No space left on device\n"


def test_a_closed_pipe_ends_quietly(repo):
    read, write = os.pipe()
    os.close(read)  # the reader (`| head -c1`) is gone before the first byte
    try:
        r = subprocess.run([sys.executable, "-m", "commitdigest", "analyze", "HEAD", "--repo", str(repo.path),
                            "--format", "json"], check=False, stdout=write, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    finally:
        os.close(write)
    assert r.returncode == 0 and r.stderr == ""


def test_terminal_escapes_in_commit_text_never_reach_the_terminal(repo):
    r = run_cli("analyze", "HEAD", "--repo", str(repo.path), "--tz", "+08:00")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "parser cleared titled red" in r.stdout
    data = json.loads(run_cli("analyze", "HEAD", "--repo", str(repo.path), "--format", "json").stdout)
    assert data["subject"].startswith("feat: parser \x1b[2J")  # JSON keeps the text, escaped as \u001b


def _through_a_terminal(args, cwd) -> bytes:
    """Run the CLI on a pseudo-terminal (so the progress display is on) and return all it drew."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "commitdigest", *args], cwd=cwd, stdin=follower,
                            stdout=follower, stderr=follower, env={**os.environ, "COLUMNS": "120"})
    os.close(follower)
    drawn = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        drawn += chunk
    proc.wait(timeout=60)
    os.close(leader)
    return drawn


def test_escapes_in_a_repository_name_never_reach_the_progress_display(make_repo, tmp_path):
    r = make_repo(f"evil{TITLE}{CLEAR}")
    r.commit("feat: x", {"src/x.py": "X = 1\n"}, when=f"{DAY}T09:00:00+08:00")
    drawn = _through_a_terminal(["report", "--repo", str(r.path), "--date", DAY, "--tz", "+08:00", "--out",
                                 str(tmp_path / "o")], tmp_path)
    assert (tmp_path / "o" / f"{DAY}.md").is_file(), drawn
    assert b"]0;pwned" not in drawn and CLEAR.encode() not in drawn


LONG_ZONE = "Area/" + "X" * 295  # 300 characters: a file name too long for the OS's zoneinfo lookup


@pytest.mark.parametrize("argv,env,config,code,fragment", [
    (["report", "--out", "x" * 300], {}, None, 5, "File name too long"),
    (["report", "--web-url", "https://[::1/a/b"], {}, None, 2, "not a GitHub or GitLab project URL"),
    (["report", "--analyzer", "llm", "--llm-model", "m", "--llm-base-url", "http://[::1"], {}, None, 6,
     "base_url"),
    (["report", "--analyzer", "llm", "--llm-model", "m"], {"COMMITDIGEST_LLM_BASE_URL": "http://[::1"}, None, 6,
     "base_url"),
    (["rollup", "--month", "9999-12"], {}, None, 2, "use a period between 1900-01-01 and 9998-12-31"),
    (["rollup", "--week", "9999-W52"], {}, None, 2, "use a period between 1900-01-01 and 9998-12-31"),
    (["report", "--tz", LONG_ZONE], {}, None, 2, "unknown time zone"),
    (["run", "--date", DAY], {"COMMITDIGEST_TIMEZONE": LONG_ZONE}, "", 4, "COMMITDIGEST_TIMEZONE: unknown time zone"),
    (["run", "--date", DAY], {}, f'timezone = "{LONG_ZONE}"\n', 4, "timezone: unknown time zone"),
], ids=["long-out", "web-url", "llm-base-url", "llm-base-url-env", "month-9999-12", "week-9999-52", "tz-flag",
        "tz-env", "tz-config"])
def test_odd_values_are_one_line_with_their_exit_code(repo, tmp_path, argv, env, config, code, fragment):
    if config is not None:
        (tmp_path / "commitdigest.toml").write_text(f'{config}[[repos]]\npath = "{repo.path}"\n')
    else:
        argv = [*argv, "--repo", str(repo.path)]
    r = run_cli(*argv, cwd=tmp_path, env=env)
    one_line(r, code, fragment)
    if "time zone" in fragment:
        assert LONG_ZONE not in r.stderr and "(300 characters)" in r.stderr  # named, not repeated whole
