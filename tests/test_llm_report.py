"""The whole report path with the LLM analyzer against the scripted server: a real git repo,
the cache, usage in JSON and Markdown, fallbacks counted, secrets kept out of every output."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from llm_server import FakeLLM, Reply, answer, completion, error

from commitdigest import pipeline
from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.llm.settings import LLMSettings
from commitdigest.window import parse_zone

SH = parse_zone("Asia/Shanghai")
API_KEY = "sk-report-test-key-0123456789abcdef"
SECRET = "ghp_" + "Zx9" * 12


def build_repo(make_repo):
    repo = make_repo("svc")
    repo.commit("chore: initial", {"src/app.py": "def main():\n    return 1\n", "README.md": "# svc\n"},
                when="2026-01-12T09:00:00+08:00")
    repo.commit("feat(app): add retry loop (#12)", {"src/app.py": "def main():\n    for _ in range(3):\n        return 1\n",
                                                   "src/retry.py": "ATTEMPTS = 3\n"},
                when="2026-01-13T09:00:00+08:00")
    repo.commit("fix: leak token in config", {"deploy/.env": f"GITHUB_TOKEN={SECRET}\nLOG=info\n"},
                when="2026-01-13T11:00:00+08:00")
    repo.commit("docs: usage", {"README.md": "# svc\n\nRun it.\n"}, when="2026-01-13T15:00:00+08:00")
    return repo


def request(repo, tmp_path, use_cache=True):
    return pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                  until=date(2026, 1, 13), zone=SH, language="zh", use_cache=use_cache,
                                  cache_dir=tmp_path / "cache")


def grounded_answer(req):
    # Name every path the prompt lists plus one that does not exist in the commit.
    paths = [line.split(" ", 3)[3].split(" [")[0] for line in req.user_text.split("\n")
             if line[:2] in ("M ", "A ", "D ")]
    return completion(answer(paths=paths + ["src/imaginary.py"], importance="high"), 300, 80)


def analyzer(server, **kw):
    async def no_wait(_s):
        return None

    s = LLMSettings(base_url=server.base_url, model="fake-1", api_key=API_KEY, retries=1, **kw)
    return LLMAnalyzer(s, sleep=no_wait)


def test_report_with_llm_then_warm_cache(make_repo, tmp_path):
    repo = build_repo(make_repo)
    with FakeLLM(grounded_answer) as server:
        report = pipeline.generate_report(request(repo, tmp_path), analyzer=analyzer(server))
        assert len(server.requests) == 3
        data = report.to_json_dict()
        commits = data["repos"][0]["commits"]
        assert [c["subject"] for c in commits] == ["docs: usage", "fix: leak token in config",
                                                   "feat(app): add retry loop (#12)"]
        # The model says "high" for all three; the tier is the importance score's all the same,
        # and the low-tier docs commit was asked for no impact scope (its small schema has none).
        assert [c["analysis"]["importance"] for c in commits] == ["low", "medium", "high"]
        for c in commits:
            a = c["analysis"]
            assert a["analyzer"] == "llm:fake-1" and not a["fallback"]
            assert a["importance_source"] == "score" and a["importance_reason"].endswith(
                f"= {a['importance_score']['total']} {'< 6' if a['importance'] == 'low' else '≥ 6' if a['importance'] == 'medium' else '≥ 10'}")
            # The model says "feature" for all three; a subject's Conventional-Commit type wins.
            assert a["change_type"] == {"docs": "docs", "fix": "fix", "feat": "feature"}[c["subject"].split(":")[0][:4]
                                                                                     .rstrip("(")]
            assert a["paths_dropped"] == (0 if a["importance"] == "low" else 1)
            assert {i["path"] for i in a["impact_scope"]} <= {f["path"] for f in c["files"]}
        assert data["generator"]["analyzer"] == "llm:fake-1"
        assert data["usage"]["llm_calls"] == 3 and data["usage"]["prompt_tokens"] == 900
        assert data["usage"]["completion_tokens"] == 240 and data["usage"]["fallbacks"] == 0
        md = pipeline.render_report(report, ["md"])["md"]
        assert "fake-1" in md and "LLM 调用 3 次" in md
        # The secret committed to deploy/.env never reached the server.
        assert all(SECRET not in r.text for r in server.requests)
        leak = next(c for c in commits if c["subject"].startswith("fix"))
        assert leak["analysis"]["redactions"] >= 1

        # Same day again: everything from the cache, not one call.
        second = analyzer(server)
        again = pipeline.generate_report(request(repo, tmp_path), analyzer=second)
        assert len(server.requests) == 3
        assert again.usage.llm_calls == 0 and again.usage.cache_hits == 3
        assert [c.analysis for c in again.repos[0].commits] == [c.analysis for c in report.repos[0].commits]

    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")
    dump = "\n".join(str(row) for row in db.execute("SELECT * FROM analyses"))
    assert "llm:fake-1" in dump and API_KEY not in dump and SECRET not in dump


def test_failures_still_give_a_complete_report(make_repo, tmp_path):
    repo = build_repo(make_repo)

    def flaky(req):
        if "docs: usage" in req.user_text:
            return error(500, "model crashed")
        if "fix: leak" in req.user_text:
            return completion("not json at all")
        return completion(answer())

    with FakeLLM(flaky) as server:
        report = pipeline.generate_report(request(repo, tmp_path), analyzer=analyzer(server))
    commits = {c.subject: c.analysis for c in report.repos[0].commits}
    assert len(commits) == 3
    assert commits["docs: usage"].fallback and commits["docs: usage"].fallback_reason == "HTTP 500 after 1 retry"
    assert commits["fix: leak token in config"].fallback
    assert not commits["feat(app): add retry loop (#12)"].fallback
    assert report.usage.fallbacks == 2
    md = pipeline.render_report(report, ["md"])["md"]
    assert "模型分析失败（HTTP 500 after 1 retry），由离线分析代替" in md
    assert "回退 2" in md
    out = json.dumps(report.to_json_dict(), ensure_ascii=False)
    assert API_KEY not in out and API_KEY not in md

    # Fallbacks are not cached: the next run asks the model again for exactly those two.
    with FakeLLM(lambda req: completion(answer())) as server:
        again = pipeline.generate_report(request(repo, tmp_path), analyzer=analyzer(server))
    assert len(server.requests) == 2 and again.usage.cache_hits == 1 and again.usage.fallbacks == 0


def test_huge_commit_stays_within_budget(make_repo, tmp_path):
    repo = make_repo("big")
    repo.commit("chore: initial", {"README.md": "x\n"}, when="2026-01-12T09:00:00+08:00")
    files = {f"tests/pkg{i % 20}/test_mod_{i}.py": "".join(f"value_{j} = {j * i}\n" for j in range(12))
             for i in range(5000)}
    files["src/core.py"] = "def core():\n    return 42\n"
    repo.commit("refactor: regenerate modules", files, when="2026-01-13T09:00:00+08:00")
    budget = 6000
    with FakeLLM(lambda req: completion(answer())) as server:
        a = analyzer(server, budget=budget)
        report = pipeline.generate_report(request(repo, tmp_path, use_cache=False), analyzer=a)
    [req] = server.requests
    from commitdigest.analysis.budget import estimate_tokens

    sent = estimate_tokens(req.body["messages"][0]["content"] + req.body["messages"][1]["content"])
    schema = estimate_tokens(json.dumps(req.body["response_format"], ensure_ascii=False, separators=(",", ":")))
    assert sent + schema <= budget
    user = req.body["messages"][1]["content"]
    assert "==> src/core.py <==" in user  # the one source file comes before 5,000 tests
    assert "more files not listed individually" in user
    cov = report.repos[0].commits[0].analysis.coverage
    assert cov.files_total == 5001 and cov.files_analyzed < 5001 and cov.truncated
    md = pipeline.render_report(report, ["md"])["md"]
    # the coverage line counts what the model could explain: changed lines shown of all
    assert 0 < cov.lines_analyzed < cov.lines_total == 5000 * 12 + 2
    assert f"模型看到 {cov.lines_analyzed}/{cov.lines_total} 行改动" in md


def test_deadline_turns_pending_commits_into_fallbacks(make_repo, tmp_path):
    repo = build_repo(make_repo)
    with FakeLLM(lambda req: Reply(delay=5.0, body=completion(answer()).body)) as server:
        report = pipeline.generate_report(request(repo, tmp_path, use_cache=False),
                                          analyzer=analyzer(server, deadline=0.5, timeout=30))
    assert all(c.analysis.fallback for c in report.repos[0].commits)
    assert report.usage.fallbacks == 3
