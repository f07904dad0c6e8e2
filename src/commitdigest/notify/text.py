"""What the chat channels' messages share: neutralised commit text, fitting a size limit, and the
Markdown body that DingTalk and WeCom both take.

When the high-importance items do not fit a channel's limit, items are dropped from the end and
replaced by a "… and N more" line; the headline and the link always stay.
"""

from __future__ import annotations

from collections.abc import Callable

from commitdigest.notify.digest import Digest, Item
from commitdigest.outputs.urls import link_target
from commitdigest.vocab import words

# Commit text must not become markup, links or mentions in a chat message. Markdown-like chats
# differ in what they honour, so the characters that could start any of it are swapped for
# look-alikes instead of being backslash-escaped (which not all of them understand).
_NEUTRAL = str.maketrans({"[": "［", "]": "］", "<": "‹", ">": "›", "@": "＠", "*": "∗", "`": "ʼ",
                          "#": "＃", "|": "｜", "\n": " ", "\r": " "})


def neutral(text: str) -> str:
    return text.translate(_NEUTRAL)


def slack_escape(text: str) -> str:
    # Slack's documented rule: only &, < and > are control characters in message text, so
    # <!channel> and <@U123> cannot be written. The Slack-compatible servers (Mattermost,
    # Rocket.Chat) also read a bare @all, @here or @channel as a mention: "@" becomes a look-alike.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "＠")
    return " ".join(text.split())


def no_mention(text: str) -> str:
    """Text for a channel that shows text literally (Feishu's text elements) but still reads
    ``<at user_id="all">`` and ``@all`` in it: their first characters become look-alikes."""
    return text.replace("<", "‹").replace(">", "›").replace("@", "＠")


def link(url: str | None) -> str | None:
    """A link's destination in a chat message: an http(s) URL, encoded so that nothing in it can
    end the link (``)`` in Markdown, ``>`` or ``|`` in Slack) and start markup or a mention; None
    for anything else, which is then shown as text."""
    return link_target(url)


def utf8_len(text: str) -> int:
    return len(text.encode())


def fit(render: Callable[[list[Item], int], str], d: Digest, limit: int,
        measure: Callable[[str], int] = utf8_len) -> str:
    """The rendering with as many of the digest's items as fit; ``render(shown, left_out)``
    (``left_out`` counts the items the digest itself left out as well)."""
    items = d.items
    for keep in range(len(items), -1, -1):
        text = render(items[:keep], len(items) - keep + d.more)
        if measure(text) <= limit:
            return text
    return render([], len(items) + d.more)  # the headline alone is always sent, even if over


def markdown(d: Digest, shown: list[Item], left: int, bullet_link: bool = True) -> str:
    w = words(d.language).notify
    lines = [f"### {neutral(d.title)}", "", d.headline()]
    if d.lead:
        lines.append(d.lead)
    if d.versus:
        lines.append(d.versus)
    if d.failed_repos:
        lines.append(w["failed"].format(repos=", ".join(neutral(r) for r in d.failed_repos)))
    lines.append("")
    if d.items or left:
        lines.append(f"**{neutral(d.items_title())}**")
        for it in shown:
            target = link(it.url) if bullet_link else None
            sha = f"[{neutral(it.short_sha)}]({target})" if target else neutral(it.short_sha)
            lines.append(f"- {neutral(it.repo)} {sha} {neutral(it.text())}")
        if left:
            lines.append(f"- {w['more'].format(n=left)}")
    else:
        lines.append(d.nothing_high)
    if (target := link(d.report_url)) is not None:
        lines += ["", f"[{w['link']}]({target})"]
    return "\n".join(lines)
