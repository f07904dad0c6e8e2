"""What git itself says about a commit's pull request, before any API is asked."""

from __future__ import annotations

import re

from commitdigest.models import Commit

# GitHub's merge button: "Merge pull request #123 from owner/branch"; GitLab's merge commit body
# says "See merge request group/project!123".
_GITHUB_MERGE = re.compile(r"^Merge pull request #(\d+) from \S")
_GITLAB_MERGE = re.compile(r"^See merge request \S*!(\d+)\s*$", re.MULTILINE)
# The closing keywords GitHub and GitLab both honour, with an issue of the same repository.
_CLOSES = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|implement(?:s|ed)?)\s*:?\s+#(\d+)\b", re.IGNORECASE)


def pr_of(commit: Commit, kind: str = "github") -> int | None:
    """The PR (MR) number the commit names: a squash subject's ``(#N)`` or a merge commit's."""
    if commit.pr is not None:
        return commit.pr
    if commit.is_merge:
        m = _GITHUB_MERGE.match(commit.subject)
        if m:
            return int(m.group(1))
        if kind == "gitlab":
            m = _GITLAB_MERGE.search(commit.body)
            if m:
                return int(m.group(1))
    return None


def closing_issues(text: str, limit: int = 10) -> list[int]:
    """Issues a description closes (``Fixes #12``), in order of mention, at most ``limit``."""
    return list(dict.fromkeys(int(m.group(1)) for m in _CLOSES.finditer(text)))[:limit]
