"""Worker processes for the semantic stage.

Files are parsed in other processes, for two reasons. A grammar is native code: should one ever
crash on some file a repository holds (tree-sitter 0.26 did on one Go tree, in a call this stage
no longer makes), only a worker dies, and the report goes on with those files marked; a crash in
the process writing the report would lose the report. And a machine's other cores parse too.

The workers are made on first use, or ahead of it (``warm``: while git reads the first batch),
and kept for the rest of the process (a ``run`` of many days starts them once). Each is a pool of one, in a slot of its own, so a job can be sent to the same
worker as before (which may still hold what it parsed then) and a worker that dies takes only
its own slot's pool with it. They come from a fork server that has already imported the stage,
so each starts in milliseconds, and none is forked from the threads of the process that reads git.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("commitdigest.semantic")

#: workers at most: one per core this process may use, up to this many
MAX_WORKERS = 4

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()


def count() -> int:
    """How many workers the pool has (``COMMITDIGEST_SEMANTIC_WORKERS`` sets it)."""
    wanted = os.environ.get("COMMITDIGEST_SEMANTIC_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), MAX_WORKERS)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _watch(owner: int) -> None:
    """In a worker: end when the process that made the pool is gone. A worker's own parent is
    the fork server, and a killed report (SIGKILL, an OOM kill) sends no word to either: its
    workers would otherwise wait for work for ever, holding the report's standard error open."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if _gone(owner):
                os._exit(0)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _gone(pid: int) -> bool:
    """Whether a process has ended. A killed one stays a zombie until its parent reaps it (which
    may itself be waiting for our output to end), so a zombie counts as gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[0] in (b"Z", b"X")
    except FileNotFoundError:
        return True
    except OSError:
        pass  # no /proc here: ask the kernel instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _executor(slot: int) -> ProcessPoolExecutor:
    with _lock:
        pool = _pools.get(slot)
        if pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["commitdigest.semantic.stage"])
            pool = _pools[slot] = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_watch,
                                                      initargs=(os.getpid(),))
        return pool


def _discard(slot: int, pool: ProcessPoolExecutor) -> None:
    """A pool whose worker died cannot take work any more: the next call makes another."""
    with _lock:
        if _pools.get(slot) is pool:
            del _pools[slot]
    pool.shutdown(wait=False, cancel_futures=True)


def run(fn: Callable[..., Any], jobs: Sequence[tuple[Any, ...]], slots: Sequence[int] | None = None) -> list[Any]:
    """``fn(*job)`` for each job in the workers, results in the jobs' order; job ``i`` goes to
    the worker in slot ``slots[i]`` (by default: ``i``, wrapped at ``count()``). A job whose
    worker died (or that could not be handed over) gives the ``BaseException`` that says so
    instead."""
    n = count()
    places = [k % n for k in (slots if slots is not None else range(len(jobs)))]
    futures: list[tuple[int, ProcessPoolExecutor, Future[Any] | BaseException]] = []
    for slot, job in zip(places, jobs, strict=True):
        pool = _executor(slot)
        try:
            futures.append((slot, pool, pool.submit(fn, *job)))
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            # OSError: no process could be started (no more processes or files allowed, the
            # working directory gone): the job's files are not read, the report goes on.
            futures.append((slot, pool, exc))
    out: list[Any] = []
    broken: dict[int, ProcessPoolExecutor] = {}
    unstarted = [f for _, _, f in futures if isinstance(f, BaseException)]
    if unstarted:
        log.warning("the workers reading the code could not start (%s): the code is not read this time", unstarted[0])
    for slot, pool, f in futures:
        if isinstance(f, BaseException):
            out.append(f)
            broken[slot] = pool
            continue
        try:
            out.append(f.result())
        except BrokenProcessPool as exc:
            log.warning("a worker reading the code stopped abruptly: its files are not read this time")
            out.append(exc)
            broken[slot] = pool
        except Exception as exc:  # noqa: BLE001 — the job's own failure, for the caller to weigh
            out.append(exc)
    for slot, pool in broken.items():
        _discard(slot, pool)
    return out


def _ready() -> None:
    """Nothing: the job that starts a worker."""


def warm() -> None:
    """Start the workers now, in the background (the fork server, then one process per slot):
    they come up while git reads the first batch, instead of after it. Starting them costs a few
    tenths of a second, most of what the stage adds to a day's report."""

    def start() -> None:
        for slot in range(count()):
            try:
                _executor(slot).submit(_ready)
            except (BrokenProcessPool, RuntimeError, OSError):
                return  # shut down meanwhile, or no process could start: the first batch tries again

    threading.Thread(target=start, name="semantic-workers", daemon=True).start()


def shutdown() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown)
