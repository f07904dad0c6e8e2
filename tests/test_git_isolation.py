"""The facts come from the commit objects alone: replace refs, grafts, attributes, the user's
~/.gitconfig, a repository's own config and a partial clone's remote change nothing a report says,
and git never fetches into, nor runs code from, a repository the tool does not own."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

DAY = "2026-01-13"
APP = "".join(f"def handler_{i}(request):\n    return {i}\n" for i in range(10))
MORE = "".join(f"def extra_{i}(request):\n    return check(request, {i})\n" for i in range(20))  # 40 lines
AUTH = "def check(request):\n    return request.user.is_admin\n"


def report(repo_path, out: Path, *args: str, env: dict | None = None, day: str = DAY):
    r = run_cli("report", "--repo", str(repo_path), "--date", day, "--tz", "Asia/Shanghai", "--lang", "en",
                "--out", str(out), "--quiet", "--format", "md,json,html", "--no-cache", *args, env=env)
    assert r.returncode == 0, r.stderr
    return r, json.loads((out / f"{day}.json").read_text())


def commits_of(twin: dict) -> dict[str, dict]:
    (section,) = twin["repos"]
    return {c["subject"]: c for c in section["commits"]}


def files_of(commit: dict) -> dict[str, tuple]:
    return {f["path"]: (f["status"], f["insertions"], f["deletions"], f.get("binary", False)) for f in commit["files"]}


def marker_script(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A program that leaves a file behind when run: proof that git ran it."""
    marker = tmp_path / f"{name}.ran"
    script = tmp_path / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexec git-upload-pack \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, marker


# ----------------------------------------------------------- row 6: the user's ~/.gitconfig


def busy_repo(make_repo):
    """The root commit and a commit with a 40-line change, a rename, a submodule bump and a
    .mailmap that would credit the work to someone else."""
    repo = make_repo("busy")
    repo.commit("feat: start", {"src/app.py": APP, "docs/old.md": "".join(f"doc line {i}\n" for i in range(30)),
                                ".mailmap": "Mallory Evil <mallory@evil.example> Alice Example <alice@example.com>\n"},
                when=f"{DAY}T09:00:00+08:00")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor/lib")
    repo.git("commit", "-q", "-m", "build: vendor lib", when=f"{DAY}T09:30:00+08:00")
    repo.git("mv", "docs/old.md", "docs/new.md")
    repo.write("src/app.py", APP + MORE)
    repo.write("src/z.py", "z = 1\n")
    repo.git("add", "src")
    repo.git("update-index", "--cacheinfo", f"160000,{'2' * 40},vendor/lib")
    repo.git("commit", "-q", "-m", "feat: handlers", when=f"{DAY}T10:00:00+08:00")
    return repo


def hostile_gitconfig(home: Path, tmp_path: Path) -> str:
    (home / ".config" / "git").mkdir(parents=True, exist_ok=True)
    (home / ".config" / "git" / "attributes").write_text("*.py -diff\n*.md binary\n")
    (tmp_path / "order").write_text("src/z.py\n*\n")
    (tmp_path / "mailmap").write_text("Mallory Evil <mallory@evil.example> <alice@example.com>\n")
    ext, _ = marker_script(tmp_path, "ext-diff")
    return f"""
[i18n]
    logOutputEncoding = UTF-16
[core]
    bigFileThreshold = 1
    quotePath = true
    attributesFile = {home}/.config/git/attributes
    abbrev = 4
[log]
    showRoot = false
    mailmap = true
    decorate = full
    showSignature = true
    follow = true
[mailmap]
    file = {tmp_path}/mailmap
[diff]
    ignoreSubmodules = all
    noprefix = true
    mnemonicPrefix = true
    renames = false
    renameLimit = 1
    algorithm = patience
    context = 0
    orderFile = {tmp_path}/order
    external = {ext}
    relative = true
    suppressBlankEmpty = true
    submodule = log
[color]
    ui = always
[format]
    pretty = oneline
"""


