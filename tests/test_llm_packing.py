"""What the prompt holds, by value, and how an answer is held to the commit: every changed line
before the message body and context, the fact sheet before the diff, claims against the facts,
strings cut at a cap, placeholders, translated subjects, mixed-language fragments, the change
type the subject states, and no stock sentence for a section that was not asked for. Commits are
real commits of real repositories built here; facts are records made for them."""

from __future__ import annotations

import json
import re
import subprocess

from conftest import run_cli
from llm_server import FakeLLM, answer, completion

from commitdigest import pipeline
from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.analysis.message import prompt_body
from commitdigest.llm.settings import LLMSettings
from commitdigest.models import ChangeType, CommitAnalysis, Coverage, Importance, Risk
from commitdigest.semantic.records import Semantic, SymbolChange, ValueChange

DAY = "2026-01-13"

TAGS_BEFORE = "\n".join([
    '"""Version tags."""', "", "import re", "", "MAX_PARTS = 3", "", "def legacy_match(tag):",
    "    return tag.count('.') < MAX_PARTS", "",
    *[f"# helper note {i}: kept as context" for i in range(30)],
    "",
    'PRERELEASE = re.compile(r"^v?(\\d+)\\.(\\d+)\\.(\\d+)(a|b|rc)(\\d+)$")',
    'DEVRELEASE = re.compile(r"^v?(\\d+)\\.(\\d+)\\.(\\d+)\\.dev(\\d+)$")',
    "", *[f"# more context {i}" for i in range(20)], "",
    "def parse_tag(tag):", "    m = PRERELEASE.match(tag)", "    return m.groups() if m else None", "",
])


def tags_after() -> str:
    lines = TAGS_BEFORE.split("\n")
    k = lines.index("MAX_PARTS = 3")
    lines[k:k + 5] = ["MAX_PARTS = 4", ""]
    i = lines.index('PRERELEASE = re.compile(r"^v?(\\d+)\\.(\\d+)\\.(\\d+)(a|b|rc)(\\d+)$")')
    lines[i:i + 2] = [
        'PRERELEASE = re.compile(r"^v?(\\d+)\\.(\\d+)\\.(\\d+)[-_.]?(a|alpha|b|beta|rc|c|pre|preview)[-_.]?(\\d*)$",',
        "                        re.IGNORECASE)",
        'DEVRELEASE = re.compile(r"^v?(\\d+)\\.(\\d+)\\.(\\d+)[-_.]?dev[-_.]?(\\d*)$", re.IGNORECASE)',
    ]
    j = lines.index("def parse_tag(tag):")
    lines[j:j + 3] = ["def parse_tag(tag):", "    \"\"\"(major, minor, patch, kind, number) or None.\"\"\"",
                      "    tag = tag.strip()", "    m = PRERELEASE.match(tag) or DEVRELEASE.match(tag)",
                      "    if not m:", "        return None", "    return m.groups()"]
    return "\n".join(lines)


TEST_TAGS = "\n".join(["from tags import parse_tag", "", *[
    f"def test_tag_{i}():\n    assert parse_tag('1.2.{i}rc{i}') is not None" for i in range(12)]]) + "\n"

BODY = """Tags such as 1.2.3-rc.1 and 1.2.3.dev0 were not recognised.

* widen prerelease regex

* widen devrelease regex

---------

Co-authored-by: Bob Example <bob@example.com>
Signed-off-by: Alice Example <alice@example.com>"""


def tags_repo(make_repo):
    repo = make_repo("tags")
    repo.commit("chore: initial", {"src/tags.py": TAGS_BEFORE, "README.md": "# tags\n"},
                when="2026-01-12T09:00:00+08:00")
    sha = repo.commit("fix(tags): widen prerelease and devrelease tag regexes\n\n" + BODY,
                      {"src/tags.py": tags_after(), "tests/test_tags.py": TEST_TAGS,
                       "README.md": "# tags\n\nAccepts 1.2.3-rc.1 and 1.2.3.dev0.\n"},
                      when="2026-01-13T09:00:00+08:00")
    return repo, sha


