"""The answer a model must give, per language and tier depth: pydantic models generate the JSON
schema sent as ``response_format``, and ``parse_answer`` reads a reply leniently, item by item.

Why lenient: one bad bullet must not throw away a good answer. Only what the record cannot do
without — a JSON object, a change type from the vocabulary (and an importance, when the model
rates) — makes the whole answer invalid and earns the repair turn. Every prose item is judged on
its own afterwards (``llm.items``): dropped and counted, never fatal by itself.

The schema leaves prose free: any characters, quotes and Markdown code spans, up to generous
lengths. The only steering is for grammar-constrained servers (llama.cpp's ``json_object`` +
schema): there a Chinese prose field must contain one CJK character somewhere, which is what
keeps small local models from answering in English. Servers that take ``json_schema`` (hosted
models, vLLM) get no pattern and no length keywords — the prompt states the lengths, and the
language is checked on the parsed answer.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from commitdigest.models import ChangeType, Importance

#: How much room an answer has. The example reports' summary points run to ~150 characters in
#: Chinese and their English equivalents to ~300, so the caps leave room above both.
CAPS = {
    "summary": 6, "summary_low": 2, "item_chars": 400, "impact_scope": 8, "note_chars": 200,
    "insight_points": 3, "risks": 6, "detail_chars": 400, "recommendations": 6, "conclusion_chars": 300,
}
#: The caps a grammar-constrained server (``json_object`` + schema) enforces. Grammars make every
#: cap exact, and the small models served that way run each string to its cap and each list to
#: its length: these keep a whole high-tier answer (~1,800 Chinese characters) within about a
#: thousand completion tokens, so the JSON closes before ``max_tokens`` cuts it. English needs
#: about twice the characters for a sentence (at 160 a third of the English strings of a real
#: run ended at the cap, mid-word): its caps are wider and its lists no longer.
COMPACT_CAPS = {
    "summary": 3, "summary_low": 2, "item_chars": 160, "impact_scope": 4, "note_chars": 60,
    "insight_points": 1, "risks": 3, "detail_chars": 120, "recommendations": 3, "conclusion_chars": 120,
}
COMPACT_CAPS_EN = {**COMPACT_CAPS, "item_chars": 280, "note_chars": 120, "detail_chars": 220,
                   "conclusion_chars": 220}


def caps_for(language: str, mode: str) -> dict[str, int]:
    """The caps in force for an answer in ``language`` asked for in ``mode``."""
    if mode != "json_object":
        return CAPS
    return COMPACT_CAPS if language == "zh" else COMPACT_CAPS_EN
INSIGHT_KEYS = ("architecture", "performance", "security")

# For grammar engines the pattern must be anchored (llama.cpp asserts ^…$), and its free parts
# exclude the quote, backslash and control characters: the grammar matches the raw characters
# of the JSON string, where an unescaped quote would end it.
_FREE = '[^"\\\\\\x00-\\x1f]'


def zh_steer(cap: int) -> str:
    """Chinese from the first word on, within ``cap`` characters: a CJK character first, or one
    code span and then one. A CJK character merely somewhere let the 0.5B model write English
    sentences with one Chinese word in them. The bound is in the pattern because llama.cpp lets a
    pattern override ``maxLength``: unbounded, a small model fills the string until max_tokens
    runs out and the JSON never closes."""
    cjk = "[\u4e00-\u9fff]"
    span = "`[^`\"\\\\\\x00-\\x1f]{1,60}` ?"
    # A plain group: llama.cpp's converter rejects "(?:", and the server then drops the grammar.
    return f"^({cjk}|{span}{cjk}){_FREE}{{0,{max(cap - 2, 1)}}}$"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _prose(cap: int) -> Any:
    return Annotated[str, StringConstraints(max_length=cap)]


def _prose_list(cap: int) -> Any:
    # The caps are chosen at run time: the type is built from them, not spelt as an annotation.
    return list[Annotated[str, StringConstraints(max_length=cap)]]


@cache
def answer_model(language: str, depth: str = "high", rate: bool = False, compact: bool = False) -> type[BaseModel]:
    """The answer at a tier's ``depth``: low asks for the type and a short summary; medium adds
    impact scope, risks and recommendations; high asks for everything. ``rate`` adds the
    importance and its reason, for when the model re-rates the commit. The model generates the
    schema; replies are read by ``parse_answer``, not by validating against it. ``compact`` takes
    the caps for grammar-constrained servers."""
    caps = caps_for(language, "json_object" if compact else "json_schema")
    item, items = _prose(caps["item_chars"]), _prose_list(caps["item_chars"])
    scope = create_model("ScopeItem", __base__=_Closed,
                         path=(str, Field(description="a path from the commit's file list, or a directory of one")),
                         note=(_prose(caps["note_chars"]), Field(description="what this change does there")))
    points = (items, Field(max_length=caps["insight_points"]))
    insights = create_model("Insight", __base__=_Closed, architecture=points, performance=points, security=points)
    risk = create_model("RiskItem", __base__=_Closed, risk=(item, ...), detail=(_prose(caps["detail_chars"]), ...),
                        severity=(Importance, ...))
    # Summary first: a model that has described the change types and rates it better.
    low = depth == "low"
    fields: dict[str, Any] = {
        "summary": (items, Field(min_length=1, max_length=caps["summary_low" if low else "summary"])),
        "change_type": (ChangeType, ...),
    }
    if rate:
        fields["importance"] = (Importance, ...)
        fields["importance_reason"] = (_prose(caps["note_chars"]), ...)
    if not low:
        fields["impact_scope"] = (list[scope], Field(max_length=caps["impact_scope"]))
    if depth == "high":
        fields["insights"] = (insights, ...)
    if not low:
        # High-tier commits are asked for at least one concrete risk: "an empty list when there
        # are none" led small models to report none on every commit.
        fields["risks"] = (list[risk], Field(min_length=1 if depth == "high" else 0, max_length=caps["risks"]))
        fields["recommendations"] = (items, Field(max_length=caps["recommendations"]))
    if depth == "high":
        fields["conclusion"] = (_prose(caps["conclusion_chars"]), ...)
    name = f"CommitAnswer_{language}_{depth}{'_rated' if rate else ''}"
    return create_model(name, __base__=_Closed, **fields)


def sections(depth: str, rate: bool = False) -> list[str]:
    """The answer's sections at ``depth``, in schema order."""
    return list(answer_model("en", depth, rate).model_fields)


