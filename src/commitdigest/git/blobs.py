"""Blob contents by id, many in one ``git cat-file --batch`` process.

The semantic stage needs both sides of each changed source file. Asking git once per blob would
cost a process each (thousands in a long period); one ``--batch`` process per batch of commits
streams them all. Contents arrive in the order asked and are handed on one at a time, so memory
holds one blob (and the caller's current pair), not the batch. A blob over ``limit`` bytes is
read past, never kept; a missing one (a partial clone's blob that is not here) is ``None`` —
``--batch`` never fetches it, since the commits read here are those whose diff git already read.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

from commitdigest.git import runner


class BlobTooLarge:
    """Stands for a blob over the size limit: its size, not its bytes."""

    __slots__ = ("size",)

    def __init__(self, size: int):
        self.size = size


#: blobs read ahead of the consumer: git inflates the next ones while the caller parses
_AHEAD = 32
_END = object()


def read_blobs(path: Path, ids: Iterable[str], limit: int,
               timeout: float = runner.DEFAULT_TIMEOUT) -> Generator[tuple[str, bytes | BlobTooLarge | None]]:
    """(id, content) for each id, in the order given: the bytes, ``BlobTooLarge`` past ``limit``,
    or ``None`` when git has no such blob. Raises ``runner.StreamError`` when git fails.

    A thread reads ahead (at most ``_AHEAD`` blobs, so at most that many are held), so git
    works on the next blobs on the other core while the caller works on this one."""
    wanted = list(ids)
    if not wanted:
        return
    payload = ("\n".join(wanted) + "\n").encode()
    ahead: queue.Queue[object] = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            # %(objecttype) and %(objectsize) tell blob from anything else; the id itself is
            # echoed so each answer is matched to its question, whatever the content held.
            with runner.stream(path, ["cat-file", "--batch=%(objectname) %(objecttype) %(objectsize)"],
                               input=payload, timeout=timeout, drain=False) as chunks:
                for item in _parse(chunks, wanted, limit):
                    if not put(item):
                        return
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, raised there
            put(exc)
        finally:
            put(_END)

    reader = threading.Thread(target=work, name="cat-file", daemon=True)
    reader.start()
    got = 0
    try:
        while True:
            item = ahead.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            got += 1
            yield item  # type: ignore[misc]
        if got < len(wanted):
            raise runner.StreamError("git cat-file stopped before every blob asked for was read")
    finally:
        stop.set()
        reader.join(timeout=5)


def _parse(chunks: Iterable[bytes], wanted: list[str], limit: int) -> Iterator[tuple[str, bytes | BlobTooLarge | None]]:
    buf = bytearray()
    it = iter(chunks)
    done = False

    def more() -> bool:
        nonlocal done
        if done:
            return False
        try:
            buf.extend(next(it))
            return True
        except StopIteration:
            done = True
            return False

    for asked in wanted:
        while (nl := buf.find(b"\n")) < 0:
            if not more():
                return
        header = bytes(buf[:nl]).decode("ascii", "replace").split(" ")
        del buf[:nl + 1]
        if len(header) == 2 and header[1] == "missing" or len(header) != 3 or not header[2].isdigit():
            yield asked, None
            continue
        size = int(header[2])
        need = size + 1  # the content and its trailing newline
        if size > limit:
            while need > 0:
                if not buf and not more():
                    return
                take = min(need, len(buf))
                del buf[:take]
                need -= take
            yield asked, BlobTooLarge(size)
            continue
        while len(buf) < need:
            if not more():
                return
        content = bytes(buf[:size])
        del buf[:need]
        yield asked, (content if header[1] == "blob" else None)
