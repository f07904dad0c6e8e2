"""Each channel's message: its payload shape, its escaping, its size limit.

Limits, from each platform's documentation of custom/incoming bots (bytes are UTF-8):
- Feishu/Lark custom bot: request body at most 20 KB.
- DingTalk robot: a markdown message's text at most 20,000 bytes.
- WeCom group robot: markdown content at most 4,096 bytes.
- Slack incoming webhook: a section block's text at most 3,000 characters (message text 40,000).
When the high-importance items do not fit, items are dropped from the end and replaced by a
"… and N more" line; the headline and the link always stay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from commitdigest.notify.digest import WORDS, Digest, Item

FEISHU_MAX_BYTES = 20_000
DINGTALK_MAX_BYTES = 20_000
WECOM_MAX_BYTES = 4_096
SLACK_SECTION_MAX_CHARS = 3_000

# Commit text must not become markup, links or mentions in a chat message. Markdown-like chats
# differ in what they honour, so the characters that could start any of it are swapped for
# look-alikes instead of being backslash-escaped (which not all of them understand).
_NEUTRAL = str.maketrans({"[": "［", "]": "］", "<": "‹", ">": "›", "@": "＠", "*": "∗", "`": "ʼ",
                          "#": "＃", "|": "｜", "\n": " ", "\r": " "})


def neutral(text: str) -> str:
    return text.translate(_NEUTRAL)


def slack_escape(text: str) -> str:
    # Slack's documented rule: only &, < and > are control characters in message text.
    return " ".join(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())


def fit(render: Callable[[list[Item], int], str], items: list[Item], limit: int,
        measure: Callable[[str], int] = lambda s: len(s.encode())) -> str:
    """The rendering with as many items as fit; ``render(shown, left_out)``."""
    for keep in range(len(items), -1, -1):
        text = render(items[:keep], len(items) - keep)
        if measure(text) <= limit:
            return text
    return render([], len(items))  # the headline alone is always sent, even if over


def _markdown(d: Digest, shown: list[Item], left: int, bullet_link: bool = True) -> str:
    w = WORDS[d.language]
    lines = [f"### {neutral(d.title)}", "", d.headline()]
    if d.failed_repos:
        lines.append(w["failed"].format(repos=", ".join(neutral(r) for r in d.failed_repos)))
    lines.append("")
    if d.items:
        lines.append(f"**{w['high']}**")
        for it in shown:
            sha = f"[{it.short_sha}]({it.url})" if (bullet_link and it.url) else it.short_sha
            lines.append(f"- {neutral(it.repo)} {sha} {neutral(it.subject)}")
        if left:
            lines.append(f"- {w['more'].format(n=left)}")
    else:
        lines.append(w["none"])
    if d.report_url:
        lines += ["", f"[{w['link']}]({d.report_url})"]
    return "\n".join(lines)


def dingtalk(d: Digest) -> dict[str, Any]:
    text = fit(lambda shown, left: _markdown(d, shown, left), d.items, DINGTALK_MAX_BYTES)
    return {"msgtype": "markdown", "markdown": {"title": d.title, "text": text}}


def wecom(d: Digest) -> dict[str, Any]:
    return {"msgtype": "markdown",
            "markdown": {"content": fit(lambda shown, left: _markdown(d, shown, left), d.items, WECOM_MAX_BYTES)}}


def feishu(d: Digest) -> dict[str, Any]:
    """A "post" (rich text) message: every piece of commit text is a text element, never markup."""
    w = WORDS[d.language]

    def build(shown: list[Item], left: int) -> dict[str, Any]:
        rows: list[list[dict[str, str]]] = [[{"tag": "text", "text": d.headline()}]]
        if d.failed_repos:
            rows.append([{"tag": "text", "text": w["failed"].format(repos=", ".join(d.failed_repos))}])
        rows.append([{"tag": "text", "text": w["high"] if d.items else w["none"]}])
        for it in shown:
            row = [{"tag": "text", "text": f"• {it.repo} "}]
            row.append({"tag": "a", "text": it.short_sha, "href": it.url} if it.url else {"tag": "text", "text": it.short_sha})
            row.append({"tag": "text", "text": f" {it.subject}"})
            rows.append(row)
        if left:
            rows.append([{"tag": "text", "text": w["more"].format(n=left)}])
        if d.report_url:
            rows.append([{"tag": "a", "text": w["link"], "href": d.report_url}])
        lang = "zh_cn" if d.language == "zh" else "en_us"
        return {"msg_type": "post", "content": {"post": {lang: {"title": d.title, "content": rows}}}}

    body = fit(lambda shown, left: json.dumps(build(shown, left), ensure_ascii=False), d.items,
               FEISHU_MAX_BYTES - 200)  # room for timestamp and sign
    return json.loads(body)


def slack(d: Digest) -> dict[str, Any]:
    w = WORDS[d.language]

    def items_text(shown: list[Item], left: int) -> str:
        lines = [f"*{w['high']}*" if d.items else w["none"]]
        for it in shown:
            sha = f"<{it.url}|{it.short_sha}>" if it.url else it.short_sha
            lines.append(f"• {slack_escape(it.repo)} {sha} {slack_escape(it.subject)}")
        if left:
            lines.append(w["more"].format(n=left))
        return "\n".join(lines)

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": d.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(d.headline())}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": fit(items_text, d.items, SLACK_SECTION_MAX_CHARS, measure=len)}},
    ]
    if d.failed_repos:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": slack_escape(w["failed"].format(repos=", ".join(d.failed_repos)))}]})
    if d.report_url:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{d.report_url}|{w['link']}>"}})
    return {"text": f"{d.title}: {d.headline()}", "blocks": blocks}


def webhook(d: Digest, report_json: dict[str, Any]) -> dict[str, Any]:
    return {"title": d.title, "language": d.language, "total": d.total, "counts": d.counts,
            "failed_repos": d.failed_repos, "items": [i.model_dump() for i in d.items],
            "report_url": d.report_url, "report": report_json}
