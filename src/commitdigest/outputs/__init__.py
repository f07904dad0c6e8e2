"""Where reports leave the process: files now, notifications later."""

from __future__ import annotations

from collections.abc import Sequence

from commitdigest.errors import InputError
from commitdigest.outputs.formats import FORMATS as _REGISTRY

FORMATS = tuple(_REGISTRY)  # the names, in the registry's order (outputs/formats.py)


def check_formats(formats: Sequence[str], allowed: Sequence[str] | None = None) -> list[str]:
    """The output formats asked for, normalised and deduplicated; a flag and a config file key
    share this check, so both say the same thing about a bad name. By default every format of
    the registry is allowed."""
    allowed = tuple(_REGISTRY) if allowed is None else allowed
    out = []
    for f in formats:
        f = f.strip().lower()
        if not f:
            continue
        if f not in allowed:
            raise InputError(f"unknown format '{f}': use one or more of {', '.join(allowed)}")
        if f not in out:
            out.append(f)
    if not out:
        raise InputError(f"no output format given: use one or more of {', '.join(allowed)}")
    return out
