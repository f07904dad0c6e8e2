"""Bare mirrors of remote repositories, kept in the cache directory.

Cloned once, then brought up to date with an incremental fetch on every run. Only branches and
tags are fetched (a GitHub mirror of ``refs/*`` would drag in every pull request head). A file
lock per mirror keeps two runs from fetching into the same directory at once; a first clone
goes to a temporary directory and is renamed into place, so an interrupted clone leaves nothing
that looks like a mirror.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from commitdigest.errors import GitError
from commitdigest.git import runner

# How long to wait for another run that is updating the same mirror.
LOCK_WAIT = 600.0


@dataclass
class MirrorResult:
    path: Path
    cloned: bool  # False: an existing mirror was updated


def mirror_dir(cache_dir: Path, url: str) -> Path:
    """A readable, collision-free folder name: host/owner/name plus a hash of the exact URL."""
    readable = re.sub(r"^[a-z+]+://", "", url.lower())
    readable = re.sub(r"[^a-z0-9._-]+", "-", re.sub(r"\.git/?$", "", readable)).strip("-")[-80:]
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    return cache_dir / "mirrors" / f"{readable}-{digest}.git"


_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_url(value: str) -> bool:
    """A remote to mirror (https, ssh, git, file URLs and scp-like user@host:path), not a path."""
    return bool(_URL.match(value))


def name_from_url(url: str) -> str:
    """owner/name from the last two parts of the URL, without .git."""
    tail = re.sub(r"\.git/?$", "", url.rstrip("/"))
    parts = re.split(r"[/:]", tail)
    return "/".join(p for p in parts[-2:] if p) or tail


def redact_url(text: str) -> str:
    """Credentials in a URL (https://user:token@host) must not reach logs or reports."""
    return re.sub(r"(\w+://)[^/@\s]+@", r"\1***@", text)


def ensure_mirror(url: str, cache_dir: Path, timeout: float = runner.DEFAULT_TIMEOUT,
                  lock_wait: float = LOCK_WAIT) -> MirrorResult:
    """Clone ``url`` into the cache, or fetch what is new. Raises GitError with git's reason."""
    target = mirror_dir(cache_dir, url)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target) + ".lock")
    try:
        with lock.acquire(timeout=lock_wait):
            if (target / "HEAD").is_file():
                _fetch(target, timeout)
                return MirrorResult(target, cloned=False)
            _clone(url, target, timeout)
            return MirrorResult(target, cloned=True)
    except Timeout:
        raise GitError(f"{redact_url(url)}: another run has been updating this mirror for "
                       f"{lock_wait:.0f}s; try again later") from None


def _clone(url: str, target: Path, timeout: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
    try:
        r = runner.run(target.parent, ["clone", "--bare", "--quiet", "--", url, str(tmp)], check=False,
                       timeout=timeout)
        if not r.ok:
            raise GitError(f"{redact_url(url)}: clone failed: {redact_url(runner.first_line(r.stderr))}")
        # A bare clone fetches nothing on later fetches unless told which refs to keep.
        runner.run(tmp, ["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], timeout=timeout)
        runner.run(tmp, ["config", "--add", "remote.origin.fetch", "+refs/tags/*:refs/tags/*"], timeout=timeout)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _fetch(target: Path, timeout: float) -> None:
    r = runner.run(target, ["fetch", "--prune", "--quiet", "origin"], check=False, timeout=timeout)
    if not r.ok:
        url = runner.run(target, ["config", "--get", "remote.origin.url"], check=False).text().strip()
        raise GitError(f"{redact_url(url)}: fetch failed: {redact_url(runner.first_line(r.stderr))}")
