"""Judging a model's answer item by item: what a small model gets wrong is usually one bullet,
not the whole answer.

An item is dropped, and counted under its cause, when it is
- ``placeholder``: "无", "N/A" and the like, where a list item should say something;
- ``language``: not in the report's language (Chinese prose with code spans and paths removed
  must be mostly Chinese; English prose must not be);
- ``echo``: a line of the instructions, the offline hints' label or the importance rubric
  given back as analysis;
- ``subject``: only the commit's subject said again;
- ``duplicate``: the same as an item kept before it;
- ``identifier`` / ``path``: something presented as code that the commit does not have;
- ``fact``: a claim that a definition or value was added, removed or changed the other way
  round from the commit's semantic facts (``llm.claims``).

Placeholders include a bare importance word ("高", "low") given as a risk; a copy of the
subject includes a translation of it (the subject's own words and little else); a wrong
language includes a fragment that mixes the two ("保持 checkout 线 endings为 LF").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from commitdigest.analysis.grounding import first_ungrounded
from commitdigest.llm.claims import Facts
from commitdigest.llm.schema import INSIGHT_KEYS, Draft

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPAN = re.compile(r"(`+).+?\1")
_CODEISH = re.compile(r"\S*(?:[/_:.(\\]|[a-z][A-Z])\S*|https?://\S+")

# What small models write when a field does not apply; the report shows nothing rather than "无".
PLACEHOLDERS = {"无", "暂无", "没有", "无影响", "不适用", "无明显影响", "无风险", "无建议", "none", "n/a", "na", "null",
                "-", "—", "nothing", "no impact", "not applicable", "no risks", "none found",
                # a risk row that names only its level: the small models' empty row
                "高", "中", "低", "高风险", "中风险", "低风险", "high", "medium", "low", "high risk", "medium risk",
                "low risk", "严重", "一般", "轻微"}

#: Share of CJK among the letters of Chinese prose (code removed) below which it is not Chinese.
#: The example reports' items are 0.55 and above; an English sentence with one Chinese word is
#: below 0.2.
ZH_MIN_SHARE = 0.3
_SHORT = 12
#: English prose may quote a Chinese term, not be written in Chinese.
EN_MAX_SHARE = 0.2
_ECHO_RATIO = 0.8
#: letters of a risk without a detail below which it names nothing ("兼容性", "breaking")
_BARE_RISK = 6
#: Letters and digits (Chinese, English) below which a point says nothing: "性能提升",
#: "代码结构的优化", "better performance". An insight or a risk is held to more than a summary
#: point, which may be short and concrete ("修复 `x` 为空时的崩溃").
_SAYS_NOTHING = {"point": (6, 12), "insight": (8, 20)}
_DUP_RATIO = 0.85
_SUBJECT_RATIO = 0.85
_PREFIX = re.compile(r"^\s*[a-z]+(\([^)]*\))?!?:\s*", re.IGNORECASE)
_PR = re.compile(r"\s*\(#\d+\)\s*$")


def placeholder(text: str) -> bool:
    return text.strip().strip("。.!！ ").lower() in PLACEHOLDERS


_PLAIN_WORD = re.compile(r"(?<![A-Za-z0-9_])[a-z]{3,}(?![A-Za-z0-9_])")
#: Chinese prose this short with two plain English words in it is a fragment, not a sentence.
_FRAGMENT_CJK = 8


def mixed_fragment(text: str) -> bool:
    """A Chinese item that is half an English phrase left untranslated: few Chinese characters
    and at least two plain lowercase English words outside code ("保持 checkout 线 endings为 LF").
    Names in code spans, paths, acronyms and capitalised product names do not count."""
    prose = _CODEISH.sub(" ", _SPAN.sub(" ", text))
    return len(_CJK.findall(prose)) < _FRAGMENT_CJK and len(_PLAIN_WORD.findall(prose)) >= 2


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z]", text)}


#: A translation of the subject keeps the subject's names and adds about as many Chinese
#: characters as the subject has words; a real point adds names or says much more.
_TRANSLATION_CJK_PER_WORD = 3


def translated_subject(text: str, subject: str) -> bool:
    """A Chinese item that only says the English subject again: every Latin word in it is a
    word of the subject, and it has no more Chinese than a translation would need."""
    subject = _PR.sub("", _PREFIX.sub("", subject))
    mine, theirs = _words(_SPAN.sub(lambda m: m.group(0).strip("`"), text)), _words(subject)
    if not mine or not theirs or not mine <= theirs or _CJK.search(subject):
        return False
    return len(_CJK.findall(text)) <= _TRANSLATION_CJK_PER_WORD * len(subject.split())


def _weights(text: str) -> tuple[int, int]:
    prose = _CODEISH.sub(" ", _SPAN.sub(" ", text))
    # A Latin word weighs like a Chinese word of about two characters, not like its letters.
    return len(_CJK.findall(prose)), len(re.findall(r"[A-Za-z]{2,}", prose)) * 2


def in_language(text: str, language: str) -> bool:
    cjk, latin = _weights(text)
    if cjk + latin == 0:
        return True
    share = cjk / (cjk + latin)
    if language != "zh":
        return share <= EN_MAX_SHARE
    # A short note ("C 与 Python FFI") is mostly names; one Chinese word makes it Chinese.
    return cjk > 0 and (share >= ZH_MIN_SHARE or cjk + latin < _SHORT)


def norm(text: str) -> str:
    """Letters and digits only, lower case: what two wordings share when they say the same."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


