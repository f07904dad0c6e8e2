"""Text that is safe to write to a file or a terminal, whatever a repository put in it.

Commit messages, author names and paths are hostile input. Two kinds of character in them do harm
after rendering: terminal control sequences (``\\x1b[2J`` clears the screen of whoever runs ``cat``
on the report; an OSC sequence can retitle the window or plant a hyperlink) and characters that XML
1.0 forbids (one ``\\x01`` in a subject makes the whole Atom feed unparseable). Both are removed;
tab and newline are kept because multi-line text needs them. A third kind is shown rather than
obeyed: the bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) make a path or a
title display in another order than it reads (``evil\u202egnp.exe`` shows as ``evilexe.png``);
each becomes the visible escape ``\\u202e``.
"""

from __future__ import annotations

import re
from typing import Any

# Whole escape sequences first, so that their printable tails ("[2J", "]0;title") go with them:
# CSI (ESC [ … final byte), OSC (ESC ] … BEL or ST), the string-carrying DCS/SOS/PM/APC, any other
# two-byte ESC sequence, and the 8-bit C1 forms of CSI and OSC that some terminals still obey.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
# Controls that separate words (CR, vertical tab, form feed, the information separators) become a
# space: "a\x0bb" reads as two words, and a lone CR can no longer overwrite a line on a terminal.
_SPACING = re.compile("\r\n?|[\x0b\x0c\x1c-\x1f]")
# What is left goes: other C0 controls, DEL and the C1 controls, the two noncharacters XML
# excludes, and lone surrogates (not encodable as UTF-8 at all; they come from undecodable bytes).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# Unicode's Bidi_Control characters: embeddings, overrides, isolates and the three marks.
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{BIDI}]")
# Any of the above: one scan tells whether there is anything to do.
_ANY = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff{BIDI}]")


def clean(text: str) -> str:
    """``text`` without terminal escape sequences, control characters or XML-illegal characters."""
    if not _ANY.search(text):  # the common case, even for a whole report
        return text
    text = _SEQUENCES.sub("", text)
    text = _SPACING.sub(lambda m: "\n" if m.group() == "\r\n" else " ", text)
    text = _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return _CONTROLS.sub("", text)


# What a JSON text printed on a terminal must not carry raw: DEL and the C1 controls (json.dumps
# leaves them as they are; \x9b is an 8-bit CSI), the bidirectional controls, and the two
# Unicode line separators. Each is written as its \\u escape, so the data stays exact.
_JSON_RAW = re.compile(f"[\x7f-\x9f\u2028\u2029{BIDI}]")


def terminal_json(value: Any) -> str:
    """``value`` as indented JSON that is safe to print: the same data, nothing a terminal obeys."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clean_tree(value: Any) -> Any:
    """Every string in a JSON-shaped value cleaned; keys too (file paths can be keys)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value


_TICKS = re.compile(r"`+")


def code_spans(text: str) -> list[tuple[str, str]]:
    """``text`` cut into its pieces as CommonMark reads its code spans: ``("text", …)`` between
    them, ``("code", …)`` for a whole span with its backticks (opened and closed by runs of the
    same length), and ``("ticks", …)`` for a backtick run nothing closes, which is text."""
    out: list[tuple[str, str]] = []
    pos = 0
    runs = list(_TICKS.finditer(text))
    i = 0
    while i < len(runs):
        opening = runs[i]
        close = next((j for j in range(i + 1, len(runs)) if len(runs[j].group()) == len(opening.group())), None)
        if opening.start() > pos:
            out.append(("text", text[pos:opening.start()]))
        if close is None:
            out.append(("ticks", opening.group()))
            pos = opening.end()
            i += 1
            continue
        out.append(("code", text[opening.start():runs[close].end()]))
        pos = runs[close].end()
        i = close + 1
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out

