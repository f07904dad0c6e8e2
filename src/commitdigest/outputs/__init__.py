"""Where reports leave the process: files now, notifications later."""

from __future__ import annotations

from collections.abc import Sequence

from commitdigest.errors import InputError
from commitdigest.outputs import formats as _registry

FORMATS = tuple(_registry.FORMATS)  # the built-in names, in the registry's order (outputs/formats.py)


def check_formats(formats: Sequence[str], allowed: Sequence[str] | None = None) -> list[str]:
    """The output formats asked for, normalised and deduplicated; a flag and a config file key
    share this check, so both say the same thing about a bad name. By default every format of
    the registry is allowed, installed ones included."""
    out = []
    for f in formats:
        f = f.strip().lower()
        if not f:
            continue
        known = (f in allowed) if allowed is not None else _registry.get(f) is not None
        if not known:
            names = allowed if allowed is not None else tuple(_registry.discover())
            raise InputError(f"unknown format '{f}': use one or more of {', '.join(names)}")
        if f not in out:
            out.append(f)
    if not out:
        names = allowed if allowed is not None else tuple(_registry.discover())
        raise InputError(f"no output format given: use one or more of {', '.join(names)}")
    return out
