"""Answers at the depth of the example reports: a strong model's prose kept verbatim, a small
model's echoes, repeats and inventions dropped item by item, tier-shaped requests, a budget
that fits the server, and what happened recorded in the report."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest
from llm_server import FakeLLM, Reply, completion, models, rejects_json_schema

from commitdigest import pipeline
from commitdigest.analysis import budget
from commitdigest.analysis import importance as scoring
from commitdigest.analysis.llm import LLMAnalyzer, system_prompt
from commitdigest.llm.schema import answer_schema, sections
from commitdigest.llm.settings import LLMSettings
from commitdigest.models import Commit, Importance
from commitdigest.report.render import md_cell, md_inline, render_json, render_markdown
from commitdigest.vocab import words as vocab_words
from commitdigest.window import parse_zone

SH = parse_zone("Asia/Shanghai")
ROUTER = '''def route(req):
    return pick(req)
'''
ROUTER_NEW = '''ROUTER_ASSUME_REUSE = True


def pick_fresh(req):
    return [new_block_hash() for _ in req.blocks]


def route(req, decode_reuse=ROUTER_ASSUME_REUSE):
    if decode_reuse is False:
        return pick_fresh(req)
    return pick(req)
'''
FEAT = "feat: allow router not assuming decode kv reuse (#5350)"


def build_repo(make_repo):
    repo = make_repo("router")
    repo.commit("chore: initial", {"src/router.py": ROUTER, "docs/router.md": "# Router\n"},
                when="2026-01-12T09:00:00+08:00")
    repo.commit(FEAT + "\n\nAdds --no-assume-kv-reuse to the frontend.",
                {"src/router.py": ROUTER_NEW, "src/flags.py": "NO_ASSUME_KV_REUSE = '--no-assume-kv-reuse'\n",
                 "docs/router.md": "# Router\n\nUse --no-assume-kv-reuse when decode workers do not share KV.\n"},
                when="2026-01-13T09:00:00+08:00")
    repo.commit("docs: fix a typo", {"docs/router.md": "# Router\n\nUse --no-assume-kv-reuse when decode "
                                                       "workers do not share a KV cache.\n"},
                when="2026-01-13T10:00:00+08:00")
    return repo


def report_of(repo, tmp_path, server, language="zh", **kw):
    async def no_wait(_s):
        return None

    settings = LLMSettings(base_url=server.base_url, model="test-model", retries=1, **kw)
    request = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                     until=date(2026, 1, 13), zone=SH, language=language, use_cache=False,
                                     cache_dir=tmp_path / "cache")
    return pipeline.generate_report(request, analyzer=LLMAnalyzer(settings, sleep=no_wait))


def by_subject(report, start):
    return next(c for c in report.repos[0].commits if c.subject.startswith(start))


def low_answer(language="zh"):
    return {"summary": ["修正文档中的一处措辞。" if language == "zh" else "Fixes wording in the router docs."],
            "change_type": "docs"}


def for_tier(high: dict, low: dict | None = None):
    """Answers by tier: the feature commit gets ``high``; the docs commit a short answer."""
    def respond(req):
        if "Depth (low importance)" in req.body["messages"][0]["content"]:
            return completion(low or low_answer())
        return completion(high)
    return respond


# A strong model: long Chinese prose that opens with a code span, quotes, three items per list.
STRONG = {
    "summary": [
        ("`route()` 新增参数 `decode_reuse`，默认取 `ROUTER_ASSUME_REUSE`（即 True）；当调用方显式传入 False 时，"
        "路由器不再假设解码端会复用 KV 缓存，而是走新加入的 `pick_fresh` 分支，为每个块生成新的哈希，"
        "从而避免把请求错误地路由到“看起来命中缓存”的工作节点上。"),
        ("`pick_fresh` 通过 `new_block_hash()` 为 `req.blocks` 中的每个块生成随机哈希，而不是根据内容计算真实哈希；"
        "这样在 \"disaggregated\" 部署里，预填与解码之间没有共享缓存时，调度器看到的活跃块数量与实际一致。"),
        ("命令行新增 `--no-assume-kv-reuse` 开关（定义在 `src/flags.py`），文档 `docs/router.md` 同步说明了"
        "何时应当关闭复用假设：当解码工作节点之间并不共享 KV 缓存时。"),
    ],
    "change_type": "feature",
    "impact_scope": [
        {"path": "src/router.py", "note": "核心路由逻辑：`route()` 的新参数与 `pick_fresh` 分支"},
        {"path": "src/flags.py", "note": "新增命令行开关常量"},
        {"path": "docs/router.md", "note": "说明何时关闭 KV 复用假设"},
    ],
    "insights": {
        "architecture": ["复用假设从隐式行为变成了 `route()` 的显式参数，调用方可以按部署形态选择。",
                         "随机哈希的生成集中在 `pick_fresh` 中，与原有的 `pick` 路径互不干扰。",
                         "默认值保持为 True，因此现有调用方的行为不变，属于向后兼容的扩展。"],
        "performance": ["关闭复用假设后，缓存命中率的估计会变得保守，可能让调度偏向负载更低的节点。"],
        "security": [],
    },
    "risks": [
        {"risk": "随机哈希可能与真实哈希碰撞", "detail": "`new_block_hash()` 若熵不足，两个块可能得到相同的哈希，"
                                                       "导致活跃块计数偏低。", "severity": "low"},
        {"risk": "调用方误传 False", "detail": "在确实共享缓存的部署中关闭复用假设，会浪费缓存并增加预填开销。",
         "severity": "medium"},
        {"risk": "文档与默认值不一致的风险", "detail": "`ROUTER_ASSUME_REUSE` 若将来改为 False，"
                                                        "需要同步更新 `docs/router.md`。", "severity": "low"},
    ],
    "recommendations": [
        "在预填与解码分离、且不共享缓存的部署中使用 `--no-assume-kv-reuse`。",
        "为 `pick_fresh` 补充单元测试，覆盖 `req.blocks` 为空的情况。",
        "升级后观察路由分布与缓存命中率的监控指标，确认调度行为符合预期。",
    ],
    "conclusion": "这是一次向后兼容的功能扩展，让路由器在不共享缓存的部署中也能做出准确的调度决策。",
}


def test_strong_answer_is_kept_verbatim_with_its_depth(make_repo, tmp_path):
    repo = build_repo(make_repo)
    with FakeLLM(for_tier(STRONG)) as server:
        report = report_of(repo, tmp_path, server)
    a = by_subject(report, "feat:").analysis
    assert not a.fallback and a.items_dropped == {} and a.paths_dropped == 0
    assert a.summary == STRONG["summary"]
    assert [(i.path, i.note) for i in a.impact_scope] == [(i["path"], i["note"]) for i in STRONG["impact_scope"]]
    assert a.insights.architecture == "".join(STRONG["insights"]["architecture"])
    assert a.insights.performance == STRONG["insights"]["performance"][0] and a.insights.security == ""
    assert [(r.risk, r.detail, r.severity.value) for r in a.risks] == [
        (r["risk"], r["detail"], r["severity"]) for r in STRONG["risks"]]
    assert a.recommendations == STRONG["recommendations"] and a.conclusion == STRONG["conclusion"]
    md = render_markdown(report)
    for text in STRONG["summary"] + STRONG["recommendations"]:
        assert text in md  # code spans, quotes and all, as written
    assert "已丢弃" not in md


def test_echoes_repeats_and_inventions_are_dropped_and_the_rest_kept(make_repo, tmp_path):
    repo = build_repo(make_repo)
    commit = pipeline.read_one(str(repo.path), "HEAD~1")
    rubric = scoring.reason(scoring.score(commit), "zh")
    good = STRONG["summary"][:2]
    mixed = dict(STRONG, summary=[
        good[0],
        "所有说明性文字都必须用简体中文书写，不要照抄英文的提交信息；代码标识符和文件路径保持原样。",  # prompt echo
        good[0],  # a repeat
        "修复了 `voice` 类中的 `streamed_transcription_session` 方法。",  # names nothing the diff has
        "同时调整了 `src/invented.py` 中的默认值。",  # a path the commit does not touch
        good[1],
    ], recommendations=[STRONG["recommendations"][0], f"重要程度：{rubric}"])  # the rubric given back
    with FakeLLM(for_tier(mixed)) as server:
        report = report_of(repo, tmp_path, server)
    a = by_subject(report, "feat:").analysis
    assert not a.fallback
    assert a.summary == good and a.recommendations == [STRONG["recommendations"][0]]
    assert a.items_dropped == {"duplicate": 1, "echo": 2, "identifier": 1, "path": 1}
    md = render_markdown(report)
    assert "streamed_transcription_session" not in md and "src/invented.py" not in md
    assert f"重要程度：{rubric}" not in md
    assert "已丢弃 5 条模型输出（重复 1、复述提示 2、代码名不在提交中 1、路径不在提交中 1）" in md
    twin = json.loads(render_json(report))
    feat = next(c for c in twin["repos"][0]["commits"] if c["subject"].startswith("feat:"))
    assert feat["analysis"]["items_dropped"] == {"duplicate": 1, "echo": 2, "identifier": 1, "path": 1}


def test_an_english_item_in_a_chinese_answer_is_dropped_alone(make_repo, tmp_path):
    repo = build_repo(make_repo)
    answer = dict(STRONG, summary=[STRONG["summary"][0], ("Adds a fresh-hash branch to the router for "
                                                         "deployments that do not share the KV cache.")])
    with FakeLLM(for_tier(answer)) as server:
        report = report_of(repo, tmp_path, server)
    a = by_subject(report, "feat:").analysis
    assert not a.fallback and a.summary == [STRONG["summary"][0]] and a.items_dropped == {"language": 1}
    assert len(server.requests) == 2  # no repair was needed: one call per commit


def test_a_point_cut_off_mid_span_is_never_shown(make_repo, tmp_path):
    cut = "新增 `decode_reuse` 参数，默认值为 `"  # an answer cut off mid-span: no whole sentence in it
    repo = build_repo(make_repo)
    with FakeLLM(for_tier(dict(STRONG, summary=[cut, STRONG["summary"][0]]))) as server:
        report = report_of(repo, tmp_path, server)
    a = by_subject(report, "feat:").analysis
    assert a.summary == [STRONG["summary"][0]] and a.items_dropped.get("cut") == 1
    assert "默认值为" not in render_markdown(report)


@pytest.mark.parametrize(("text", "shown"), [
    ("use `a[0]` and `x<b>`", "use `a[0]` and `x<b>`"),  # a code span is literal: nothing escaped in it
    ("[link](http://x) `ok`", "\\[link\\](http://x) `ok`"),
    ("``a ` b`` then `", "``a ` b`` then \\`"),
    ("open `span and <b>", "open \\`span and \\<b>"),
])
def test_code_spans_are_balanced_and_left_as_written(text, shown):
    assert md_inline(text) == shown


def test_table_cells_escape_pipes_inside_code_spans_too():
    assert md_cell("`a|b` | c") == "`a\\|b` \\| c"


def test_low_tier_commit_gets_the_small_schema_and_budget(make_repo, tmp_path):
    repo = build_repo(make_repo)
    # A low-tier answer may carry sections it was not asked for: ignored, not counted.
    low = dict(low_answer(), risks=[{"risk": "无", "detail": "", "severity": "low"}])
    with FakeLLM(for_tier(STRONG, low)) as server:
        report = report_of(repo, tmp_path, server, budget=12_000, max_tokens=2_048)
    low_req = next(r for r in server.requests if "Depth (low importance)" in r.body["messages"][0]["content"])
    schema = low_req.body["response_format"]["json_schema"]["schema"]
    assert list(schema["properties"]) == ["summary", "change_type"] and schema["properties"]["summary"]["maxItems"] == 2
    assert low_req.body["max_tokens"] == 512
    a = by_subject(report, "docs:").analysis
    assert a.summary == low_answer()["summary"] and a.items_dropped == {} and not a.risks


def test_budget_is_capped_by_the_context_the_server_reports(make_repo, tmp_path):
    repo = make_repo("big")
    repo.commit("chore: initial", {"README.md": "x\n"}, when="2026-01-12T09:00:00+08:00")
    code = "".join(f"def handler_{i}(request):\n    return compute_{i}(request) + {i}\n" for i in range(600))
    repo.commit("feat: add handlers", {"src/handlers.py": code, "src/more.py": code.replace("handler", "h")},
                when="2026-01-13T09:00:00+08:00")
    answer = {"summary": ["新增大量 `handler_0` 之类的处理函数。"], "change_type": "feature", "impact_scope": [],
              "insights": {"architecture": [], "performance": [], "security": []}, "risks": [],
              "recommendations": [], "conclusion": ""}
    gets = {"/v1/models": models("test-model", max_model_len=3000)}
    with FakeLLM(lambda req: completion(answer), gets=gets) as server:
        report = report_of(repo, tmp_path, server, budget=12_000, max_tokens=2_048)
    assert not report.repos[0].commits[0].analysis.fallback
    [req] = server.requests
    assert req.body["max_tokens"] == 1000  # a third of the context for the answer
    sent = sum(budget.estimate_tokens(m["content"]) for m in req.body["messages"])
    schema = budget.estimate_tokens(json.dumps(req.body["response_format"]["json_schema"]["schema"],
                                               ensure_ascii=False, separators=(",", ":")))
    assert sent + schema <= 3000 - 1000
    assert "/v1/models" in server.get_paths


def test_llama_cpp_props_context_counts_and_unlisted_model_is_a_warning(make_repo, tmp_path):
    repo = build_repo(make_repo)
    gets = {"/v1/models": models("/models/qwen2.5-coder.gguf"),
            "/props": Reply(body={"default_generation_settings": {"n_ctx": 2048}})}
    with FakeLLM(for_tier(STRONG), gets=gets) as server:
        report = report_of(repo, tmp_path, server, max_tokens=2_048)
    assert {r.body["max_tokens"] for r in server.requests} == {512, 682}  # low tier, and 2048 // 3
    [warning] = report.usage.warnings
    assert "does not list model 'test-model'" in warning and "qwen2.5-coder.gguf" in warning
    assert "⚠️ the server does not list model" in render_markdown(report)


def test_format_switch_and_served_model_are_recorded(make_repo, tmp_path):
    repo = build_repo(make_repo)
    with FakeLLM(rejects_json_schema(for_tier(STRONG))) as server:
        report = report_of(repo, tmp_path, server)
    assert report.usage.response_format == "json_object"
    assert report.usage.format_switches == ["json_schema->json_object"]
    assert report.usage.served_model == "fake"  # the name the server's answers carried
    twin = json.loads(render_json(report))["usage"]
    assert (twin["response_format"], twin["format_switches"], twin["served_model"]) == (
        "json_object", ["json_schema->json_object"], "fake")
    footer = render_markdown(report).rstrip().splitlines()[-1]
    assert "输出格式 json_object（服务端拒绝后切换：json_schema->json_object）| 服务端模型 fake" in footer.replace(" | ", "| ")


# The seed's section list per tier (REPORT_FORMAT.md §1): what each tier's entry shows.
SEED = {
    "low": ["summary", "change_type"],
    "medium": ["summary", "change_type", "impact_scope", "risks", "recommendations"],
    "high": ["summary", "change_type", "impact_scope", "insights", "risks", "recommendations", "conclusion"],
}
ALL = SEED["high"]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("depth", ["low", "medium", "high"])
def test_prompt_and_schema_ask_for_the_seed_sections_of_each_tier(language, depth):
    assert sections(depth) == SEED[depth]
    assert list(answer_schema(language, depth)["properties"]) == SEED[depth]
    now = datetime(2026, 1, 13, tzinfo=UTC)
    commit = Commit(sha="a" * 40, author="A", author_time=now, committer_time=now, subject="feat: x")
    score = dataclasses.replace(scoring.score(commit), tier=Importance(depth))
    prompt = system_prompt(language, depth, False, score)
    fields = prompt.split("Fields:")[1].split("Security:")[0]
    for name in ALL:
        assert (f"- {name}:" in fields) == (name in SEED[depth]), name
    assert f"Depth ({depth} importance)" in prompt


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_full_answer_fills_every_section_the_seed_shows(make_repo, tmp_path, language):
    repo = build_repo(make_repo)
    security = {"architecture": ["复用假设成为显式参数。"], "performance": ["缓存命中估计更保守。"],
                "security": ["没有新的外部输入进入路由器。"]}
    answer = dict(STRONG, insights=security) if language == "zh" else {
        "summary": ["`route()` gains a `decode_reuse` parameter; with False it takes the new `pick_fresh` path."],
        "change_type": "feature",
        "impact_scope": [{"path": "src/router.py", "note": "routing"}],
        "insights": {"architecture": ["The reuse assumption becomes an explicit parameter."],
                     "performance": ["Cache hit estimates become conservative."],
                     "security": ["No new input reaches the router."]},
        "risks": [{"risk": "Hash collisions", "detail": "`new_block_hash()` may collide.", "severity": "low"}],
        "recommendations": ["Use `--no-assume-kv-reuse` where decode workers share no cache."],
        "conclusion": "A backward-compatible extension.",
    }
    with FakeLLM(for_tier(answer, low_answer(language))) as server:
        md = render_markdown(report_of(repo, tmp_path, server, language=language))
    words = vocab_words(language).report
    high, low = md.split("#### docs: fix a typo")
    for label in ("change_type", "importance", "summary", "impact", "insights", "architecture", "performance",
                  "security", "risks", "recommendations", "conclusion"):
        assert words[label] in high, label
    assert words["short_summary"] in low and words["impact"] not in low and words["risks"] not in low


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("depth", ["low", "medium", "high"])
def test_grammar_servers_can_compile_every_schema_sent_to_them(language, depth):
    """llama.cpp's server turns the json_object schema into a grammar; a pattern its converter
    cannot read makes it drop the grammar silently, and small models then answer in any shape."""
    grammar = pytest.importorskip("llama_cpp.llama_grammar")
    schema = answer_schema(language, depth, mode="json_object")
    grammar.LlamaGrammar.from_string(grammar.json_schema_to_gbnf(json.dumps(schema)), verbose=False)
