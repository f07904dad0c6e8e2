"""The config file: found where documented, validated whole before any work, every mistake one
line naming the file and the key; environment overrides; `init` writes a sample that loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from commitdigest import config
from commitdigest.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "commitdigest.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_shape_from_the_docs(tmp_path):
    (tmp_path / "srv").mkdir()
    p = write(tmp_path, '''
timezone = "Asia/Shanghai"
language = "zh"

[[repos]]
url = "https://github.com/ai-dynamo/dynamo"
name = "ai-dynamo/dynamo"
branch = "main"

[[repos]]
path = "srv"

[output]
dir = "reports"
formats = ["md", "json", "html", "feed"]
''')
    cfg = config.load(str(p), env={})
    assert [r.display_name() for r in cfg.repos] == ["ai-dynamo/dynamo", "srv"]
    assert cfg.resolve(cfg.repos[1].path) == tmp_path / "srv"  # relative to the file, not the cwd
    assert cfg.resolve(cfg.output.dir) == tmp_path / "reports"
    assert cfg.output.formats == ["md", "json", "html", "feed"]


def test_default_name_from_url_forms():
    for url, name in [("https://github.com/ai-dynamo/dynamo.git", "ai-dynamo/dynamo"),
                      ("git@github.com:envoyproxy/ai-gateway.git", "envoyproxy/ai-gateway"),
                      ("file:///srv/git/tool.git", "git/tool")]:
        assert config.RepoConfig(url=url).display_name() == name


@pytest.mark.parametrize("text,message", [
    ('[[repos]]\nurl = "https://x.org/a/b"\nbrnch = "main"\n', "unknown key 'repos[0].brnch'"),
    ('colour = "red"\n[[repos]]\nurl = "https://x.org/a/b"\n', "unknown key 'colour'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\nbranch = 3\n', "repos[0].branch: Input should be a valid string"),
    ('language = "fr"\n[[repos]]\nurl = "https://x.org/a/b"\n', "language: Input should be 'zh' or 'en'"),
    ('[[repos]]\nname = "x"\n', "repos[0]: give exactly one of 'url' or 'path'"),
    ('[[repos]]\npath = "does/not/exist"\n', "repos[0].path: does/not/exist is not a directory"),
    ('[[repos]]\nurl = "not a url"\n', "repos[0].url: must be an https://"),
    ('timezone = "UTC"\n', "missing key 'repos'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[output]\nformats = "md"\ndirr = "x"\n', "unknown key 'output.dirr'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[llm]\ntemperature = 9\n', "llm.temperature"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[[repos]]\nurl = "https://y.org/a/b"\n', "two repositories are named 'a/b'"),
    ('[[repos]\n', "invalid TOML"),
    ('timezone = "Mars/Base"\n[[repos]]\nurl = "https://x.org/a/b"\n', "timezone: unknown time zone 'Mars/Base'"),
    ('timezone = "+25:00"\n[[repos]]\nurl = "https://x.org/a/b"\n', "timezone: invalid time zone offset"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[output]\nformats = ["md", "pdf"]\n',
     "output.formats: unknown format 'pdf'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[[notify]]\ntype = "fax"\n', "notify[0].type: use one of feishu"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[[notify]]\ntype = "slack"\nurl_env = "S"\nchanel = "x"\n',
     "unknown key 'notify[0].chanel'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[[notify]]\ntype = "wecom"\n', "notify[0]: give exactly one of 'url' or 'url_env'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[[notify]]\ntype = "email"\nhost = "h"\nto = ["a@b"]\n',
     "missing key 'notify[0].from'"),
    ('[[repos]]\nurl = "https://x.org/a/b"\n[[notify]]\ntype = "email"\nhost = "h"\nfrom = "a@b"\nto = []\n'
     'port = "25"\n', "notify[0].to"),
])
def test_each_mistake_is_one_message_naming_file_and_key(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        config.load(str(p), env={})
    assert exc.value.message.startswith(f"{p}: ")
    assert message in exc.value.message
    assert "\n" not in exc.value.message


def test_lookup_order(tmp_path, monkeypatch):
    a = write(tmp_path, '[[repos]]\nurl = "https://x.org/a/one"\n', "a.toml")
    b = write(tmp_path, '[[repos]]\nurl = "https://x.org/a/two"\n', "b.toml")
    write(tmp_path, '[[repos]]\nurl = "https://x.org/a/three"\n')
    monkeypatch.chdir(tmp_path)
    assert config.load(None, env={}).repos[0].url.endswith("three")
    assert config.load(None, env={"COMMITDIGEST_CONFIG": str(b)}).repos[0].url.endswith("two")
    assert config.load(str(a), env={"COMMITDIGEST_CONFIG": str(b)}).repos[0].url.endswith("one")
    with pytest.raises(ConfigError, match="from COMMITDIGEST_CONFIG"):
        config.load(None, env={"COMMITDIGEST_CONFIG": str(tmp_path / "nope.toml")})
    monkeypatch.chdir(tmp_path / "..")
    with pytest.raises(ConfigError, match="commitdigest init"):
        config.load(None, env={})


def test_environment_overrides_file(tmp_path):
    p = write(tmp_path, 'language = "zh"\n[[repos]]\nurl = "https://x.org/a/b"\n[output]\ndir = "r"\n')
    cfg = config.load(str(p), env={"COMMITDIGEST_LANGUAGE": "en", "COMMITDIGEST_OUTPUT_FORMATS": "md, html",
                                   "COMMITDIGEST_OUTPUT_DIR": "/srv/out"})
    assert (cfg.language, cfg.output.formats, cfg.output.dir) == ("en", ["md", "html"], "/srv/out")
    # a bad value from the environment is reported against its variable, not the file
    with pytest.raises(ConfigError, match=r"^COMMITDIGEST_LANGUAGE: Input should be 'zh' or 'en'"):
        config.load(str(p), env={"COMMITDIGEST_LANGUAGE": "de"})
    with pytest.raises(ConfigError, match=r"^COMMITDIGEST_TIMEZONE: unknown time zone 'Foo/Bar'"):
        config.load(str(p), env={"COMMITDIGEST_TIMEZONE": "Foo/Bar"})
    assert config.load(str(p), env={"COMMITDIGEST_OUTPUT_FORMATS": "MD,md , json"}).output.formats == ["md", "json"]


def test_init_writes_a_sample_that_loads_and_documents_every_key(tmp_path):
    r = run_cli("init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "commitdigest.toml").read_text()
    cfg = config.load(str(tmp_path / "commitdigest.toml"), env={})
    assert cfg.repos[0].url == "https://github.com/ai-dynamo/dynamo"
    for key in ("timezone", "language", "analyzer", "date_field", "cache_dir", "url", "name", "branch",
                "include", "exclude", "path", "dir", "formats", "base_url", "base_url", "model", "budget",
                "[[notify]]"):
        assert key in text
    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and again.stderr.count("\n") == 1


def test_run_with_bad_config_is_one_line_exit_4(tmp_path):
    write(tmp_path, '[[repos]]\nurl = "https://x.org/a/b"\nbrnch = "x"\n')
    r = run_cli("run", cwd=tmp_path)
    assert r.returncode == 4, r.stderr
    assert r.stderr.strip().splitlines() == [
        "commitdigest: error: commitdigest.toml: unknown key 'repos[0].brnch'"]
    assert not (tmp_path / "reports").exists()
