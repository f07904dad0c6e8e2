"""One run context for every command: a config in the working directory means the same thing to
report, rollup, run and analyze (repositories, zone, language, git time limit); the environment
lies over the file under one prefix with ``__`` for nested keys (the older names still work); flags
lie over both. And each command does only what it is asked: ``run --dry-run`` writes nothing,
``run --since/--until`` writes files only for its days and rollups only for the periods it
completes, a rollup whose repository cannot be read is not written, ``rollup --branch``."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli

from commitdigest import config
from commitdigest.errors import ConfigError

NS = {"a": "http://www.w3.org/2005/Atom"}


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def bare_of(work: GitRepo, where: Path) -> Path:
    """A bare copy of ``work`` (its branches as they are), to follow by file:// URL."""
    work.git("clone", "-q", "--bare", str(work.path), str(where))
    return where


@pytest.fixture
def two_repos(make_repo, tmp_path):
    """Two repositories on 2026-01-13, Asia/Shanghai: one commit at 07:00 (the 12th in UTC)
    and one at 23:30 (the 13th everywhere east of UTC-8)."""
    engine = make_repo("engine")
    engine.commit("feat: engine start", {"src/engine.rs": "fn start() {}\n"}, when="2026-01-13T07:00:00+08:00")
    tool = make_repo("tool")
    tool.commit("fix: tool crash on empty input", {"tool/main.py": "def main():\n    pass\n"},
                when="2026-01-13T23:30:00+08:00")
    (tmp_path / "commitdigest.toml").write_text(
        'timezone = "Asia/Shanghai"\nlanguage = "en-US"\n'
        f'[[repos]]\npath = "{engine.path}"\nname = "acme/engine"\n[[repos]]\npath = "{tool.path}"\n'
        '[output]\ndir = "site"\nformats = ["md", "json"]\n')
    return engine, tool


# ------------------------------------------------------------------ the same settings everywhere


