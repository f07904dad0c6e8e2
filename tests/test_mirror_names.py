"""Credentials in a repository URL never leave: not in the mirror's folder name, not on stderr,
not in any report file."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli

from commitdigest.git.mirror import (
    mirror_dir,
    name_from_url,
    redact_url,
    strip_credentials,
)

DAY = "2026-01-13"
TOKEN = "ghp_S3cr3tT0kenValue0123456789abcdef"


@pytest.fixture
def short_upstream(make_repo):
    """The upstream at a short path, as a real one would be (/srv/git/lib): a folder name keeps
    the last 80 characters of the URL, and a long test path would push the token out of them."""
    upstream = make_repo("upstream")
    upstream.commit("feat: start", {"src/a.py": "a = 1\n"}, when=f"{DAY}T10:00:00+08:00")
    short = Path(tempfile.mkdtemp(prefix="cd-", dir="/tmp"))
    (short / "lib").symlink_to(upstream.path)
    yield short / "lib"
    shutil.rmtree(short, ignore_errors=True)


def test_a_token_in_a_url_reaches_no_output_and_no_message(short_upstream, tmp_path):
    url = f"file://user:{TOKEN}@{short_upstream}"
    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n'
                   f'[[repos]]\nurl = "{url}"\nbranch = "no-such-branch"\n\n'
                   f'[[repos]]\nurl = "{url}"\nname = "good"\n\n'
                   '[output]\ndir = "out"\nformats = ["md", "json", "html", "feed"]\n')
    r = run_cli("run", "--date", DAY, "--no-notify", cwd=tmp_path)
    assert r.returncode == 7, r.stderr  # the bad branch fails its section; the other is written
    assert "no-such-branch" in r.stderr
    secret = TOKEN.lower()  # folder names are lower-cased: look for the token in any case
    assert secret not in r.stderr.lower() and secret not in r.stdout.lower()
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert {p.suffix for p in written} >= {".md", ".json", ".html", ".xml"}
    for p in written:
        assert secret not in p.read_text(encoding="utf-8", errors="replace").lower(), p
    mirrors = list(Path(os.environ["COMMITDIGEST_CACHE_DIR"]).glob("mirrors/*"))
    assert mirrors and all(secret not in m.name and "user" not in m.name for m in mirrors)


def test_report_command_with_a_token_url_and_a_bad_branch_says_so_without_it(short_upstream, tmp_path):
    r = run_cli("report", "--repo", f"file://x-access-token:{TOKEN}@{short_upstream}", "--branch", "nope",
                "--date", DAY, "--out", str(tmp_path / "out"))
    assert r.returncode == 3
    assert "unknown branch 'nope'" in r.stderr and TOKEN.lower() not in r.stderr.lower()


def test_names_and_messages_drop_userinfo_and_mask_query_values():
    assert strip_credentials(f"https://u:{TOKEN}@github.com/acme/lib.git") == "https://github.com/acme/lib.git"
    assert strip_credentials(f"https://gitlab.example/g/p.git?private_token={TOKEN}") == "https://gitlab.example/g/p.git"
    assert strip_credentials("git@github.com:acme/lib.git") == "git@github.com:acme/lib.git"
    # a URL without credentials keeps the folder it always had: existing mirrors are found again
    assert mirror_dir(Path("/c"), "https://github.com/acme/lib").name == "github.com-acme-lib-4852cd3a0d.git"
    cache = Path("/c")
    assert mirror_dir(cache, f"https://u:{TOKEN}@github.com/acme/lib") == mirror_dir(cache, "https://github.com/acme/lib")
    assert TOKEN not in str(mirror_dir(cache, f"https://h.example/p.git?token={TOKEN}"))
    assert name_from_url(f"file://user:{TOKEN}@/srv/lib") == "srv/lib"
    assert name_from_url(f"https://{TOKEN}@github.com/acme/lib.git") == "acme/lib"
    msg = redact_url(f"fatal: repository 'https://u:p@ss{TOKEN}@h.example/p.git?private_token={TOKEN}&x=1' not found")
    assert TOKEN not in msg and "h.example/p.git?private_token=***&x=***" in msg and "u:p" not in msg
