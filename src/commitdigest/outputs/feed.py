"""An Atom feed of the reports in the directory (RFC 4287), newest first.

Each entry carries the headline counts and the high-importance commits, so a feed reader shows
what matters without opening the page. Entry ids are derived from the report stem and the
feed's address, so they stay stable across reruns and a regenerated day is an update, not a new
entry.
"""

from __future__ import annotations

from pathlib import Path

from commitdigest.models import Importance
from commitdigest.outputs.catalog import scan
from commitdigest.outputs.html import HTML_WORDS, env
from commitdigest.outputs.site import INDEX_TITLE
from commitdigest.report.labels import EMOJI, IMPORTANCE_WORD

MAX_ENTRIES = 50


def render_feed(reports_dir: Path, language: str, base_url: str | None = None) -> str:
    catalog = scan(reports_dir)
    entries = catalog.entries[:MAX_ENTRIES]
    base = base_url.rstrip("/") + "/" if base_url else ""
    updated = max((e.generated for e in entries), default=None)
    return env().get_template("feed.xml.j2").render(
        entries=entries, base=base, title=INDEX_TITLE[language], H=HTML_WORDS[language],
        feed_id=f"{base}feed.xml" if base else "urn:commitdigest:" + reports_dir.resolve().name,
        updated=updated.isoformat(timespec="seconds") if updated else "1970-01-01T00:00:00+00:00",
        LEVELS=[(i.value, EMOJI[i], IMPORTANCE_WORD[language][i])
                for i in (Importance.high, Importance.medium, Importance.low)],
    )
