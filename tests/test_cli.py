"""The CLI as a user meets it: a separate process, files on disk, stderr and exit codes."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli


@pytest.fixture
def day_repo(make_repo):
    repo = make_repo("proj")
    repo.commit("feat: add parser (#12)", {"src/parser.py": "def parse(x):\n    return x\n"},
                when="2026-01-13T09:00:00+08:00")
    repo.commit("docs: explain parser", {"docs/parser.md": "# Parser\n"}, when="2026-01-13T10:00:00+08:00")
    repo.commit("fix: parser edge case", {"src/parser.py": "def parse(x):\n    return x or None\n"},
                when="2026-01-14T10:00:00+08:00")
    repo.git("remote", "add", "origin", "https://github.com/acme/proj.git")
    return repo


def assert_one_line_error(result, code, fragment):
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("commitdigest: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_report_writes_md_and_json(day_repo, tmp_path):
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(out / "2026-01-13.md"), str(out / "2026-01-13.json")]
    md = (out / "2026-01-13.md").read_text()
    assert md.startswith("# 每日更新报告（2026-01-13）\n")
    assert "## acme/proj" in md
    assert "[#12](https://github.com/acme/proj/pull/12)" in md
    data = json.loads((out / "2026-01-13.json").read_text())
    assert [c["subject"] for c in data["repos"][0]["commits"]] == ["docs: explain parser", "feat: add parser (#12)"]
    assert data["repos"][0]["commits"][1]["pr"] == 12
    assert data["window"] == {"start": "2026-01-13T00:00:00+08:00", "end": "2026-01-14T00:00:00+08:00"}
    # no temp files left; the hidden lock file is where `run` and `report` take turns
    assert sorted(p.name for p in out.iterdir()) == [".commitdigest.lock", "2026-01-13.json", "2026-01-13.md"]


def test_period_report_and_english(day_repo, tmp_path):
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(day_repo.path), "--since", "2026-01-13", "--until", "2026-01-14",
                "--tz", "+08:00", "--lang", "en", "--format", "md", "--out", str(out))
    assert r.returncode == 0, r.stderr
    md = (out / "2026-01-13_2026-01-14.md").read_text()
    assert md.startswith("# Update Report (2026-01-13 ~ 2026-01-14)\n")
    assert "3 commits in this period" in md
    assert not (out / "2026-01-13_2026-01-14.json").exists()


def test_several_repos_one_report(day_repo, make_repo, tmp_path):
    other = make_repo("other")
    other.commit("chore: tidy", {"x.txt": "x"}, when="2026-01-13T12:00:00+08:00")
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(day_repo.path), "--repo", str(other.path), "--date", "2026-01-13",
                "--tz", "Asia/Shanghai", "--out", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "2026-01-13.json").read_text())
    assert [repo["name"] for repo in data["repos"]] == ["acme/proj", "other"]
    md = (out / "2026-01-13.md").read_text()
    assert md.index("## acme/proj") < md.index("## other")


def test_rerun_uses_cache(day_repo, tmp_path):
    args = ["report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
            "--format", "json"]
    first = run_cli(*args, "--out", str(tmp_path / "a"))
    second = run_cli(*args, "--out", str(tmp_path / "b"))
    nocache = run_cli(*args, "--out", str(tmp_path / "c"), "--no-cache")
    assert first.returncode == second.returncode == nocache.returncode == 0
    usage = [json.loads((tmp_path / d / "2026-01-13.json").read_text())["usage"] for d in "abc"]
    assert [u["cache_hits"] for u in usage] == [0, 2, 0]
    a, b = (json.loads((tmp_path / d / "2026-01-13.json").read_text())["repos"] for d in "ab")
    assert a == b  # the cached analysis is the same record


def test_cache_dir_option_and_env(day_repo, tmp_path):
    cache = tmp_path / "mycache"
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--tz", "UTC",
                "--cache-dir", str(cache), "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert (cache / "cache.sqlite3").exists()
    cache2 = tmp_path / "envcache"
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--tz", "UTC",
                "--out", str(tmp_path / "o2"), env={"COMMITDIGEST_CACHE_DIR": str(cache2)})
    assert r.returncode == 0 and (cache2 / "cache.sqlite3").exists()


def test_empty_day_still_reports(day_repo, tmp_path):
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-20", "--tz", "Asia/Shanghai",
                "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "2026-01-20.md").read_text()
    assert "本日无提交" in md
    data = json.loads((tmp_path / "2026-01-20.json").read_text())
    assert data["repos"][0]["commits"] == [] and data["repos"][0]["stats"]["total"] == 0


def test_analyze_one_commit(day_repo):
    r = run_cli("analyze", "HEAD~1", "--repo", str(day_repo.path), "--tz", "Asia/Shanghai")
    assert r.returncode == 0, r.stderr
    assert "#### docs: explain parser" in r.stdout
    r = run_cli("analyze", "HEAD~2", "--repo", str(day_repo.path), "--format", "json", "--lang", "en")
    data = json.loads(r.stdout)
    assert data["subject"] == "feat: add parser (#12)"
    assert data["analysis"]["change_type"] == "feature"
    assert data["url"].startswith("https://github.com/acme/proj/commit/")


@pytest.mark.parametrize("extra, code, fragment", [
    (["--date", "2026-13-01"], 2, "invalid date '2026-13-01'"),
    (["--date", "13/01/2026"], 2, "invalid date"),
    (["--tz", "Mars/Olympus"], 2, "unknown time zone 'Mars/Olympus'"),
    (["--since", "2026-01-14", "--until", "2026-01-13"], 2, "is after --until"),
    (["--date", "2026-01-13", "--since", "2026-01-12"], 2, "either --date or --since"),
    (["--lang", "fr"], 2, "unknown language 'fr'"),
    (["--format", "pdf"], 2, "unknown format 'pdf'"),
    (["--branch", "nope"], 3, "unknown branch 'nope'"),
    (["--bogus"], 2, "No such option"),
])
def test_bad_input_one_line_no_files(day_repo, tmp_path, extra, code, fragment):
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(day_repo.path), "--out", str(out), *extra)
    assert_one_line_error(r, code, fragment)
    assert not out.exists()


def test_bad_repositories(make_repo, tmp_path):
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(tmp_path / "missing"), "--out", str(out))
    assert_one_line_error(r, 3, "no such file or directory")
    (tmp_path / "plain").mkdir()
    r = run_cli("report", "--repo", str(tmp_path / "plain"), "--out", str(out))
    assert_one_line_error(r, 3, "not a git repository")
    empty = make_repo("empty")
    r = run_cli("report", "--repo", str(empty.path), "--out", str(out))
    assert_one_line_error(r, 3, "empty repository")
    r = run_cli("analyze", "deadbeef", "--repo", str(tmp_path / "plain"))
    assert_one_line_error(r, 3, "not a git repository")
    assert not out.exists()


def test_unknown_revision(day_repo):
    r = run_cli("analyze", "no-such-rev", "--repo", str(day_repo.path))
    assert_one_line_error(r, 3, "unknown revision 'no-such-rev'")


def test_unwritable_output(day_repo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--out", str(blocker / "sub"))
    assert_one_line_error(r, 5, "cannot create output directory")


def test_help_and_version():
    r = run_cli("--help")
    assert r.returncode == 0 and "Examples:" in r.stdout and "Exit codes:" in r.stdout
    r = run_cli("report", "--help")
    assert r.returncode == 0 and "commitdigest report --repo" in r.stdout
    r = run_cli("--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout


def test_quiet_when_not_a_tty(day_repo, tmp_path):
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--out", str(tmp_path))
    assert r.returncode == 0 and r.stderr == ""


def test_damaged_cache_is_set_aside_not_fatal(day_repo, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache.sqlite3").write_bytes(b"this is not a database" * 100)
    r = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--cache-dir", str(cache), "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("commitdigest: warning: the cache ") and "is damaged" in r.stderr
    assert len(list(cache.glob("cache.sqlite3.damaged-*"))) == 1
    assert (tmp_path / "o" / "2026-01-13.md").is_file()
    again = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--cache-dir", str(cache), "--out", str(tmp_path / "o"))
    assert again.returncode == 0 and again.stderr == ""
    assert json.loads((tmp_path / "o" / "2026-01-13.json").read_text())["usage"]["cache_hits"] == 2
