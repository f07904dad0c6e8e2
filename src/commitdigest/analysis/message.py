"""The gist of a commit message body, for summary bullets.

Squash-merged pull requests carry their PR description: a "**Description**" heading, wrapped
paragraphs, bullet lists, then boilerplate sections ("Related Issues", "Special notes for
reviewers", checklists) and trailers. This keeps the first paragraphs or list items of the
description proper, each unwrapped into one line and cut at a sentence end near ``limit``.

Linear in the body's size, and reading at most ``READ_LIMIT`` characters of it (``readable``: the
first and last of them for the other analyzers' searches): a body of 240,000 short lines in one
paragraph (a generated changelog, or an attack on the run's time) costs what 64 KB cost.
"""

from __future__ import annotations

import re

#: the characters of a body read for its gist: a description's first paragraphs are well inside
READ_LIMIT = 64 * 1024


def readable(text: str) -> str:
    """What the analyzers search a message for signals (a ``BREAKING CHANGE:`` footer, an advisory
    id): all of it, or of a giant one its first and last ``READ_LIMIT`` characters, where the
    description and the trailers are. The scans then cost the same for 5 MB as for 128 KB."""
    if len(text) <= 2 * READ_LIMIT:
        return text
    return f"{text[:READ_LIMIT]}\n…\n{text[-READ_LIMIT:]}"
# "## Summary", "**Description**", "What's included:" — a line that only names a section. A plain
# short line counts only when it is a paragraph of its own ("Motivation"), never the first line
# of wrapped prose.
_MARKED = re.compile(r"^\s*(#{1,6}\s+.+|(\*\*|__)[^*_]{1,80}(\*\*|__):?|[^.!?]{1,60}:)\s*$")
_WORDS = re.compile(r"^\s*[\w][\w '’/()&-]{0,40}\s*$")


def _is_heading(para: list[str]) -> bool:
    return bool(_MARKED.match(para[0])) or (len(para) == 1 and bool(_WORDS.match(para[0])) and
                                            len(para[0].split()) <= 4)
_BOILERPLATE = re.compile(r"related issues|special notes|checklist|test(ing)? plan|how (was|is) this tested|"
                          r"screenshots|reviewers?|release note|does this pr|type of change|breaking change", re.I)
_TRAILER = re.compile(r"^[A-Z][\w-]*(-[\w]+)*: .+$|^\(cherry picked from commit")
_BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
# HTML that PR descriptions carry for layout (dependabot's <details>/<summary>, <br>, <p>): markup,
# not words. Only these names, so a generic type such as Vec<u8> or Option<T> is kept.
_HTML_TAG = re.compile(r"</?(?:details|summary|br|p|div|span|img|a|b|i|em|strong|sub|sup|kbd|hr|table|thead|tbody|"
                       r"tr|td|th|ul|ol|li|h[1-6]|blockquote|pre|code|picture|source|center|font)\b[^<>]*/?>", re.I)
_RULE = re.compile(r"^\s*([-*_=]\s*){3,}$")


def _unwrap(lines: list[str]) -> list[str]:
    """A paragraph's lines → one line per item (bullets) or one line for prose. Each item's lines
    are gathered and joined once: adding to a string line by line copies it every time."""
    items: list[list[str]] = []
    for line in lines:
        if _BULLET.match(line):
            items.append([_BULLET.sub("", line).strip()])
        elif items:
            items[-1].append(line.strip())  # a wrapped bullet, or prose
        else:
            items.append([line.strip()])
    return [text for text in (" ".join(parts).strip() for parts in items) if text]


# Bold in a PR description ("**Issue:** the rotator fails …") is layout, not words; a line keeps
# the words. Only "**" pairs: "__" is also Python's dunder (__init__), and single * or _ are
# everywhere in identifiers and globs.
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def _cut(text: str, limit: int) -> str:
    # Only the first ``limit`` characters are kept, so the bold markers are looked for in the
    # first few times that much, not across a whole giant paragraph (a lazy match per "**").
    text = _BOLD.sub(r"\1", re.sub(r"\s+", " ", text).strip()[: 4 * limit])
    text = re.sub(r"^\*\*\s*|\s*\*\*$", "", text).strip()  # a pair that the unwrapping split
    if len(text) <= limit:
        return text
    end = max(text.rfind(". ", 0, limit), text.rfind("。", 0, limit))
    if end > limit // 3:
        return text[: end + 1]
    # No sentence ends early enough: stop between words (CJK text has no spaces and is cut
    # anywhere), and never inside a `code span`, whose lone backtick would swallow the rest.
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    return cut.rstrip(" ,;:-(") + "…"


def _without_comments(text: str) -> str:
    """``<!-- … -->`` removed, in one pass: a regex with a lazy ``.*?`` rescans the rest of the
    text for every ``<!--`` that is never closed. An unclosed one stays text, as before."""
    out, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break  # no comment closes after this one: none of the later ones can close either
        out.append(text[pos:start])
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def gist(body: str, items: int = 2, limit: int = 200) -> list[str]:
    paragraphs: list[list[str]] = [[]]
    if len(body) > READ_LIMIT:
        body = body[:READ_LIMIT].rsplit("\n", 1)[0]  # whole lines only
    text = _HTML_TAG.sub(" ", _without_comments(body))
    for line in text.splitlines():
        if not line.strip() or _RULE.match(line):
            paragraphs.append([])
        else:
            paragraphs[-1].append(line.rstrip())
    out: list[str] = []
    for para in paragraphs:
        if not para or all(_TRAILER.match(ln.strip()) for ln in para):
            continue
        if _is_heading(para) and not _BULLET.match(para[0]):
            if _BOILERPLATE.search(para[0]):
                if out:
                    break  # the description is over
                continue
            para = para[1:]
            if not para:
                continue
        for item in _unwrap(para):
            if _MARKED.match(item):
                continue
            out.append(_cut(item, limit))
            if len(out) == items:
                return out
    return out


# Trailers git and forges append: who wrote, signed, reviewed — no word about the change.
_PROMPT_TRAILER = re.compile(r"^\s*(Co-authored-by|Signed-off-by|Reviewed-by|Acked-by|Tested-by|Reported-by|"
                             r"Suggested-by|Helped-by|Cc|Change-Id|Reviewed-on|Approved-by|Merged-by|"
                             r"Co-Authored-By|Signed-Off-By)\s*:.*$|^\s*\(cherry picked from commit [0-9a-f]+\)\s*$",
                             re.I)
_SQUASH_ITEM = re.compile(r"^\* \S")


def prompt_body(message: str) -> str:
    """The body of ``message`` (the subject left out) as a model is shown it: trailers
    (``Co-authored-by``, ``Signed-off-by`` …), the ``---------`` line a squash merge puts before
    them and the list of squashed commits' subjects removed — what is left says why."""
    lines = message.split("\n")[1:]
    kept = [ln for ln in lines if not _PROMPT_TRAILER.match(ln) and not _RULE.match(ln)]
    paragraphs: list[list[str]] = [[]]
    for line in kept:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    # A squash merge lists its commits as "* subject" paragraphs, one after another; a body's
    # own bullet list keeps its items in one paragraph.
    squashed = [len(p) <= 3 and bool(_SQUASH_ITEM.match(p[0])) for p in paragraphs]
    if sum(squashed) >= 2:
        paragraphs = [p for p, s in zip(paragraphs, squashed, strict=True) if not s]
    return "\n\n".join("\n".join(p) for p in paragraphs)
