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
    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=None)
def answer_model(language: str) -> type[BaseModel]:
    """The model for ``language`` (``zh`` adds the Chinese constraint)."""
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
    return create_model(
        f"CommitAnswer_{language}", __base__=_Strict,
        # Summary first: a model that has described the change rates it better.
        summary=(list[prose], Field(min_length=1, max_length=LIMITS["summary"],
                                    description="what changed and why, one point per item")),
        change_type=(ChangeType, ...),
        importance=(Importance, ...),
        importance_reason=(prose, Field(description="one line: why this importance")),
        impact_scope=(list[scope], Field(max_length=LIMITS["impact_scope"])),
        insights=(insights, ...),
        risks=(list[risk], Field(max_length=LIMITS["risks"])),
        recommendations=(list[prose], Field(max_length=LIMITS["recommendations"])),
        conclusion=(prose, Field(description="one sentence")),
    )


@lru_cache(maxsize=None)
def _schema(language: str) -> dict[str, Any]:
    schema = answer_model(language).model_json_schema()
    _tidy(schema)
    for sub in schema.get("$defs", {}).values():
        _tidy(sub)
    return schema


def answer_schema(language: str) -> dict[str, Any]:
    """The JSON schema of the answer, in the form strict structured output accepts: every
    property required, no extra properties, no titles (they only cost tokens)."""
    return copy.deepcopy(_schema(language))


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


def to_analysis(answer: BaseModel, analyzer: str) -> CommitAnalysis:
    """The validated answer as the report's record (coverage etc. are set by the caller)."""
    data = answer.model_dump(mode="json")
    return CommitAnalysis(
        change_type=ChangeType(data["change_type"]),
        importance=Importance(data["importance"]),
        importance_reason=data["importance_reason"].strip(),
        summary=[s for s in data["summary"] if _real(s)],
        impact_scope=[ImpactItem(**i) for i in data["impact_scope"]],
        insights=Insights(**{k: _real(v) for k, v in data["insights"].items()}),
        risks=[Risk(**r) for r in data["risks"] if _real(r["risk"])],
        recommendations=[r for r in data["recommendations"] if _real(r)],
        conclusion=data["conclusion"].strip(),
        analyzer=analyzer,
    )
