"""The index of the reader's code: every reference of its files to a followed repository, built
once per run and kept in the cache across runs.

Each file is read, parsed and searched once per run at most, and not at all when the cache holds
its references under the same stamp (size, modification and change times, inode: what
``reader.list_files`` records) for the same names searched for and the same ``ENGINE``. A day's
report then looks up each changed symbol by its last name (``by_name``), so its cost does not
grow with the size of the reader's code.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from commitdigest.uses import reader
from commitdigest.uses.python_refs import Ref
from commitdigest.uses.records import UsesSummary
from commitdigest.uses.upstream import Names

if TYPE_CHECKING:
    from commitdigest.store import Store

log = logging.getLogger("commitdigest.uses")

#: Bump when what the extractors find changes: it is part of the cache key of the index.
ENGINE = "1"
#: wall-clock seconds one file's parse may take (hostile or pathological input)
PARSE_SECONDS = 5.0


@dataclass
class FileRefs:
    root: str  # the folder's label
    path: str
    language: str
    refs: list[Ref]


@dataclass
class CodeIndex:
    """The reader's references to one followed repository, by the names they hold."""

    files: list[FileRefs] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    by_name: dict[str, list[tuple[FileRefs, Ref]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.files:
            for ref in f.refs:
                steps, start = ref[0], ref[1]
                for name in set(steps[max(start, 1):]):
                    if name and name != "()":
                        self.by_name.setdefault(name, []).append((f, ref))

    def summary(self) -> UsesSummary:
        return UsesSummary(roots=self.roots, files=len(self.files), problems=self.problems)


def labels(roots: Sequence[Path]) -> list[str]:
    """Each folder's name, told apart when two share one (``app``, ``app-2``)."""
    out: list[str] = []
    for root in roots:
        base = root.name or str(root)
        label, n = base, 2
        while label in out:
            label, n = f"{base}-{n}", n + 1
        out.append(label)
    return out


def extract(f: reader.ReaderFile, data: bytes, names: Names) -> list[Ref]:
    from commitdigest.uses import other_refs, python_refs

    deadline = time.monotonic() + PARSE_SECONDS
    if f.language == "python":
        return python_refs.extract(data, names.python, deadline)
    if f.language == "go":
        return other_refs.extract_go(data, names.go, deadline)
    if f.language == "rust":
        return other_refs.extract_rust(data, names.rust, deadline)
    return other_refs.extract_ecma(data, names.ecma, other_refs.ecma_grammar(f.path), deadline)


def _wanted(language: str, names: Names) -> bool:
    return bool({"python": names.python, "go": names.go, "rust": names.rust, "ecma": names.ecma}[language])


def build(roots: Sequence[Path], names: Names, store: Store | None, timeout: float) -> CodeIndex:
    """The index of ``roots`` for ``names``: from the cache where a file's stamp is unchanged,
    else read and parsed. A folder that cannot be read is a problem the report names; a file
    that cannot be read or parsed is left out."""
    index_files: list[FileRefs] = []
    problems: list[str] = []
    names_key = names.key()
    root_labels = labels(roots)
    for root, label in zip(roots, root_labels, strict=True):
        listing = reader.list_files(root, timeout)
        if listing.problem:
            problems.append(f"{label}: {listing.problem}")
        files = [f for f in listing.files if _wanted(f.language, names)]
        key = os.path.realpath(root)
        cached = store.get_code_index(key, names_key, ENGINE) if store is not None else {}
        fresh: list[tuple[str, str, str]] = []
        for f in files:
            hit = cached.get(f.path)
            refs: list[Ref] | None = None
            if hit is not None and hit[0] == f.stamp:
                refs = _decode(hit[1])
            if refs is None:
                data = reader.read(root, f)
                if data is None:
                    continue
                try:
                    refs = extract(f, data, names)
                except (ValueError, RecursionError) as exc:  # a parse abandoned at its deadline
                    log.info("%s/%s not indexed (%s)", label, f.path, exc)
                    continue
                fresh.append((f.path, f.stamp, json.dumps(refs, separators=(",", ":"))))
            if refs:
                index_files.append(FileRefs(root=label, path=f.path, language=f.language, refs=refs))
        if store is not None and fresh:
            store.put_code_index(key, names_key, ENGINE, fresh)
    return CodeIndex(files=index_files, roots=root_labels, problems=problems)


def _decode(text: str) -> list[Ref] | None:
    try:
        raw = json.loads(text)
        return [(tuple(steps), int(start), int(line), str(how), tuple((int(i), tuple(k)) for i, k in kw))
                for steps, start, line, how, kw in raw]
    except (ValueError, TypeError):
        return None  # written by another version: read the file again
