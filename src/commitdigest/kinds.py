"""The closed sets of names a run is configured with, as StrEnums.

Kept apart from ``models`` (and free of imports) so the CLI can declare its flags with them
without loading pydantic: ``--help`` stays fast.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AnalyzerKind", "DateField", "Language", "language_tag"]


class Language(StrEnum):
    """The report languages. A member is its code, so it serialises and formats as ``zh``/``en``."""

    zh = "zh"
    en = "en"


# Language tags people write for the two report languages (compared case-insensitively, ``_`` as
# ``-``): a flag, an environment variable and the config file all accept these.
LANGUAGE_TAGS = {"zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "zh-hans-cn": "zh", "zh-sg": "zh",
                 "en": "en", "en-us": "en", "en-gb": "en"}


def language_tag(text: str) -> Language | None:
    """The report language a tag such as ``zh-CN``, ``EN`` or ``en_US`` names; None when none does."""
    found = LANGUAGE_TAGS.get(text.strip().lower().replace("_", "-"))
    return Language(found) if found else None


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