def test_report_without_repo_reports_the_configs_repositories_in_its_zone_and_language(two_repos, tmp_path):
    r = run_cli("report", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "site"  # the config's output directory, relative to the file
    assert r.stdout.split() == [str(out / "2026-01-13.md"), str(out / "2026-01-13.json")]
    data = json.loads((out / "2026-01-13.json").read_text())
    assert [s["name"] for s in data["repos"]] == ["acme/engine", "tool"]
    assert data["timezone"] == "Asia/Shanghai" and data["language"] == "en"
    assert data["window"]["start"] == "2026-01-13T00:00:00+08:00"
    assert [len(s["commits"]) for s in data["repos"]] == [1, 1]  # 07:00 and 23:30 are both the 13th there
    assert (out / "2026-01-13.md").read_text().startswith("# Daily Update Report (2026-01-13)")
    # the environment beats the file, a flag beats both
    r = run_cli("report", "--date", "2026-01-13", "--dry-run", cwd=tmp_path,
                env={"COMMITDIGEST_LANGUAGE": "zh-CN", "COMMITDIGEST_TIMEZONE": "UTC"})
    assert r.returncode == 0 and r.stdout.startswith("# 每日更新报告（2026-01-13）")
    assert "feat: engine start" not in r.stdout and "fix: tool crash" in r.stdout  # 07:00+08 is the 12th in UTC
    r = run_cli("report", "--date", "2026-01-13", "--dry-run", "--lang", "en", "--tz", "+08:00", cwd=tmp_path,
                env={"COMMITDIGEST_LANGUAGE": "zh-CN", "COMMITDIGEST_TIMEZONE": "UTC"})
    assert r.returncode == 0 and r.stdout.startswith("# Daily Update") and "feat: engine start" in r.stdout


def test_report_from_a_config_with_an_unreadable_repository_writes_the_rest_and_exits_7(make_repo, tmp_path):
    tool = make_repo("tool")
    tool.commit("fix: tool", {"tool/main.py": "x = 1\n"}, when="2026-01-13T11:00:00+08:00")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\n[[repos]]\nurl = "{(tmp_path / "gone.git").as_uri()}"\nname = "gone/repo"\n'
        f'[[repos]]\npath = "{tool.path}"\n')
    r = run_cli("report", "--date", "2026-01-13", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert r.returncode == 7, r.stderr
    assert "commitdigest: warning: gone/repo:" in r.stderr and "Traceback" not in r.stderr
    gone, ok = json.loads((tmp_path / "o" / "2026-01-13.json").read_text())["repos"]
    assert gone["error"] and ok["error"] is None and [c["subject"] for c in ok["commits"]] == ["fix: tool"]


def test_language_tags_are_accepted_in_the_file_and_the_environment(tmp_path):
    p = tmp_path / "commitdigest.toml"
    p.write_text('language = "zh-CN"\n[[repos]]\nurl = "https://x.org/a/b"\n')
    assert config.load(str(p), env={}).language == "zh"
    assert config.load(str(p), env={"COMMITDIGEST_LANGUAGE": "en-GB"}).language == "en"
    assert config.load(str(p), env={"COMMITDIGEST_LANGUAGE": "EN_us"}).language == "en"
    with pytest.raises(ConfigError, match=r"^COMMITDIGEST_LANGUAGE: Input should be 'zh' or 'en'"):
        config.load(str(p), env={"COMMITDIGEST_LANGUAGE": "fr-FR"})


def test_nested_environment_names_and_the_older_ones(tmp_path):
    p = tmp_path / "commitdigest.toml"
    p.write_text('[[repos]]\nurl = "https://x.org/a/b"\n[output]\ndir = "r"\n[llm]\nmodel = "file-model"\n')
    cfg = config.load(str(p), env={
        "COMMITDIGEST_OUTPUT__DIR": "/srv/nested", "COMMITDIGEST_OUTPUT_DIR": "/srv/flat",  # nested wins
        "COMMITDIGEST_OUTPUT__FORMATS": "md, html", "COMMITDIGEST_OUTPUT__FEED_QUIET_DAYS": "true",
        "COMMITDIGEST_OUTPUT__ROLLUPS": "weekly,monthly", "COMMITDIGEST_GIT_TIMEOUT": "42",
        "COMMITDIGEST_HOSTING__MAX_REQUESTS": "7", "COMMITDIGEST_GITLAB_API": "https://gl.example.com/api/v4",
        "COMMITDIGEST_LLM__MODEL": "env-model", "OPENAI_BASE_URL": "http://openai/v1",
        "COMMITDIGEST_QUICK": "1", "COMMITDIGEST_DEBUG": "1"})  # not settings: left alone
    assert (cfg.output.dir, cfg.output.formats, cfg.output.feed_quiet_days) == ("/srv/nested", ["md", "html"], True)
    assert cfg.output.rollups == ["weekly", "monthly"] and cfg.git_timeout == 42.0
    assert cfg.hosting.max_requests == 7 and cfg.hosting.gitlab_api == "https://gl.example.com/api/v4"
    assert cfg.llm == {"model": "file-model"} and cfg.llm_env == {"model": "env-model", "base_url": "http://openai/v1"}
    assert cfg.from_env["output.dir"] == "COMMITDIGEST_OUTPUT__DIR"
    legacy = config.load(str(p), env={"COMMITDIGEST_OUTPUT_DIR": "/srv/flat", "COMMITDIGEST_LLM_MODEL": "old",
                                      "COMMITDIGEST_GITHUB_API": "https://ghe.example.com/api/v3"})
    assert legacy.output.dir == "/srv/flat" and legacy.llm_env == {"model": "old"}
    assert legacy.hosting.github_api == "https://ghe.example.com/api/v3"
    with pytest.raises(ConfigError, match=r"^COMMITDIGEST_OUTPUT__DIRR: names no setting \('output.dirr'\)"):
        config.load(str(p), env={"COMMITDIGEST_OUTPUT__DIRR": "x"})
    with pytest.raises(ConfigError, match=r"^COMMITDIGEST_GIT_TIMEOUT: Input should be a valid number"):
        config.load(str(p), env={"COMMITDIGEST_GIT_TIMEOUT": "soon"})
    # without a file, the environment alone
    assert config.settings(None, env={"COMMITDIGEST_TIMEZONE": "UTC"}).timezone == "UTC"


def test_the_configured_git_time_limit_reaches_every_git_process(two_repos, tmp_path, monkeypatch):
    from commitdigest.cli import main
    from commitdigest.git import runner

    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(cfg.read_text().replace('language = "en-US"\n', 'language = "en-US"\ngit_timeout = 42\n'))
    seen: list[float] = []
    real_run, real_stream = runner.run, runner.stream
    monkeypatch.setattr(runner, "run", lambda *a, **k: seen.append(k.get("timeout")) or real_run(*a, **k))
    monkeypatch.setattr(runner, "stream", lambda *a, **k: seen.append(k.get("timeout")) or real_stream(*a, **k))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["report", "--date", "2026-01-13", "--dry-run", "-q"])
    assert done.value.code == 0
    assert seen and set(seen) == {42.0}, seen


