"""The closed sets of names a run is configured with, as StrEnums.

Kept apart from ``models`` (and free of imports) so the CLI can declare its flags with them
without loading pydantic: ``--help`` stays fast.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AnalyzerKind", "DateField", "Language"]


class Language(StrEnum):
    """The report languages. A member is its code, so it serialises and formats as ``zh``/``en``."""

    zh = "zh"
    en = "en"


class DateField(StrEnum):
    """Which of a commit's two dates places it in a window."""

    committer = "committer"
    author = "author"


class AnalyzerKind(StrEnum):
    """The analyzer a run asks for. ``auto`` is the model when one is configured, the offline
    analyzer otherwise; the analyzer that ran is named ``heuristic`` or ``llm:<model>``."""

    auto = "auto"
    heuristic = "heuristic"
    llm = "llm"
