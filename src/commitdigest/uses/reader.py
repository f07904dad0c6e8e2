"""The reader's code: which files of a folder are read, and their bytes, read-only.

A folder named with ``uses`` is the reader's own checkout. It is never fetched, written or run:
when it is a git working tree, ``git ls-files`` (through the one git runner, with its pinned
environment) says which files are the project's — tracked ones and untracked ones its
``.gitignore`` does not exclude — else the folder is walked, leaving out the folders no project
writes by hand (virtual environments, dependencies, build output, caches, dot folders). Vendored
folders are left out either way, as the semantic stage leaves them out upstream.

Its contents are hostile input like a repository's: a link is never followed (a file that is a
link, or lies under a folder that leads out of the tree, is skipped), only regular files are
opened (never a FIFO or a device), a file larger than ``FILE_LIMIT`` is skipped, a name that is not
UTF-8 or holds a control character is skipped (it could not be shown as it is), and at most
``MAX_FILES`` files are read.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from commitdigest.errors import GitError
from commitdigest.git import runner
from commitdigest.semantic.languages import SUFFIXES

#: a file larger than this is not read (generated tables, bundles): as the semantic stage's limit
FILE_LIMIT = 512 * 1024
#: files of the languages read, per folder, at most
MAX_FILES = 50_000

#: the languages the reader's code is read in, by the semantic stage's name for each (its
#: ECMAScript dialects are read as one)
_READ = {"python": "python", "go": "go", "rust": "rust", "typescript": "ecma", "tsx": "ecma", "javascript": "ecma"}
#: suffix → the language the reader's file is read as: the semantic stage's suffixes of those
LANGUAGES = {suffix: _READ[language] for suffix, language in SUFFIXES.items() if language in _READ}
#: folders a project does not write by hand: left out of a walk (git's listing has the project's
#: own ``.gitignore`` for them)
_SKIPPED_DIRS = frozenset({"node_modules", "bower_components", "site-packages", "__pycache__", "venv", ".venv",
                           "env", ".env", "virtualenv", ".tox", ".nox", ".eggs", "vendor", "vendored",
                           "third_party", "thirdparty", "third-party", "target", "dist", "build", ".git", ".hg",
                           ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", ".yarn", ".next"})
_VENDORED = re.compile(r"(^|/)(vendor|vendored|third_party|thirdparty|third-party|node_modules|bower_components|"
                       r"site-packages|\.venv|venv|__pycache__)/", re.I)
_MINIFIED = re.compile(r"\.min\.(js|mjs)$|[.-]bundle\.js$", re.I)


@dataclass(frozen=True)
class ReaderFile:
    """A file of the reader's code to read: its path relative to the folder (with ``/``), its
    language, and its stamp (size and times: what the index cache is keyed by)."""

    path: str
    language: str
    stamp: str


@dataclass
class Listing:
    files: list[ReaderFile]
    problem: str | None = None  # why the folder was not read, or read only in part


def language_of(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return LANGUAGES.get(name[dot:].lower()) if dot > 0 else None


def list_files(root: Path, timeout: float = runner.DEFAULT_TIMEOUT) -> Listing:
    """The files of ``root`` to read. A folder that is not there, or not a folder, is a
    ``problem`` (the report says so) with no files."""
    try:
        st = os.stat(root)
    except OSError as exc:
        return Listing([], f"cannot be read ({exc.strerror or exc})")
    if not stat.S_ISDIR(st.st_mode):
        return Listing([], "is not a folder")
    real_root = os.path.realpath(root)
    names = _git_listing(root, timeout)
    if names is None:
        names = _walk(root)  # leaves out the folders no project writes by hand
    out: list[ReaderFile] = []
    inside: dict[str, bool] = {}
    problem = None
    for rel in names:
        if not _shown(rel):
            continue  # a name that is not UTF-8 text, or holds a control character: never shown
        language = language_of(rel)
        if language is None or _VENDORED.search(rel) or _MINIFIED.search(rel):
            continue
        if len(out) >= MAX_FILES:
            problem = f"has more than {MAX_FILES:,} files to read: the first {MAX_FILES:,} were read"
            break
        full = os.path.join(root, rel)
        folder = os.path.dirname(rel)
        if folder not in inside:
            # A folder that is a link (or under one) may lead out of the tree: nothing under it is read.
            real = os.path.realpath(os.path.join(real_root, folder))
            inside[folder] = real == real_root or real.startswith(real_root + os.sep)
        if not inside[folder]:
            continue
        try:
            fst = os.lstat(full)
        except OSError:
            continue  # listed by git, gone since (deleted in the working tree)
        if not stat.S_ISREG(fst.st_mode) or fst.st_size > FILE_LIMIT:
            continue
        out.append(ReaderFile(path=rel, language=language,
                              stamp=f"{fst.st_size}:{fst.st_mtime_ns}:{fst.st_ctime_ns}:{fst.st_ino}"))
    return Listing(out, problem)


def _shown(name: str) -> bool:
    """A path the report can show as it is: UTF-8, no control character."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept as surrogates
        return False
    return name.isprintable()


def read(root: Path, f: ReaderFile) -> bytes | None:
    """The file's bytes, or None when it cannot be read as the regular file it was listed as
    (replaced by a link, a FIFO, or grown past the limit since)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.join(root, f.path), flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        left = FILE_LIMIT + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return None if len(data) > FILE_LIMIT else data
    except OSError:
        return None
    finally:
        os.close(fd)


def _git_listing(root: Path, timeout: float) -> list[str] | None:
    """The project's files by git (tracked, and untracked ones not ignored), relative to
    ``root``; None when ``root`` is not in a git working tree git will read."""
    try:
        inside = runner.run(root, ["rev-parse", "--is-inside-work-tree"], timeout=timeout, check=False)
        if not inside.ok or inside.text().strip() != "true":
            return None
        listed = runner.run(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], timeout=timeout,
                            check=False)
    except GitError:
        return None
    if not listed.ok:
        return None
    names = listed.stdout.decode("utf-8", "surrogateescape").split("\0")
    return list(dict.fromkeys(n for n in names if n))  # a conflicted file is listed once per stage


def _walk(root: Path) -> list[str]:
    """Every file under ``root`` but those in skipped and dot folders, links never followed."""
    out: list[str] = []
    todo = [""]
    while todo and len(out) <= MAX_FILES * 4:
        rel = todo.pop()
        try:
            with os.scandir(os.path.join(root, rel) if rel else root) as entries:
                for e in entries:
                    name = f"{rel}/{e.name}" if rel else e.name
                    try:
                        if e.is_dir(follow_symlinks=False):
                            if e.name not in _SKIPPED_DIRS and not e.name.startswith("."):
                                todo.append(name)
                        elif e.is_file(follow_symlinks=False):
                            out.append(name)
                    except OSError:
                        continue
        except OSError:
            continue
    return sorted(out)
