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
        found: dict[str, list[Ref]] = {}
        todo: list[reader.ReaderFile] = []
        for f in files:
            hit = cached.get(f.path)
            refs = _decode(hit[1]) if hit is not None and hit[0] == f.stamp else None
            if refs is None:
                todo.append(f)
            else:
                found[f.path] = refs
        fresh, lost = _extract_all(root, todo, names)
        if lost:
            problems.append(f"{label}: {lost} files could not be read this time")
        for path, refs in fresh.items():
            if refs is not None:
                found[path] = refs
        gone = set(cached) - {f.path for f in files}
        if store is not None and (fresh or gone):
            stamps = {f.path: f.stamp for f in todo}
            store.put_code_index(key, names_key, ENGINE, [(path, stamps[path], json.dumps(refs, separators=(",", ":")))
                                                          for path, refs in fresh.items() if refs is not None],
                                 gone=sorted(gone))
        index_files += [FileRefs(root=label, path=f.path, language=f.language, refs=found[f.path])
                        for f in files if found.get(f.path)]
    return CodeIndex(files=index_files, roots=root_labels, problems=problems)


def _extract_all(root: Path, files: list[reader.ReaderFile], names: Names) -> tuple[dict[str, list[Ref] | None], int]:
    """Each file's references (None: not read or not parsed), and how many files a worker could
    not read. The files are parsed in the semantic stage's worker processes
    (``semantic.workers``), in shards of about equal size: a parse that crashes costs its
    shard's files this run (they are read again next run), never the report."""
    if not files:
        return {}, 0
    from commitdigest.semantic import workers

    shards = _shards(files, workers.count())
    out: dict[str, list[Ref] | None] = {}
    lost = 0
    for shard, result in zip(shards, workers.run(_extract_chunk, [(root, shard, names) for shard in shards]),
                             strict=True):
        if isinstance(result, BaseException):
            log.warning("%d files of %s not indexed this time (%s)", len(shard), root, type(result).__name__)
            out.update((f.path, None) for f in shard)
            lost += len(shard)
        else:
            out.update(result)
    return out, lost


def _shards(files: list[reader.ReaderFile], n: int) -> list[list[reader.ReaderFile]]:
    """``files`` in ``n`` shards or fewer of about equal bytes, largest first."""
    if n <= 1 or len(files) < 8:
        return [files]
    shards: list[list[reader.ReaderFile]] = [[] for _ in range(n)]
    load = [0] * n
    for f in sorted(files, key=lambda f: -int(f.stamp.split(":", 1)[0])):
        k = load.index(min(load))
        shards[k].append(f)
        load[k] += int(f.stamp.split(":", 1)[0])
    return [s for s in shards if s]


def _extract_chunk(root: Path, files: list[reader.ReaderFile], names: Names) -> dict[str, list[Ref] | None]:
    out: dict[str, list[Ref] | None] = {}
    for f in files:
        data = reader.read(root, f)
        if data is None:
            out[f.path] = None
            continue
        try:
            out[f.path] = extract(f, data, names)
        except (ValueError, RecursionError) as exc:  # a parse abandoned at its deadline
            log.info("%s not indexed (%s)", f.path, exc)
            out[f.path] = None
    return out


def _decode(text: str) -> list[Ref] | None:
    try:
        raw = json.loads(text)
        return [(tuple(steps), int(start), int(line), str(how), tuple((int(i), tuple(k)) for i, k in kw))
                for steps, start, line, how, kw in raw]
    except (ValueError, TypeError):
        return None  # written by another version: read the file again
