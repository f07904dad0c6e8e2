"""Secrets never leave the machine: redact them from everything a model is shown.

Three kinds of rules.

- Shape rules recognise a secret by its form wherever it appears: cloud and SaaS tokens,
  credentials in URLs and connection strings, webhook URLs, ``password = "…"`` literals.
- Key blocks are read line by line, because a diff cuts them up: a hunk may show a private key's
  last lines as context, or one of its lines as the hunk header's function name, with its
  ``BEGIN`` line far above. Every line of a key block is replaced, and the block counts once.
- Context rules depend on the kind of file. In config files, shell scripts, Dockerfiles and
  docs an unquoted ``TOKEN=abc``, ``ENV DB_PASSWORD abc`` or ``password: abc`` is almost always
  a credential; in source code the same text is an expression (``TOKEN=os.environ[…]``), so
  source code only gets the shape rules.

Every secret replaced counts once, however many lines it spans; the count goes into the record
so the report can say so. Text that already holds the mark is never counted again, so a final
pass over a whole prompt adds nothing for what the per-file passes already replaced.
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from commitdigest.paths import syntax

MARK = "[REDACTED]"

_KEY_WORDS = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|client[_-]?secret|auth[_-]?key)"
# A whole identifier containing one of those words as a word of its own: DB_PASSWORD, userPassword,
# aws.secret_key, PGPASSWORD — not "compass", "passenger", "tokenizer" or "author".
_SECRET_NAME = (r"(?<![\w.\-])(?:[\w.\-]*[_.\-]|[A-Za-z0-9]*[a-z0-9](?=[A-Z])|PG|pg)?(?i:" + _KEY_WORDS
                + r")s?(?![a-z])(?!(?<=[A-Z])[A-Z])[\w.\-]*")
# Names that hold something *about* a secret, not the secret: DB_PASSWORD_FILE, token_ttl,
# password_min_length, GITHUB_TOKEN_PATH, secretKeyRef.
_ABOUT_SECRET = re.compile(
    r"(?i)(?:[_.\-]|(?<=[a-z])(?=[A-Z]))(?:file|path|dir|ttl|timeout|length|len|min|max|count|size|type|name|env|"
    r"var|header|prefix|expir\w*|lifetime|policy|regex|pattern|limit|enabled|required|field|id|ref|mode|"
    r"command|cmd|helper|source|url|endpoint|uri|hash|digest|rotation|provider|store|manager|class|kind|label|"
    r"scope|level|format|style|method|status|state|category|version|schema|audiences?|metadata)(?:$|[_.\-A-Z0-9])")

# Values that stand for a secret without being one: references, templates, examples, paths,
# numbers and durations, yaml anchors and tags.
_PLACEHOLDER = re.compile(
    r"^(?:[$%<@!&*|>\[{(]|/|\./|\.\./|~/|file:)|\.\.\.|…"
    r"|^(?:x+|\*+|changeme|change-me|none|null|nil|true|false|yes|no|on|off|required|optional|string|str|"
    r"example\w*|your[\w\-]*|dummy|placeholder|todo|tbd|redacted|unused|inherit|pass(?:word|wd)?|pw|token|secret|key)$"
    r"|\.\.$|x{4,}|\*{3,}"
    r"|^[\w.\-]+\.(?:ya?ml|json|toml|txt|pem|crt|cer|key|conf|cfg|ini|env|properties|xml|sh|py)$"
    r"|^\d{1,8}(?:\.\d+)?(?:ms|[smhdw])?$", re.IGNORECASE)
# Identifiers rather than values: the *name* of an environment variable or setting
# (secret_env = "SMTP_PASSWORD", "api_key": "llm_api_key").
_IDENTIFIER = re.compile(r"^_*(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)+)$")
# Values that say they are not real: test-key, fake-for-tests, dummy_token, mock-jwt.
_DUMMY = re.compile(r"(?i)(?:^|[-_.])(?:tests?|fake|dummy|mock|example|sample|placeholder|your|change[-_]?me|foo|bar)(?:$|[-_.])"
                    r"|^(?:test|fake|dummy|mock|example|sample)|^my-?(?:secret|pass|token|key)|^not[-_]?a[-_]?real")
# A value that is the name of a secret, not its content: hf-token-secret, db_password, api-key.
_REFERENCE = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
_CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")  # apiKey, azureAccessToken: a field's name
_REFERENCE_WORD = re.compile(r"(?:^|[-_.])" + _KEY_WORDS + r"s?(?:$|[-_.])", re.IGNORECASE)
_KEY_WORD_IN = re.compile(r"(?i)pass|pwd|secret|token|key|credential")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Code, not a value: os.environ.get, settings.api_key
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


# Whether a match is to be left as it is: (the match, the text it would replace) -> truthy to keep.
_Keep = Callable[[re.Match[str], str], object]


def _placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.search(value) or _DUMMY.search(value))


# (name, pattern, group holding the secret or 0 for the whole match)
_SHAPES: list[tuple[str, re.Pattern[str], int]] = [
    ("aws access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"), 0),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), 0),
    ("github token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"), 0),
    ("gitlab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b"), 0),
    ("slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), 0),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), 0),
    ("hugging face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), 0),
    ("stripe key", re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b"), 0),
    ("api secret key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}\b"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), 0),
    # The path of a webhook URL is its credential: whoever has it can post to the channel.
    ("slack webhook", re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/\-]{20,})"), 1),
    ("discord webhook", re.compile(r"discord(?:app)?\.com/api/webhooks/\d+/([A-Za-z0-9_\-]{20,})"), 1),
    ("bearer token", re.compile(r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9_\-.=+/]{20,})"), 1),
    ("url credentials", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@\"']+:([^\s@/\"']+)@"), 1),
    # Connection strings: Azure storage/service bus keys, ADO.NET passwords between semicolons.
    ("connection string key", re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)\s*=\s*([^;\s\"']+)"), 1),
    ("connection string password", re.compile(r"(?i)(?<=[;\"'])[ \t]*(?:Password|Pwd)=([^;\s\"']+)(?=[;\"'])"), 1),
    # .npmrc / .yarnrc: //registry/:_authToken=…, _auth=…, _password=…
    ("npm auth", re.compile(r"(?:^[+\- ]?|:)_(?:authToken|auth|password)=([^\s\"'#;]+)", re.MULTILINE), 1),
    # A Google service account file: the id of its private key (the key itself is a PEM block).
    ("gcp private key id", re.compile(r"[\"']private_key_id[\"'][ \t]*:[ \t]*[\"']([0-9a-fA-F]{32,64})[\"']"), 1),
    # A quoted literal assigned to a secret-sounding name, in any language:
    # password = "hunter2", "apiKey": "…", AWS_SECRET_ACCESS_KEY: '…'
    ("secret literal", re.compile(
        "(" + _SECRET_NAME + r")[\"']?[ \t]*(?::=|=>|=|:)[ \t]*[\"']([^\"'\s]{4,})[\"']"), 2),
]

# Each shape needs one of these (lower-cased) in the text: a substring test is orders of magnitude
# cheaper than a regex scan, and most patches hold none of them.
_SHAPE_HINTS: dict[str, tuple[str, ...]] = {
    "aws access key id": ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva"), "google api key": ("aiza",),
    "github token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), "gitlab token": ("glpat-",), "slack token": ("xox",),
    "npm token": ("npm_",), "hugging face token": ("hf_",), "stripe key": ("k_live_", "k_test_"),
    "api secret key": ("sk-",), "jwt": ("eyj",), "slack webhook": ("hooks.slack.com",),
    "discord webhook": ("/api/webhooks/",), "bearer token": ("bearer", "token"), "url credentials": ("://",),
    "connection string key": ("accountkey", "sharedaccess"), "connection string password": ("password=", "pwd="),
    "npm auth": ("_auth", "_password"), "gcp private key id": ("private_key_id",),
}
# The words every name-based rule needs on the line it matches.
_KEYWORDS = ("pass", "pwd", "secret", "token", "key", "credential")

# ------------------------------------------------------------------------------ key blocks

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_END = re.compile(r"-----END ([A-Z0-9 ]+)-----")
_PRIVATE = re.compile(r"PRIVATE KEY")
_B64_BODY = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_PEM_HEADER = re.compile(r"(?:Proc-Type|DEK-Info|Version|Comment|Hash):")
# A line that could be part of a key outside a BEGIN/END pair: bare base64, or a hunk header naming it
_BARE_BODY = re.compile(r"(?m)^(?:[+\- ]?[ \t]*|@@ [^\n]*? @@ )[A-Za-z0-9+/]{16,}={0,2}[ \t]*$")
# DER of an X.509 certificate opens SEQUENCE { SEQUENCE …: "MIIDxTCCAq2g…"; a key's does not
_CERT_START = re.compile(r"MII[A-Za-z0-9+/]{3}CCA")
_HUNK = re.compile(r"^(@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?)(.*)$")
# A private key written on one line, as JSON and env files do: "-----BEGIN …-----\nMIIE…\n-----END …-----"
_INLINE_KEY = re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)((?:\\[nr]|[A-Za-z0-9+/= \t])*?[A-Za-z0-9+/]{16,}"
                         r"(?:\\[nr]|[A-Za-z0-9+/= \t])*?)(?=-----END|[\"'`]|$)", re.MULTILINE)


def _split_prefix(line: str) -> tuple[str, str]:
    """(diff sign and indentation, the rest) of one line."""
    sign = line[:1] if line[:1] in ("+", "-", " ") else ""
    rest = line[len(sign):]
    body = rest.lstrip(" \t")
    return line[:len(line) - len(body)], body


def _body_line(text: str) -> bool:
    """A line of base64 as PEM writes it (no spaces), possibly quoted in a string."""
    text = text.strip().strip("\"',").removesuffix("\\n")
    return bool(_B64_BODY.fullmatch(text))


# base64 of well-known file formats (PNG, JPEG, GIF, WEBP, PDF, zip, gzip): data, not keys
_FILE_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "JVBERi", "UEsDB", "H4sI")


def _keyish(text: str) -> bool:
    """A bare base64 line (not a string in code) that is key material rather than a word or a
    known file format: long and mixed, or padded."""
    text = text.strip()
    if not _B64_BODY.fullmatch(text) or text.startswith(_FILE_MAGIC):
        return False
    digits = sum(ch.isdigit() for ch in text)
    if text.endswith("="):  # padding: the end of base64, never of a word
        return digits > 0 or "+" in text or "/" in text
    # Random base64 has a digit every ~6 characters and changes case at every other letter;
    # a long camelCase name (openAIToOpenAITranslatorV1Embedding) has a digit or two and changes
    # case at word starts only.
    return looks_random(text) and digits >= 2 and _case_switches(text) >= 0.25


def _case_switches(text: str) -> float:
    """The share of adjacent letter pairs that change case."""
    pairs = switches = 0
    for a, b in itertools.pairwise(text):
        if a.isalpha() and b.isalpha():
            pairs += 1
            switches += a.isupper() != b.isupper()
    return switches / pairs if pairs else 0.0


def _keys(text: str) -> tuple[str, int]:
    """Replace every line of a private key block; (new text, blocks replaced).

    Inside ``BEGIN … PRIVATE KEY`` everything up to the ``END`` line (or the first line that is
    not key material) is key. Outside, a run of base64 lines, hunk-header names included, is a
    key's visible part when it reaches a ``END … PRIVATE KEY`` line, or when it is key material by
    itself and no certificate or public key is around it.
    """
    if "-----" not in text and not _BARE_BODY.search(text):
        return text, 0
    lines = text.split("\n")
    out = list(lines)
    blocks = 0
    inside: str | None = None  # "private" / "other" after a BEGIN line, until its END
    run: list[tuple[int, str, str]] = []  # (line, prefix, body) of candidate lines outside a known private block
    private_hit = False  # the current private block replaced at least one line

    def body_of(line: str) -> tuple[str, str] | None:
        """(prefix, body) of a line that could be key material (a hunk header's name included), else None."""
        m = _HUNK.match(line)
        if m:
            return (m.group(1), m.group(2)) if m.group(2) and _body_line(m.group(2)) else None
        prefix, body = _split_prefix(line)
        return (prefix, body) if body and _body_line(body) else None

    def close_run(next_line: str | None) -> None:
        nonlocal blocks
        if not run:
            return
        ends_private = bool(next_line is not None and (m := _END.search(next_line)) and _PRIVATE.search(m.group(1)))
        ends_other = bool(next_line is not None and (m := _END.search(next_line)) and not _PRIVATE.search(m.group(1)))
        certificate = any(_CERT_START.match(body) for _, _, body in run)
        if ends_private or (not ends_other and not certificate and inside != "other"
                            and any(_keyish(body) for _, _, body in run)):
            for i, prefix, _ in run:
                out[i] = prefix + MARK
            blocks += 1
        run.clear()

    for i, line in enumerate(lines):
        begin, end = (_BEGIN.search(line), _END.search(line)) if "-----" in line else (None, None)
        if begin and not (end and end.start() > begin.start()):
            close_run(None)
            inside = "private" if _PRIVATE.search(begin.group(1)) else "other"
            private_hit = False
            continue
        if end:
            close_run(line)
            if inside == "private" and private_hit:
                blocks += 1
            inside, private_hit = None, False
            continue
        if begin:  # BEGIN and END on one line: the inline rule deals with it
            close_run(None)
            continue
        if inside == "private":
            prefix, body = _split_prefix(line)
            if body and MARK not in body and (_body_line(body) or _PEM_HEADER.match(body)):
                out[i] = prefix + MARK
                private_hit = True
            elif body and MARK not in body:
                # Not key material: the block was cut off (clipped patch, hunk end).
                if private_hit:
                    blocks += 1
                inside, private_hit = None, False
            continue
        if (found := body_of(line)) is not None:
            run.append((i, *found))
        else:
            close_run(line)
    close_run(None)
    if inside == "private" and private_hit:
        blocks += 1
    return "\n".join(out), blocks


# --------------------------------------------------------------------------- context rules

_VALUE = r"([^\s\"'`#;&|()<>\[\]{},]+)"
# KEY=value / key: value at the start of a line of a config file or shell script, quoted or not.
_LINE_ASSIGN = re.compile(
    r"(?m)^([+\- ]?[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?(" + _SECRET_NAME + r")[ \t]*"
    # "key: value" must end the line: a yaml value with spaces in it is prose, not a secret
    r"(?:=[ \t]*|:[ \t]*(?=[^\s#\"'][^\s#]*[ \t\r]*(?:#.*)?$)))([^\s#\"'][^\s#]*)")
# The same in docs, where it must end the line: "password: hunter2" in a yaml snippet, but not
# "Password: see the vault for it".
_DOC_ASSIGN = re.compile(
    r"(?m)^([+\- ]?[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?(" + _SECRET_NAME + r")[ \t]*[:=][ \t]*)"
    + _VALUE + r"[ \t\r]*$")
# The same within a line of prose or Markdown, where the value ends the line, a code span, bold or
# a table cell: "`password: hunter2`", "**password**: hunter2", "* token = abc", "| password | x |",
# "The admin password: hunter2". A value followed by more words ("password: see the vault") is prose.
_DOC_INLINE = re.compile(
    r"(?<![\w.\-])(" + _SECRET_NAME + r")(?:\*\*|__|`)?[ \t]*(?::|=|\|)[ \t]*[`*]*"
    r"([^\s\"'`#;&|()<>\[\]{},*]+)(?=[`*]*[.,;:!?]?[ \t\r]*(?:\||$))", re.MULTILINE)
# ... and where more words follow, only a value that looks made up to be a password: letters and
# digits and a mark ("the admin password: hunter2-the-real-one to log in").
_DOC_PROSE = re.compile(
    r"(?<![\w.\-])(" + _SECRET_NAME + r")(?:\*\*|__|`)?[ \t]*[:=][ \t]*[`*]*"
    r"([^\s\"'`#;&|()<>\[\]{},*]{8,})(?=[`*]*[.,;:!?]?[ \t]+\w)")
_MADE_UP = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])(?=.*[^A-Za-z0-9]|.*[a-z].*[A-Z]|.*[A-Z].*[a-z])")
# NAME=value anywhere on a line: docker run -e POSTGRES_PASSWORD=…, PGPASSWORD=… psql, DSNs.
_ENV_ASSIGN = re.compile(r"(?<![\w$.\-/])(" + _SECRET_NAME + r")=" + _VALUE)
# Dockerfile ENV/ARG, the space form included: ENV DB_PASSWORD hunter2
_DOCKER = re.compile(r"(?m)^([+\- ]?[ \t]*(?:ENV|ARG)[ \t]+(" + _SECRET_NAME + r")[ \t]+)" + _VALUE)
_TOKENISH = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9][A-Za-z0-9+/_\-]{22,}[A-Za-z0-9]={0,2}(?![A-Za-z0-9+/_\-])")
# Digests pinned in lock files and manifests: integrity hashes, go.sum lines, image digests.
_DIGEST = re.compile(r"^(?:sha\d+-|sha\d+:|h1:|md5-)", re.IGNORECASE)

