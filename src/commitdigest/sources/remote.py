"""A remote repository (https, ssh, git, file URLs and scp-like ``user@host:path``): mirrored
into the cache — cloned once, fetched after — and read from the mirror."""

from __future__ import annotations

from commitdigest.git.mirror import ensure_mirror, is_url, name_from_url, strip_credentials
from commitdigest.sources import Fetch, SourceKind


def mirror(url: str, fetching: Fetch) -> str:
    if fetching.note:
        fetching.note(f"fetching {fetching.label or strip_credentials(url)}")
    return str(ensure_mirror(url, fetching.cache_dir, timeout=fetching.timeout, kind=fetching.mirror).path)


SOURCE = SourceKind(name="remote", matches=is_url, fetch=mirror, default_name=name_from_url)
