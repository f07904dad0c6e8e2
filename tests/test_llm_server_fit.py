"""Fitting the server: requests held no more than it takes, what a 401/403 or an unknown host
says, and the exit status `report` shares with `run`. Against a real HTTP server on 127.0.0.1
that, like llama.cpp, serves a fixed number of requests at a time and queues the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import run_cli
from llm_server import FakeLLM, Reply, answer, completion, error, models

from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.llm.settings import LLMSettings
from commitdigest.models import Commit, FileChange

NOW = datetime(2026, 1, 13, 8, tzinfo=UTC)
DAY = "2026-01-13"


def commits(n: int) -> list[Commit]:
    out = []
    for i in range(n):
        patch = f"--- a/src/m{i}.py\n+++ b/src/m{i}.py\n@@ -1 +1,2 @@\n-x = {i}\n+x = {i + 1}\n+y = x\n"
        out.append(Commit(sha=f"{i:040x}", author="A", author_time=NOW, committer_time=NOW,
                          subject=f"fix: adjust m{i}", files=[FileChange(path=f"src/m{i}.py", status="M", insertions=2,
                                                                           deletions=1, patch=patch)]))
    return out


def slow(seconds: float):
    reply = completion(answer(paths=[]))
    return lambda req: Reply(delay=seconds, body=reply.body)


def props(slots: int) -> Reply:
    """llama.cpp's C++ server's ``GET /props``, in substance."""
    return Reply(body={"total_slots": slots, "default_generation_settings": {"n_ctx": 8192}})


def test_a_one_slot_server_that_says_so_is_never_given_a_second_request():
    with FakeLLM(slow(0.3), gets={"/props": props(1), "/v1/models": models("m")}, slots=1) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", concurrency=8, timeout=30))
        records = analyzer.analyze_batch(commits(10), "zh")
    assert "/props" in server.get_paths
    assert len(server.requests) == 10
    assert server.max_held == 1  # never one waiting in its queue
    assert not any(r.fallback for r in records), [r.fallback_reason for r in records]
    assert analyzer.pacer is not None and analyzer.pacer.limit == 1 and not analyzer.pacer.adaptive


def test_slots_published_cap_the_configured_concurrency_but_never_raise_it():
    with FakeLLM(slow(0.3), gets={"/props": props(3)}, slots=3) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", concurrency=2, timeout=30))
        records = analyzer.analyze_batch(commits(8), "zh")
    assert server.max_held == 2 and not any(r.fallback for r in records)


def test_text_generation_inference_publishes_its_limit_under_info():
    info = Reply(body={"model_id": "m", "max_concurrent_requests": 2})
    with FakeLLM(slow(0.3), gets={"/info": info}, slots=2) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", concurrency=8, timeout=30))
        records = analyzer.analyze_batch(commits(6), "zh")
    assert server.max_held == 2 and not any(r.fallback for r in records)


def test_a_queueing_server_that_says_nothing_loses_no_commit_to_a_short_timeout():
    # One request at a time, 1.5 s each; eight sent at once: the later ones wait past the 6 s
    # timeout in its queue. Each such timeout halves the requests in flight and is tried again.
    with FakeLLM(slow(1.5), slots=1) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", concurrency=8, timeout=6, retries=1))
        records = analyzer.analyze_batch(commits(10), "zh")
    assert not any(r.fallback for r in records), [r.fallback_reason for r in records]
    pacer = analyzer.pacer
    assert pacer is not None and pacer.adaptive and pacer.halvings >= 1
    assert server.max_held > 1  # it did queue: the limit was learned, not given
    assert len(server.requests) > 10  # the ones that timed out were sent again


def test_a_server_that_times_out_alone_still_falls_back_after_its_retries():
    with FakeLLM(slow(3), slots=1) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", concurrency=1, timeout=1, retries=1))
        [record] = analyzer.analyze_batch(commits(1), "zh")
    assert record.fallback and record.fallback_reason.startswith("timed out after 1s")


# ------------------------------------------------------------------------- keys, hosts, exits


def build(make_repo):
    repo = make_repo("svc")
    repo.commit("feat(app): add retry loop (#12)", {"src/app.py": "def main():\n    return 1\n"},
                when="2026-01-13T09:00:00+08:00")
    repo.commit("fix: parser", {"src/parse.py": "def parse(x):\n    return x.strip()\n"},
                when="2026-01-13T11:00:00+08:00")
    return repo


def report(repo, out, base_url: str, *extra: str, key: str | None = None):
    env = {"COMMITDIGEST_LLM_BASE_URL": base_url, "COMMITDIGEST_LLM_MODEL": "m", "COMMITDIGEST_LLM_RETRIES": "0"}
    if key:
        env["COMMITDIGEST_LLM_API_KEY"] = key
    return run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--out", str(out),
                   "--analyzer", "llm", "--no-cache", "-q", *extra, env=env)


def test_a_401_names_the_variable_and_no_commit_is_sent(make_repo, tmp_path):
    repo = build(make_repo)
    no_key = error(401, "You didn't provide an API key.")
    with FakeLLM(lambda req: no_key, gets={"/v1/models": no_key}) as server:
        r = report(repo, tmp_path / "out", server.base_url)
    assert r.returncode == 7, r.stderr
    assert "COMMITDIGEST_LLM_API_KEY" in r.stderr and "API key" in r.stderr
    assert server.requests == []  # one cheap GET decided it: no commit was sent
    assert server.get_paths.count("/v1/models") == 1
    data = json.loads((tmp_path / "out" / f"{DAY}.json").read_text())
    reasons = {c["analysis"]["fallback_reason"] for c in data["repos"][0]["commits"]}
    assert reasons == {"the server needs an API key (HTTP 401): set COMMITDIGEST_LLM_API_KEY"}


def test_a_refused_key_on_the_first_call_stops_the_others(make_repo, tmp_path):
    # /models is open (some proxies only guard the completions): the first call's 403 decides.
    repo = build(make_repo)
    with FakeLLM(lambda req: error(403, "invalid key"), gets={"/v1/models": models("m")}) as server:
        r = report(repo, tmp_path / "out", server.base_url, "--llm-concurrency", "1", key="sk-wrong-0123456789")
    assert r.returncode == 7, r.stderr
    assert "refused the API key (HTTP 403): check COMMITDIGEST_LLM_API_KEY" in r.stderr
    assert "sk-wrong" not in r.stderr
    assert len(server.requests) == 1  # the second commit was not sent


def test_an_unknown_host_is_said_so(make_repo, tmp_path):
    repo = build(make_repo)
    r = report(repo, tmp_path / "out", "http://no-such-model-host.invalid/v1")
    assert r.returncode == 7, r.stderr
    assert "unknown host: 2" in r.stderr and "Host unknown: no-such-model-host.invalid (DNS lookup failed)" in r.stderr
    assert "connection refused" not in r.stderr


def test_report_exits_7_exactly_when_run_would(make_repo, tmp_path):
    repo = build(make_repo)
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nanalyzer = "llm"\n[[repos]]\npath = "{repo.path}"\n[output]\ndir = "out"\n')
    with FakeLLM(lambda req: error(400, "bad request")) as down:
        env = {"COMMITDIGEST_LLM_BASE_URL": down.base_url, "COMMITDIGEST_LLM_MODEL": "m",
               "COMMITDIGEST_LLM_RETRIES": "0"}
        ran = run_cli("run", "--date", DAY, "--no-cache", "-q", cwd=tmp_path, env=env)
        reported = report(repo, tmp_path / "o", down.base_url)
        dry = report(repo, tmp_path / "o", down.base_url, "--dry-run")
    assert ran.returncode == reported.returncode == dry.returncode == 7, (ran.stderr, reported.stderr)
    assert "# " in dry.stdout  # the report is still printed
    with FakeLLM(lambda req: completion(answer(paths=["src/app.py"]))) as up:
        ok = report(repo, tmp_path / "o2", up.base_url)
    assert ok.returncode == 0 and ok.stderr == ""
