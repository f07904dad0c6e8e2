"""GitLab merge requests over REST (``/projects/:id/merge_requests/:iid``), one by one: GitLab's
GraphQL has no batch-by-iid that older self-managed servers all answer."""

from __future__ import annotations

from urllib.parse import quote

from commitdigest.hosting.common import dig, make_pull_request
from commitdigest.hosting.http import Api, ItemFailed
from commitdigest.models import PullRequest


def api_base(web_base: str, configured: str | None) -> str:
    if configured:
        return configured
    return f"https://{web_base.split('/')[2]}/api/v4"


class GitLab:
    name = "GitLab"

    def __init__(self, api: Api, base: str, project: str, token: str | None):
        self.api, self.base, self.token = api, base, token
        self.project = f"{base}/projects/{quote(project, safe='')}"

    def pull_for_commit(self, sha: str) -> int | None:
        found = self.api.paged(f"{self.project}/repository/commits/{sha}/merge_requests", "iid", self.name)
        if found is None:
            return None
        for pick in (lambda m: sha in (m.get("merge_commit_sha"), m.get("squash_commit_sha")),
                     lambda m: m.get("state") == "merged"):
            for m in found:
                if pick(m):
                    return m["iid"]
        return found[0]["iid"] if found else None

    def pull_requests(self, numbers: list[int]) -> dict[int, PullRequest | None]:
        out: dict[int, PullRequest | None] = {}
        for n in numbers:
            try:
                r = self.api.request("GET", f"{self.project}/merge_requests/{n}")
            except ItemFailed:
                continue
            d = self.api.json(r) if r is not None else None
            if not isinstance(d, dict) or not isinstance(d.get("iid"), int):
                out[n] = None
                continue
            out[n] = make_pull_request(
                d["iid"], title=d.get("title"), body=d.get("description"), labels=list(d.get("labels") or []),
                author=dig(d, "author", "username"), milestone=dig(d, "milestone", "title"), url=d.get("web_url"))
        return out
