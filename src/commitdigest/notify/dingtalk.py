"""DingTalk robot: a markdown message, its URL signed when the robot has a secret.

Limit, from the platform's documentation: a markdown message's text at most 20,000 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Mapping
from typing import Literal

from commitdigest.notify.config import SignedChannel
from commitdigest.notify.digest import Message
from commitdigest.notify.registry import ChannelType, Request, app_error
from commitdigest.notify.text import fit, markdown

MAX_BYTES = 20_000


class DingTalk(SignedChannel):
    type: Literal["dingtalk"]


def sign(secret: str, timestamp_ms: int) -> str:
    # HMAC-SHA256 keyed with the secret over "timestamp\nsecret", base64, URL-encoded.
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def build(channel: DingTalk, message: Message, env: Mapping[str, str]) -> Request:
    d = message.digest
    text = fit(lambda shown, left: markdown(d, shown, left), d, MAX_BYTES)
    url = channel.url_value(env)
    secret = channel.secret_value(env)
    if secret:
        ts = int(time.time() * 1000)
        url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign(secret, ts)}"
    return Request(url, {"msgtype": "markdown", "markdown": {"title": d.title, "text": text}})


def check(response) -> str | None:
    """DingTalk and WeCom answer 200 with ``errcode``, which is 0 when the message was taken."""
    return app_error(response, lambda data: data.get("errcode", 0))


CHANNEL = ChannelType(settings=DingTalk, build=build, check=check)
