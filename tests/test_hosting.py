"""Pull-request metadata from a fake hosting API on 127.0.0.1: which PR each commit came from,
its description, labels and linked issues in the report, the cache, and every way the API can
fail without failing the run."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import pytest
from hosting_server import FakeHost, FakePR, Reply

from commitdigest import pipeline
from commitdigest.hosting import HostingSettings
from commitdigest.window import parse_zone

SH = parse_zone("Asia/Shanghai")
DAY = date(2026, 1, 13)


@pytest.fixture
def host():
    with FakeHost() as h:
        yield h


@pytest.fixture
def token(monkeypatch):
    for var in ("GITHUB_TOKEN", "COMMITDIGEST_GITHUB_TOKEN", "GITLAB_TOKEN", "COMMITDIGEST_GITLAB_TOKEN",
                "COMMITDIGEST_GITHUB_API", "COMMITDIGEST_GITLAB_API"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_faketoken")


@pytest.fixture
def no_token(monkeypatch):
    for var in ("GITHUB_TOKEN", "COMMITDIGEST_GITHUB_TOKEN", "GITLAB_TOKEN", "COMMITDIGEST_GITLAB_TOKEN"):
        monkeypatch.delenv(var, raising=False)


def squash_repo(make_repo, remote="https://github.com/acme/widget.git"):
    """Three ways a commit names its PR: a squash subject, a merge commit, neither."""
    repo = make_repo("widget")
    repo.git("remote", "add", "origin", remote)
    repo.commit("init", {"README.md": "hi\n"}, when="2026-01-12T10:00:00+08:00")
    squash = repo.commit("feat(cache): add a result cache (#12)\n\nSigned-off-by: Dev <dev@example.com>\n",
                         {"src/cache.py": "def get():\n    return 1\n"}, when="2026-01-13T09:00:00+08:00")
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic work", {"src/topic.py": "x = 1\n"}, when="2026-01-13T10:00:00+08:00")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "topic", "-m", "Merge pull request #13 from dev/topic\n\nTopic work",
             when="2026-01-13T11:00:00+08:00")
    merge = repo.git("rev-parse", "HEAD")
    plain = repo.commit("tweak the cache size", {"src/cache.py": "def get():\n    return 2\n"},
                        when="2026-01-13T12:00:00+08:00")
    repo.shas = {"squash": squash, "merge": merge, "plain": plain,
                 "topic": repo.git("rev-parse", "topic")}
    return repo


def serve_prs(host: FakeHost, repo) -> None:
    host.add(
        FakePR(12, title="feat(cache): add a result cache",
               body="## Description\n\nRepeated lookups of the same key hit the backend every time. "
                    "This adds an LRU cache in front of it.\n\n## Related Issues\n\nFixes #7\n",
               labels=["performance", "cache"], author="dev", milestone="v1.4"),
        FakePR(13, title="Topic work on the router", body="Splits the router.", labels=["refactor"], closing=[9]),
        FakePR(14, title="Tune the cache size", body="Halves memory use.", labels=["tuning"],
               merge_commit_sha=repo.shas["plain"]),
        FakePR(99, title="An older PR that also holds the commit", merged=False),
    )
    host.commit_pulls[repo.shas["plain"]] = [99, 14]  # two pages of one: the merged one wins
    host.commit_pulls[repo.shas["topic"]] = [13]
    host.page_size = 1


def make(repo, host=None, cache_dir=None, language="en", **hosting):
    if host is not None:
        hosting.setdefault("github_api", host.github_api)
        hosting.setdefault("gitlab_api", host.gitlab_api)
    request = pipeline.ReportRequest(
        repos=[pipeline.RepoSpec(path=str(repo.path))], since=DAY, until=DAY, zone=SH, language=language,
        use_cache=cache_dir is not None, cache_dir=cache_dir, hosting=HostingSettings(**hosting))
    report = pipeline.generate_report(request)
    return report, pipeline.render_report(report, ["md", "json", "html"])


def commits_by_sha(rendered) -> dict:
    return {c["sha"]: c for c in json.loads(rendered["json"])["repos"][0]["commits"]}


def test_prs_from_subject_merge_and_api_in_one_graphql_batch(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    _report, out = make(repo, host, tmp_path / "cache")
    graphql = [r for r in host.requests if r.path == "/api/graphql"]
    assert len(graphql) == 1  # every PR of the window in one request
    assert sorted(map(int, re.findall(r"pullRequest\(number: (\d+)\)", graphql[0].body["query"]))) == [12, 13, 14]
    assert graphql[0].body["variables"] == {"owner": "acme", "name": "widget"}
    assert all(r.headers["authorization"] == "Bearer ghp_faketoken" for r in host.requests)
    # commits→pulls is asked only for the commit that names no PR (the report follows the first
    # parent, so the topic branch's commit is not in it), and follows the next page
    asked = [r.path for r in host.requests if r.path.endswith("/pulls")]
    assert asked == [f"/api/v3/repos/acme/widget/commits/{repo.shas['plain']}/pulls"] * 2
    by_sha = commits_by_sha(out)
    assert by_sha[repo.shas["squash"]]["pr_meta"] == {
        "number": 12, "title": "feat(cache): add a result cache", "labels": ["performance", "cache"],
        "author": "dev", "linked_issues": [7], "milestone": "v1.4",
        "url": "https://github.com/acme/widget/pull/12"}
    assert by_sha[repo.shas["merge"]]["pr_meta"]["linked_issues"] == [9]
    assert by_sha[repo.shas["plain"]]["pr_meta"]["number"] == 14
    assert "body" not in by_sha[repo.shas["squash"]]["pr_meta"]
    # the squash commit has no body but trailers: its summary is the gist of the PR description
    summary = by_sha[repo.shas["squash"]]["analysis"]["summary"]
    assert summary[0].startswith("Repeated lookups of the same key hit the backend every time.")
    md = out["md"]
    assert ("**🔀 PR**: [#12](https://github.com/acme/widget/pull/12) | 🏷️ performance, cache | "
            "Linked issues #7 | Milestone v1.4\n\n**🎯 Change type**") in md  # a paragraph of its own
    assert "[#13](https://github.com/acme/widget/pull/13) Topic work on the router | 🏷️ refactor | Linked issues #9\n\n" in md
    assert json.loads(out["json"])["usage"]["pr_meta"] == "PR metadata: 3 of 3 PRs"
    assert "PR metadata: 3 of 3 PRs" in out["html"]
    assert '<span class="tag">performance</span>' in out["html"]


def test_second_run_asks_nothing(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    _, first = make(repo, host, tmp_path / "cache")
    n = len(host.requests)
    assert n > 0
    _, second = make(repo, host, tmp_path / "cache")
    assert len(host.requests) == n  # commit→PR answers and the PRs themselves came from the cache
    assert commits_by_sha(second) == commits_by_sha(first)


def _without_wall_time(out: dict) -> dict:
    # the footer's seconds (Markdown, HTML) and the twin's "seconds" field: wall time, not content
    return {k: re.sub(r'"seconds": \d+(\.\d+)?', '"seconds": X', re.sub(r"\d+\.\d( s|\*|<)", r"X\1", v))
            for k, v in out.items()}


def test_without_a_token_nothing_is_asked_and_the_report_is_unchanged(make_repo, host, no_token, tmp_path,
                                                                     monkeypatch):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    _, without = make(repo, host, tmp_path / "cache")
    assert host.requests == []
    monkeypatch.setattr(pipeline, "attach_pull_requests", lambda *a, **k: None)  # as before this feature
    _, before = make(repo, host, tmp_path / "cache2")
    assert _without_wall_time(without) == _without_wall_time(before)
    assert "pr_meta" not in without["json"] and "🔀" not in without["md"]


def test_anonymous_asks_rest_one_by_one(make_repo, host, no_token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    _, out = make(repo, host, tmp_path / "cache", anonymous=True)
    assert not any(r.path == "/api/graphql" for r in host.requests)  # GraphQL needs a token
    assert {r.path for r in host.requests if "/pulls/" in r.path} == {
        f"/api/v3/repos/acme/widget/pulls/{n}" for n in (12, 13, 14)}
    assert all("authorization" not in r.headers for r in host.requests)
    assert commits_by_sha(out)[repo.shas["squash"]]["pr_meta"]["labels"] == ["performance", "cache"]


def test_rate_limit_stops_asking_without_waiting(make_repo, host, token, tmp_path, caplog):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    reset = int(time.time()) + 3600
    host.script(Reply(403, {"message": "API rate limit exceeded"},
                      {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "retry-after": "3600"}))
    _report, out = make(repo, host, tmp_path / "cache")
    assert len(host.requests) == 1  # the first refusal ends the asking for the run
    line = json.loads(out["json"])["usage"]["pr_meta"]
    assert line.startswith("PR metadata: 0 of 2 PRs; GitHub rate limit reached (resets ")
    assert "pr_meta" not in out["json"].split('"usage"')[0]
    assert any("rate limit reached" in r.getMessage() for r in caplog.records)
    # the limit was not a fact about the PRs: the next run asks again and gets them
    _, again = make(repo, host, tmp_path / "cache")
    assert json.loads(again["json"])["usage"]["pr_meta"] == "PR metadata: 3 of 3 PRs"


def test_last_request_of_the_quota_is_the_last_one_made(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    host.headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 60)}
    _, out = make(repo, host, tmp_path / "cache")
    assert len(host.requests) == 1
    assert "GitHub rate limit reached" in json.loads(out["json"])["usage"]["pr_meta"]


def test_pr_gone_is_remembered(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    del host.prs[12]  # 404: deleted, or the repository went private
    _, out = make(repo, host, tmp_path / "cache")
    by_sha = commits_by_sha(out)
    assert "pr_meta" not in by_sha[repo.shas["squash"]]
    assert json.loads(out["json"])["usage"]["pr_meta"] == "PR metadata: 2 of 3 PRs"
    n = len(host.requests)
    make(repo, host, tmp_path / "cache")
    assert len(host.requests) == n  # a PR that is gone is not asked for again


def test_server_errors_cost_their_items_only(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    host.script(Reply(502, {"message": "Bad Gateway"}))  # the first commits→pulls lookup
    _, out = make(repo, host, tmp_path / "cache")
    line = json.loads(out["json"])["usage"]["pr_meta"]
    assert line == "PR metadata: 2 of 2 PRs; GitHub answered 502"  # the plain commit's lookup failed
    assert sum(1 for c in commits_by_sha(out).values() if "pr_meta" in c) == 2
    # a failure is not an answer: the next run asks for that commit again
    _, again = make(repo, host, tmp_path / "cache")
    assert json.loads(again["json"])["usage"]["pr_meta"] == "PR metadata: 3 of 3 PRs"


def test_three_failures_in_a_row_stop_the_asking(make_repo, host, token, tmp_path):
    repo = make_repo("widget")
    repo.git("remote", "add", "origin", "git@github.com:acme/widget.git")
    for i in range(6):
        repo.commit(f"change {i}", {"f.txt": f"{i}\n"}, when=f"2026-01-13T1{i}:00:00+08:00")
    host.script(*[Reply(500, {"message": "boom"})] * 10)
    _, out = make(repo, host, tmp_path / "cache")
    assert len(host.requests) == 3
    assert json.loads(out["json"])["usage"]["pr_meta"] == "PR metadata: 0 of 0 PRs; GitHub answered 500"
    assert len(commits_by_sha(out)) == 6


def test_unreachable_api_is_one_line(make_repo, token, tmp_path):
    repo = squash_repo(make_repo)
    _, out = make(repo, None, tmp_path / "cache", github_api="http://127.0.0.1:9/api/v3", timeout=2)
    # refused at once here; a firewall that drops packets gives ConnectTimeout after ``timeout``
    assert json.loads(out["json"])["usage"]["pr_meta"] in (
        "PR metadata: 0 of 2 PRs; GitHub unreachable (ConnectError)",
        "PR metadata: 0 of 2 PRs; GitHub unreachable (ConnectTimeout)")


HOSTILE = ("# Fake heading\n\n[click me](javascript:alert(1)) <script>alert('x')</script> "
           "<img src=x onerror=alert(2)> @all please review\n")


def test_hostile_description_and_labels_stay_inert(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    host.prs[12].body = HOSTILE
    host.prs[12].labels = ["<script>alert(3)</script>", "[x](javascript:alert(4))", "# heading"]
    host.prs[12].milestone = "</p><iframe src=//evil>"
    _, out = make(repo, host, tmp_path / "cache")
    from markdown_it import MarkdownIt

    html_of_md = MarkdownIt("commonmark").render(out["md"])
    for text in (html_of_md, out["html"]):
        assert "<script>alert" not in text and "<img src=x" not in text and "<iframe" not in text
        assert 'href="javascript:' not in text
    assert "<h1>Fake heading" not in html_of_md and "\n# Fake heading" not in out["md"]
    assert "\n# heading" not in out["md"]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in out["html"]


def test_description_reaches_the_commit_record_and_changes_the_cache_key(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    cache = tmp_path / "cache"
    make(repo, None, cache, enabled=False)  # analyses cached without PR metadata
    _, out = make(repo, host, cache)
    # the cached analysis of the bare commit was not reused for the commit with its PR
    assert commits_by_sha(out)[repo.shas["squash"]]["analysis"]["summary"][0].startswith("Repeated lookups")
    from commitdigest.git import log as gitlog
    from commitdigest.git.repo import open_repo
    from commitdigest.hosting import attach_pull_requests

    opened = open_repo(repo.path)
    commits = gitlog.read_commits(opened, [repo.shas["squash"]])
    attach_pull_requests(commits, opened, None, HostingSettings.resolve({"github_api": host.github_api}))
    assert "LRU cache" in commits[0].pull_request.body
    assert pipeline.cache_key(commits[0]).startswith(repo.shas["squash"] + ":pr")

    class Model:  # the LLM prompt shows the PR: its analyses are keyed by it too
        name = "llm:some-model"
    assert pipeline.cache_key(commits[0], Model()) == pipeline.cache_key(commits[0])

    class Other:  # an analyzer that does not read PRs keeps its cached answers
        name = "custom"
    assert pipeline.cache_key(commits[0], Other()) == repo.shas["squash"]


def test_gitlab_merge_requests(make_repo, host, monkeypatch, tmp_path):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-faketoken")
    repo = squash_repo(make_repo, remote="https://gitlab.com/acme/widget.git")
    serve_prs(host, repo)
    _, out = make(repo, host, tmp_path / "cache")
    assert all(r.headers.get("private-token") == "glpat-faketoken" for r in host.requests)
    assert "GET /api/v4/projects/acme%2Fwidget/merge_requests/12" in host.paths()
    by_sha = commits_by_sha(out)
    assert by_sha[repo.shas["squash"]]["pr_meta"]["url"] == "https://gitlab.com/acme/widget/-/merge_requests/12"
    assert by_sha[repo.shas["plain"]]["pr_meta"]["number"] == 14
    assert "[#12](https://gitlab.com/acme/widget/-/merge_requests/12)" in out["md"]



def test_text_for_a_model_is_redacted_and_bounded():
    from commitdigest.analysis.redact import Redactor
    from commitdigest.hosting.prompt import pull_request_text
    from commitdigest.models import PullRequest

    key = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    pr = PullRequest(number=5, title="Add auth", labels=["security"], linked_issues=[3],
                     body=f"<!-- fill in the template -->\nUse token {key} to test.\n\n" + "words " * 1000)
    redactor = Redactor()
    text = pull_request_text(pr, redactor, limit=300)
    assert key not in text and "[REDACTED]" in text and redactor.count == 1
    assert "fill in the template" not in text
    assert text.startswith("PR #5: Add auth\nLabels: security\nCloses: #3\n\nUse token")
    assert text.endswith("[… description cut]") and len(text) < 450


def test_backfill_of_several_days_batches_once_and_counts_per_day(make_repo, host, token, tmp_path):
    from commitdigest.git.repo import open_repo
    from commitdigest.store import Store

    repo = squash_repo(make_repo)
    repo.commit("fix: next day (#15)", {"src/x.py": "y = 2\n"}, when="2026-01-14T09:00:00+08:00")
    serve_prs(host, repo)
    host.add(FakePR(15, title="fix: next day", body="Fixes the next day.", labels=["bug"]))
    tracked = [pipeline.Tracked(name="widget", repo=open_repo(repo.path))]
    settings = HostingSettings(github_api=host.github_api)

    def backfill():
        store = Store(tmp_path / "cache")
        try:
            return pipeline.generate_days(tracked, [DAY, date(2026, 1, 14)], SH, language="en", store=store,
                                          hosting=settings)
        finally:
            store.close()

    reports = backfill()
    assert sum(r.path == "/api/graphql" for r in host.requests) == 1  # one batch for the whole span
    assert [r.usage.pr_meta for _, r in reports] == ["PR metadata: 3 of 3 PRs", "PR metadata: 1 of 1 PR"]
    assert reports[1][1].repos[0].commits[0].pull_request.labels == ["bug"]
    n = len(host.requests)
    again = backfill()
    assert len(host.requests) == n
    assert [r.usage.pr_meta for _, r in again] == [r.usage.pr_meta for _, r in reports]


def test_request_budget_is_per_repository(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    _, out = make(repo, host, tmp_path / "cache", max_requests=1)
    assert len(host.requests) == 1
    assert json.loads(out["json"])["usage"]["pr_meta"] == (
        "PR metadata: 0 of 2 PRs; GitHub: 1 requests asked, the most one run may")


def test_older_enterprise_without_closing_references(make_repo, host, token, tmp_path):
    repo = squash_repo(make_repo)
    serve_prs(host, repo)
    host.script_for("/api/graphql", Reply(200, {"errors": [{
        "message": "Field 'closingIssuesReferences' doesn't exist on type 'PullRequest'"}]}))
    _, out = make(repo, host, tmp_path / "cache")
    graphql = [r.body["query"] for r in host.requests if r.path == "/api/graphql"]
    assert len(graphql) == 2 and "closingIssuesReferences" not in graphql[1]
    # "Fixes #7" in the description still links the issue
    assert commits_by_sha(out)[repo.shas["squash"]]["pr_meta"]["linked_issues"] == [7]
