"""The LLM analyzer through the command line: flags and environment reach the server, the report
says what was used, --show-prompt prints the request without sending it, and bad settings stop
the run before any work."""

from __future__ import annotations

import json

from conftest import run_cli
from llm_server import FakeLLM, answer, completion

API_KEY = "sk-cli-test-key-0123456789abcdef"


def build(make_repo):
    repo = make_repo("svc")
    repo.commit("feat(app): add retry loop (#12)", {"src/app.py": "def main():\n    return 1\n"},
                when="2026-01-13T09:00:00+08:00")
    repo.commit("docs: usage", {"README.md": "# svc\n\nRun it.\n"}, when="2026-01-13T15:00:00+08:00")
    return repo


def env_for(server):
    return {"COMMITDIGEST_LLM_BASE_URL": server.base_url, "COMMITDIGEST_LLM_MODEL": "fake-1",
            "COMMITDIGEST_LLM_API_KEY": API_KEY}


def test_report_with_llm_from_environment(make_repo, tmp_path):
    repo = build(make_repo)
    out = tmp_path / "out"
    with FakeLLM(lambda req: completion(answer(paths=["src/app.py"], importance="high"), 200, 40)) as server:
        args = ("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--out", str(out), "--analyzer", "llm")
        r = run_cli(*args, env=env_for(server))
        assert r.returncode == 0, r.stderr
        assert len(server.requests) == 2
        assert {q.body["model"] for q in server.requests} == {"fake-1"}
        assert all(q.headers.get("authorization") == f"Bearer {API_KEY}" for q in server.requests)
        data = json.loads((out / "2026-01-13.json").read_text())
        assert data["generator"]["analyzer"].startswith("llm")
        assert data["usage"]["llm_calls"] == 2 and data["usage"]["prompt_tokens"] == 400
        # the model answered "high" twice: the tier is the score's (a README-only docs commit is low)
        assert [c["analysis"]["importance"] for c in data["repos"][0]["commits"]] == ["low", "high"]
        md = (out / "2026-01-13.md").read_text()
        assert API_KEY not in md and API_KEY not in r.stderr and API_KEY not in r.stdout
        # the same day again: everything from the cache, no call
        r = run_cli(*args, env=env_for(server))
        assert r.returncode == 0, r.stderr
        assert len(server.requests) == 2
        assert json.loads((out / "2026-01-13.json").read_text())["usage"]["cache_hits"] == 2


def test_triage_flag_keeps_low_commits_offline(make_repo, tmp_path):
    repo = build(make_repo)
    with FakeLLM(lambda req: completion(answer(paths=["src/app.py"]))) as server:
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--out", str(tmp_path / "o"), "--analyzer", "llm", "--llm-min-importance", "medium",
                    "--no-cache", env=env_for(server))
        assert r.returncode == 0, r.stderr
        assert len(server.requests) == 1  # the README-only docs commit stays offline
        assert "add retry loop" in server.requests[0].user_text


def test_show_prompt_prints_the_request_and_sends_nothing(make_repo):
    repo = build(make_repo)
    with FakeLLM() as server:
        r = run_cli("analyze", "HEAD~1", "--repo", str(repo.path), "--analyzer", "llm", "--show-prompt",
                    "--llm-base-url", server.base_url, "--llm-model", "fake-1", "--llm-api-key", API_KEY)
        assert r.returncode == 0, r.stderr
        assert server.requests == []
    body = json.loads(r.stdout)
    assert body["model"] == "fake-1"
    assert body["response_format"]["type"] == "json_schema"
    assert "add retry loop" in json.dumps(body["messages"], ensure_ascii=False)
    assert API_KEY not in r.stdout


def test_analyze_with_llm_prints_the_record(make_repo):
    repo = build(make_repo)
    with FakeLLM(lambda req: completion(answer(language="en", paths=["src/app.py", "nope.py"]))) as server:
        r = run_cli("analyze", "HEAD~1", "--repo", str(repo.path), "--analyzer", "llm", "--lang", "en",
                    "--format", "json", "--no-cache", env=env_for(server))
        assert r.returncode == 0, r.stderr
        assert len(server.requests) == 1
    record = json.loads(r.stdout)["analysis"]
    assert record["summary"] == ["Adds an option and adjusts parsing"]
    assert [s["path"] for s in record["impact_scope"]] == ["src/app.py"]  # the invented path is dropped


def test_show_prompt_needs_an_llm(make_repo):
    repo = build(make_repo)
    r = run_cli("analyze", "HEAD", "--repo", str(repo.path), "--show-prompt")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--show-prompt needs an LLM analyzer" in r.stderr


