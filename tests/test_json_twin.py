"""The JSON twin is written by orjson, byte for byte what ``json.dumps(…, ensure_ascii=False,
indent=2)`` of the cleaned tree wrote before: over the golden fixture's reports and over hostile
values (controls, line separators, lone surrogates, big integers, awkward floats, empty and nested
containers), in the text a repository controls and in the numbers the report carries."""

from __future__ import annotations

import json
import math
import tracemalloc
from datetime import UTC, datetime

import pytest
from test_report import build_day_repo, make_report

from commitdigest.models import (
    ChangeType,
    CommitAnalysis,
    CommitEntry,
    Coverage,
    FileEntry,
    Generator,
    Importance,
    ImportanceScore,
    Insights,
    PullRequest,
    Report,
    RepoSection,
    Risk,
    Stats,
    Usage,
    Window,
)
from commitdigest.outputs.text import clean_tree
from commitdigest.report.render import dumps_json, render_json, render_json_bytes


def old_encoding(report: Report) -> str:
    """The twin as it was written before orjson: the reference the new encoder must equal."""
    return json.dumps(clean_tree(report.to_json_dict()), ensure_ascii=False, indent=2) + "\n"


# Text a commit can carry: every C0 control, DEL and C1, escape sequences, the two line
# separators JavaScript once choked on, noncharacters, lone surrogates (from undecodable bytes),
# non-BMP characters, quotes and backslashes.
HOSTILE = [
    "".join(chr(i) for i in range(0x20)) + "\x7f" + "".join(chr(i) for i in range(0x80, 0xA0)),
    "a\u2028b\u2029c", "\x1b[2J\x1b]0;title\x07 clear", "\ufffe\uffff", "lone \ud800 \udfff surrogates",
    "中文 ✓ 😀 \U0010ffff", '"quoted" \\back\\slash/ \t tab \n newline \r\n crlf', "", " ", "</script>",
]


def hostile_report(text: str, *, seconds: float = 0.1, cost: float | None = None, total: int = 10,
                   commits: int = 2) -> Report:
    analysis = CommitAnalysis(
        change_type=ChangeType.fix, importance=Importance.high, importance_reason=text,
        importance_score=ImportanceScore(total=total, parts={text or "empty": total, "size": -total}),
        summary=[text + " x", "plain"], risks=[Risk(risk=text + " r", detail=text)],
        insights=Insights(security=text), recommendations=[], conclusion=text, fallback_reason=text,
        coverage=Coverage(files_total=total, files_analyzed=total, lines_total=total),
        items_dropped={text: 1} if text else {},
    )
    entries = [CommitEntry(
        sha=f"{i:040x}", short_sha=f"{i:07x}", anchor=f"c-{i}", url=None, time=datetime(2026, 1, 13, tzinfo=UTC),
        author=text, subject=text, pr=total, read_error=text or None, analysis=analysis,
        files=[FileEntry(path=text or "p", status="M", insertions=total, deletions=0, old_path=text)],
        pull_request=PullRequest(number=total, title=text, body=text, labels=[text], linked_issues=[]) if i else None,
    ) for i in range(commits)]
    sections = [RepoSection(name=text, url=None, branch=text, slug="s", stats=Stats(total=total), commits=entries),
                RepoSection(name="empty", url=None, branch="", slug="e", stats=Stats(), commits=[], error=text)]
    return Report(title=text, language="en", timezone="UTC",
                  window=Window(start=datetime(2026, 1, 13, tzinfo=UTC), end=datetime(2026, 1, 14, tzinfo=UTC)),
                  period=False, generator=Generator(version="0.1.0", analyzer="heuristic"), repos=sections,
                  usage=Usage(seconds=seconds, cost=cost, warnings=[text], format_switches=[]))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_golden_reports_encode_as_before(make_repo, language):
    report = make_report([build_day_repo(make_repo)], language)
    assert render_json(report) == old_encoding(report)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_encodes_as_before(text):
    report = hostile_report(text)
    new = render_json(report)
    assert new == old_encoding(report)
    json.loads(new)  # and it is still JSON


@pytest.mark.parametrize("seconds,cost", [(1e16, 1e-07), (0.1, -0.0), (123456.7, 1.5e300), (0.0, 5e-324),
                                          (math.inf, -math.inf), (math.nan, None), (2.0, 1e22)])
def test_floats_keep_their_spelling(seconds, cost):
    # orjson would write 1e-07 as 1e-7 and infinities as null; json.dumps's spelling is kept.
    report = hostile_report("x", seconds=seconds, cost=cost)
    assert render_json(report) == old_encoding(report)


@pytest.mark.parametrize("total", [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**40, -(10**40)])
def test_integers_of_any_size(total):
    report = hostile_report("x", total=total)
    assert render_json(report) == old_encoding(report)


@pytest.mark.parametrize("value", [
    {}, [], {"a": {}}, {"a": []}, [[]], [{}], {"a": [{"b": [1, [2, {"c": None}]]}]}, [True, False, None],
    {"\x1b[2Jkey\u2028": "\x00v"}, [1.0, 1e16, 1e-5, 0.0001, 123e-20], [10**30, -(10**30)], "\udc80",
])
def test_any_json_shaped_value_encodes_as_before(value):
    assert dumps_json(value).decode() == json.dumps(clean_tree(value), ensure_ascii=False, indent=2)


def test_many_sections_and_commits_keep_the_layout():
    report = hostile_report("x", commits=5)
    report.repos.append(report.repos[0].model_copy(update={"name": "again"}))
    assert render_json(report) == old_encoding(report)


def test_a_long_twin_is_never_held_as_a_dict_tree():
    # A long period's twin is built one commit at a time in one buffer: the encoder's peak is
    # about the twin's own size (json.dumps of the whole cleaned dict tree took ~7x).
    report = hostile_report("plain text of a commit", commits=2000)
    tracemalloc.start()
    try:
        out = render_json_bytes(report)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(out) > 4_000_000
    assert peak < 2 * len(out)
    assert out.decode() == old_encoding(report)
