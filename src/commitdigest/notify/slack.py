"""Slack incoming webhook (and Slack-compatible ones: Mattermost, Rocket.Chat): blocks of mrkdwn.

Limit, from the platform's documentation: a section block's text at most 3,000 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from commitdigest.notify.config import WebhookChannel
from commitdigest.notify.digest import Item, Message
from commitdigest.notify.registry import ChannelType, Request
from commitdigest.notify.text import fit, link, slack_escape
from commitdigest.vocab import words

SECTION_MAX_CHARS = 3_000


class Slack(WebhookChannel):
    type: Literal["slack"]


def build(channel: Slack, message: Message, env: Mapping[str, str]) -> Request:
    d = message.digest
    w = words(d.language).notify

    def items_text(shown: list[Item], left: int) -> str:
        lines = [f"*{slack_escape(d.items_title())}*" if (d.items or left) else d.nothing_high]
        for it in shown:
            target = link(it.url)
            sha = f"<{target}|{slack_escape(it.short_sha)}>" if target else slack_escape(it.short_sha)
            lines.append(f"• {slack_escape(it.repo)} {sha} {slack_escape(it.text())}")
        if left:
            lines.append(w["more"].format(n=left))
        return "\n".join(lines)

    head = "\n".join(slack_escape(line) for line in (d.headline(), d.lead, d.versus) if line)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": d.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(items_text, d, SECTION_MAX_CHARS, measure=len)}},
    ]
    if d.failed_repos:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": slack_escape(w["failed"].format(repos=", ".join(d.failed_repos)))}]})
    if (target := link(d.report_url)) is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{target}|{w['link']}>"}})
    # The notification text (what a phone shows) is mrkdwn as well.
    return Request(channel.url_value(env), {"text": slack_escape(f"{d.title}: {d.headline()}"), "blocks": blocks})


def check(response) -> str | None:
    # Slack answers a plain "ok" and reports errors with 4xx/5xx; Slack-compatible servers
    # (Rocket.Chat, Mattermost) answer 2xx with JSON, whose explicit false is their error.
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and (data.get("ok") is False or data.get("success") is False):
        return f"answered {response.text.strip()[:80]!r}"
    return None


CHANNEL = ChannelType(settings=Slack, build=build, check=check)
