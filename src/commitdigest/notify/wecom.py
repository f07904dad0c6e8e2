"""WeCom (WeChat Work) group robot: a markdown message.

Limit, from the platform's documentation: markdown content at most 4,096 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from commitdigest.notify.config import WebhookChannel
from commitdigest.notify.digest import Message
from commitdigest.notify.dingtalk import check
from commitdigest.notify.registry import ChannelType, Request
from commitdigest.notify.text import fit, markdown

MAX_BYTES = 4_096


class WeCom(WebhookChannel):
    type: Literal["wecom"]


def build(channel: WeCom, message: Message, env: Mapping[str, str]) -> Request:
    d = message.digest
    content = fit(lambda shown, left: markdown(d, shown, left), d, MAX_BYTES)
    return Request(channel.url_value(env), {"msgtype": "markdown", "markdown": {"content": content}})


CHANNEL = ChannelType(settings=WeCom, build=build, check=check)  # errcode in a 200, as DingTalk