@dataclass
class Context:
    """What an answer is judged against, for one commit and one prompt."""

    language: str
    subject: str
    corpus: str  # message, file list and diff as sent
    echo_lines: list[str] = field(default_factory=list)  # normalised lines of the prompt we wrote
    facts: Facts | None = None  # the commit's semantic facts, when it has any

    def __post_init__(self) -> None:
        self.subject_norm = norm(_PR.sub("", _PREFIX.sub("", self.subject)))
        self.echo_norm = [n for n in (norm(line) for line in self.echo_lines) if len(n) >= 8]


def echo_sources(*texts: str) -> list[str]:
    """Our own prompt text cut into lines and sentences: the units a model copies."""
    out: list[str] = []
    for text in texts:
        for line in text.splitlines():
            out.extend(p for p in re.split(r"(?<=[.;:。；：])\s+|\s+[—-]\s+", line) if p.strip())
            out.append(line)
    return out


class Judge:
    def __init__(self, ctx: Context, draft: Draft):
        self.ctx = ctx
        self.draft = draft
        self._kept: list[str] = []

    def cause(self, text: str, *, list_item: bool = True) -> str | None:
        """Why ``text`` must go, or None when it stays (and then counts for later duplicates)."""
        if placeholder(text):
            return "placeholder" if list_item else ""
        if not in_language(text, self.ctx.language) or (self.ctx.language == "zh" and mixed_fragment(text)):
            return "language"
        n = norm(text)
        if self._echo(n):
            return "echo"
        if list_item and self.ctx.subject_norm and (
                _similar(norm(_PR.sub("", _PREFIX.sub("", text))), self.ctx.subject_norm, _SUBJECT_RATIO)
                or (self.ctx.language == "zh" and translated_subject(text, self.ctx.subject))):
            return "subject"
        if any(_similar(n, k, _DUP_RATIO) for k in self._kept):
            return "duplicate"
        kind = first_ungrounded(text, self.ctx.corpus)
        if kind:
            return kind
        if self.ctx.facts is not None and self.ctx.facts.contradiction(text):
            return "fact"
        self._kept.append(n)
        return None

    def bare(self, text: str, kind: str = "point") -> bool:
        """Too short to say anything a reader can use."""
        zh, en = _SAYS_NOTHING[kind]
        letters = len(norm(_SPAN.sub(lambda m: m.group(0).strip("`") + "xx", text)))
        return letters < (zh if self.ctx.language == "zh" else en)

    def keep(self, items: Iterable[str], kind: str = "point") -> list[str]:
        out = []
        for text in items:
            why = "placeholder" if self.bare(text, kind) else self.cause(text)
            if why:
                self.draft.drop(why)
            else:
                out.append(text)
        return out

    def one(self, text: str) -> str:
        """A single field (conclusion, importance reason): blanked instead of dropped."""
        if not text or placeholder(text):
            return ""
        why = self.cause(text, list_item=False)
        if why:
            self.draft.drop(why)
            return ""
        return text

    def _echo(self, n: str) -> bool:
        if len(n) < 8:
            return False
        for src in self.ctx.echo_norm:
            if (len(n) >= 12 and n in src) or (len(src) >= 16 and src in n):
                return True
            if abs(len(src) - len(n)) <= max(len(src), len(n)) // 3 and _similar(n, src, _ECHO_RATIO):
                return True
        return False


def _similar(a: str, b: str, ratio: float) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((len(a), len(b)))
    if shorter < ratio * longer:
        return False  # ratio() cannot reach ``ratio`` then: skip the work
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= ratio


def judge(draft: Draft, ctx: Context) -> Draft:
    """``draft`` with every failing item dropped and counted in ``draft.dropped``. Summary first:
    a later section repeating a summary point is the duplicate, not the point."""
    j = Judge(ctx, draft)
    draft.summary = j.keep(draft.summary)
    scope = []
    for path, note in draft.impact_scope:
        # Paths are grounded against the file list afterwards; a bad note loses only the note.
        why = j.cause(note, list_item=False) if note and not placeholder(note) else None
        if why:
            draft.drop(why)
        scope.append((path, "" if why or placeholder(note) else note))
    draft.impact_scope = scope
    for key in INSIGHT_KEYS:
        # "Nothing to say" is a valid insight: placeholders there are not counted.
        draft.insights[key] = j.keep((p for p in draft.insights[key] if not placeholder(p)), "insight")
    risks = []
    for risk, detail, severity in draft.risks:
        why = "placeholder" if j.bare(risk + detail, "insight") else j.cause(risk)
        if why:
            draft.drop(why)
            continue
        if detail and (placeholder(detail) or j.cause(detail, list_item=False)):
            detail = ""
        if not detail and len(norm(risk)) < _BARE_RISK:
            draft.drop("placeholder")  # a word or two with no reason: not a risk a reader can weigh
            continue
        risks.append((risk, detail, severity))
    draft.risks = risks
    draft.recommendations = j.keep(draft.recommendations)
    draft.conclusion = j.one(draft.conclusion)
    if draft.importance_reason:
        draft.importance_reason = j.one(draft.importance_reason)
    return draft