def changed_lines(repo, sha: str, path: str) -> list[str]:
    diff = subprocess.run(["git", "-C", str(repo.path), "show", "--format=", sha, "--", path],
                          capture_output=True, text=True, check=True).stdout
    return [line for line in diff.splitlines() if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))]


def test_show_prompt_at_2500_holds_every_changed_line_before_the_body(make_repo):
    repo, sha = tags_repo(make_repo)
    source = changed_lines(repo, sha, "src/tags.py")
    everything = source + changed_lines(repo, sha, "tests/test_tags.py") + changed_lines(repo, sha, "README.md")
    assert len(everything) > 20
    r = run_cli("analyze", sha, "--repo", str(repo.path), "--analyzer", "llm", "--llm-base-url",
                "http://127.0.0.1:9/v1", "--llm-model", "m", "--llm-budget", "2500",
                "--llm-response-format", "json_object", "--show-prompt")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    user = body["messages"][1]["content"]
    lines = user.split("\n")
    assert [line for line in source if line not in lines] == []  # every changed line of the source file
    m = re.search(r'changed_lines_shown="(\d+)" of_changed_lines="(\d+)"', user)
    assert m and m.group(1) == m.group(2) == str(len(everything))
    # the body says why; its trailers and the squash list of commit subjects say nothing
    assert "were not recognised" in user
    assert "Co-authored-by" not in user and "Signed-off-by" not in user and "* widen" not in user
    assert user.index("<diff") < user.index("<commit_message_body>")
    assert "Subject: fix(tags): widen prerelease and devrelease tag regexes" in user
    # the short instructions at this budget
    assert len(body["messages"][0]["content"]) < 2500


def test_on_a_tight_budget_changed_lines_come_before_context_and_the_body(make_repo):
    repo, sha = tags_repo(make_repo)
    commit = pipeline.read_one(str(repo.path), sha)
    analyzer = LLMAnalyzer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", budget=1000,
                                       response_format="json_object"))
    user = analyzer.render_prompt(commit, "en")[1]["content"]
    source = user.split("==> src/tags.py <==")[1].split("==>")[0]
    shown = [line for line in source.split("\n") if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))]
    assert len(shown) >= 4, user
    # the source file's changed lines in order, before any test line; no unchanged context was
    # bought before them; the body only gets what no further hunk could use
    assert shown == changed_lines(repo, sha, "src/tags.py")[:len(shown)]
    assert user.index("==> src/tags.py <==") < user.find("==> tests/test_tags.py <==") or \
        "==> tests/test_tags.py <==" not in user
    assert "# helper note" not in user and "# more context" not in user
    assert "<commit_message_body>" not in user or user.index("</diff>") < user.index("<commit_message_body>")


def test_message_body_without_trailers_and_squash_lists():
    message = "feat: x (#1)\n\nWhy it matters.\n\n* first\n\n* second\n\n---------\n\nCo-authored-by: A <a@x>"
    assert prompt_body(message) == "Why it matters."
    # a body's own bullet list (items in one paragraph) stays
    assert prompt_body("fix: y\n\nSteps:\n* one\n* two\n\nSigned-off-by: B <b@x>") == "Steps:\n* one\n* two"


def facts_for(repo, sha):
    commit = pipeline.read_one(str(repo.path), sha)
    commit.semantic = Semantic(
        symbols=[SymbolChange(path="src/tags.py", name="parse_tag", kind="function", change="modified",
                              signature_before="def parse_tag(tag):", signature_after="def parse_tag(tag):"),
                 SymbolChange(path="src/tags.py", name="legacy_match", kind="function", change="removed",
                              signature_before="def legacy_match(tag):")],
        values=[ValueChange(path="src/tags.py", symbol="PRERELEASE", kind="constant",
                            before='r"(a|b|rc)"', after='r"(a|alpha|b|beta|rc|c|pre|preview)"'),
                ValueChange(path="src/tags.py", symbol="MAX_PARTS", kind="constant", before="3", after="4")],
        files_parsed=1)
    return commit