@cache
def _schema(language: str, depth: str, rate: bool, mode: str) -> str:
    schema = answer_model(language, depth, rate, compact=mode == "json_object").model_json_schema()
    _tidy(schema, language, mode)
    return json.dumps(schema, ensure_ascii=False)


def answer_schema(language: str, depth: str = "high", rate: bool = False,
                  mode: str = "json_schema") -> dict[str, Any]:
    """The JSON schema of the answer as sent in ``mode``: every property required, no extra
    properties, no titles (they only cost tokens); length caps and the Chinese steering pattern
    only where a grammar engine reads them (``json_object``) or the model reads them (``prompt``)."""
    return copy.deepcopy(json.loads(_schema(language, depth, rate, mode)))


def _tidy(node: Any, language: str, mode: str) -> None:
    if isinstance(node, dict):
        node.pop("title", None)
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        if node.get("type") == "string" and "maxLength" in node:  # prose
            if mode == "json_schema":
                del node["maxLength"]  # strict servers reject or ignore it; the prompt states it
            elif mode == "json_object" and language == "zh":
                node["pattern"] = zh_steer(node.pop("maxLength"))
        for value in node.values():
            _tidy(value, language, mode)
    elif isinstance(node, list):
        for value in node:
            _tidy(value, language, mode)


# ------------------------------------------------------------------------------ reading replies


class AnswerInvalid(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(reason)
        self.reason = reason  # short, for the report
        self.detail = detail  # for the model, in the repair turn


@dataclass
class Draft:
    """A reply read leniently: the mandatory fields checked, every prose item still raw text
    (validated one by one afterwards). ``dropped`` counts items that were not even text."""

    change_type: ChangeType
    importance: Importance | None = None
    importance_reason: str = ""
    summary: list[str] = field(default_factory=list)
    impact_scope: list[tuple[str, str]] = field(default_factory=list)  # (path, note)
    insights: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in INSIGHT_KEYS})
    risks: list[tuple[str, str, Importance]] = field(default_factory=list)  # (risk, detail, severity)
    recommendations: list[str] = field(default_factory=list)
    conclusion: str = ""
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, cause: str, n: int = 1) -> None:
        if n > 0:
            self.dropped[cause] = self.dropped.get(cause, 0) + n


_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def load_json(content: str, finish_reason: str | None) -> Any:
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{"):
        # Plain-prompt mode: some models put a sentence before the object.
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            text = text[start:end + 1]
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the answer was cut off at the token limit)" if finish_reason == "length" else ""
        raise AnswerInvalid("not JSON" + cut, f"it is not valid JSON ({exc.msg} at character {exc.pos}){cut}.") from None


#: Where a sentence may end: a full stop of either script, or a Latin one before a space.
_SENTENCE_END = re.compile(r"[。！？]|[.!?](?=\s)")
_ENDS = ("。", "！", "？", ".", "!", "?")


