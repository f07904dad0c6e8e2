"""A repository on this machine: any location no other kind claims is a path (``~`` expanded)."""

from __future__ import annotations

from pathlib import Path

from commitdigest.sources import Fetch, SourceKind


def _path(location: str, _fetching: Fetch) -> str:
    return str(Path(location).expanduser())


SOURCE = SourceKind(name="local", matches=lambda _location: True, fetch=_path, remote=False)
