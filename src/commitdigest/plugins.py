"""Extensions from installed packages: entry points, read when a registry first needs them.

A package adds an output format, a notification channel, a kind of source or an analyzer with one
module and one line in its own ``pyproject.toml``, naming the object the registry takes::

    [project.entry-points."commitdigest.formats"]
    txt = "commitdigest_txt:FORMAT"          # an outputs.formats.Format

The groups are ``commitdigest.formats`` (``Format``), ``commitdigest.channels``
(``notify.registry.ChannelType``), ``commitdigest.sources`` (``sources.SourceKind``) and
``commitdigest.analyzers`` (``analysis.factory.AnalyzerType``). A registry reads its group the
first time it is asked for a name it does not hold, or for all of them: a command that uses only
built-in names never imports ``importlib.metadata`` (tens of milliseconds), and ``--help`` never
reads an entry point. A plugin that cannot be loaded, or is not what its group takes, is one
warning; the others and the built-in ones go on.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("commitdigest")

FORMATS = "commitdigest.formats"
CHANNELS = "commitdigest.channels"
SOURCES = "commitdigest.sources"
ANALYZERS = "commitdigest.analyzers"

_loaded: dict[tuple[str, type], list[tuple[str, Any]]] = {}


def load(group: str, kind: type) -> list[tuple[str, Any]]:
    """(entry point name, object) of every installed plugin of ``group`` whose object is a
    ``kind``, in a stable order; read once per process."""
    key = (group, kind)
    if key in _loaded:
        return _loaded[key]
    from importlib.metadata import entry_points

    found: list[tuple[str, Any]] = []
    for ep in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
        try:
            obj = ep.load()
        except Exception as exc:  # someone else's package: its failure must not sink the run
            log.warning("plugin %s = %s (%s) could not be loaded: %s: %s", ep.name, ep.value, group,
                        type(exc).__name__, exc)
            continue
        if not isinstance(obj, kind):
            log.warning("plugin %s = %s (%s) is a %s, not a %s; left out", ep.name, ep.value, group,
                        type(obj).__name__, kind.__name__)
            continue
        found.append((ep.name, obj))
    _loaded[key] = found
    return found