def test_llm_without_settings_is_one_line_before_any_work(make_repo, tmp_path):
    repo = build(make_repo)
    out = tmp_path / "never"
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--analyzer", "llm",
                "--out", str(out), env={"COMMITDIGEST_LLM_BASE_URL": "", "OPENAI_BASE_URL": "",
                                         "COMMITDIGEST_LLM_MODEL": ""})
    assert r.returncode == 6, r.stderr
    assert r.stderr.count("\n") == 1 and "COMMITDIGEST_LLM_MODEL" in r.stderr
    assert not out.exists()


def test_report_reads_llm_settings_from_the_config_file(make_repo, tmp_path):
    repo = build(make_repo)
    with FakeLLM(lambda req: completion(answer(paths=["src/app.py"]))) as server:
        (tmp_path / "commitdigest.toml").write_text(
            f'[[repos]]\npath = "{repo.path}"\n[llm]\nbase_url = "{server.base_url}"\nmodel = "from-file"\n')
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--out", str(tmp_path / "o"), "--no-cache", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert [q.body["model"] for q in server.requests] == ["from-file", "from-file"]
        # the environment beats the file, a flag beats both
        r = run_cli("analyze", "HEAD", "--repo", str(repo.path), "--no-cache", "--llm-model", "from-flag",
                    cwd=tmp_path, env={"COMMITDIGEST_LLM_MODEL": "from-env"})
        assert r.returncode == 0, r.stderr
        assert server.requests[-1].body["model"] == "from-flag"
        r = run_cli("analyze", "HEAD", "--repo", str(repo.path), "--no-cache", cwd=tmp_path,
                    env={"COMMITDIGEST_LLM_MODEL": "from-env"})
        assert server.requests[-1].body["model"] == "from-env"
        # analyzer = "heuristic" in the file keeps the model out
        calls = len(server.requests)
        (tmp_path / "commitdigest.toml").write_text(
            f'analyzer = "heuristic"\n[[repos]]\npath = "{repo.path}"\n[llm]\nbase_url = "{server.base_url}"\n'
            'model = "from-file"\n')
        r = run_cli("analyze", "HEAD", "--repo", str(repo.path), "--no-cache", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert len(server.requests) == calls


def test_run_retries_days_whose_model_analysis_failed(make_repo, tmp_path):
    from llm_server import error

    repo = build(make_repo)
    with FakeLLM(lambda req: error(400, "bad request")) as down:
        (tmp_path / "commitdigest.toml").write_text(
            f'timezone = "Asia/Shanghai"\nanalyzer = "llm"\n[[repos]]\npath = "{repo.path}"\n'
            f'[llm]\nbase_url = "{down.base_url}"\nmodel = "m"\nretries = 0\n[output]\ndir = "out"\n')
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
        assert r.returncode == 7, r.stderr  # the model failed on every commit: a scheduler must notice
    data = json.loads((tmp_path / "out" / "2026-01-13.json").read_text())
    assert [c["analysis"]["fallback"] for c in data["repos"][0]["commits"]] == [True, True]
    with FakeLLM(lambda req: completion(answer(paths=["src/app.py"]))) as up:
        text = (tmp_path / "commitdigest.toml").read_text().replace(down.base_url, up.base_url)
        (tmp_path / "commitdigest.toml").write_text(text)
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)  # no --force: the day was not finished
        assert r.returncode == 0, r.stderr
        assert len(up.requests) == 2
        again = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
        assert again.returncode == 0 and len(up.requests) == 2 and "already reported" in again.stderr
    data = json.loads((tmp_path / "out" / "2026-01-13.json").read_text())
    assert [c["analysis"]["fallback"] for c in data["repos"][0]["commits"]] == [False, False]


def test_ctrl_c_during_model_calls_is_one_line_and_no_file(make_repo, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    repo = build(make_repo)
    out = tmp_path / "out"
    slow = completion(answer(paths=["src/app.py"]))
    slow.delay = 60.0  # far longer than a busy machine takes to see the request and send the signal
    with FakeLLM(lambda req: slow) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "commitdigest", "report", "--repo", str(repo.path), "--date", "2026-01-13",
             "--tz", "Asia/Shanghai", "--out", str(out), "--analyzer", "llm", "--no-cache"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env_for(server)},
            # A suite started in the background (`pytest &`) has SIGINT ignored, and a child inherits
            # that: the CLI gets Ctrl-C's default disposition, as in a terminal.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while not server.requests and time.monotonic() < deadline:  # the calls are in flight
            time.sleep(0.05)
        assert server.requests, "no request reached the server"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.strip().splitlines() == ["commitdigest: error: aborted"], stderr
    assert stdout == "" and not out.exists()
