"""Atomic file writes: a reader (or a crash) never sees half a report, nor half of a set.

A report is several files (md, json, html). They are all written to temp files and synced
first; only then are they renamed into place, the Markdown last, with Ctrl-C and SIGTERM held
off for the few renames. So a reader never finds a ``.md`` without its ``.json``, and an
interrupt leaves a report whole or absent. A SIGKILL between two renames can still leave the
twin without its Markdown; ``run`` regenerates any day missing a file, and every run or report
first removes the temp files a killed one left (:func:`remove_stale_temps`).

Writes stay inside the output directory (:func:`writing_inside`, which the output lock sets):
the directory itself may be a symbolic link (a published folder elsewhere), but no folder below
it that a file is written in (``rollups/``, ``<year>/<repo>/``) may be one, nor anything but a
folder, since a link planted there would have a report overwrite a file outside. A file that is
a link is replaced, never written through (a rename replaces the link itself).
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeAlias

from commitdigest.errors import OutputError

# The directories writes are kept inside while a block of writing_inside runs (innermost last).
_roots: list[Path] = []


@contextmanager
def writing_inside(root: Path) -> Iterator[None]:
    """While the block runs, every folder a file is written in below ``root`` is checked, from
    ``root`` down: each must be a real folder, not a symbolic link (see the module's notes)."""
    _roots.append(Path(os.path.abspath(root)))
    try:
        yield
    finally:
        _roots.pop()


def check_inside(directory: Path, root: Path | None = None) -> None:
    """Raise OutputError when a folder between ``root`` (default: the innermost of
    :func:`writing_inside` that holds ``directory``) and ``directory`` is a symbolic link or not a
    folder. Folders that do not exist yet are fine: they are created as real ones."""
    target = Path(os.path.abspath(directory))
    base = root if root is not None else next((r for r in reversed(_roots) if target.is_relative_to(r)), None)
    if base is None:
        return
    base = Path(os.path.abspath(base))
    if not target.is_relative_to(base):
        raise OutputError(f"{directory}: outside {base}; commitdigest writes only inside it")
    here = base
    for part in target.relative_to(base).parts:
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return  # it, and everything below it, will be made
        except OSError as exc:
            raise OutputError(f"cannot write in {here}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            raise OutputError(f"{here}: a symbolic link inside {base}; commitdigest writes only inside "
                              "that directory and does not follow it (remove the link)")
        if not stat.S_ISDIR(mode):
            raise OutputError(f"{here}: not a directory")


def check_regular(path: Path, what: str) -> None:
    """Raise OutputError when ``path`` exists and is not a regular file (a symbolic link, a device,
    a pipe, a folder): what is opened or replaced there must be ours."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot use {path} as {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise OutputError(f"{path}: {kind}; commitdigest uses it as {what} only when it is a regular file "
                          "(remove it, or choose another path)")


def ensure_dir(path: Path, root: Path | None = None) -> Path:
    check_inside(path, root)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {path}: {exc.strerror or exc}") from None
    check_inside(path, root)  # made as real folders (and nothing swapped in meanwhile)
    if not os.access(path, os.W_OK):
        raise OutputError(f"output directory {path} is not writable")
    return path


def check_writable(path: Path) -> None:
    """Fail before any work if ``path`` could not be created or written — without creating it,
    so a run that fails later leaves nothing behind."""
    probe = path
    try:
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
    except OSError as exc:  # a name longer than the file system allows, a loop of links
        raise OutputError(f"cannot create output directory {path}: {exc.strerror or exc}") from None
    if probe.exists() and not probe.is_dir():
        raise OutputError(f"cannot create output directory {path}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {path} is not writable")


TEMP_SUFFIX = ".tmp"

#: a file's content: text (written as UTF-8), bytes already encoded (written as they are: a
#: long period's JSON twin is not decoded only to be encoded again), or a function that makes
#: either, called only when the file's turn comes
Content: TypeAlias = str | bytes | bytearray | Callable[[], "str | bytes | bytearray"]

_SLICE = 1 << 20


def _write_temp(path: Path, content: Content) -> str:
    """``content`` in a synced temp file beside ``path``; the temp is removed if anything fails,
    a KeyboardInterrupt included."""
    check_inside(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        data = content() if callable(content) else content
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, str):
                # Encoded a slice at a time: a long report's text is not doubled by its bytes.
                for at in range(0, len(data), _SLICE):
                    fh.write(data[at:at + _SLICE].encode("utf-8"))
            else:
                fh.write(data)
            del data  # this file's content goes before the next file's is made
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException as exc:
        _unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends, then take effect as usual. Only the main
    thread can install handlers; elsewhere the block runs as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


def write_atomic(path: Path, content: Content) -> Path:
    """Write to a temp file in the same directory, fsync, then rename over ``path``."""
    return write_all({path: content})[0]


def write_all(files: dict[Path, Content]) -> list[Path]:
    """Write every file, all or none: temp files first, then renames in the order given (put
    the file readers look for first, the Markdown, last). A function as content is called when
    its file is written, so each file's content can be made, written and let go before the next
    one's is made: a long period's report holds one rendered file at a time, not all of them."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            temps.append((_write_temp(path, content), path))
        with _signals_held():
            for i, (tmp, path) in enumerate(temps):
                try:
                    os.replace(tmp, path)
                except OSError as exc:
                    for left, _ in temps[i:]:
                        _unlink(left)
                    raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                _unlink(tmp)
        raise
    return list(files)


def remove_stale_temps(directory: Path) -> int:
    """Remove the temp files (``.<name>.<random>.tmp``) a killed writer left in ``directory``.
    Call it only while holding the directory's lock, so no live writer's temp is taken."""
    removed = 0
    try:
        entries = list(directory.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and entry.is_file():
            try:
                entry.unlink()
                removed += 1
            except OSError:
                pass
    return removed
