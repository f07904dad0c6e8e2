"""A generic webhook: the digest as JSON, with the whole JSON twin of what it announces.

The body: ``title``, ``language``, ``total``, ``counts``, ``failed_repos``, ``items``,
``report_url``, and ``report`` — the report's JSON twin, as written to disk. A rollup's body
has ``kind`` (``week``/``month``), ``versus``, and ``rollup`` (its twin) in place of ``report``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from commitdigest.notify.config import WebhookChannel
from commitdigest.notify.digest import Message
from commitdigest.notify.registry import ChannelType, Request


class Webhook(WebhookChannel):
    type: Literal["webhook"]
    headers: dict[str, str] = Field(default_factory=dict)


def body(message: Message) -> dict[str, Any]:
    d = message.digest
    out: dict[str, Any] = {"title": d.title, "language": d.language, "total": d.total, "counts": d.counts,
                           "failed_repos": d.failed_repos, "items": [i.model_dump() for i in d.items],
                           "report_url": d.report_url}
    if d.lead:
        out["lead"] = d.lead
    if d.kind == "report":
        out["report"] = message.document
    else:
        out.update(kind=d.kind, versus=d.versus, rollup=message.document)
    return out


def build(channel: Webhook, message: Message, env: Mapping[str, str]) -> Request:
    return Request(channel.url_value(env), body(message), dict(channel.headers))


CHANNEL = ChannelType(settings=Webhook, build=build)
