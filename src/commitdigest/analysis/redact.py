"""Secrets never leave the machine: redact them from everything a model is shown.

Two kinds of rules. Shape rules recognise a secret by its form wherever it appears (PEM private
keys, cloud and SaaS tokens, credentials in URLs, ``password = "…"`` literals). Context rules
apply to config files only, where an unquoted ``TOKEN=abc`` or a long random-looking string is
almost always a credential but in source code would mostly be an identifier or a hash.
Every replacement is counted; the count goes into the record so the report can say so.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

MARK = "[REDACTED]"

_KEY_WORDS = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|client[_-]?secret)"
# A whole identifier containing one of those words as a word of its own: DB_PASSWORD, userPassword,
# aws.secret_key — not "compass", "passenger", "tokenizer" or "author".
_SECRET_NAME = (r"(?<![\w.\-])(?:[\w.\-]*[_.\-]|[A-Za-z0-9]*[a-z0-9](?=[A-Z]))?(?i:" + _KEY_WORDS
                + r")s?(?![a-z])[\w.\-]*")

# (name, pattern, group holding the secret or 0 for the whole match)
_SHAPES: list[tuple[str, re.Pattern[str], int]] = [
    ("private key", re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
        re.S), 0),
    ("aws access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"), 0),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), 0),
    ("github token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"), 0),
    ("gitlab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b"), 0),
    ("slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), 0),
    ("stripe key", re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b"), 0),
    ("api secret key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}\b"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), 0),
    ("bearer token", re.compile(r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9_\-.=+/]{20,})"), 1),
    ("url credentials", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@\"']+:([^\s@/\"']+)@"), 1),
    # A quoted literal assigned to a secret-sounding name, in any language:
    # password = "hunter2", "apiKey": "…", AWS_SECRET_ACCESS_KEY: '…'
    ("secret literal", re.compile(
        _SECRET_NAME + r"[\"']?\s*(?::=|=>|=|:)\s*[\"']([^\"'\s]{4,})[\"']"), 1),
]

# KEY=value / key: value in config files, quoted or not.
_CONFIG_ASSIGN = re.compile(
    r"(?m)^([+\- ]?\s*(?:export\s+)?" + _SECRET_NAME + r"\s*[:=]\s*)([^\s#\"'][^\s#]*)")
_TOKENISH = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9][A-Za-z0-9+/_\-]{22,}[A-Za-z0-9]={0,2}(?![A-Za-z0-9+/_\-])")

_CONFIG_SUFFIXES = (".env", ".ini", ".cfg", ".conf", ".config", ".properties", ".yaml", ".yml",
                    ".toml", ".json", ".xml", ".tfvars", ".npmrc", ".pypirc", ".netrc", ".htpasswd")
_PLACEHOLDER = re.compile(r"^(?:\$\{?[\w.\-:]*\}?|<[^>]*>|%\(?\w+\)?s?|\{\{.*\}\}|x+|\*+|changeme|none|null|true|false|example\w*|your[\w\-]*)$",
                          re.I)


@dataclass
class Redactor:
    """Counts what it replaced across calls, so one commit's total can be recorded."""

    enabled: bool = True
    count: int = 0

    def text(self, text: str) -> str:
        """Shape rules only: commit messages, hints, anything that is not a file."""
        if not self.enabled or not text:
            return text
        for _name, pattern, group in _SHAPES:
            text = self._sub(pattern, group, text)
        return text

    def file(self, path: str, text: str) -> str:
        """Shape rules, plus the context rules when ``path`` is a config file."""
        text = self.text(text)
        if not self.enabled or not text or not is_config_file(path):
            return text
        text = self._sub(_CONFIG_ASSIGN, 2, text, keep=_PLACEHOLDER.match)
        return self._sub(_TOKENISH, 0, text, keep=lambda s: not looks_random(s))

    def _sub(self, pattern: re.Pattern[str], group: int, text: str,
             keep: Callable[[str], object] | None = None) -> str:
        def repl(m: re.Match[str]) -> str:
            secret = m.group(group)
            if secret is None or MARK in secret or (keep and keep(secret)):
                return m.group(0)
            self.count += 1
            start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
            whole = m.group(0)
            return whole[:start] + MARK + whole[end:]

        return pattern.sub(repl, text)


def is_config_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return (name.startswith(".env") or name.endswith(_CONFIG_SUFFIXES)
            or name in ("credentials", "config", ".netrc", ".npmrc", ".pypirc"))


def entropy(s: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(s: str) -> bool:
    """A long token mixing letter cases and digits with high entropy: a key, not a word.

    Pure hex (digests, commit ids, checksums pinned in configs) tops out near 4 bits per
    character and is left alone; random base64/base62 keys score well above that.
    """
    if len(s) < 24 or re.fullmatch(r"[0-9a-fA-F]+", s):
        return False
    classes = sum(bool(re.search(p, s)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes == 3 and entropy(s) >= 4.2
