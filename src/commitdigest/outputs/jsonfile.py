"""The tool's own JSON files read back — report and rollup twins, the deliveries record — with a
size and a depth limit.

What is in the output directory may be damaged or planted. ``json.loads`` of ``[[[[…`` 100,000
deep raises RecursionError (not ValueError), and a multi-gigabyte file would be read whole; either
used to end every later run in an internal error. Here each is an ``InputError`` naming the file,
which the callers turn into "skipped" (a twin) or "set aside" (the deliveries record).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from commitdigest.errors import InputError

#: deeper than any file the tool writes (a twin is about 6 levels deep)
MAX_DEPTH = 64
#: a report or rollup twin: a year of a very busy repository is far below this
TWIN_BYTES = 512 << 20


def load(path: Path, max_bytes: int = TWIN_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed content of ``path``; InputError when it cannot be read, is larger than
    ``max_bytes``, is not JSON or nests deeper than ``max_depth``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(f"{path}: larger than {max_bytes >> 20} MB, not a file commitdigest wrote")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:  # the decoder's own guard, at about a thousand levels
        raise InputError(f"{path}: nested too deeply, not a file commitdigest wrote") from None
    if _depth_over(value, max_depth):
        raise InputError(f"{path}: nested deeper than {max_depth} levels, not a file commitdigest wrote")
    return value


def _depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit``, without recursion (the parsed tree may be
    close to the interpreter's recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
