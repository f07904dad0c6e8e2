"""Shaping what an API says into a ``PullRequest``, the same for every host."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commitdigest.hosting.refs import closing_issues
from commitdigest.models import PullRequest

# Bounds on what one description may cost in memory and in the cache; the analyzers use its
# first paragraphs only.
MAX_BODY = 20_000
MAX_TITLE = 300
MAX_LABELS = 20
MAX_ISSUES = 10


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def make_pull_request(number: int, *, title: Any, body: Any, labels: list[Any], author: Any,
                      milestone: Any, url: Any, closing: Sequence[Any] = ()) -> PullRequest:
    from commitdigest.outputs.urls import is_web_url

    body_text = _text(body, MAX_BODY)
    issues = [n for n in closing if isinstance(n, int) and not isinstance(n, bool)]
    issues = list(dict.fromkeys(issues + closing_issues(body_text)))[:MAX_ISSUES]
    return PullRequest(
        number=number, title=_text(title, MAX_TITLE), body=body_text,
        labels=[lab[:100] for lab in labels if isinstance(lab, str) and lab.strip()][:MAX_LABELS],
        author=_text(author, 100), linked_issues=issues,
        milestone=_text(milestone, 200) or None,
        url=url if isinstance(url, str) and is_web_url(url) else None,
    )


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…`` or None, whatever shape the answer has."""
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data
