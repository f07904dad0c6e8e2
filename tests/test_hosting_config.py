"""The ``[hosting]`` table and the token as a user sets them up, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from hosting_server import FakeHost, FakePR
from test_hosting import serve_prs, squash_repo

from commitdigest import config
from commitdigest.errors import ConfigError
from commitdigest.hosting import HostingSettings

REPO = '[[repos]]\nurl = "https://github.com/acme/widget"\n'


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "commitdigest.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("table, message", [
    ('[hosting]\ngithub_token = "ghp_x"\n', "unknown key 'hosting.github_token'"),  # tokens stay out of files
    ('[hosting]\ngithub_api = "ftp://ghe.example.com"\n', "hosting.github_api: must be an http:// or https:// URL"),
    ('[hosting]\ntimeout = 0\n', "hosting.timeout: Input should be greater than 0"),
    ('[hosting]\nanonymous = "yes"\n', "hosting.anonymous: Input should be a valid boolean"),
])
def test_bad_hosting_table_is_one_message(tmp_path, table, message):
    p = write(tmp_path, REPO + table)
    with pytest.raises(ConfigError) as err:
        config.load(str(p), env={})
    assert err.value.message == f"{p.resolve()}: {message}" or err.value.message == f"{p}: {message}"


def test_table_and_environment(tmp_path):
    p = write(tmp_path, REPO + '[hosting]\ngithub_api = "https://ghe.example.com/api/v3/"\nanonymous = true\n')
    cfg = config.load(str(p), env={})
    assert cfg.hosting.github_api == "https://ghe.example.com/api/v3" and cfg.hosting.anonymous
    cfg = config.load(str(p), env={"COMMITDIGEST_GITHUB_API": "https://other.example.com/api/v3"})
    assert cfg.hosting.github_api == "https://other.example.com/api/v3"
    settings = HostingSettings.resolve(cfg.hosting, env={"GITHUB_TOKEN": "tok-a", "COMMITDIGEST_GITHUB_TOKEN": "tok-b",
                                                          "GITLAB_TOKEN": "tok-c"})
    assert (settings.github_token, settings.gitlab_token, settings.anonymous) == ("tok-b", "tok-c", True)
    assert "tok-" not in repr(settings) and "tok-" not in settings.model_dump_json()


def test_report_command_with_a_token_in_the_environment(make_repo, tmp_path):
    repo = squash_repo(make_repo)
    with FakeHost() as host:
        serve_prs(host, repo)
        env = {"GITHUB_TOKEN": "ghp_faketoken", "COMMITDIGEST_GITHUB_API": host.github_api}
        out = tmp_path / "out"
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--lang", "en", "--out", str(out), env=env)
        assert r.returncode == 0, r.stderr
        md = (out / "2026-01-13.md").read_text()
        assert "**🔀 PR**: [#12](https://github.com/acme/widget/pull/12) | 🏷️ performance, cache" in md
        data = json.loads((out / "2026-01-13.json").read_text())
        assert data["usage"]["pr_meta"] == "PR metadata: 3 of 3 PRs"
        n = len(host.requests)
        # the same report again: everything from the cache
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--lang", "en", "--out", str(out), env=env)
        assert r.returncode == 0, r.stderr
        assert len(host.requests) == n


def test_rate_limited_run_still_writes_the_report(make_repo, tmp_path):
    from hosting_server import Reply

    repo = squash_repo(make_repo)
    with FakeHost() as host:
        host.add(FakePR(12, title="x"))
        host.script(Reply(429, {"message": "slow down"}, {"retry-after": "600"}))
        env = {"GITHUB_TOKEN": "ghp_faketoken", "COMMITDIGEST_GITHUB_API": host.github_api}
        write(tmp_path, f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{repo.path}"\n'
                        '[output]\ndir = "out"\n')
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        assert [ln for ln in r.stderr.splitlines() if "rate limit" in ln] == [
            "commitdigest: warning: pull-request metadata: GitHub rate limit reached; not asked again this run"]
        data = json.loads((tmp_path / "out" / "2026-01-13.json").read_text())
        assert data["usage"]["pr_meta"] == "PR metadata: 0 of 2 PRs; GitHub rate limit reached"
        assert len(host.requests) == 1
