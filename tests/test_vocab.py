"""The vocabulary: both languages fill the same tables with the same keys, the templates take the
same values, the analysis stage reads its words without importing the report stage, and the
language, date-field and analyzer-kind values are StrEnums that still write as plain codes."""

from __future__ import annotations

import ast
import json
import string
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC
from pathlib import Path
from typing import get_type_hints, is_typeddict

import pytest

import commitdigest
from commitdigest import pipeline, vocab
from commitdigest.config import Config
from commitdigest.models import AnalyzerKind, ChangeType, DateField, Importance, Language
from commitdigest.report.render import coverage_line, render_json
from commitdigest.vocab.tables import Vocabulary

PACKAGE = Path(commitdigest.__file__).parent
# Fields only one language uses: English nouns agree with a count through {s} (and {ps} for
# people); Chinese has no plural.
PLURAL_FIELDS = {"s", "ps"}
# "等 5 个" counts every name, "and 2 more" only those not shown: the caller passes both.
ONE_LANGUAGE_FIELDS = {"more_names": {"n", "rest"}}


def _shape(value: object, path: str) -> object:
    """The keys of ``value`` all the way down, with the shape of what they hold (not the words)."""
    if isinstance(value, Mapping):
        return {k: _shape(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, tuple):
        return ("tuple", len(value))
    assert isinstance(value, str), f"{path}: {value!r} is not a word"
    return "str"


def _tables(v: Vocabulary) -> dict[str, object]:
    return {f.name: getattr(v, f.name) for f in fields(Vocabulary) if f.name != "language"}


def test_both_languages_cover_every_table_with_the_same_keys():
    assert set(vocab.VOCAB) == set(Language)
    zh, en = vocab.VOCAB[Language.zh], vocab.VOCAB[Language.en]
    assert zh.language is Language.zh and en.language is Language.en
    for name, table in _tables(zh).items():
        assert _shape(table, f"zh.{name}") == _shape(getattr(en, name), f"en.{name}"), name


@pytest.mark.parametrize("language", list(Language))
def test_every_typed_table_has_exactly_its_declared_keys(language):
    """The TypedDicts are the contract mypy checks lookups against: no key outside them, none missing."""
    hints = get_type_hints(Vocabulary)
    for name, table in _tables(vocab.VOCAB[language]).items():
        declared = hints[name]
        if is_typeddict(declared):
            assert set(table) == set(declared.__required_keys__), (language, name)
            for key, sub in get_type_hints(declared).items():
                if is_typeddict(sub):
                    assert set(table[key]) == set(sub.__required_keys__), (language, name, key)
    v = vocab.VOCAB[language]
    assert set(v.importance) == set(Importance) and set(v.offline["imp"]) == set(Importance)
    assert set(v.change_type) == set(ChangeType) and set(v.offline["conclusion_types"]) == set(ChangeType)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _templates(value: object, path: str):
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _templates(v, f"{path}.{k}")
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            yield from _templates(v, f"{path}[{i}]")
    else:
        yield path, value


def test_templates_take_the_same_values_in_both_languages():
    """A field one language names and the other does not is a KeyError waiting in one language."""
    zh, en = vocab.VOCAB[Language.zh], vocab.VOCAB[Language.en]
    for name, table in _tables(zh).items():
        for (path, zh_text), (_, en_text) in zip(_templates(table, name), _templates(getattr(en, name), name),
                                                 strict=True):
            key = path.rsplit(".", 1)[-1]
            allowed = ONE_LANGUAGE_FIELDS.get(key, set()) | PLURAL_FIELDS
            assert _fields(zh_text) - allowed == _fields(en_text) - allowed, path


def test_word_order_of_dropped_item_causes_comes_from_the_tables():
    from commitdigest.models import CommitAnalysis

    analysis = CommitAnalysis(change_type="fix", importance="low", importance_reason="r", summary=["s"],
                              conclusion="c", items_dropped={"echo": 1, "duplicate": 2})
    assert coverage_line(analysis, None, vocab.words("zh").report) == "已丢弃 3 条模型输出（复述提示 1、重复 2）"
    assert coverage_line(analysis, None, vocab.words("en").report) == \
        "3 model items dropped (1 prompt echo, 2 duplicate)"


def _report_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        found += [n for n in names if n == "commitdigest.report" or n.startswith("commitdigest.report.")]
    return found


def test_no_analysis_module_imports_the_report_stage():
    """By AST (imports inside functions count) and by importing every analysis module in a fresh
    interpreter: the words come from the vocabulary, not from the report."""
    modules = sorted((PACKAGE / "analysis").glob("*.py"))
    assert modules
    assert {p.name: _report_imports(p) for p in modules if _report_imports(p)} == {}
    names = [f"commitdigest.analysis.{p.stem}" for p in modules if p.stem != "__init__"]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('commitdigest.report')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_language_date_field_and_analyzer_kind_are_str_enums_that_write_as_codes():
    assert pipeline.check_language("zh-CN") is Language.zh and pipeline.check_language("EN-gb") is Language.en
    cfg = Config(repos=[{"url": "https://x.org/a/b"}], language="en", analyzer="llm", date_field="author")
    assert (cfg.language, cfg.analyzer, cfg.date_field) == (Language.en, AnalyzerKind.llm, DateField.author)
    assert isinstance(cfg.language, Language) and f"{cfg.language}/{cfg.date_field}" == "en/author"
    assert json.loads(cfg.model_dump_json())["language"] == "en"


def test_report_twin_writes_the_language_code():
    from datetime import datetime

    from commitdigest.models import Generator, Report, Usage, Window

    at = datetime(2026, 1, 13, tzinfo=UTC)
    report = Report(title="t", language="en", timezone="UTC", window=Window(start=at, end=at), period=False,
                    generator=Generator(version="1", analyzer="heuristic"), repos=[], usage=Usage())
    assert report.language is Language.en
    text = render_json(report)
    assert json.loads(text)["language"] == "en" and '"language": "en"' in text


@pytest.mark.parametrize("language", list(Language))
def test_the_prompt_names_the_language_from_the_vocabulary(language):
    """The system prompt's language line: English instruction, then the language's own note (only
    Chinese has one), then the next paragraph on the very next line, as before the move."""
    from datetime import UTC, datetime

    from commitdigest.analysis import importance
    from commitdigest.analysis.llm import system_prompt
    from commitdigest.models import Commit

    now = datetime(2026, 1, 13, tzinfo=UTC)
    commit = Commit(sha="a" * 40, author="A", author_time=now, committer_time=now, subject="feat: x")
    model = vocab.words(language).model
    prompt = system_prompt(language, "high", False, importance.score(commit))
    line = f"Language: write every prose field in {model['language_name']}.{model['language_note']}\nWriting: "
    assert line in prompt
    assert ("简体中文" in model["language_note"]) == (language == Language.zh)
