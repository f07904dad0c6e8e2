"""Atomic file writes: a reader (or a crash) never sees half a report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from commitdigest.errors import OutputError


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK):
        raise OutputError(f"output directory {path} is not writable")
    return path


def check_writable(path: Path) -> None:
    """Fail before any work if ``path`` could not be created or written — without creating it,
    so a run that fails later leaves nothing behind."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OutputError(f"cannot create output directory {path}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {path} is not writable")


def write_atomic(path: Path, text: str) -> Path:
    """Write to a temp file in the same directory, fsync, then rename over ``path``."""
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_all(files: dict[Path, str]) -> list[Path]:
    """Render everything first (callers do), then write each file atomically."""
    return [write_atomic(p, text) for p, text in files.items()]