def test_fact_sheet_comes_before_the_diff_and_the_model_is_asked_to_explain_it(make_repo):
    repo, sha = tags_repo(make_repo)
    commit = facts_for(repo, sha)
    analyzer = LLMAnalyzer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", budget=2500,
                                       response_format="json_object"))
    system, user = (m["content"] for m in analyzer.render_prompt(commit, "zh"))
    assert "<facts" in user and user.index("<facts") < user.index("<diff")
    assert "removed function legacy_match (src/tags.py): def legacy_match(tag):" in user
    assert "value MAX_PARTS (src/tags.py, constant): 3 → 4" in user
    assert "explain" in system.lower() and "never contradict" in system.lower()
    # without facts, neither the block nor the paragraph
    commit.semantic = Semantic()
    system, user = (m["content"] for m in analyzer.render_prompt(commit, "zh"))
    assert "<facts" not in user and "<facts>" not in system


def test_claims_that_contradict_the_facts_are_dropped_and_counted(make_repo):
    repo, sha = tags_repo(make_repo)
    commit = facts_for(repo, sha)
    reply = answer(paths=["src/tags.py"], summary=[
        "新增 `legacy_match` 函数用于兼容旧标签格式。",  # the facts: removed
        "将 `MAX_PARTS` 从 4 改为 3，限制版本号的段数。",  # the facts: 3 → 4
        "放宽 `PRERELEASE` 正则，接受 `alpha`、`beta` 与 `preview` 等写法，并忽略大小写。",
        "移除 `legacy_match`，标签统一由 `parse_tag` 解析。",
    ])
    with FakeLLM(lambda req: completion(reply)) as server:
        [record] = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m")).analyze_batch([commit], "zh")
    assert not record.fallback
    assert record.summary == ["放宽 `PRERELEASE` 正则，接受 `alpha`、`beta` 与 `preview` 等写法，并忽略大小写。",
                              "移除 `legacy_match`，标签统一由 `parse_tag` 解析。"]
    assert record.items_dropped.get("fact") == 2
    # the same answer without facts: nothing to hold it to, nothing dropped for it
    commit.semantic = None
    with FakeLLM(lambda req: completion(reply)) as server:
        [record] = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m")).analyze_batch([commit], "zh")
    assert "fact" not in record.items_dropped and len(record.summary) == 4


def grammar_server_answer(reply):
    """A llama.cpp-like server: json_schema refused, json_object answered with ``reply``."""
    from llm_server import rejects_json_schema

    return rejects_json_schema(lambda req: completion(reply))


def test_a_string_cut_at_a_grammar_cap_is_trimmed_to_a_sentence_or_dropped(make_repo):
    repo, sha = tags_repo(make_repo)
    commit = pipeline.read_one(str(repo.path), sha)
    first = "The prerelease pattern now accepts alpha, beta, pre and preview spellings. "
    cut = (first + "It also ignores case, so tags written by hand in upper case are recognised, and the "
           "separator may be a dash, dot or underscore, so 1.2.3-rc.1 matches; when the input string is empty, "
           "the `parse_tag` function returns None rather than raising, which callers relied on before")
    cut = cut[:280]  # the English cap a grammar server enforces: the server stops it there
    assert len(cut) == 280
    no_end = ("word " * 100)[:280]
    reply = answer("en", paths=["src/tags.py"], summary=[cut, no_end], change_type="fix",
                   recommendations=["Check tags written by hand: upper-case tags now match too."])
    with FakeLLM(grammar_server_answer(reply)) as server:
        [record] = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m")).analyze_batch([commit], "en")
    assert not record.fallback and record.summary == [first.strip()]
    assert record.items_dropped.get("cut") == 1
    for text in record.summary + record.recommendations:
        assert not text.endswith("…") and len(text) < 279


