"""Where a report's commits come from: a location (a path, a URL…) → a local git repository.

A kind of source is one module holding ``SOURCE = SourceKind(...)`` and its line in ``BUILTIN``:
``matches`` tells whether a location is of that kind, ``fetch`` makes it a local repository path
(a mirror in the cache, for a remote), ``name`` gives the section's default name. Kinds are asked
in order and the first that matches wins; ``local`` (any path) comes last. Everything after
``fetch`` — reading the log, analysing, building — is the same for every kind.

An installed package adds a kind with one module and one entry point naming its ``SourceKind``
(``[project.entry-points."commitdigest.sources"]``, see ``commitdigest.plugins``): installed kinds
are asked before the built-in ones. Code that imports commitdigest can also call
``register(SourceKind(...))``; such a kind is asked first of all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from commitdigest.git.runner import DEFAULT_TIMEOUT as DEFAULT_GIT_TIMEOUT

if TYPE_CHECKING:
    from commitdigest.git.mirror import MirrorKind

#: the kinds that come with commitdigest, asked in this order: one module each, holding ``SOURCE``
BUILTIN = (
    "commitdigest.sources.remote",
    "commitdigest.sources.local",
)


@dataclass(frozen=True)
class Fetch:
    """What fetching may use: the cache (for mirrors), git's time limit, the mirror kind, and a
    progress line for the user."""

    cache_dir: Path
    timeout: float = DEFAULT_GIT_TIMEOUT
    mirror: MirrorKind = "auto"
    note: Callable[[str], None] | None = None
    #: how the progress line names the source (its section's name)
    label: str | None = None


@dataclass(frozen=True)
class SourceKind:
    name: str
    matches: Callable[[str], bool]
    #: the location as a local git repository path; raises a ``CommitdigestError`` with the reason
    fetch: Callable[[str, Fetch], str]
    #: the section's name when the config gives none (default: the repository's own)
    default_name: Callable[[str], str | None] = lambda _location: None
    #: a remote kind: a config's ``[[repos]] url`` may name it (a local one goes in ``path``)
    remote: bool = True


_added: list[SourceKind] = []


def register(kind: SourceKind) -> None:
    """Add a kind (or replace the one of the same name), asked before the built-in ones."""
    _added[:] = [k for k in _added if k.name != kind.name]
    _added.insert(0, kind)


def kinds() -> list[SourceKind]:
    """Every kind, in the order they are asked: registered, installed, built in."""
    from commitdigest import plugins

    installed = [k for _ep, k in plugins.load(plugins.SOURCES, SourceKind)]
    return [*_added, *installed, *(importlib.import_module(m).SOURCE for m in BUILTIN)]


def kind_of(location: str) -> SourceKind:
    return next(k for k in kinds() if k.matches(location))


def is_remote(location: str) -> bool:
    return kind_of(location).remote


def is_path(location: str) -> bool:
    """Whether ``location`` is a path on this machine (no other kind claims it): relative ones are
    made absolute against the folder they were written in, other kinds' locations are left as they are."""
    return kind_of(location).name == "local"


def fetch(location: str, fetching: Fetch) -> str:
    """The local repository path of ``location``."""
    return kind_of(location).fetch(location, fetching)


def default_name(location: str) -> str | None:
    return kind_of(location).default_name(location)
