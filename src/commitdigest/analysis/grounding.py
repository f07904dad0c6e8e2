"""Facts beat prose: an analysis may only point at paths the commit really changed, and may only
present as code what the commit really contains.

"Contains" means the text the model was shown: the commit message, the file list and the diff as
sent. A model that writes "`Voice.streamed_transcription_session`" when neither name is in the
diff has invented it, and the report must not print the invention as a fact.
"""

from __future__ import annotations

import re

from commitdigest.models import Commit, CommitAnalysis


def changed_paths(commit: Commit) -> set[str]:
    paths = set()
    for f in commit.files:
        paths.add(f.path)
        if f.old_path:
            paths.add(f.old_path)
    return paths


def _prefixes(paths: set[str]) -> set[str]:
    out = set()
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts)):
            out.add("/".join(parts[:i]))
    return out


def _is_grounded(path: str, paths: set[str], prefixes: set[str]) -> bool:
    p = path.strip().strip("`").rstrip("/")
    return bool(p) and (p in paths or p in prefixes)


def ground(analysis: CommitAnalysis, commit: Commit) -> CommitAnalysis:
    """Drop ``impact_scope`` entries whose path is neither a changed path nor a directory prefix
    of one; record how many were dropped."""
    paths = changed_paths(commit)
    prefixes = _prefixes(paths)
    kept = []
    for item in analysis.impact_scope:
        if _is_grounded(item.path, paths, prefixes):
            kept.append(item.model_copy(update={"path": item.path.strip().strip("`").rstrip("/")}))
    dropped = len(analysis.impact_scope) - len(kept)
    if dropped == 0:
        return analysis
    return analysis.model_copy(update={"impact_scope": kept,
                                       "paths_dropped": analysis.paths_dropped + dropped})


# ------------------------------------------------------------------------------- identifiers

_TICKS = re.compile(r"`+")
_CALL = re.compile(r"(?<![\w.:`])([A-Za-z_]\w*(?:(?:\.|::)[A-Za-z_]\w*)*)\(\)")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_BARE_PATH = re.compile(r"(?<![\w/.@-])(?:[\w.-]+/)+[\w.-]*\w\.[A-Za-z][A-Za-z0-9]{0,6}(?![\w/])")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]{2,}")
_PATHLIKE = re.compile(r"/|\.(py|rs|go|ts|js|tsx|jsx|c|cc|cpp|h|hpp|java|kt|rb|md|rst|txt|toml|ya?ml|json|cfg|ini|sh)$")
# Words of every language that a sentence may put in code spans without the diff having them.
_LITERALS = frozenset({"None", "True", "False", "null", "true", "false", "nil", "undefined", "NaN", "self",
                       "this", "str", "int", "bool", "float", "list", "dict"})


def code_spans(text: str) -> list[str]:
    """The contents of the balanced code spans of ``text`` (CommonMark: a run of N backticks
    closed by the next run of exactly N)."""
    out = []
    runs = list(_TICKS.finditer(text))
    i = 0
    while i < len(runs):
        opening = runs[i]
        for j in range(i + 1, len(runs)):
            if len(runs[j].group()) == len(opening.group()):
                out.append(text[opening.end():runs[j].start()].strip())
                i = j + 1
                break
        else:
            i += 1
    return out


def _outside_spans(text: str) -> str:
    for span in code_spans(text):
        text = text.replace(span, " ")
    return _TICKS.sub(" ", text)


def code_refs(text: str) -> list[tuple[str, str]]:
    """What ``text`` presents as code, each as (reference, kind) with kind "path" or
    "identifier": code spans, ``name()`` calls and bare file paths in the prose."""
    refs = [(s, "path" if _PATHLIKE.search(s) else "identifier") for s in code_spans(text) if s]
    rest = _URL.sub(" ", _outside_spans(text))
    refs += [(m.group(1), "identifier") for m in _CALL.finditer(rest)]
    refs += [(m.group(0), "path") for m in _BARE_PATH.finditer(rest)]
    return refs


def grounded(ref: str, corpus: str) -> bool:
    """``ref`` occurs in ``corpus`` as written, or every name in it does (``Config::field``,
    ``obj.method()`` and ``--flag value`` are made of names the diff must have)."""
    ref = ref.strip()
    if not ref or ref in corpus:
        return True
    bare = re.sub(r"\(.*\)$", "", ref)
    if bare and bare in corpus:
        return True
    tokens = [t for t in _TOKEN.findall(ref) if t not in _LITERALS]
    return all(t in corpus for t in tokens)


def first_ungrounded(text: str, corpus: str) -> str | None:
    """The kind ("path" or "identifier") of the first code reference in ``text`` that the
    commit does not have; None when every one is grounded."""
    for ref, kind in code_refs(text):
        if not grounded(ref, corpus):
            return kind
    return None
