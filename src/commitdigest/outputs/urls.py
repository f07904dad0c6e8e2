"""Addresses that may become a link: only http(s) with a host, and encoded for where they go.

A configured ``base_url`` or ``web_url`` ends up in ``href`` attributes of the site, the feed and
notifications; ``javascript:`` or ``data:`` there would run in a reader's browser. The config check
and the renderers share this one rule. A link's destination is also percent-encoded
(:func:`link_target`): ``https://x.example/a)[pwn](javascript:alert(1)`` is an http URL, but as
the target of a Markdown link its ``)`` would end the link and start another, and a ``>`` or
``|`` in a Slack link would end it and let the rest be read as a mention.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

# What a link destination keeps as it is: letters, digits, RFC 3986's unreserved marks and the
# delimiters that give a URL its structure (and "%", so what is encoded stays so). Parentheses,
# angle brackets, "|", "@" (a chat reads "@all" anywhere), quotes, backticks, backslashes, spaces
# and anything beyond ASCII are encoded.
_KEPT = "-._~:/?#[]!$&+,;=%"


def is_web_url(value: str | None) -> bool:
    if not value or value != value.strip() or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises for a port that is not a number below 65536)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def link_target(value: str | None) -> str | None:
    """``value`` encoded as a link destination when it may be a link, else None (the renderers
    then show text, not a link). An ordinary URL comes back unchanged."""
    if not is_web_url(value):
        return None
    assert value is not None
    return quote(value, safe=_KEPT)


#: the name the templates use
web_url_or_none = link_target
