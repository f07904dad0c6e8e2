"""commitdigest: daily update reports of the commits landing in the repositories you track.

The library interface (see ``commitdigest.api`` and the README's "Using it as a library"):
``build_report``, ``analyze_commit``, ``build_rollup`` and ``load_report``. They are imported on
first use, so ``commitdigest --version`` does not pay for the report stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The one place the version is written: pyproject.toml reads it from here. A literal rather than
# importlib.metadata, which alone costs ~40 ms of start-up on every command.
__version__ = "0.1.0"

__all__ = ["__version__", "analyze_commit", "build_report", "build_rollup", "load_report"]

if TYPE_CHECKING:
    from commitdigest.api import analyze_commit, build_report, build_rollup, load_report


def __getattr__(name: str) -> Any:
    if name in ("analyze_commit", "build_report", "build_rollup", "load_report"):
        from commitdigest import api

        return getattr(api, name)
    raise AttributeError(f"module 'commitdigest' has no attribute '{name}'")
