"""What every analyzer is: commits in, validated ``CommitAnalysis`` records out.

Analyzers are batch-shaped so one that calls a model can run requests concurrently; the
offline one simply loops. ``fingerprint`` names everything that changes an analyzer's output
(kind, model, prompt version, language, budget): it is half of the cache key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from commitdigest.models import Commit, CommitAnalysis, Usage

Progress = Callable[[int], None]  # called with the number of commits just finished


@runtime_checkable
class Analyzer(Protocol):
    #: what reports and records call this analyzer: "heuristic" or "llm:<model>"
    name: str

    def fingerprint(self, language: str) -> str: ...

    def analyze_batch(self, commits: Sequence[Commit], language: str,
                      progress: Progress | None = None) -> list[CommitAnalysis]: ...

    def usage(self) -> Usage:
        """Calls, tokens and fallbacks spent so far (zeros for offline analyzers)."""
        ...


LANGUAGES = ("zh", "en")