def whole(text: str, cap: int, grammar: bool) -> str | None:
    """``text`` as whole sentences within ``cap``, or None when no whole sentence is left. A
    string at the cap a grammar enforces (one short of it: the Chinese pattern's bound) was cut
    there by the server, not ended by the model, unless it ends a sentence; past ``cap`` it was
    long; one that ends inside a code span it opened (`` `transcribe``) stopped mid-name. Either
    way the last sentence that ends before the cut is where it stops: a reader never sees
    "…the input string is empty, the `p"."""
    text = text.strip()
    reached = len(text) >= cap - 1 if grammar else len(text) > cap
    open_span = text.count("`") % 2 == 1 and not text.endswith(_ENDS)
    if not open_span and (not reached or (len(text) <= cap and text.endswith(_ENDS))):
        return text
    head = text[:text.rfind("`")] if open_span else text[:cap]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if not ends:
        return None
    return text[:ends[-1]].rstrip()


def parse_answer(data: Any, depth: str, rate: bool, caps: dict[str, int] | None = None,
                 grammar: bool = False) -> Draft:
    """Reads ``data`` (a parsed reply). Raises ``AnswerInvalid`` only when what the record
    cannot do without is missing; everything else is kept raw or counted as ``malformed``.
    ``caps`` are the caps the answer was asked within, ``grammar`` whether the server enforced
    them: a string cut at its cap is trimmed to its last whole sentence or dropped (``cut``)."""
    caps = caps or CAPS
    if not isinstance(data, dict):
        raise AnswerInvalid("not a JSON object", "the answer must be one JSON object.")
    allowed_types = ", ".join(t.value for t in ChangeType)
    try:
        change_type = ChangeType(str(data.get("change_type", "")).strip().lower())
    except ValueError:
        raise AnswerInvalid("schema violation at change_type",
                            f"it does not match the schema: change_type must be one of {allowed_types}.") from None
    draft = Draft(change_type=change_type)
    if rate:
        try:
            draft.importance = Importance(str(data.get("importance", "")).strip().lower())
        except ValueError:
            raise AnswerInvalid("schema violation at importance", "it does not match the schema: importance "
                                "must be one of high, medium, low.") from None
        draft.importance_reason = _text(data.get("importance_reason"), caps["note_chars"], draft, grammar) or ""

    draft.summary = _texts(data.get("summary"), caps["summary_low" if depth == "low" else "summary"],
                           caps["item_chars"], draft, grammar)
    if depth == "low":
        return draft  # sections a low tier is not asked for are ignored, not counted
    for item in _list(data.get("impact_scope"), caps["impact_scope"], draft):
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            draft.impact_scope.append((item["path"], _text(item.get("note"), caps["note_chars"], draft, grammar) or ""))
        else:
            draft.drop("malformed")
    for item in _list(data.get("risks"), caps["risks"], draft):
        if not isinstance(item, dict) or not isinstance(item.get("risk"), str):
            draft.drop("malformed")
            continue
        risk = _text(item["risk"], caps["item_chars"], draft, grammar)
        if not risk:
            continue
        try:
            severity = Importance(str(item.get("severity", "medium")).strip().lower())
        except ValueError:
            severity = Importance.medium
        draft.risks.append((risk, _text(item.get("detail"), caps["detail_chars"], draft, grammar) or "", severity))
    draft.recommendations = _texts(data.get("recommendations"), caps["recommendations"], caps["item_chars"], draft,
                                   grammar)
    if depth == "high":
        raw = data.get("insights")
        raw = raw if isinstance(raw, dict) else {}
        for key in INSIGHT_KEYS:
            value = raw.get(key)
            # One sentence (an older schema, or a model that ignores the list) is one point.
            value = [value] if isinstance(value, str) else value
            draft.insights[key] = _texts(value, caps["insight_points"], caps["item_chars"], draft, grammar)
        draft.conclusion = _text(data.get("conclusion"), caps["conclusion_chars"], draft, grammar) or ""
    return draft


def _list(value: Any, cap: int, draft: Draft) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        draft.drop("malformed")
        return []
    draft.drop("over_limit", len(value) - cap)
    return value[:cap]


def _text(value: Any, cap: int, draft: Draft, grammar: bool) -> str | None:
    """The string as whole sentences; "" (counted as ``cut``) when none is left; None when it
    is not a string."""
    if not isinstance(value, str):
        return None
    text = whole(value, cap, grammar)
    if text is None:
        draft.drop("cut")
        return ""
    return text


def _texts(value: Any, cap: int, chars: int, draft: Draft, grammar: bool) -> list[str]:
    out = []
    for item in _list(value, cap, draft):
        if not isinstance(item, str):
            draft.drop("malformed")
            continue
        text = _text(item, chars, draft, grammar)
        if text:
            out.append(text)
    return out
