"""The outside world bounded, as a user sees it through the command line: a model server that
answers megabytes, or is down, costs the affected commits their model analysis and says so, never
the run."""

from __future__ import annotations

import json
import socket

from conftest import run_cli
from llm_server import FakeLLM, answer, completion

DAY = "2026-01-13"


def build(make_repo):
    repo = make_repo("svc")
    repo.commit("feat(app): add retry loop", {"src/app.py": "def main():\n    return 1\n"},
                when=f"{DAY}T09:00:00+08:00")
    repo.commit("fix: parser", {"src/parse.py": "def parse():\n    return 2\n"}, when=f"{DAY}T10:00:00+08:00")
    repo.commit("docs: usage", {"README.md": "# svc\n\nRun it.\n"}, when=f"{DAY}T15:00:00+08:00")
    return repo


def llm_env(base_url: str) -> dict[str, str]:
    return {"COMMITDIGEST_LLM_BASE_URL": base_url, "COMMITDIGEST_LLM_MODEL": "fake-1",
            "COMMITDIGEST_LLM_API_KEY": "sk-test", "COMMITDIGEST_LLM_RETRIES": "0"}


def test_a_10_mb_answer_is_rejected_and_that_commit_falls_back(make_repo, tmp_path):
    repo = build(make_repo)
    huge = "very long summary " * (10 * 1024 * 1024 // 18)

    def respond(req):
        if "src/app.py" in req.user_text:
            return completion(answer(summary=[huge]))
        return completion(answer())

    out = tmp_path / "out"
    with FakeLLM(respond) as server:
        r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--out", str(out),
                    "--analyzer", "llm", "--no-cache", "--format", "md,json", env=llm_env(server.base_url))
    assert r.returncode == 0, r.stderr
    commits = {c["subject"]: c["analysis"] for c in json.loads((out / f"{DAY}.json").read_text())["repos"][0]["commits"]}
    big = commits["feat(app): add retry loop"]
    assert big["fallback"] and "answer too large" in big["fallback_reason"]
    assert not commits["fix: parser"]["fallback"]
    assert (out / f"{DAY}.md").stat().st_size < 100_000 and (out / f"{DAY}.json").stat().st_size < 100_000
    assert "very long summary" not in (out / f"{DAY}.md").read_text()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_model_outage_is_one_warning_even_quiet_and_run_exits_7(make_repo, tmp_path):
    repo = build(make_repo)
    env = llm_env(f"http://127.0.0.1:{closed_port()}/v1")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nanalyzer = "llm"\n[[repos]]\npath = "{repo.path}"\n[output]\ndir = "out"\n')
    r = run_cli("run", "--date", DAY, "-q", cwd=tmp_path, env=env)
    assert r.returncode == 7, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("commitdigest: warning: the model failed on 3 of 3 commits"), lines
    assert "connection refused or dropped: 3" in lines[0] and "offline analysis stood in" in lines[0]
    assert (tmp_path / "out" / f"{DAY}.md").is_file()  # the report is still written, offline
    assert "exit" not in lines[0] and "--help" not in lines[0]
    # report says the same, and ends with the same status
    r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--out",
                str(tmp_path / "o"), "--analyzer", "llm", "-q", env=env)
    assert r.returncode == 7 and r.stderr.count("\n") == 1 and "the model failed on 3 of 3 commits" in r.stderr


def test_a_model_that_fails_on_a_few_commits_is_not_an_outage(make_repo, tmp_path):
    repo = build(make_repo)

    def respond(req):
        return completion("not json at all") if "src/app.py" in req.user_text else completion(answer())

    with FakeLLM(respond) as server:
        r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--out",
                    str(tmp_path / "o"), "--analyzer", "llm", "-q", env=llm_env(server.base_url))
    assert r.returncode == 0 and r.stderr == ""
    data = json.loads((tmp_path / "o" / f"{DAY}.json").read_text())
    assert [c["analysis"]["fallback"] for c in data["repos"][0]["commits"]].count(True) == 1


def test_a_server_that_echoes_our_key_and_headers_gets_neither_into_a_report(make_repo, tmp_path):
    """A model server (or a proxy in front of it) that answers with what it was sent."""
    repo = build(make_repo)
    key, header = "sk-echo-" + "k3y" * 10, "org-secret-value-0042"

    def respond(req):
        sent_key = req.headers.get("authorization", "").removeprefix("Bearer ")
        sent_header = req.headers.get("x-org-token", "")
        reply = completion(answer("en", summary=[f"authorized with {sent_key} for {sent_header}"],
                                  conclusion=f"{sent_key}/{sent_header}"))
        reply.body["model"] = f"echo:{sent_key}"  # the model name it reports is shown too
        return reply

    out = tmp_path / "out"
    with FakeLLM(respond) as server:
        env = {**llm_env(server.base_url), "COMMITDIGEST_LLM_API_KEY": key}
        r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--out", str(out),
                    "--lang", "en", "--analyzer", "llm", "--llm-header", f"X-Org-Token={header}", "--no-cache",
                    "--format", "md,json,html", env=env)
        assert server.requests and all(req.headers["authorization"] == f"Bearer {key}" for req in server.requests)
    assert r.returncode == 0, r.stderr
    for name in (f"{DAY}.md", f"{DAY}.json", f"{DAY}.html", "index.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert key not in text and header not in text, name
    commits = json.loads((out / f"{DAY}.json").read_text())["repos"][0]["commits"]
    assert all("authorized with [REDACTED] for [REDACTED]" in c["analysis"]["summary"][0] for c in commits)
    assert key not in r.stderr and header not in r.stderr
