"""Every planted secret of the catalogue is redacted from what a model is shown, and counted once;
ordinary lines that merely name secrets are left alone. Each plant is a real commit in a real
repository, so the redactor sees the patch exactly as git prints it."""

from __future__ import annotations

import re

import pytest
from secrets_catalogue import ORDINARY, PLANTS, Plant

from commitdigest.analysis.importance import score
from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.analysis.redact import MARK, Redactor
from commitdigest.git.log import read_commits
from commitdigest.git.repo import open_repo
from commitdigest.llm.settings import LLMSettings
from commitdigest.models import Commit


def _commit_all(repo, entries) -> dict[object, str]:
    """One commit per entry (after its ``before`` commit, if any); entry → sha."""
    shas = {}
    for n, entry in enumerate(entries):
        path, before, after = entry
        if before is not None:
            repo.commit(f"chore: base {n}", {path: before}, when="2026-01-12T10:00:00+08:00")
        shas[entry] = repo.commit(f"chore: plant {n}", {path: after}, when="2026-01-13T10:00:00+08:00")
        repo.write(path, None)  # each entry starts from a clean tree
        repo.git("add", "-A")
        repo.commit(f"chore: clear {n}", when="2026-01-13T10:00:00+08:00")
    return shas


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Commit]:
    from conftest import GitRepo

    repo = GitRepo(tmp_path_factory.mktemp("plants") / "repo")
    entries = [(p.path, p.before, p.after) for p in PLANTS]
    shas = _commit_all(repo, entries)
    commits = read_commits(open_repo(repo.path), [shas[e] for e in entries])
    return {p.form: c for p, c in zip(PLANTS, commits, strict=True)}


@pytest.fixture(scope="module")
def ordinary(tmp_path_factory) -> list[Commit]:
    from conftest import GitRepo

    repo = GitRepo(tmp_path_factory.mktemp("ordinary") / "repo")
    entries = [(path, None, text) for path, text in ORDINARY]
    shas = _commit_all(repo, entries)
    return read_commits(open_repo(repo.path), [shas[e] for e in entries])


def _patch(commit: Commit) -> tuple[str, str]:
    (f,) = commit.files
    return f.path, f.patch


def test_catalogue_has_every_form():
    assert len(PLANTS) >= 27
    assert len({p.form for p in PLANTS}) == len(PLANTS)


@pytest.mark.parametrize("plant", PLANTS, ids=[p.form for p in PLANTS])
def test_planted_secret_is_redacted_and_counted(planted, plant: Plant):
    path, patch = _patch(planted[plant.form])
    assert any(s in patch for s in plant.secrets)  # the patch really carries it
    r = Redactor()
    out = r.file(path, patch)
    leaked = [s for s in plant.secrets if s in out]
    assert not leaked, out
    assert MARK in out
    assert r.count == plant.count, out
    # Redacting again finds nothing more: the final pass over a whole prompt counts nothing twice.
    again = Redactor()
    assert again.file(path, out) == out and again.count == 0


@pytest.mark.parametrize("plant", PLANTS, ids=[p.form for p in PLANTS])
def test_planted_secret_never_reaches_the_prompt(planted, plant: Plant):
    """Through the analyzer's own prompt building: the count that reaches the coverage line."""
    analyzer = LLMAnalyzer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m"))
    commit = planted[plant.form]
    prompt = analyzer._prompt(commit, "en", "json_schema", score=score(commit))
    text = "\n".join(m["content"] for m in prompt.messages)
    assert not [s for s in plant.secrets if s in text]
    assert prompt.redactions == plant.count


@pytest.mark.parametrize("form", ["private key tail in context and hunk header",
                                  "private key line in hunk header only"])
def test_private_key_context_keeps_no_key_line_even_in_hunk_header(planted, form):
    path, patch = _patch(planted[form])
    assert "BEGIN" not in patch  # the hunk shows the key's tail only, no BEGIN line
    header = next(line for line in patch.split("\n") if line.startswith("@@"))
    out = Redactor().file(path, patch)
    out_header = next(line for line in out.split("\n") if line.startswith("@@"))
    assert header != out_header and out_header.endswith("@@ " + MARK)
    assert "+host: bastion-2" in out and "-host: bastion-1" in out  # the change itself is still shown
    assert len(out.split("\n")) == len(patch.split("\n"))  # line for line: diff counts stay true


@pytest.mark.parametrize("entry", ORDINARY, ids=[f"{p}:{t.splitlines()[0][:30]}" for p, t in ORDINARY])
def test_ordinary_lines_are_left_alone(ordinary, entry):
    commit = ordinary[ORDINARY.index(entry)]
    path, patch = _patch(commit)
    r = Redactor()
    assert r.file(path, patch) == patch and r.count == 0


def test_report_counts_every_planted_secret_and_sends_none(make_repo, tmp_path):
    """The whole path: a day of planted commits through the report with a model server on
    127.0.0.1; no request carries a secret, and each commit's coverage line counts its own."""
    from datetime import date

    from llm_server import FakeLLM, answer, completion

    from commitdigest import pipeline
    from commitdigest.window import parse_zone

    repo = make_repo("svc")
    repo.commit("chore: initial", {"README.txt": "svc\n"}, when="2026-01-12T09:00:00+08:00")
    for n, p in enumerate(PLANTS):
        if p.before is not None:
            repo.commit(f"chore: base {n}", {p.path: p.before}, when="2026-01-12T10:00:00+08:00")
    for n, p in enumerate(PLANTS):
        repo.commit(f"chore: plant {n:02d}", {p.path: p.after}, when=f"2026-01-13T10:{n:02d}:00+08:00")

    async def no_wait(_s):
        return None

    settings = LLMSettings(base_url="", model="fake-1", retries=0, concurrency=4)
    with FakeLLM(lambda req: completion(answer("en"))) as server:  # an English report: English answers
        analyzer = LLMAnalyzer(settings.model_copy(update={"base_url": server.base_url}), sleep=no_wait)
        req = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                     until=date(2026, 1, 13), zone=parse_zone("Asia/Shanghai"), language="en",
                                     use_cache=False, cache_dir=tmp_path / "cache")
        report = pipeline.generate_report(req, analyzer=analyzer)
        sent = "\n".join(r.text for r in server.requests)
    assert len(server.requests) == len(PLANTS)
    assert not [s for p in PLANTS for s in p.secrets if s in sent]
    by_subject = {c.subject: c.analysis for c in report.repos[0].commits}
    for n, p in enumerate(PLANTS):
        assert by_subject[f"chore: plant {n:02d}"].redactions == p.count, p.form
    md = pipeline.render_report(report, ["md"])["md"]
    for n in {p.count for p in PLANTS}:
        shown = len(re.findall(rf"(?<!\d){n} suspected secrets redacted", md))
        assert shown == sum(p.count == n for p in PLANTS), n
    assert not [s for p in PLANTS for s in p.secrets if s in md]
