"""Fixtures: real git repositories with fixed dates, and an isolated user environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

QUICK_ENV = "COMMITDIGEST_QUICK"
# Fixtures that start Chromium or the real model: their tests are the slow ones to set up.
_HEAVY_FIXTURES = {"browser": "needs Chromium", "llama_server": "needs the real model"}


def pytest_configure(config):
    config.addinivalue_line("markers", f"slow: takes tens of seconds; skipped when {QUICK_ENV}=1")


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config, items):
    """While developing, ``COMMITDIGEST_QUICK=1`` (or ``-m "not slow"``) leaves out the tests that
    need Chromium, the real model or a long run; skipped ones say why. ``.ci/run`` sets neither,
    so CI runs everything."""
    quick = bool(os.environ.get(QUICK_ENV))
    for item in items:
        why = next((w for f, w in _HEAVY_FIXTURES.items() if f in item.fixturenames), None)
        if why:
            item.add_marker(pytest.mark.slow)
        elif item.get_closest_marker("slow"):
            why = "is slow"
        if why and quick:
            item.add_marker(pytest.mark.skip(reason=f"{why}; skipped because {QUICK_ENV} is set (.ci/run runs it)"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's cache, config, or LLM settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("COMMITDIGEST_CACHE_DIR", str(home / "cache"))
    for var in list(os.environ):
        # A developer's or CI's forge token must not send tests with github.com remotes to the real API.
        if var.startswith(("COMMITDIGEST_LLM_", "OPENAI_")) or var in (
                "COMMITDIGEST_CONFIG", "GIT_DIR", "GITHUB_TOKEN", "COMMITDIGEST_GITHUB_TOKEN", "GITLAB_TOKEN",
                "COMMITDIGEST_GITLAB_TOKEN", "COMMITDIGEST_GITHUB_API", "COMMITDIGEST_GITLAB_API"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))


def _git_env(when: str | None, author_when: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if when:
        env["GIT_COMMITTER_DATE"] = when
        env["GIT_AUTHOR_DATE"] = author_when or when
    return env


class GitRepo:
    """A throwaway repository; every commit gets explicit author/committer dates."""

    def __init__(self, path: Path, bare: bool = False):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))
        self.git("config", "user.name", "Alice Example")
        self.git("config", "user.email", "alice@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, when: str | None = None, author_when: str | None = None,
            input: bytes | None = None) -> str:
        out = subprocess.run(["git", *args], cwd=self.path, env=_git_env(when, author_when),
                             input=input, capture_output=True, check=False)
        if out.returncode != 0:
            raise AssertionError(f"git {args} failed: {out.stderr.decode(errors='replace')}")
        return out.stdout.decode("utf-8", "replace").strip()

    def write(self, rel: str | bytes, content: str | bytes | None) -> None:
        # Paths may be bytes that are not UTF-8; fsdecode keeps them exact (surrogateescape).
        target = self.path / (os.fsdecode(rel) if isinstance(rel, bytes) else rel)
        if content is None:
            target.unlink()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)

    def commit(self, message: str | bytes, files: dict | None = None, when: str = "2026-01-13T10:00:00+08:00",
               author_when: str | None = None, author: str | None = None, allow_empty: bool = False) -> str:
        for rel, content in (files or {}).items():
            self.write(rel, content)
        self.git("add", "-A")
        args = ["commit", "-q", "--no-verify"]
        if allow_empty or not files:
            args.append("--allow-empty")
        if author:
            args += ["--author", author]
        msg = message if isinstance(message, bytes) else message.encode()
        self.git(*args, "-F", "-", when=when, author_when=author_when, input=msg)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def make_repo(tmp_path):
    counter = iter(range(1000))

    def factory(name: str | None = None, bare: bool = False) -> GitRepo:
        return GitRepo(tmp_path / (name or f"repo{next(counter)}"), bare=bare)

    return factory


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """The installed CLI as a user runs it: a separate process, real stdout/stderr/exit code."""
    return subprocess.run([sys.executable, "-m", "commitdigest", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=timeout)