def normalised(out: Path) -> dict[str, str]:
    """The report's files, with the one field that measures time (not a fact) blanked."""
    timing = re.compile(r'("seconds": )[0-9.]+|(Took |耗时 )[0-9.]+|(\| )[0-9.]+( s(?:\*|</footer>))')
    return {p.name: timing.sub("T", p.read_text()) for p in sorted(out.iterdir()) if p.is_file()}


def test_reports_are_byte_identical_whatever_the_global_config_says(make_repo, tmp_path):
    repo = busy_repo(make_repo)
    home = Path(os.environ["HOME"])
    _, clean_twin = report(repo.path, tmp_path / "clean")
    clean = commits_of(clean_twin)
    # What the facts are: the root commit's files, the submodule bump, the rename, 40 lines.
    assert set(files_of(clean["feat: start"])) == {"src/app.py", "docs/old.md", ".mailmap"}
    assert files_of(clean["feat: handlers"]) == {
        "src/app.py": ("M", 40, 0, False), "docs/new.md": ("R", 0, 0, False), "vendor/lib": ("M", 1, 1, False),
        "src/z.py": ("A", 1, 0, False)}
    assert {c["author"] for c in clean.values()} == {"Alice Example"}  # as recorded: no .mailmap

    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text(hostile_gitconfig(home, tmp_path))
    # Variables that would steer git as much as the file does.
    hostile_env = {"GIT_DIFF_OPTS": "--unified=0", "GIT_CONFIG_PARAMETERS": "'diff.noprefix'='true'",
                   "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.bigFileThreshold", "GIT_CONFIG_VALUE_0": "1",
                   "GIT_NAMESPACE": "elsewhere", "GIT_DIR": str(tmp_path), "GIT_WORK_TREE": str(tmp_path)}
    report(repo.path, tmp_path / "hostile", env=hostile_env)
    assert normalised(tmp_path / "hostile") == normalised(tmp_path / "clean")
    assert not (tmp_path / "ext-diff.ran").exists()


def test_repository_config_cannot_change_what_is_read(make_repo, tmp_path):
    """The same settings in the repository's own .git/config: the view reads none of it."""
    repo = busy_repo(make_repo)
    _, clean = report(repo.path, tmp_path / "clean")
    home = Path(os.environ["HOME"])
    with open(repo.path / ".git" / "config", "a") as fh:
        fh.write(hostile_gitconfig(home, tmp_path))
    report(repo.path, tmp_path / "local")
    assert normalised(tmp_path / "local") == normalised(tmp_path / "clean")


# ---------------------------------------------------------------- row 5: in-tree attributes


def test_attributes_in_the_working_copy_hide_no_change(make_repo, tmp_path):
    repo = make_repo("attrs")
    repo.commit("feat: base", {"src/app.py": APP}, when=f"{DAY}T09:00:00+08:00")
    repo.commit("feat: more handlers", {"src/app.py": APP + MORE}, when=f"{DAY}T10:00:00+08:00")
    # Uncommitted, committed later, and the repository's own info/attributes: all ignored.
    repo.write(".gitattributes", "*.py -diff\n")
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "attributes").write_text("*.py binary\n")
    _, twin = report(repo.path, tmp_path / "out")
    assert files_of(commits_of(twin)["feat: more handlers"])["src/app.py"] == ("M", 40, 0, False)

    repo.commit("chore: attributes", {".gitattributes": "*.py -diff\n[attr]binary -diff -merge -text\n"},
                when=f"{DAY}T11:00:00+08:00")
    repo.commit("feat: still counted", {"src/app.py": APP}, when=f"{DAY}T12:00:00+08:00")
    _, twin = report(repo.path, tmp_path / "out2")
    assert files_of(commits_of(twin)["feat: still counted"])["src/app.py"] == ("M", 0, 40, False)
    assert "+0/-40" in (tmp_path / "out2" / f"{DAY}.md").read_text()