# kind: Secret (and its data/stringData block) in a Kubernetes manifest
_K8S_SECRET = re.compile(r"(?m)^[+\- ]?[ \t]*kind:[ \t]*[\"']?Secret[\"']?[ \t]*$")
_K8S_KIND = re.compile(r"^[ \t]*kind:[ \t]*[\"']?(\w+)[\"']?[ \t]*$")
_K8S_DATA = re.compile(r"^([+\- ]?)([ \t]*)(?:data|stringData|binaryData):[ \t]*$")
_K8S_ENTRY = re.compile(r"^([+\- ]?[ \t]+[\w.\-]+:[ \t]*)([^\s#\"'|>][^\s#]*|\"[^\"]+\"|'[^']+')[ \t]*$")


@dataclass
class Redactor:
    """Counts what it replaced across calls, so one commit's total can be recorded."""

    enabled: bool = True
    count: int = 0

    def text(self, text: str) -> str:
        """Shape rules and key blocks: commit messages, hints, anything that is not a file."""
        if not self.enabled or not text:
            return text
        if "-----BEGIN" in text:
            text = self._sub(_INLINE_KEY, 2, text)
        text, blocks = _keys(text)
        self.count += blocks
        low = text.lower()
        for name, pattern, group in _SHAPES:
            if name == "secret literal":
                text = _by_line(text, functools.partial(self._sub, pattern, group, keep=_literal_not_secret))
            elif any(hint in low for hint in _SHAPE_HINTS[name]):
                text = self._sub(pattern, group, text, keep=_SHAPE_KEEP.get(name))
        return text

    def file(self, path: str, text: str) -> str:
        """Shape rules, plus the context rules of the kind of file ``path`` is."""
        text = self.text(text)
        if not self.enabled or not text:
            return text
        kind = syntax(path)
        if kind == "source":
            return text
        rules: list[tuple[re.Pattern[str], int, _Keep]] = [(_LINE_ASSIGN, 3, _not_secret)] if kind in ("config", "shell") else \
            [(_DOCKER, 3, _not_secret)] if kind == "docker" else \
            [(_DOC_ASSIGN, 3, _not_secret), (_DOC_INLINE, 2, _not_secret_in_prose),
             (_DOC_PROSE, 2, lambda m, value: not _MADE_UP.match(value) or _not_secret_in_prose(m, value))]
        rules.append((_ENV_ASSIGN, 2, lambda m, value: _not_secret(m, value, name_group=1)))

        def by_name(line: str) -> str:
            for rx, group, keep in rules:
                line = self._sub(rx, group, line, keep=keep)
            return line

        text = _by_line(text, by_name)
        if kind == "config":
            if path.lower().endswith((".yaml", ".yml")):
                text = self._k8s_secret(path, text)
            text = self._sub(_TOKENISH, 0, text,
                             keep=lambda m, token: not looks_random(token) or bool(_DIGEST.match(token))
                             or _path_like(token) or _bare_line(m) or _named_id(m, token))
        return text

    def _k8s_secret(self, path: str, text: str) -> str:
        """The values of a Secret's data/stringData block. Read per yaml document: only a document
        showing ``kind: Secret`` (or with no kind in sight, in a file named for secrets) has every
        value of its data block taken; elsewhere in such a file only values that are base64 of
        printable text are, since that is what a Secret's data looks like and a name is not."""
        named = "secret" in path.rsplit("/", 1)[-1].lower()
        if not named and not _K8S_SECRET.search(text):
            return text
        lines = text.split("\n")
        kind: str | None = None  # of the current yaml document, when in sight
        data_indent: int | None = None
        entry_indent: int | None = None  # the data map's own keys, not yaml nested in a value
        for i, line in enumerate(lines):
            body = line[1:] if line[:1] in ("+", "-", " ") else line
            if _HUNK.match(line) or body.strip() == "---":
                kind, data_indent, entry_indent = None, None, None
                continue
            if (m := _K8S_KIND.match(body)):
                kind = m.group(1)
                continue
            if (m := _K8S_DATA.match(line)):
                data_indent, entry_indent = len(m.group(2).expandtabs()), None
                continue
            indent = len(body) - len(body.lstrip(" \t"))
            if data_indent is not None and body.strip() and indent <= data_indent:
                data_indent = None
            if data_indent is not None and entry_indent is None and body.strip():
                entry_indent = indent  # the first line under data: is one of its keys
            entry = _K8S_ENTRY.match(line)
            if not entry or (kind is not None and kind != "Secret"):
                continue
            if data_indent is not None and indent != entry_indent:
                continue
            value = entry.group(2).strip("\"'")
            if MARK in value or _placeholder(value) or _ENV_NAME.match(value):
                continue
            whole_block = data_indent is not None and (kind == "Secret" or named)
            if whole_block or _printable_base64(value):
                lines[i] = entry.group(1) + MARK
                self.count += 1
        return "\n".join(lines)

    def _sub(self, pattern: re.Pattern[str], group: int, text: str, keep: _Keep | None = None) -> str:
        def repl(m: re.Match[str]) -> str:
            secret = m.group(group)
            if not secret or MARK in secret:
                return m.group(0)
            if keep is not None and keep(m, secret):
                return m.group(0)
            self.count += 1
            start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
            whole = m.group(0)
            return whole[:start] + MARK + whole[end:]

        return pattern.sub(repl, text)


