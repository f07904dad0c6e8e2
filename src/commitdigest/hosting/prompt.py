"""A pull request as a model prompt may show it: redacted like the diff, bounded in size.

The LLM prompt is built elsewhere (``analysis/llm.py``); this is the one place that decides what
of a PR description reaches a model, so the prompt only has to place the text."""

from __future__ import annotations

import re

from commitdigest.analysis.redact import Redactor
from commitdigest.models import PullRequest

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # PR templates' instructions to their authors


def pull_request_text(pr: PullRequest, redactor: Redactor, limit: int = 2000) -> str:
    """Title, labels, linked issues and the description, secrets replaced by ``[REDACTED]``
    (counted in ``redactor``), the description cut at ``limit`` characters. Redacted before it is
    cut, so a secret straddling the cut is never half shown."""
    lines = [f"PR #{pr.number}: {redactor.text(pr.title)}"]
    if pr.labels:
        lines.append("Labels: " + ", ".join(redactor.text(label) for label in pr.labels))
    if pr.linked_issues:
        lines.append("Closes: " + ", ".join(f"#{n}" for n in pr.linked_issues))
    body = redactor.text(re.sub(r"\n{3,}", "\n\n", _COMMENT.sub("", pr.body)).strip())
    if body:
        lines += ["", body if len(body) <= limit else body[:limit].rstrip() + "\n[… description cut]"]
    return "\n".join(lines)