# ------------------------------------------------------------ rows 3 and 4: replace, grafts


def backdoored(make_repo, name: str):
    """A typo fix, a backdoor, and the commit after it; returns (repo, backdoor sha)."""
    repo = make_repo(name)
    repo.commit("feat: auth", {"src/auth.py": AUTH, "README.md": "Read me\n"}, when=f"{DAY}T08:00:00+08:00")
    backdoor = repo.commit("feat!: DISABLE AUTH CHECK", {"src/auth.py": "def check(request):\n    return True\n"},
                           when=f"{DAY}T09:00:00+08:00")
    repo.commit("fix: unrelated", {"src/other.py": "x = 1\n"}, when=f"{DAY}T10:00:00+08:00")
    return repo, backdoor


def test_replace_refs_do_not_disguise_a_commit(make_repo, tmp_path):
    repo, backdoor = backdoored(make_repo, "replaced")
    parent = repo.git("rev-parse", f"{backdoor}^")
    blob = repo.git("hash-object", "-w", "--stdin", input=b"Read me, with a typo fixed\n")
    entries = [line if not line.endswith("\tREADME.md") else f"100644 blob {blob}\tREADME.md"
               for line in repo.git("ls-tree", parent).splitlines()]
    tree = repo.git("mktree", input=("\n".join(entries) + "\n").encode())
    fake = repo.git("commit-tree", tree, "-p", parent, "-m", "docs: typo fix", when=f"{DAY}T09:00:00+08:00")
    repo.git("replace", backdoor, fake)
    assert "docs: typo fix" in repo.git("log", "--format=%s")  # git itself is fooled
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(repo.path), str(mirror)], check=True, capture_output=True)
    assert subprocess.run(["git", "-C", str(mirror), "replace", "-l"], capture_output=True, text=True).stdout.strip()
    for where, out in ((repo.path, tmp_path / "wc"), (mirror, tmp_path / "mirror"),
                       (f"file://{mirror}", tmp_path / "url")):
        _, twin = report(where, out)
        commits = commits_of(twin)
        assert "docs: typo fix" not in commits, where
        bad = commits["feat!: DISABLE AUTH CHECK"]
        assert bad["sha"] == backdoor and files_of(bad) == {"src/auth.py": ("M", 1, 1, False)}
    # analyze REV reads the same object.
    r = run_cli("analyze", backdoor, "--repo", str(repo.path), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["subject"] == "feat!: DISABLE AUTH CHECK"


def test_grafts_neither_hide_a_commit_nor_move_its_change(make_repo, tmp_path):
    repo, backdoor = backdoored(make_repo, "grafted")
    after = repo.git("rev-parse", "HEAD")
    first = repo.git("rev-parse", "HEAD~2")
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "grafts").write_text(f"{after} {first}\n")
    assert backdoor not in repo.git("log", "--format=%H")  # git itself is fooled
    _, twin = report(repo.path, tmp_path / "out")
    commits = commits_of(twin)
    assert list(commits) == ["fix: unrelated", "feat!: DISABLE AUTH CHECK", "feat: auth"]
    assert files_of(commits["fix: unrelated"]) == {"src/other.py": ("A", 1, 0, False)}
    assert files_of(commits["feat!: DISABLE AUTH CHECK"]) == {"src/auth.py": ("M", 1, 1, False)}


# ----------------------------------------------- row 1: no fetch in a repository not ours


def upstream_with_big_blob(make_repo):
    up = make_repo("upstream")
    up.git("config", "uploadpack.allowFilter", "true")
    up.commit("feat: small", {"a.txt": "a\n"}, when=f"{DAY}T09:00:00+08:00")
    big = up.commit("feat: big", {"big.txt": "".join(f"line {i}\n" for i in range(400))},
                    when=f"{DAY}T10:00:00+08:00")
    return up, big