def test_placeholders_translations_and_fragments_are_dropped(make_repo):
    repo = make_repo("lf")
    repo.commit("chore: init", {"src/a.py": "x = 1\n"}, when="2026-01-12T09:00:00+08:00")
    sha = repo.commit("fix: keep checkout line endings LF", {".gitattributes": "* text=auto eol=lf\n",
                                                            "src/a.py": "x = 2\n"}, when="2026-01-13T09:00:00+08:00")
    commit = pipeline.read_one(str(repo.path), sha)
    reply = answer(paths=["src/a.py"], summary=[
        "保持 checkout 行尾为 LF",  # the subject, translated
        "保持 checkout 线 endings为 LF",  # half English
        "通过 `.gitattributes` 统一以 LF 检出文本文件，避免 Windows 上 CRLF 造成整文件差异。",
    ], risks=[{"risk": "高", "detail": "", "severity": "high"}, {"risk": "低", "detail": "", "severity": "low"},
              {"risk": "已检出的工作区需要重新规范化行尾", "detail": "旧克隆在下次修改时可能出现大量行尾差异",
               "severity": "low"}])
    with FakeLLM(lambda req: completion(reply)) as server:
        [record] = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m")).analyze_batch([commit], "zh")
    assert not record.fallback
    assert record.summary == ["通过 `.gitattributes` 统一以 LF 检出文本文件，避免 Windows 上 CRLF 造成整文件差异。"]
    assert [r.risk for r in record.risks] == ["已检出的工作区需要重新规范化行尾"]
    assert record.items_dropped.get("subject") == 1 and record.items_dropped.get("language") == 1
    assert record.items_dropped.get("placeholder") == 2


def test_the_change_type_is_the_subjects(make_repo):
    repo = make_repo("v")
    repo.commit("chore: init", {"src/v.py": "VERSION = '1.0'\n"}, when="2026-01-12T09:00:00+08:00")
    sha = repo.commit("feat: bump to 1.1", {"src/v.py": "VERSION = '1.1'\n"}, when="2026-01-13T09:00:00+08:00")
    commit = pipeline.read_one(str(repo.path), sha)
    with FakeLLM(lambda req: completion(answer(change_type="docs", paths=["src/v.py"]))) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m"))
        [record] = analyzer.analyze_batch([commit], "zh")
        system = server.requests[0].body["messages"][0]["content"]
    assert record.change_type == ChangeType.feature
    assert "change_type: feature (the subject's type)" in system
    # no type in the subject: the model's word stands
    sha = repo.commit("Bump to 1.2", {"src/v.py": "VERSION = '1.2'\n"}, when="2026-01-13T10:00:00+08:00")
    with FakeLLM(lambda req: completion(answer(change_type="chore", paths=["src/v.py"]))) as server:
        [record] = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m")).analyze_batch(
            [pipeline.read_one(str(repo.path), sha)], "zh")
    assert record.change_type == ChangeType.chore


def test_a_low_tier_entry_in_full_has_no_stock_risk_sentence():
    from datetime import UTC, datetime

    from commitdigest.models import CommitEntry
    from commitdigest.report.render import render_commit_markdown

    def block(importance: Importance, risks: list[Risk]) -> str:
        analysis = CommitAnalysis(change_type=ChangeType.docs, importance=importance, summary=["更新文档。"],
                                  risks=risks, analyzer="llm:m", coverage=Coverage(files_total=1, files_analyzed=1))
        entry = CommitEntry(sha="a" * 40, short_sha="aaaaaaa", anchor="c", url=None,
                            time=datetime(2026, 1, 13, tzinfo=UTC), author="A", subject="docs: x", pr=None,
                            files=[], analysis=analysis)
        return render_commit_markdown(entry, "zh")

    assert "未发现明显风险" not in block(Importance.low, [])  # its prompt asked for no risks
    assert "未发现明显风险" not in block(Importance.medium, [])
    assert "未发现明显风险" in block(Importance.high, [])  # asked for at least one, none left