def _by_line(text: str, fn: Callable[[str], str]) -> str:
    """``fn`` applied to the lines that hold a secret word; every name-based rule matches within
    one line, and most lines of a patch hold no such word."""
    low = text.lower()  # str.find per word beats a case-insensitive regex scan many times over
    spans: set[tuple[int, int]] = set()
    for word in _KEYWORDS:
        at = low.find(word)
        while at >= 0:
            start = low.rfind("\n", 0, at) + 1
            end = low.find("\n", at)
            end = len(low) if end < 0 else end
            spans.add((start, end))
            at = low.find(word, end)
    if not spans:
        return text
    out: list[str] = []
    done = 0
    for start, end in sorted(spans):
        out += [text[done:start], fn(text[start:end])]
        done = end
    out.append(text[done:])
    return "".join(out)


def _not_secret_in_prose(m: re.Match[str], value: str) -> bool:
    # a link ("Forgot your password: https://…"; credentials in a URL have their own rule)
    return "://" in value or _not_secret(m, value, name_group=1)


def _literal_not_secret(m: re.Match[str], value: str) -> bool:
    return _not_secret(m, value, name_group=1) or bool(_IDENTIFIER.match(value))


# Token shapes (ghp_…, AKIA…) are secrets whatever they say; the generic rules can meet a
# placeholder, a reference or a dummy value.
_SHAPE_KEEP: dict[str, _Keep] = {
    name: (lambda _m, value: _placeholder(value)) for name in
    ("bearer token", "url credentials", "connection string key", "connection string password", "npm auth")
}
_SHAPE_KEEP["secret literal"] = _literal_not_secret


