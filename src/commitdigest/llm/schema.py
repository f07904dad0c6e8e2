"""The answer a model must give: one pydantic model per language, which both validates the reply
and generates the JSON schema sent as ``response_format`` — the two cannot drift apart.

Vocabularies are the report's enums (REPORT_FORMAT.md §2). For Chinese, prose fields must contain
Chinese: validation checks it, and the schema carries a ``pattern`` that grammar-constrained
servers (llama.cpp) enforce while generating — small models otherwise answer in English.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from commitdigest.models import ChangeType, CommitAnalysis, Importance, ImpactItem, Insights, Risk

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# For grammar engines the pattern must be anchored (llama.cpp asserts ^…$), and its free parts
# exclude the quote, backslash and control characters, which would otherwise let the grammar
# end or corrupt the JSON string it sits in.
_FREE = '[^"\\\\\\x00-\\x1f]'
ZH_PATTERN = f"^[\u4e00-\u9fff]{_FREE}{{0,100}}$"

LIMITS = {"summary": 5, "impact_scope": 8, "risks": 4, "recommendations": 4}


def _has_chinese(value: str) -> str:
    if value.strip() and not _CJK.search(value):
        raise ValueError("must be written in Simplified Chinese")
    return value


def _prose(language: str) -> Any:
    if language != "zh":
        return str
    return Annotated[str, AfterValidator(_has_chinese),
                     WithJsonSchema({"type": "string", "pattern": ZH_PATTERN})]


class _Strict(BaseModel):
    # The schema sent forbids extra keys; validation ignores them, so a model that also rates a
    # commit it was not asked to rate (or adds a field of its own) loses nothing it was asked for.
    model_config = ConfigDict(extra="ignore")


#: Summary points a model may write at each depth, and whether the deeper sections are asked for.
DEPTHS = ("low", "medium", "high")
_SUMMARY_ITEMS = {"low": 2, "medium": LIMITS["summary"], "high": LIMITS["summary"]}


@lru_cache(maxsize=None)
def answer_model(language: str, depth: str = "high", rate: bool = False) -> type[BaseModel]:
    """The answer for ``language`` at a tier's ``depth``: low asks for the type and a short
    summary; medium adds impact scope, risks and recommendations; high asks for everything.
    ``rate`` adds the importance and its reason, for when the model re-rates the commit instead
    of taking the score's tier. ``zh`` adds the Chinese constraint."""
    prose = _prose(language)
    scope = create_model("ScopeItem", __base__=_Strict,
                         path=(str, Field(description="a path from the commit's file list, or a directory of one")),
                         note=(prose, Field(description="what this change does there")))
    insights = create_model("Insight", __base__=_Strict,
                            architecture=(str, Field(description="one sentence, or empty")),
                            performance=(str, Field(description="one sentence, or empty")),
                            security=(str, Field(description="one sentence, or empty")))
    risk = create_model("RiskItem", __base__=_Strict, risk=(prose, ...), detail=(str, ...),
                        severity=(Importance, ...))
    # Summary first: a model that has described the change types and rates it better.
    fields: dict[str, Any] = {
        "summary": (list[prose], Field(min_length=1, max_length=_SUMMARY_ITEMS[depth],
                                       description="what changed and why, one point per item")),
        "change_type": (ChangeType, ...),
    }
    if rate:
        fields["importance"] = (Importance, ...)
        fields["importance_reason"] = (prose, Field(description="one line: why this importance"))
    if depth in ("medium", "high"):
        fields["impact_scope"] = (list[scope], Field(max_length=LIMITS["impact_scope"]))
    if depth == "high":
        fields["insights"] = (insights, ...)
    if depth in ("medium", "high"):
        fields["risks"] = (list[risk], Field(max_length=LIMITS["risks"]))
        fields["recommendations"] = (list[prose], Field(max_length=LIMITS["recommendations"]))
    if depth == "high":
        fields["conclusion"] = (prose, Field(description="one sentence"))
    name = f"CommitAnswer_{language}_{depth}{'_rated' if rate else ''}"
    return create_model(name, __base__=_Strict, **fields)


@lru_cache(maxsize=None)
def _schema(language: str, depth: str = "high", rate: bool = False) -> dict[str, Any]:
    schema = answer_model(language, depth, rate).model_json_schema()
    _tidy(schema)
    for sub in schema.get("$defs", {}).values():
        _tidy(sub)
    return schema


def answer_schema(language: str, depth: str = "high", rate: bool = False) -> dict[str, Any]:
    """The JSON schema of the answer, in the form strict structured output accepts: every
    property required, no extra properties, no titles (they only cost tokens)."""
    return copy.deepcopy(_schema(language, depth, rate))


def _tidy(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("title", None)
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


# What small models write when a field does not apply; the report shows nothing rather than "无".
_PLACEHOLDERS = {"无", "暂无", "没有", "无影响", "不适用", "无明显影响", "none", "n/a", "na", "null", "-", "—", "nothing",
                 "no impact", "not applicable"}


def _real(text: str) -> str:
    text = text.strip()
    return "" if text.strip("。.!！ ").lower() in _PLACEHOLDERS else text


def to_analysis(answer: BaseModel, analyzer: str, importance: Importance | None = None,
                reason: str = "") -> CommitAnalysis:
    """The validated answer as the report's record (coverage etc. are set by the caller).
    ``importance`` and ``reason`` are the score's, unless the answer rates the commit itself.
    Sections a tier's schema does not ask for stay empty."""
    data = answer.model_dump(mode="json")
    return CommitAnalysis(
        change_type=ChangeType(data["change_type"]),
        importance=Importance(data["importance"]) if "importance" in data else (importance or Importance.low),
        importance_reason=data["importance_reason"].strip() if "importance_reason" in data else reason,
        summary=[s for s in data["summary"] if _real(s)],
        impact_scope=[ImpactItem(**i) for i in data.get("impact_scope", [])],
        insights=Insights(**{k: _real(v) for k, v in data.get("insights", {}).items()}),
        risks=[Risk(**r) for r in data.get("risks", []) if _real(r["risk"])],
        recommendations=[r for r in data.get("recommendations", []) if _real(r)],
        conclusion=data.get("conclusion", "").strip(),
        analyzer=analyzer,
    )
