"""Pull-request metadata from the hosting API (GitHub, GitHub Enterprise, GitLab), optional.

``attach_pull_requests`` runs after git has read a window's commits and before analysis. It
finds which PR each commit came from — the squash subject's ``(#N)``, a merge commit of a PR
branch, else the commits→pulls API — fetches those PRs (cached in the store, so a rerun or a
backfill asks nothing twice) and sets ``Commit.pull_request``. Without a token it does nothing
at all, and the report is what it was without this module. Whatever the API does, the run goes
on; what was missed is one coverage line (``coverage_line``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from commitdigest.hosting.refs import pr_of
from commitdigest.hosting.settings import HostingRun, HostingSettings

if TYPE_CHECKING:
    # The clients (and httpx under them) load only when an API is asked: a report without a
    # token, the usual case, does not pay their import time.
    from commitdigest.git.repo import Repo
    from commitdigest.hosting import github, gitlab
    from commitdigest.models import Commit, PullRequest
    from commitdigest.store import Store

__all__ = ["HostingRun", "HostingSettings", "Outcome", "attach_pull_requests", "coverage_line"]

log = logging.getLogger("commitdigest")


@dataclass
class Outcome:
    """What the API gave for one repository's commits."""

    host: str  # "GitHub", "GitLab"
    numbers: dict[str, int] = field(default_factory=dict)  # sha → the PR it came from
    found: set[int] = field(default_factory=set)  # PRs with metadata
    reason: str | None = None  # why some were missed, for the coverage line
    requests: int = 0


def _client(kind: str, base: str, owner_name: str, run: HostingRun) -> tuple[str, github.GitHub | gitlab.GitLab]:
    from commitdigest.hosting import github, gitlab
    from commitdigest.hosting.http import Api

    settings = run.settings
    if kind == "github":
        api = github.api_base(base, settings.github_api)
        token = run.github_token
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        http = Api("GitHub", headers, settings.timeout, settings.max_requests, run.stopped, api,
                   run.spent, f"{api} {owner_name}")
        return api, github.GitHub(http, api, owner_name, token)
    api = gitlab.api_base(base, settings.gitlab_api)
    token = run.gitlab_token
    http = Api("GitLab", {"PRIVATE-TOKEN": token} if token else {}, settings.timeout, settings.max_requests,
               run.stopped, api, run.spent, f"{api} {owner_name}")
    return api, gitlab.GitLab(http, api, owner_name, token)


def attach_pull_requests(commits: Sequence[Commit], repo: Repo, store: Store | None,
                         settings: HostingRun | HostingSettings | None) -> Outcome | None:
    """Set ``pull_request`` on the commits that came from one; ``None`` when nothing was asked
    (no token, no known host, disabled), in which case no commit changed. ``settings`` is the
    run's (:class:`HostingRun`), whose limits hold across calls; bare settings start a run of
    their own."""
    if settings is None or not settings.enabled or not commits:
        return None
    run = HostingRun.of(settings)
    links = repo.links
    if links is None or links.kind not in ("github", "gitlab"):
        return None
    token = run.github_token if links.kind == "github" else run.gitlab_token
    if not token and not run.settings.anonymous:
        return None
    owner_name = links.base.split("/", 3)[3]
    api, client = _client(links.kind, links.base, owner_name, run)
    outcome = Outcome(host=client.name)
    try:
        _attach(commits, client, api, owner_name, store, outcome, links.kind)
    finally:
        outcome.requests = client.api.requests
        outcome.reason = client.api.stopped or client.api.last_failure
        if outcome.reason and not client.api.stopped:
            log.warning("pull-request metadata of %s: %s; some PRs left out", owner_name, outcome.reason)
        client.api.close()
    return outcome


def _attach(commits: Sequence[Commit], client: github.GitHub | gitlab.GitLab, api: str, owner_name: str,
            store: Store | None, outcome: Outcome, kind: str) -> None:
    from commitdigest.hosting.http import ItemFailed, Stop

    numbers = outcome.numbers
    for c in commits:
        if (n := pr_of(c, kind)) is not None:
            numbers[c.sha] = n
    unknown = [c.sha for c in commits if c.sha not in numbers]
    known = store.get_commit_pulls(api, owner_name, unknown) if store and unknown else {}
    numbers.update({sha: n for sha, n in known.items() if n is not None})
    asked: dict[str, int | None] = {}
    try:
        for sha in unknown:
            if sha in known:
                continue
            try:
                asked[sha] = number = client.pull_for_commit(sha)
            except ItemFailed:
                continue
            if number is not None:
                numbers[sha] = number
    except Stop:
        pass
    finally:
        if store:
            store.put_commit_pulls(api, owner_name, asked)
    wanted = sorted(set(numbers.values()))
    have = store.get_pull_requests(api, owner_name, wanted) if store and wanted else {}
    todo = [n for n in wanted if n not in have]
    fresh: dict[int, PullRequest | None] = {}
    if todo:
        try:
            fresh = client.pull_requests(todo)
        except Stop:
            pass
        if store:
            store.put_pull_requests(api, owner_name, fresh)
    prs = {n: pr for n, pr in {**have, **fresh}.items() if pr is not None}
    for c in commits:
        pr = prs.get(numbers.get(c.sha, -1))
        if pr is not None:
            c.pull_request = pr
    outcome.found = set(prs)


def coverage_line(shas: Sequence[str], outcomes: Sequence[Outcome | None], template: str) -> str | None:
    """"PR metadata: 12 of 14 PRs; GitHub rate limit reached" for the commits of one report;
    ``None`` when the API was asked for none of its repositories."""
    asked = [o for o in outcomes if o is not None]
    if not asked:
        return None
    # A PR counts once however many of its commits the report shows; each repository apart.
    wanted = {(i, o.numbers[sha]) for i, o in enumerate(asked) for sha in shas if sha in o.numbers}
    found = {(i, n) for i, n in wanted if n in asked[i].found}
    line = template.format(found=len(found), total=len(wanted), s="" if len(wanted) == 1 else "s")
    reasons = list(dict.fromkeys(o.reason for o in asked if o.reason))
    return line + "".join(f"; {r}" for r in reasons)
