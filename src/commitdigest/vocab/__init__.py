"""Every word commitdigest writes, in each report language, and the few helpers that fill them.

``words(language)`` gives one language's ``Vocabulary``: a table per surface (``report``,
``html``, ``rollup``, ``score``, ``offline``, ``model``) plus the tier and change-type words.
The tables are typed (``vocab.tables``), and ``zh.py`` and ``en.py`` fill the same keys, so a
new language is one more file and a new surface one more table. Nothing here imports a stage:
analysis, report and outputs all read their words from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from commitdigest.models import Importance, Language
from commitdigest.vocab import en, zh
from commitdigest.vocab.tables import ReportWords, Vocabulary

#: The same in every language: the tier's colour.
EMOJI: Mapping[Importance, str] = {Importance.high: "🔴", Importance.medium: "🟡", Importance.low: "🟢"}

VOCAB: Mapping[Language, Vocabulary] = {Language.zh: zh.VOCAB, Language.en: en.VOCAB}


def words(language: str) -> Vocabulary:
    """The vocabulary of ``language`` (a ``Language`` or its code)."""
    return VOCAB[Language(language)]


def counted(template: str, n: int, **values: object) -> str:
    """Fill a template holding a count: English nouns agree with it ("1 file", "2 files") through
    ``{s}``; Chinese templates have no plural and ignore it."""
    return template.format(n=n, s="" if n == 1 else "s", **values)


def report_title(language: str, since: str, until: str) -> str:
    report = words(language).report
    if since == until:
        return report["title_day"].format(day=since)
    return report["title_period"].format(since=since, until=until)


def drop_causes(report: ReportWords, dropped: Mapping[str, int]) -> str:
    """``{"echo": 1, "duplicate": 2}`` → "复述提示 1、重复 2" / "1 prompt echo, 2 duplicate"."""
    names: Mapping[str, str] = report["drop_causes"]  # type: ignore[assignment]  # read by a run-time key
    return report["drop_sep"].join(report["drop_item"].format(cause=names.get(cause, cause), n=n)
                                   for cause, n in dropped.items())


__all__ = ["EMOJI", "VOCAB", "Language", "Vocabulary", "counted", "drop_causes", "report_title", "words"]
