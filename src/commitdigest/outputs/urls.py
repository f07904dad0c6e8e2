"""Addresses that may become a link: only http(s) with a host.

A configured ``base_url`` or ``web_url`` ends up in ``href`` attributes of the site, the feed and
notifications; ``javascript:`` or ``data:`` there would run in a reader's browser. The config check
and the renderers share this one rule.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def is_web_url(value: str | None) -> bool:
    if not value or value != value.strip() or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def web_url_or_none(value: str | None) -> str | None:
    """``value`` when it may be a link, else None (the renderers then show text, not a link)."""
    return value if is_web_url(value) else None
