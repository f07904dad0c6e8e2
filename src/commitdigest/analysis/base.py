"""What every analyzer is: commits in, validated ``CommitAnalysis`` records out.

Analyzers are batch-shaped so one that calls a model can run requests concurrently; the
offline one simply loops. ``fingerprint`` names everything that changes an analyzer's output
(kind, model, prompt version, language, budget, the importance scoring's hash): it is half of the
cache key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from commitdigest.analysis.importance import Scoring
from commitdigest.models import Commit, CommitAnalysis, Usage

Progress = Callable[[int], None]  # called with the number of commits just finished


@runtime_checkable
class Analyzer(Protocol):
    #: what reports and records call this analyzer: "heuristic" or "llm:<model>"
    name: str

    #: how the importance tier is scored, unless a call passes a repository's own ``scoring``
    scoring: Scoring

    def fingerprint(self, language: str, scoring: Scoring | None = None) -> str: ...

    def analyze_batch(self, commits: Sequence[Commit], language: str,
                      progress: Progress | None = None, scoring: Scoring | None = None) -> list[CommitAnalysis]: ...

    def usage(self) -> Usage:
        """Calls, tokens and fallbacks spent so far (zeros for offline analyzers)."""
        ...
