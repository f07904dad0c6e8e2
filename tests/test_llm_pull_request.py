"""A commit's pull request reaches the model: inside the prompt's own delimited block, redacted
like the diff, bounded, and part of what the analysis cache is keyed by."""

from __future__ import annotations

from datetime import UTC, datetime

from llm_server import FakeLLM, answer, completion

from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.llm.settings import LLMSettings
from commitdigest.models import Commit, FileChange, PullRequest
from commitdigest.pipeline import cache_key

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
NOW = datetime(2026, 1, 13, 8, tzinfo=UTC)


def commit(pr: PullRequest | None) -> Commit:
    return Commit(sha="b" * 40, author="Yan", author_time=NOW, committer_time=NOW,
                  subject="fix: keep the kv reuse flag (#12)", pull_request=pr,
                  files=[FileChange(path="src/router.py", status="M", insertions=1, deletions=1,
                                    patch="--- a/src/router.py\n+++ b/src/router.py\n@@ -1 +1 @@\n-A = 1\n+A = 2\n")])


def test_the_pull_request_is_shown_redacted_and_bounded():
    pr = PullRequest(number=12, title="Keep the kv reuse flag", labels=["router", "bug"], linked_issues=[7],
                     body="The flag was dropped on retries.\n\nDebug with token " + TOKEN + "\n\n" + "x" * 5000)
    with FakeLLM(lambda req: completion(answer("en", paths=[]))) as server:
        analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", api_key="k", retries=0))
        [record] = analyzer.analyze_batch([commit(pr)], "en")
    user = server.requests[0].body["messages"][1]["content"]
    block = user[user.index("<pull_request"):user.index("</pull_request>")]
    assert "PR #12: Keep the kv reuse flag" in block and "Labels: router, bug" in block and "Closes: #7" in block
    assert "The flag was dropped on retries." in block and "[… description cut]" in block
    assert TOKEN not in user and "[REDACTED]" in block
    assert record.redactions >= 1 and not record.fallback
    # no PR: no block, and the prompt is what it was
    with FakeLLM(lambda req: completion(answer("en", paths=[]))) as server:
        LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", api_key="k", retries=0)).analyze_batch(
            [commit(None)], "en")
    assert "<pull_request" not in server.requests[0].body["messages"][1]["content"]


def test_the_model_analysis_is_keyed_by_the_pull_request():
    analyzer = LLMAnalyzer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m"))
    plain = cache_key(commit(None), analyzer)
    with_pr = cache_key(commit(PullRequest(number=12, body="why")), analyzer)
    other = cache_key(commit(PullRequest(number=12, body="another why")), analyzer)
    assert plain == "b" * 40 and with_pr != plain and other != with_pr