def test_name_and_web_url_need_a_repo(two_repos, tmp_path):
    r = run_cli("report", "--name", "x", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--name names a --repo" in r.stderr


# ---------------------------------------------------------------------------------- rollup --branch


def test_rollup_branch(make_repo, tmp_path):
    repo = make_repo("svc")
    repo.commit("feat: on main", {"src/a.py": "A = 1\n" * 40}, when="2026-11-16T10:00:00+08:00")
    repo.git("checkout", "-q", "-b", "release")
    repo.commit("feat: only on release", {"src/b.py": "B = 1\n" * 40}, when="2026-11-17T10:00:00+08:00")
    repo.git("checkout", "-q", "main")
    args = ("rollup", "--repo", str(repo.path), "--week", "2026-W47", "--tz", "Asia/Shanghai", "--lang", "en",
            "--format", "json")
    r = run_cli(*args, "--out", str(tmp_path / "main"))
    assert r.returncode == 0, r.stderr
    r = run_cli(*args, "--branch", "release", "--out", str(tmp_path / "rel"))
    assert r.returncode == 0, r.stderr
    [main] = json.loads((tmp_path / "main" / "rollups" / "2026-W47.json").read_text())["repos"]
    [rel] = json.loads((tmp_path / "rel" / "rollups" / "2026-W47.json").read_text())["repos"]
    assert main["totals"]["commits"] == 1 and rel["totals"]["commits"] == 2
    assert {h["subject"] for h in rel["highlights"]} == {"feat: on main", "feat: only on release"}
    bad = run_cli(*args, "--branch", "nope", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 3 and bad.stderr.count("\n") == 1 and "unknown branch 'nope'" in bad.stderr
    assert not (tmp_path / "bad" / "rollups").exists()


# ------------------------------------------------------------------------- run: only what is asked


@pytest.fixture
def may(make_repo, tmp_path):
    """A repository whose branch is master, a commit on most days from 2026-04-27 to 05-25, followed
    by URL; weekly and monthly rollups, every format, a webhook."""
    work = make_repo("work")
    work.git("checkout", "-q", "-b", "master")
    for day in ("04-27", "04-30", "05-01", "05-04", "05-06", "05-08", "05-11", "05-13", "05-16", "05-18", "05-20",
                "05-22", "05-25"):
        work.commit(f"feat: change of {day}", {f"src/m{day}.py": "V = 1\n" * 30}, when=f"2026-{day}T10:00:00+08:00")
    bare = bare_of(work, tmp_path / "remotes" / "svc.git")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\nurl = "{bare.as_uri()}"\nname = "acme/svc"\n'
        '[output]\ndir = "out"\nformats = ["md", "json", "html", "feed"]\nrollups = ["weekly", "monthly"]\n'
        '[[notify]]\ntype = "webhook"\nurl = "http://127.0.0.1:9/never"\nname = "team"\n'
        '[[notify]]\ntype = "webhook"\nurl = "http://127.0.0.1:9/never"\nname = "weekly"\nwhen = "weekly"\n')
    return tmp_path


def test_run_dry_run_prints_the_plan_and_writes_nothing(may, tmp_path):
    cache = tmp_path / "fresh-cache"
    env = {"COMMITDIGEST_CACHE_DIR": str(cache)}
    r = run_cli("run", "--since", "2026-05-06", "--until", "2026-05-20", "--dry-run", cwd=may, env=env)
    assert r.returncode == 0, r.stderr
    assert not (may / "out").exists() and not cache.exists()  # no file, no lock, no mirror, no cache
    assert files_under(may) == ["commitdigest.toml"] + [p for p in files_under(may) if p.startswith(("remotes/",
                                                                                                      "work/"))]
    out = r.stdout
    assert "days: 2026-05-06 … 2026-05-20 (15): 15 to report, 0 already reported" in out
    assert "acme/svc: " in out and "svc.git" in out
    assert "2026-05-06 … 2026-05-20: <date>.{md,json,html}" in out
    assert re.findall(r"^  (\S+): rollups/\1\.\*", out, flags=re.M) == ["2026-W19", "2026-W20"]
    assert "2026-05-20 → team" in out and "rollup 2026-W20 → weekly" in out
    assert r.stderr == ""


def test_run_writes_only_its_days_and_the_periods_it_completes(may):
    r = run_cli("run", "--since", "2026-05-06", "--until", "2026-05-20", "--no-notify", "-q", cwd=may)
    assert r.returncode == 0, r.stderr
    out = may / "out"
    days = sorted({p.name.split(".")[0] for p in out.glob("2026-*.*")})
    assert days == [f"2026-05-{d:02d}" for d in range(6, 21)]  # nothing of April, 05-04, 05-21 …
    for day in days:  # every configured per-day format
        assert {p.suffix for p in out.glob(f"{day}.*")} == {".md", ".json", ".html"}
    # W19 (05-04 … 05-10) and W20 (… 05-17) end inside the range; April, W18 and W21 do not
    assert sorted(p.name for p in (out / "rollups").iterdir()) == [
        f"2026-W{w}.{s}" for w in (19, 20) for s in ("html", "json", "md")]
    # W19 begins before the range: its Monday (05-04) has no daily file, so it is plain text
    w19 = (out / "rollups" / "2026-W19.md").read_text()
    monday = next(line for line in w19.splitlines() if "feat: change of 05-04" in line)
    assert monday.endswith("(daily report)") and "](" not in monday.split("feat: change of 05-04")[1]
    wednesday = next(line for line in w19.splitlines() if "feat: change of 05-06" in line)
    assert "([daily report](../2026-05-06.md#c-" in wednesday
    html = (out / "rollups" / "2026-W19.html").read_text()
    assert 'href="../2026-05-06.html#c-' in html and "2026-05-04.html" not in html and "2026-05-04.md" not in html
    twin = json.loads((out / "rollups" / "2026-W19.json").read_text())["repos"][0]
    assert {h["day"]: (h["report"] is None, h["page"] is None) for h in twin["highlights"]}["2026-05-04"] == (True, True)
    # the index and the feed link only pages that exist
    index = (out / "index.html").read_text()
    for href in re.findall(r'href="([^"#]+)', index):
        if not href.startswith(("http", "#")):
            assert (out / href).is_file(), href


def test_feed_entries_carry_their_day(may, make_repo):
    r = run_cli("run", "--since", "2026-05-11", "--until", "2026-05-17", "--no-notify", "-q", cwd=may)
    assert r.returncode == 0, r.stderr
    root = ET.parse(may / "out" / "feed.xml").getroot()
    updated = {e.find("a:title", NS).text: e.find("a:updated", NS).text for e in root.findall("a:entry", NS)}
    assert updated["Daily Update Report (2026-05-13)"] == "2026-05-14T00:00:00+08:00"
    assert updated["Weekly Report (2026-W20: 2026-05-11 ~ 2026-05-17)"] == "2026-05-18T00:00:00+08:00"
    assert root.find("a:updated", NS).text == "2026-05-18T00:00:00+08:00"  # the newest entry's, not the run's
    # a report of today is dated when it was written: not in the future
    now = make_repo("now")
    now.commit("feat: just now", {"n.py": "N = 1\n"}, when=datetime.now().astimezone().isoformat(timespec="seconds"))
    today = run_cli("report", "--repo", str(now.path), "--date", "today", "--format", "feed",
                    "--out", str(may / "today"))
    assert today.returncode == 0, today.stderr
    [entry] = ET.parse(may / "today" / "feed.xml").getroot().findall("a:entry", NS)
    assert datetime.fromisoformat(entry.find("a:updated", NS).text) <= datetime.now().astimezone()


def test_a_rollup_whose_repository_cannot_be_read_is_not_written_and_the_next_run_writes_it(may, make_repo):
    cfg = may / "commitdigest.toml"
    gone = may / "remotes" / "other.git"
    cfg.write_text(cfg.read_text().replace(
        "[output]", f'[[repos]]\nurl = "{gone.as_uri()}"\nname = "acme/other"\n[output]'))
    r = run_cli("run", "--since", "2026-05-11", "--until", "2026-05-17", "--no-notify", "-q", cwd=may)
    assert r.returncode == 7, r.stderr
    assert "rollup 2026-W20 not written: acme/other could not be read" in r.stderr
    assert not (may / "out" / "rollups").exists()
    assert (may / "out" / "2026-05-13.md").is_file()  # the days are written, each saying what failed
    other = make_repo("other")
    other.commit("feat: other work", {"o.py": "O = 1\n"}, when="2026-05-12T10:00:00+08:00")
    bare_of(other, gone)
    r = run_cli("run", "--since", "2026-05-11", "--until", "2026-05-17", "--no-notify", "-q", cwd=may)
    assert r.returncode == 0, r.stderr
    data = json.loads((may / "out" / "rollups" / "2026-W20.json").read_text())
    assert [(x["name"], x["error"], x["totals"]["commits"]) for x in data["repos"]] == [
        ("acme/svc", None, 3), ("acme/other", None, 1)]


def test_inits_sample_with_only_the_url_edited_runs_on_a_master_branch(make_repo, tmp_path):
    work = make_repo("work")
    work.git("checkout", "-q", "-b", "master")
    work.commit("feat: the first change", {"src/a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    bare = bare_of(work, tmp_path / "upstream.git")
    r = run_cli("init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    sample = tmp_path / "commitdigest.toml"
    text = sample.read_text()
    assert not re.search(r"^branch\s*=", text, flags=re.M) and not re.search(r"^name\s*=", text, flags=re.M)
    sample.write_text(re.sub(r'^url = ".*"$', f'url = "{bare.as_uri()}"', text, count=1, flags=re.M))
    r = run_cli("run", "--date", "2026-01-13", "--no-notify", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "reports" / "2026-01-13.json").read_text())
    assert data["repos"][0]["branch"] == "master" and data["repos"][0]["error"] is None
    assert [c["subject"] for c in data["repos"][0]["commits"]] == ["feat: the first change"]
    assert (tmp_path / "reports" / "2026-01-13.html").is_file() and (tmp_path / "reports" / "feed.xml").is_file()


# --------------------------------------------------------------------------- complete rollup twins


def test_rollup_twin_keeps_every_highlight_area_and_contributor(make_repo, tmp_path):
    repo = make_repo("many")
    for i in range(35):  # 35 high-importance commits (feat on .py, > 50 lines) in 12 areas by 12 people
        repo.commit(f"feat: part {i:02d}", {f"area{i % 12:02d}/m{i}.py": "X = 1\n" * 60},
                    when=f"2026-11-{16 + i % 7}T{8 + i // 7:02d}:00:00+08:00", author=f"Dev{i % 12} <d{i % 12}@x.io>")
    out = tmp_path / "out"
    r = run_cli("rollup", "--repo", str(repo.path), "--week", "2026-W47", "--tz", "Asia/Shanghai", "--lang", "en",
                "--format", "md,json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    [data] = json.loads((out / "rollups" / "2026-W47.json").read_text())["repos"]
    assert len(data["highlights"]) == 35 and data["highlights_more"] == 5
    assert len(data["areas"]) == 12 and len(data["contributors"]) == 12
    md = (out / "rollups" / "2026-W47.md").read_text()
    def section(heading: str) -> str:
        return md.split(f"### {heading}", 1)[1].split("\n### ", 1)[0]

    # the page shows the first 30 changes, 10 areas and 10 contributors
    assert section("🔴 Important changes").count("feat: part") == 30
    assert "…and 5 more high-importance changes" in section("🔴 Important changes")
    assert section("📂 Areas that changed most").count("| `area") == 10
    assert section("👥 Contributors").count("| Dev") == 10


def test_hosting_limits_hold_across_the_days_and_the_rollups_of_a_run(make_repo, tmp_path):
    from hosting_server import FakeHost

    repo = make_repo("widget")
    repo.git("remote", "add", "origin", "https://github.com/acme/widget.git")
    for day in range(16, 23):  # one commit a day of 2026-W47, none naming its pull request
        repo.commit(f"tweak {day}", {f"src/m{day}.py": "x = 1\n"}, when=f"2026-11-{day}T10:00:00+08:00")
    with FakeHost() as host:
        (tmp_path / "commitdigest.toml").write_text(
            f'timezone = "Asia/Shanghai"\n[[repos]]\npath = "{repo.path}"\n'
            '[output]\ndir = "out"\nrollups = ["weekly"]\n'
            f'[hosting]\ngithub_api = "{host.github_api}"\nmax_requests = 3\n')
        r = run_cli("run", "--date", "2026-11-22", "--no-notify", "-q", cwd=tmp_path,
                    env={"GITHUB_TOKEN": "ghp_faketoken", "COMMITDIGEST_CACHE_DIR": str(tmp_path / "c")})
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "out" / "rollups" / "2026-W47.json").is_file()
        # the day's pass asked once; the week's pass had what was left of the same 3, not 3 more
        assert len(host.requests) == 3, [q.path for q in host.requests]


def test_environment_in_the_cli_is_read_once_for_every_command(two_repos, tmp_path):
    env = {"COMMITDIGEST_OUTPUT__DIR": str(tmp_path / "from-env"), "COMMITDIGEST_OUTPUT__FORMATS": "md"}
    r = run_cli("report", "--date", "2026-01-13", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(tmp_path / "from-env" / "2026-01-13.md")]
    r = run_cli("run", "--date", "2026-01-13", "--force", "--no-notify", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(tmp_path / "from-env" / "2026-01-13.md")]
    bad = run_cli("report", "--date", "2026-01-13", cwd=tmp_path, env={"COMMITDIGEST_OUTPUT__FORMAT": "md"})
    assert bad.returncode == 4 and bad.stderr.count("\n") == 1 and "COMMITDIGEST_OUTPUT__FORMAT" in bad.stderr
    assert os.environ.get("COMMITDIGEST_OUTPUT__DIR") is None


# ------------------------------------------------------------------ reading the code, or not


def test_the_code_is_read_unless_semantic_is_off_and_analyses_without_it_are_kept_apart(make_repo, tmp_path):
    """``--no-semantic``, ``COMMITDIGEST_SEMANTIC=false`` and ``semantic = false`` all leave the
    code unread (line facts only); analyses made so are cached apart from those that read it, so
    the next ordinary run says what the code says; ``--uses`` needs the code read."""
    repo = make_repo()
    repo.commit("feat: add limit", {"pkg/limits.py": "def limit():\n    return 10\n"}, when="2026-01-12T10:00:00+00:00")
    repo.commit("feat: raise limit", {"pkg/limits.py": "def limit():\n    return 20\n"},
                when="2026-01-13T10:00:00+00:00")
    cache = tmp_path / "cache"

    def report(out: str, *extra: str, env: dict | None = None) -> dict:
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "UTC", "--lang", "en",
                    "--cache-dir", str(cache), "--out", str(tmp_path / out), "-q", *extra, cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        return json.loads((tmp_path / out / "2026-01-13.json").read_text())["repos"][0]["commits"][0]

    off = report("off", "--no-semantic")
    assert off["semantic"] is None
    read = report("read")  # the same cache: the analysis made without the code is not reused
    assert [(v["symbol"], v["before"], v["after"]) for v in read["semantic"]["values"]] == [("limit", "10", "20")]
    assert "20" in json.dumps(read["analysis"]) and read["analysis"] != off["analysis"]
    assert report("off-again", "--no-semantic")["analysis"] == off["analysis"]
    assert report("env", env={"COMMITDIGEST_SEMANTIC": "false"})["semantic"] is None
    (tmp_path / "commitdigest.toml").write_text(f'semantic = false\n[[repos]]\npath = "{repo.path}"\n')
    assert report("file")["semantic"] is None

    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--no-semantic", "--uses", str(tmp_path),
                "--out", str(tmp_path / "u"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--no-semantic" in r.stderr
    assert not (tmp_path / "u").exists()
