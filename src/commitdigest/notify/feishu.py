"""Feishu / Lark custom bot: a "post" (rich text) message, signed when the bot has a secret.

Limit, from the platform's documentation: the request body at most 20 KB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, Literal

from commitdigest.notify.config import SignedChannel
from commitdigest.notify.digest import Digest, Item, Message
from commitdigest.notify.registry import ChannelType, Request, app_error
from commitdigest.notify.text import fit, link, no_mention
from commitdigest.vocab import words

MAX_BYTES = 20_000


class Feishu(SignedChannel):
    type: Literal["feishu", "lark"]


def sign(secret: str, timestamp: int) -> str:
    # HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message, base64.
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def payload(d: Digest) -> dict[str, Any]:
    """Every piece of commit text is a text element, never markup: Feishu shows it literally."""
    w = words(d.language).notify

    def build(shown: list[Item], left: int) -> dict[str, Any]:
        rows: list[list[dict[str, str]]] = [[{"tag": "text", "text": d.headline()}]]
        if d.lead:
            rows.append([{"tag": "text", "text": d.lead}])
        if d.versus:
            rows.append([{"tag": "text", "text": d.versus}])
        if d.failed_repos:
            rows.append([{"tag": "text", "text": w["failed"].format(repos=", ".join(no_mention(r) for r in d.failed_repos))}])
        rows.append([{"tag": "text", "text": d.items_title() if (d.items or left) else d.nothing_high}])
        for it in shown:
            row = [{"tag": "text", "text": f"• {no_mention(it.repo)} "}]
            target, sha = link(it.url), no_mention(it.short_sha)
            row.append({"tag": "a", "text": sha, "href": target} if target else {"tag": "text", "text": sha})
            row.append({"tag": "text", "text": f" {no_mention(it.text())}"})
            rows.append(row)
        if left:
            rows.append([{"tag": "text", "text": w["more"].format(n=left)}])
        if (target := link(d.report_url)) is not None:
            rows.append([{"tag": "a", "text": w["link"], "href": target}])
        lang = w["feishu_locale"]
        return {"msg_type": "post", "content": {"post": {lang: {"title": d.title, "content": rows}}}}

    body = fit(lambda shown, left: json.dumps(build(shown, left), ensure_ascii=False), d,
               MAX_BYTES - 200)  # room for timestamp and sign
    return json.loads(body)


def build(channel: Feishu, message: Message, env: Mapping[str, str]) -> Request:
    body = payload(message.digest)
    secret = channel.secret_value(env)
    if secret:
        ts = int(time.time())
        body = {"timestamp": str(ts), "sign": sign(secret, ts), **body}
    return Request(channel.url_value(env), body)


def check(response) -> str | None:
    """Feishu answers 200 with ``code`` (``StatusCode`` on older bots), 0 when the message was taken."""
    return app_error(response, lambda data: data.get("code", data.get("StatusCode", 0)))


CHANNEL = ChannelType(settings=Feishu, build=build, check=check)