@pytest.mark.parametrize("bare", [True, False], ids=["bare", "working-copy"])
def test_a_partial_clone_of_the_users_is_never_fetched_into(make_repo, tmp_path, bare):
    up, big = upstream_with_big_blob(make_repo)
    clone = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", *(["--bare"] if bare else ["--no-checkout"]), "--filter=blob:limit=1k",
                    f"file://{up.path}", str(clone)], check=True, capture_output=True)
    script, marker = marker_script(tmp_path, "upload-pack")
    subprocess.run(["git", "-C", str(clone), "config", "remote.origin.uploadpack", str(script)], check=True)
    r, twin = report(clone, tmp_path / "out")
    assert not marker.exists()  # the clone's upload-pack never ran: nothing was fetched
    commits = commits_of(twin)
    flagged = commits["feat: big"]
    assert flagged["sha"] == big and "never fetches into a repository it does not own" in flagged["read_error"]
    assert [f["path"] for f in flagged["files"]] == ["big.txt"]  # the file list comes from the trees
    assert commits["feat: small"]["read_error"] is None
    assert "partial clone" in (tmp_path / "out" / f"{DAY}.md").read_text()
    r = run_cli("analyze", big, "--repo", str(clone), "--format", "json")
    assert r.returncode == 0 and not marker.exists(), r.stderr


def test_the_tools_own_mirror_fetches_with_a_pinned_upload_pack(make_repo, tmp_path):
    up, _ = upstream_with_big_blob(make_repo)
    cache = tmp_path / "cache"
    report(f"file://{up.path}", tmp_path / "first", "--cache-dir", str(cache))
    (mirror,) = (cache / "mirrors").glob("*.git")
    script, marker = marker_script(tmp_path, "mirror-upload-pack")
    subprocess.run(["git", "-C", str(mirror), "config", "remote.origin.uploadpack", str(script)], check=True)
    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text(f'[remote "origin"]\n    uploadpack = {script}\n')
    up.commit("feat: later", {"a.txt": "b\n"}, when=f"{DAY}T11:00:00+08:00")
    _, twin = report(f"file://{up.path}", tmp_path / "second", "--cache-dir", str(cache))
    assert "feat: later" in commits_of(twin)  # the fetch happened, with git's own upload-pack
    assert not marker.exists()


def test_a_url_rewritten_to_a_command_transport_is_refused(tmp_path):
    marker = tmp_path / "ext.ran"
    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text(
        f'[url "ext::sh -c touch% {marker}% >&2"]\n    insteadOf = https://example.invalid/\n'
        '[protocol "ext"]\n    allow = always\n')
    r = run_cli("report", "--repo", "https://example.invalid/acme/tool.git", "--date", DAY, "--tz", "UTC",
                "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--quiet")
    assert r.returncode == 3, r.stderr
    assert "transport 'ext' not allowed" in r.stderr and not marker.exists()


def test_a_mirror_keeps_the_users_transport_settings_and_nothing_else(make_repo, tmp_path):
    """~/.gitconfig is where a token goes (url.<base>.insteadOf, README "Tracking many
    repositories"): the clone and fetches get that, and not a remote.origin.url of its own."""
    up, _ = upstream_with_big_blob(make_repo)
    evil = make_repo("evil")
    evil.commit("feat!: from the wrong server", {"x.txt": "x\n"}, when=f"{DAY}T12:00:00+08:00")
    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text(
        f'[url "file://{up.path.parent}/"]\n    insteadOf = https://git.example.invalid/team/\n'
        f'[remote "origin"]\n    url = file://{evil.path}\n    fetch = +refs/*:refs/*\n')
    cache = tmp_path / "cache"
    for n in range(2):  # the clone, then a fetch
        _, twin = report("https://git.example.invalid/team/upstream", tmp_path / f"out{n}", "--cache-dir", str(cache))
        assert set(commits_of(twin)) == {"feat: small", "feat: big"}
