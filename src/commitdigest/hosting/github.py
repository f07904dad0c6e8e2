"""GitHub and GitHub Enterprise: commits→pulls over REST, pull requests over GraphQL in batches
of up to 100 (REST one by one when asking without a token, as GraphQL needs one)."""

from __future__ import annotations

from commitdigest.hosting.common import MAX_ISSUES, MAX_LABELS, dig, make_pull_request
from commitdigest.hosting.http import Api, ItemFailed
from commitdigest.models import PullRequest

BATCH = 100


def _fields(closing: bool) -> str:
    extra = f" closingIssuesReferences(first: {MAX_ISSUES}) {{ nodes {{ number }} }}" if closing else ""
    return (f"{{ number title body url author {{ login }} labels(first: {MAX_LABELS}) {{ nodes {{ name }} }} "
            f"milestone {{ title }}{extra} }}")


def api_base(web_base: str, configured: str | None) -> str:
    """The REST base for a repository whose web page is ``web_base`` (https://host/owner/name)."""
    if configured:
        return configured
    host = web_base.split("/")[2]
    return "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"


def graphql_url(api: str) -> str:
    # github.com: /graphql beside the REST root; Enterprise: /api/graphql beside /api/v3.
    return api[: -len("/v3")] + "/graphql" if api.endswith("/api/v3") else api + "/graphql"


def _from_rest(d: dict) -> PullRequest:
    return make_pull_request(
        d["number"], title=d.get("title"), body=d.get("body"),
        labels=[dig(lab, "name") for lab in d.get("labels") or []], author=dig(d, "user", "login"),
        milestone=dig(d, "milestone", "title"), url=d.get("html_url"))


def _from_graphql(d: dict) -> PullRequest:
    return make_pull_request(
        d["number"], title=d.get("title"), body=d.get("body"),
        labels=[dig(n, "name") for n in dig(d, "labels", "nodes") or []], author=dig(d, "author", "login"),
        milestone=dig(d, "milestone", "title"), url=d.get("url"),
        closing=[dig(n, "number") for n in dig(d, "closingIssuesReferences", "nodes") or []])


class GitHub:
    name = "GitHub"

    def __init__(self, api: Api, base: str, owner_name: str, token: str | None):
        self.api, self.base, self.token = api, base, token
        self.owner, self.repo = owner_name.split("/", 1)
        self._closing = True  # older Enterprise servers lack closingIssuesReferences

    def pull_for_commit(self, sha: str) -> int | None:
        """The PR that brought ``sha`` in: the one it is the merge commit of, else a merged one."""
        found = self.api.paged(f"{self.base}/repos/{self.owner}/{self.repo}/commits/{sha}/pulls", "number", self.name)
        if found is None:
            return None
        for pick in (lambda p: p.get("merge_commit_sha") == sha, lambda p: p.get("merged_at")):
            for p in found:
                if pick(p):
                    return p["number"]
        return found[0]["number"] if found else None

    def pull_requests(self, numbers: list[int]) -> dict[int, PullRequest | None]:
        """The pull requests asked for that the API answered: ``None`` for one that is gone.
        A failed batch leaves its numbers out (asked again next run)."""
        out: dict[int, PullRequest | None] = {}
        if not self.token:
            for n in numbers:
                try:
                    r = self.api.request("GET", f"{self.base}/repos/{self.owner}/{self.repo}/pulls/{n}")
                except ItemFailed:
                    continue
                data = self.api.json(r) if r is not None else None
                out[n] = _from_rest(data) if isinstance(data, dict) and isinstance(data.get("number"), int) else None
            return out
        for i in range(0, len(numbers), BATCH):
            try:
                out.update(self._batch(numbers[i:i + BATCH]))
            except ItemFailed:
                continue
        return out

    def _batch(self, numbers: list[int]) -> dict[int, PullRequest | None]:
        fields = _fields(self._closing)
        aliases = " ".join(f"pr{n}: pullRequest(number: {n}) {fields}" for n in numbers)
        query = f"query($owner: String!, $name: String!) {{ repository(owner: $owner, name: $name) {{ {aliases} }} }}"
        r = self.api.request("POST", graphql_url(self.base),
                             json={"query": query, "variables": {"owner": self.owner, "name": self.repo}})
        if r is None:
            raise ItemFailed(f"{self.name} has no GraphQL endpoint at {graphql_url(self.base)}")
        answer = self.api.json(r)
        repo = dig(answer, "data", "repository")
        if not isinstance(repo, dict):
            errors = str(dig(answer, "errors") or "")
            if self._closing and "closingIssuesReferences" in errors:
                self._closing = False
                return self._batch(numbers)
            if dig(answer, "data") is not None and "NOT_FOUND" in errors:
                return dict.fromkeys(numbers)  # the repository itself is gone or private
            raise ItemFailed(f"{self.name} GraphQL error")
        out: dict[int, PullRequest | None] = {}
        for n in numbers:
            d = repo.get(f"pr{n}")
            out[n] = _from_graphql(d) if isinstance(d, dict) and isinstance(d.get("number"), int) else None
        return out
