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


def build(roots: Sequence[Path], names: Names, store: Store | None, timeout: float,
          workers: bool = False) -> CodeIndex:
    """The index of ``roots`` for ``names``: from the cache where a file's stamp is unchanged,
    else read and parsed (by worker processes, with ``workers``). A folder that cannot be read
    is a problem the report names; a file that cannot be read or parsed is left out."""
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
        fresh = _extract_all(root, todo, names, workers)
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


#: files read in one worker's task, and how many files make a pool worth starting
_CHUNK = 40
_POOL_FROM = 120


def _extract_all(root: Path, files: list[reader.ReaderFile], names: Names,
                 allowed: bool) -> dict[str, list[Ref] | None]:
    """Each file's references (None: not read or not parsed). Many files are read by a pool of
    processes, one per free core (a parse holds the interpreter), when ``allowed``: in the command
    line's own process only, since a pool starts the main module again in each worker, which a
    script importing the library may not guard against. Should the pool fail — a worker killed,
    no process allowed — the files it did not finish are read here."""
    out: dict[str, list[Ref] | None] = {}
    workers = _free_cores()
    if allowed and len(files) >= _POOL_FROM and workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunks = [files[i:i + _CHUNK] for i in range(0, len(files), _CHUNK)]
        try:
            # spawn: a fork would copy this process's threads' locks (git readers, progress)
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                for part in pool.map(_extract_chunk, [root] * len(chunks), chunks, [names] * len(chunks)):
                    out.update(part)
        except (OSError, RuntimeError) as exc:  # BrokenProcessPool is a RuntimeError
            log.info("index of %s read in one process (%s)", root, exc)
    rest = [f for f in files if f.path not in out]
    out.update(_extract_chunk(root, rest, names))
    return out


def _free_cores() -> int:
    """Cores no other process is keeping busy (the load average's last minute), at most 4: on a
    machine whose cores are all taken, worker processes only add their start-up to the wait."""
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not every system keeps a load average
        busy = 0.0
    return max(min(int(cores - busy + 0.5), cores, 4), 1)


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