def _not_secret(m: re.Match[str], value: str, name_group: int = 2) -> bool:
    """A match that names a secret without holding one: a placeholder or reference for a value,
    a name that says something about a secret (its file, its length), ML "tokens", or code."""
    name = m.group(name_group)
    if _placeholder(value) or _ABOUT_SECRET.search(name) or re.search(r"(?i)tokens", name):
        return True
    if (_REFERENCE.match(value) and _REFERENCE_WORD.search(value)) or (_CAMEL.match(value) and _KEY_WORD_IN.search(value)):
        return True
    follows = m.string[m.end():m.end() + 1]
    # SCREAMING_SNAKE: the name of a variable (-e OPENAI_API_KEY=OPENAI_API_KEY), not its value
    return bool(_DOTTED.match(value) or _ENV_NAME.match(value)) or follows == "(" or "(" in value


# Random-looking values that are identifiers, not credentials: API object ids (chatcmpl-…, msg_…),
# and any value of an id, hash, digest or embedding field (recorded API responses in test data).
_ID_PREFIX = re.compile(r"^(?:chatcmpl|cmpl|msg|resp|call|run|req|toolu|file|asst|thread|batch|evt|ft|span|trace|"
                        r"id|gen|rs|fc|ws|sess|conv)[-_]")
_ID_FIELD = re.compile(r"(?i)(?:\b|_)(?:id|uuid|guid|sha\d*|digest|hash|checksum|etag|nonce|embedding|signature_id)"
                       r"[\\\"']*[ \t]*[:=][ \t]*[\\\"']*$")


def _named_id(m: re.Match[str], token: str) -> bool:
    if _ID_PREFIX.match(token):
        return True
    start = m.string.rfind("\n", 0, m.start()) + 1
    return bool(_ID_FIELD.search(m.string[max(start, m.start() - 80):m.start()]))


def _bare_line(m: re.Match[str]) -> bool:
    """The match is a whole line by itself: base64 lines are the key-block rule's to judge, which
    tells a private key from a certificate."""
    text = m.string
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return not text[start:m.start()].strip(" \t+-") and not text[m.end():len(text) if end < 0 else end].strip()


def _path_like(token: str) -> bool:
    """A path or URL piece rather than a key: "/" (standard base64) beside "_" or "-" (url-safe
    base64) is no single encoding, and a lowercase word between slashes is no random text."""
    if "/" not in token:
        return False
    return "_" in token or "-" in token or any(
        len(part) >= 4 and part.isalpha() and part.islower() and re.search("[aeiouy]", part)
        for part in token.split("/"))


def _printable_base64(value: str) -> bool:
    """base64 of text: a Secret's encoded password or URL, not a word like "MCPRoute"."""
    if len(value) < 8 or len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return decoded.isprintable()


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
