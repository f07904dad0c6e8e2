"""A read-only view of a user's repository: its objects, nothing else.

git 2.39 reads attributes from a working copy's files (``.gitattributes``, even uncommitted) and
from ``<git dir>/info/attributes``, and no option turns either off (``--attr-source`` came in
2.40, and still reads ``info/attributes``). An attribute such as ``*.py -diff`` shows a 40-line
change as binary, +0/−0. The repository's own config, ``info/grafts`` and ``refs/replace`` change
what is read as well.

So commits are read in a small bare repository made for the purpose in a temporary folder: its
object store borrows the repository's as an alternate (every object, packs and all, none
copied), its config says only what the object format is, and it holds the repository's
``shallow`` list so a shallow clone's boundary stays parentless. There is no working tree, no
``info/``, no ref and no remote: no attribute, replacement, graft or lazy fetch can apply. Refs
are resolved in the repository itself (``git/repo.py``); the view is handed commit ids.

The tool's own mirrors in the cache are read directly: their config and refs are its own.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading
from pathlib import Path

from commitdigest.errors import RepoError

_views: dict[tuple[str, str, frozenset[str]], Path] = {}
_lock = threading.Lock()


def _quoted(path: str) -> str:
    """A line of ``objects/info/alternates``: as is, or C-quoted when the path could not be one
    line as is (git unquotes a line that starts with a double quote)."""
    if path.isprintable() and not path.startswith(('"', "#")):
        return path
    out = []
    for ch in path:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogateescape"))
    return '"' + "".join(out) + '"'


def view_of(common_dir: Path, object_format: str = "sha1", shallow: frozenset[str] = frozenset()) -> Path:
    """The view of the repository whose common git folder is ``common_dir``, made once per process
    (and removed when it ends)."""
    if not re.fullmatch(r"[a-z0-9]{1,16}", object_format):
        raise RepoError(f"{common_dir}: git named an unknown object format")
    key = (str(common_dir), object_format, shallow)
    with _lock:
        found = _views.get(key)
        if found is not None and found.is_dir():
            return found
        try:
            view = Path(tempfile.mkdtemp(prefix="commitdigest-view-"))
        except OSError as exc:
            raise RepoError(f"cannot make a temporary folder to read {common_dir}: {exc.strerror or exc}") from None
        atexit.register(shutil.rmtree, view, True)
        try:
            (view / "refs").mkdir()
            (view / "objects" / "info").mkdir(parents=True)
            (view / "objects" / "info" / "alternates").write_text(
                _quoted(str(common_dir / "objects")) + "\n", encoding="utf-8", errors="surrogateescape")
            (view / "HEAD").write_text("ref: refs/heads/view\n", encoding="ascii")
            config = "[core]\n\tbare = true\n"
            if object_format != "sha1":
                config += f"\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = {object_format}\n"
            (view / "config").write_text(config, encoding="ascii")
            if shallow:
                (view / "shallow").write_text("".join(f"{sha}\n" for sha in sorted(shallow)), encoding="ascii")
        except OSError as exc:
            shutil.rmtree(view, ignore_errors=True)
            raise RepoError(f"cannot make a temporary folder to read {common_dir}: {exc.strerror or exc}") from None
        _views[key] = view
        return view
