"""Names and links of any repository: from --name/--web-url, else remote.origin.url, else the
folder; credentials never shown; two sections never share a derived name."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import run_cli

from commitdigest.git.repo import open_repo, remote_names


def bare_with_origin(make_repo, tmp_path, folder: str, origin: str | None):
    """A bare mirror in ``folder`` (the usual ``.../repo``) with one commit on 2026-01-13."""
    work = make_repo(f"work-{folder.replace('/', '-')}-{abs(hash(origin)) % 10_000}")
    work.commit("feat: widgets", {"w.py": "w = 1\n"}, when="2026-01-13T10:00:00+08:00")
    bare = tmp_path / folder
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "remote", "remove", "origin"], check=True)
    if origin:
        subprocess.run(["git", "-C", str(bare), "remote", "add", "origin", origin], check=True)
    return bare, work


@pytest.mark.parametrize("origin, name, alias", [
    ("https://x-access-token:ghp_S3CRET@git.example.org/team/tool.git?private_token=q5ecret#frag",
     "team/tool", "git.example.org/team/tool"),
    ("ssh://deploy@git.example.org:2222/team/tool.git", "team/tool", "git.example.org/team/tool"),
    ("deploy@git.example.org:team/tool.git", "team/tool", "git.example.org/team/tool"),
    ("/srv/git/tool.git", "tool", "git/tool"),
    ("/srv/git/tool/.git", "tool", "git/tool"),
])
def test_bare_repository_named_from_its_remote(make_repo, tmp_path, origin, name, alias):
    bare, _ = bare_with_origin(make_repo, tmp_path, "mirrors/repo", origin)
    r = open_repo(bare)
    assert r.name == name and r.aliases[0] == alias and r.aliases[-1] == str(bare)
    shown = " ".join([r.name, *r.aliases, r.links.base if r.links else ""])
    assert "S3CRET" not in shown and "q5ecret" not in shown and "deploy" not in shown


def test_remote_names_never_carry_userinfo():
    assert remote_names("https://user:pw@github.com/acme/widgets") == ["acme/widgets", "github.com/acme/widgets"]
    assert remote_names("http://[broken") == []
    assert remote_names("") == [] and remote_names(None) == []


def sections(out) -> list[str]:
    return [s["name"] for s in json.loads((out / "2026-01-13.json").read_text())["repos"]]


def test_two_folders_called_repo_get_two_names(make_repo, tmp_path):
    a, _ = bare_with_origin(make_repo, tmp_path, "alpha/repo", None)
    b, _ = bare_with_origin(make_repo, tmp_path, "beta/repo", None)
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(a), "--repo", str(b), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    assert sections(out) == ["alpha/repo", "beta/repo"]


def test_same_owner_name_on_two_hosts_then_the_path(make_repo, tmp_path):
    gh, _ = bare_with_origin(make_repo, tmp_path, "one/repo", "https://github.com/acme/tool.git")
    gl, _ = bare_with_origin(make_repo, tmp_path, "two/repo", "git@gitlab.com:acme/tool.git")
    again, _ = bare_with_origin(make_repo, tmp_path, "three/repo", "git@gitlab.com:acme/tool.git")
    solo, _ = bare_with_origin(make_repo, tmp_path, "four/repo", "https://github.com/acme/other.git")
    out = tmp_path / "out"
    r = run_cli("report", *[a for p in (gh, gl, again, solo) for a in ("--repo", str(p))], "--date", "2026-01-13",
                "--tz", "Asia/Shanghai", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    assert sections(out) == ["github.com/acme/tool", str(gl), str(again), "acme/other"]


def test_name_and_web_url_flags(make_repo, tmp_path):
    bare, work = bare_with_origin(make_repo, tmp_path, "repo", "/srv/git/tool.git")
    other, _ = bare_with_origin(make_repo, tmp_path, "x/other", None)
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(bare), "--repo", str(other), "--name", "Widgets",
                "--web-url", "https://gitlab.example.com/acme/widgets", "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--lang", "en", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    assert sections(out) == ["Widgets", "other"]
    md = (out / "2026-01-13.md").read_text()
    assert f"https://gitlab.example.com/acme/widgets/-/commit/{work.git('rev-parse', 'HEAD')}" in md


@pytest.mark.parametrize("args, message", [
    (["--web-url", "https://example.org/acme/widgets"], "not a GitHub or GitLab project URL"),
    (["--name", "a", "--name", "b"], "--name given 2 times for 1 --repo"),
])
def test_bad_name_or_web_url_is_one_line(make_repo, tmp_path, args, message):
    bare, _ = bare_with_origin(make_repo, tmp_path, "repo", None)
    r = run_cli("report", "--repo", str(bare), *args, "--date", "2026-01-13", "--out", str(tmp_path / "out"),
                "--quiet")
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
