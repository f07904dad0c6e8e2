"""An Atom feed of the reports in the directory (RFC 4287), newest first.

Each entry carries the headline counts and the high-importance commits, so a feed reader shows
what matters without opening the page. Entry ids are derived from the report stem and the
feed's address, so they stay stable across reruns and a regenerated day is an update, not a new
entry. Days without commits are left out unless asked for: a feed reader shows every entry as news.
"""

from __future__ import annotations

from pathlib import Path

from commitdigest.models import Importance
from commitdigest.outputs.catalog import scan
from commitdigest.outputs.html import env
from commitdigest.outputs.text import clean
from commitdigest.outputs.urls import web_url_or_none
from commitdigest.vocab import EMOJI, words

MAX_ENTRIES = 50


def render_feed(reports_dir: Path, language: str, base_url: str | None = None, quiet_days: bool = False) -> str:
    catalog = scan(reports_dir)
    entries = [e for e in catalog.entries if quiet_days or not e.quiet][:MAX_ENTRIES]
    # The config and the flag are checked already; this keeps "javascript:" out of links regardless.
    base_url = web_url_or_none(base_url)
    base = base_url.rstrip("/") + "/" if base_url else ""
    updated = max((e.generated for e in entries), default=None)
    w = words(language)
    return clean(env().get_template("feed.xml.j2").render(
        entries=entries, base=base, title=w.html["index_title"], H=w.html,
        feed_id=f"{base}feed.xml" if base else "urn:commitdigest:" + reports_dir.resolve().name,
        updated=updated.isoformat(timespec="seconds") if updated else "1970-01-01T00:00:00+00:00",
        LEVELS=[(i.value, EMOJI[i], w.importance[i])
                for i in (Importance.high, Importance.medium, Importance.low)],
    ))
