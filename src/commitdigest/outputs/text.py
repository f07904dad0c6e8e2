"""Text that is safe to write to a file or a terminal, whatever a repository put in it.

Commit messages, author names and paths are hostile input. Two kinds of character in them do harm
after rendering: terminal control sequences (``\\x1b[2J`` clears the screen of whoever runs ``cat``
on the report; an OSC sequence can retitle the window or plant a hyperlink) and characters that XML
1.0 forbids (one ``\\x01`` in a subject makes the whole Atom feed unparseable). Both are removed;
tab and newline are kept because multi-line text needs them.
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
# Any of the above: one scan tells whether there is anything to do.
_ANY = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without terminal escape sequences, control characters or XML-illegal characters."""
    if not _ANY.search(text):  # the common case, even for a whole report
        return text
    text = _SEQUENCES.sub("", text)
    text = _SPACING.sub(lambda m: "\n" if m.group() == "\r\n" else " ", text)
    return _CONTROLS.sub("", text)


def clean_tree(value: Any) -> Any:
    """Every string in a JSON-shaped value cleaned; keys too (file paths can be keys)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value