def test_claims_are_judged_only_where_the_facts_decide():
    from commitdigest.llm.claims import Facts

    facts = Facts(Semantic(
        symbols=[SymbolChange(path="src/c.py", name="Client.load", kind="method", change="added"),
                 SymbolChange(path="src/c.py", name="Client.fetch_all", kind="method", change="removed"),
                 SymbolChange(path="src/c.py", name="Client.get", kind="method", change="modified")],
        values=[ValueChange(path="src/c.py", symbol="TIMEOUT", kind="constant", before="30", after="60")]))
    assert facts.contradiction("Removes `Client.load`, which callers used for retries.")
    assert facts.contradiction("Adds a `fetch_all` helper that pages through results.")
    assert facts.contradiction("The timeout goes from 60 to 30 seconds.")
    assert facts.contradiction("`TIMEOUT`: 60 → 30")
    assert facts.contradiction("将 `TIMEOUT` 从 60 改为 30")
    assert not facts.contradiction("Adds `Client.load` so callers can retry; `fetch_all` is removed.")
    assert not facts.contradiction("The timeout goes from 30 to 60 seconds.")
    assert not facts.contradiction("Changes `Client.get` to pass the timeout.")  # a verb of changing: not judged
    assert not facts.contradiction("Adds a `parse_tag` call in `render`.")  # names the facts do not know


def test_a_string_ends_at_a_whole_sentence():
    from commitdigest.llm.schema import whole

    assert whole("短句。", 160, grammar=True) == "短句。"
    assert whole("第一句说明原因。" + "第二句" * 60, 160, grammar=True) == "第一句说明原因。"
    assert whole("没有句号" * 60, 160, grammar=True) is None
    assert whole("A sentence. And e.g. v1.2 stays. Then a cut here and", 52, grammar=True) == \
        "A sentence. And e.g. v1.2 stays."
    # without a grammar, only past the cap is a cut
    assert whole("x" * 150, 160, grammar=False) == "x" * 150
    # at the cap, a closing backtick is no sentence end; a span never closed is a cut anywhere
    assert whole("修复了 `core` 中的错误，" + "并" * 100 + " `p`", 119, grammar=True) is None
    assert whole("提高了 `transcribe", 160, grammar=True) is None
    assert whole("新增配置项。增加了 `diff shown_files=", 160, grammar=True) == "新增配置项。"


def test_the_fact_sheet_reads_every_kind_of_symbol_change():
    from commitdigest.analysis import fact_sheet

    moved = SymbolChange.model_construct(path="src/new.py", name="Loader", kind="class", change="moved",
                                         public=True, old_path="src/old.py", signature_before=None,
                                         signature_after=None, old_name=None, line=None)
    sheet = fact_sheet.render(Semantic.model_construct(
        symbols=[SymbolChange(path="src/a.py", name="helper", kind="function", change="added", public=False),
                 moved, SymbolChange(path="src/a.py", name="run", kind="function", change="renamed", old_name="go")],
        values=[], behaviour=[], surface=[], tests=[], skipped=[], files_parsed=2, omitted={"symbols": 3}))
    assert sheet.split("\n") == ["renamed function go → run (src/a.py)", "moved class Loader (src/old.py → src/new.py)",
                                 "added function helper (src/a.py) [internal]", "… 3 more facts past the list limit"]
    assert fact_sheet.render(None) == fact_sheet.render(Semantic()) == ""


def test_the_subject_given_back_under_another_type_is_the_subject():
    from commitdigest.llm.items import Context, Judge
    from commitdigest.llm.schema import Draft

    subject = "fix(mcp): clear active MCP servers after cleanup (#4586)"
    judge = Judge(Context(language="en", subject=subject, corpus=subject), Draft(change_type=ChangeType.fix))
    assert judge.cause("fixed(mcp): clear active MCP servers after cleanup (#4586)") == "subject"
    assert judge.cause(subject) == "subject"
    assert judge.cause("Cleanup now refreshes the active list, so a cleaned server is never reused.") is None
