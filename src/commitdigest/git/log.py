"""A time window of a branch → ``Commit`` records, in two git processes when nothing is broken
(``commits_in_window``), or in 1 + ⌈n / size⌉ when read in batches (``commits_in_batches``) so
that a long period never holds more than one batch of patch text.

1. ``git log --first-parent`` lists the candidate commits with their metadata (sha, parents,
   author, both timestamps, message; no diffs), newest first, and is stopped once the walk is
   well past the window. The exact window is applied in Python on instants, by committer or
   author date.
2. One ``git log --no-walk --stdin`` over the selected commits (or one per batch) prints, per commit, the sha,
   ``--raw`` (status, modes, blob ids, renames), ``--numstat`` (line counts, binary flag) — both
   ``-z`` so any byte in a path survives — and the patch, diffed against the first parent for
   merges. The output is parsed as a stream; each file keeps at most ``PatchLimits`` of its patch.

Repository content is hostile input. A text file may hold any bytes after its first 8 KB (git
judges "binary" from those alone), so nothing in a patch may be able to pass for structure:
records and fields are cut on markers holding a random token drawn per run
(``secrets.token_hex``) that no file or message can contain, the metadata comes from a stream
that carries no file content at all, and each patch section must carry the sha that was asked
for, in order. Every number is parsed defensively: what git prints that does not parse flags
that one commit (``read_error``), it never ends the run.

When git stops part-way through the patch stream (a partial clone that cannot fetch one blob:
"fatal: could not fetch …"), the commits already printed are kept, the unreadable one gets its
file list from trees alone, and the stream resumes after it — one broken object costs a couple
of processes, not one process per commit for the rest of the window.

Commits at the boundary of a shallow clone have their parents cut away: git would diff them
against the empty tree and show the whole tree as added. They are flagged, not diffed.
"""

from __future__ import annotations

import queue
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from commitdigest.errors import GitError
from commitdigest.git import runner
from commitdigest.git.repo import Repo
from commitdigest.models import Commit, FileChange, Window

_DIFF_ARGS = ["--diff-merges=first-parent", "-M", "--raw", "--no-abbrev", "--numstat", "-z", "-p",
              "--no-color", "--no-ext-diff", "--no-textconv", "--submodule=short"]
# Line counts without the patch: what a previous period's totals need, at a fraction of the cost.
_COUNT_ARGS = [a for a in _DIFF_ARGS if a != "-p"]
# Trees only: no rename detection and no line counts, so no blob is ever opened.
_TREE_ARGS = ["--diff-merges=first-parent", "--raw", "--no-renames", "--no-abbrev", "-z",
              "--no-color", "--no-ext-diff"]

# Committer dates along a branch are nearly monotonic; the slack absorbs clock skew between
# committers so git's date-limited walk does not stop before the window's oldest commit.
_SLACK = timedelta(days=2)

# git stores any unsigned number as a timestamp (year 10000, 2^64 - 1, more digits still) and
# prints nothing for one it cannot parse (negative, garbage). Python's datetime ends at year
# 9999; one day of margin keeps the clamped instant convertible into every time zone.
_MAX_TS = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEX_ID = re.compile(rb"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")

SHALLOW_NOTE = ("shallow clone: history is cut at this commit; its parent is not in the clone, "
                "so its changes cannot be shown")
# A partial clone of the user's lacks file versions; git would fetch them from the clone's remote,
# running what its config says. commitdigest fetches only into its own mirrors.
PARTIAL_NOTE = ("partial clone: file versions this commit needs are not in the clone, and commitdigest "
                "never fetches into a repository it does not own; fetch them there (git show {sha}) "
                "or report on the remote's URL")


@dataclass(frozen=True)
class PatchLimits:
    """How much patch text is kept, per file and per commit (bounds memory on huge commits)."""

    per_file: int = 64 * 1024
    per_commit: int = 2 * 1024 * 1024


#: no patch text at all: git is not asked for it (``--numstat`` without ``-p``)
COUNTS_ONLY = PatchLimits(per_file=0, per_commit=0)


@dataclass(frozen=True)
class _Marks:
    """Record and field separators for one run. The token is random, so no content can hold it."""

    token: str

    @property
    def rec(self) -> bytes:
        return f"\x1e{self.token}\x1e".encode()

    @property
    def sep(self) -> bytes:
        return f"\x1f{self.token}\x1f".encode()

    @property
    def meta_format(self) -> str:
        s = f"%x1f{self.token}%x1f"
        # %an/%ae, not %aN/%aE: authors as the commit records them, no .mailmap (README "Odd commits")
        return f"--format=%x1e{self.token}%x1e%H{s}%P{s}%an{s}%ae{s}%at{s}%ct{s}%B"

    @property
    def patch_format(self) -> str:
        return f"--format=%x1e{self.token}%x1e%H"


def _new_marks() -> _Marks:
    return _Marks(secrets.token_hex(16))


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _timestamp(raw: bytes) -> int:
    """Seconds since the epoch as git printed them, clamped to what a datetime can hold."""
    s = raw.strip()
    if not s.isdigit():
        return 0  # git prints nothing for a date it cannot read; it shows such dates as 1970
    if len(s) > 15:  # past year 9999 whatever the digits (and int() refuses 4,300+ digits)
        return _MAX_TS
    return min(int(s), _MAX_TS)


def _instant(ts: int) -> datetime:
    return _EPOCH + timedelta(seconds=ts)


def _is_sha(b: bytes) -> bool:
    return len(b) in (40, 64) and _HEX_ID.fullmatch(b) is not None


# ------------------------------------------------------------------- pass 1: the metadata


@dataclass
class _Meta:
    sha: str
    parents: list[str]
    author: str
    email: str
    at: int
    ct: int
    message: str
    problem: str | None = None

    def commit(self, files: list[FileChange], read_error: str | None = None,
               counts_known: bool = True) -> Commit:
        subject, _, body = self.message.strip("\n").partition("\n")
        return Commit(sha=self.sha, parents=self.parents, author=self.author, author_email=self.email,
                      author_time=_instant(self.at), committer_time=_instant(self.ct),
                      subject=subject.strip(), body=body.strip("\n"), files=files,
                      read_error=read_error or self.problem, counts_known=counts_known)


def _meta(rec: bytes, marks: _Marks) -> _Meta | None:
    """One record of ``marks.meta_format``; one that does not parse is kept with a ``problem``."""
    fields = rec.split(marks.sep)
    sha = fields[0].strip()
    if not _is_sha(sha):
        return None  # nothing to name the commit by: not a record git printed for us
    if len(fields) != 7:
        return _Meta(_dec(sha), [], "", "", 0, 0, "", problem="git printed a commit header that could not be read")
    _, parents, name, email, at, ct, message = fields
    return _Meta(sha=_dec(sha), parents=[_dec(p) for p in parents.split() if _is_sha(p)],
                 author=_dec(name), email=_dec(email), at=_timestamp(at), ct=_timestamp(ct),
                 message=_dec(message.rstrip(b"\n")))


def _records(chunks: Iterable[bytes], marks: _Marks) -> Iterator[bytes]:
    parts: list[bytes] | None = None
    for piece in _split_records(chunks, marks.rec):
        if piece is None:
            if parts is not None:
                yield b"".join(parts)
            parts = []
        elif parts is not None:
            parts.append(piece)
    if parts is not None:
        yield b"".join(parts)


def _meta_records(chunks: Iterable[bytes], marks: _Marks) -> Iterator[_Meta]:
    for rec in _records(chunks, marks):
        if (m := _meta(rec, marks)) is not None:
            yield m


# git's own --since stops the walk at the first commit older than the bound, so one commit with
# a wrong clock (or a date forged to 1970) would hide all the history beneath it. The walk here
# stops only after this many consecutive first-parent commits older than the window.
_OLD_RUN = 64


def _list_window(repo: Repo, window: Window, date_field: str, marks: _Marks,
                 timeout: float, now: datetime | None = None) -> tuple[list[_Meta], list[str]]:
    """(the window's commits and, when ``now`` is given, those dated after it; the ids of the others
    dated after the window). No ``--until``: git would not print a commit dated after the window, and one dated
    after the run (2100, year 10000) is shown on the day it was first seen (pipeline.py), which a
    window of an earlier day may hold. Only the commits kept are decoded."""
    args = ["log", "--first-parent", marks.meta_format, "--end-of-options", repo.rev]
    # Author dates precede committer dates, so "author date in window" implies "committer date
    # after the window's start": walking by committer date is safe for both modes.
    oldest = (window.start - _SLACK).timestamp()
    lo, hi = window.start.timestamp(), window.end.timestamp()
    after = now.timestamp() if now is not None else float("inf")
    picked: list[_Meta] = []
    later: list[str] = []
    old_run = 0
    with runner.stream(repo.read_dir, args, timeout=timeout, drain=False) as chunks:
        for rec in _records(chunks, marks):
            fields = rec.split(marks.sep, 6)
            at, ct = (_timestamp(fields[4]), _timestamp(fields[5])) if len(fields) == 7 else (0, 0)
            old_run = old_run + 1 if ct < oldest else 0
            if old_run >= _OLD_RUN:
                break
            when = ct if date_field == "committer" else at
            if lo <= when < hi or when > after:
                if (m := _meta(rec, marks)) is not None:
                    picked.append(m)
            elif when >= hi and _is_sha(sha := fields[0].strip()):
                later.append(_dec(sha))
    # Newest first by the chosen date; git's order (topological along first parents) breaks ties.
    order = {m.sha: i for i, m in enumerate(picked)}
    picked.sort(key=lambda m: (-(m.ct if date_field == "committer" else m.at), order[m.sha]))
    return picked, later


# -------------------------------------------------------------- pass 2: files and patches

_HEAD, _STAT, _PATCH, _SKIP = range(4)


class _Section:
    """One commit's part of the patch stream, fed incrementally: sha NUL, raw and numstat
    tokens (NUL-terminated), an empty token, then patch lines up to the next record marker."""

    def __init__(self, limits: PatchLimits):
        self.limits = limits
        self.state = _HEAD
        self.buf = b""
        self.sha = ""
        self.problem: str | None = None
        self.raw: list[tuple[str, str, str | None, bool]] = []  # status, path, old path, submodule
        self.ids: list[tuple[str | None, str | None]] = []  # each raw entry's old and new blob id
        self.counts: list[tuple[int, int, bool]] = []
        self.blobs: set[bytes] = set()  # blob ids this commit's diff reads
        # A raw entry's (status letter, submodule, old id, new id) while its paths are still to
        # come; None while a numstat rename's paths are read only to be skipped.
        self._pending: tuple[str, bool, str | None, str | None] | None = None
        self._paths: list[str] = []
        self._need = 0  # paths still to read for the entry
        # [header, lines, size, clipped] per file: lists mutated in place, the hot loop's cheapest shape
        self.sections: list[list[Any]] = []
        self.kept = 0

    # -- input

    def feed(self, data: bytes) -> None:
        if self.state == _SKIP:
            return
        buf = self.buf + data if self.buf else data
        self.buf = b""
        if self.state == _HEAD:
            nul = buf.find(b"\x00")
            if nul < 0:
                self.buf = buf
                return
            self.sha = _dec(buf[:nul].strip())
            self.state = _STAT
            buf = buf[nul + 1:]
        if self.state == _STAT:
            buf = self._stat(buf)
            if self.state == _STAT:
                self.buf = buf
                return
        if self.state == _PATCH:
            end = buf.rfind(b"\n") + 1
            if end:
                self.add_block(buf[:end - 1])
            self.buf = buf[end:]

    def finish(self) -> None:
        if self.state == _STAT and self.buf:
            self._stat(self.buf + b"\x00")
        elif self.state == _PATCH and self.buf:
            self.add_block(self.buf)
        self.buf = b""
        # One bytes object per file, not one per line: a long period's stream holds millions of lines.
        for sec in self.sections:
            sec[1] = [b"\n".join(sec[1])]

    def _fail(self, what: str) -> None:
        self.problem = self.problem or f"git printed {what} for this commit"
        self.state = _SKIP

    def _stat(self, buf: bytes) -> bytes:
        """Consume complete NUL-terminated tokens; return what is left (an incomplete token, or
        the start of the patch when the stat part has ended)."""
        pos = 0
        while True:
            nul = buf.find(b"\x00", pos)
            if nul < 0:
                return buf[pos:]
            tok, pos = buf[pos:nul], nul + 1
            if self._need:
                self._paths.append(_dec(tok))
                self._need -= 1
                if not self._need:
                    self._close_entry()
                continue
            tok = tok.lstrip(b"\n")
            if not tok:  # the empty token: raw and numstat are done, the patch follows
                self.state = _PATCH
                return buf[pos:]
            if tok.startswith(b":"):
                self._raw_token(tok)
            elif b"\t" in tok:
                self._numstat_token(tok)
            else:
                self._fail("an unexpected file entry")
            if self.state == _SKIP:
                return b""

    def _raw_token(self, tok: bytes) -> None:
        parts = tok[1:].split(b" ")
        if len(parts) != 5 or not parts[4][:1].isalpha():
            self._fail("an unreadable file status")
            return
        old_mode, new_mode, old_id, new_id, status = parts
        self.blobs.update(b for b in (old_id, new_id) if _is_sha(b) and b.strip(b"0"))
        letter = _dec(status[:1])
        # The all-zero id stands for "no such side" (an added file's old blob).
        old_blob, new_blob = (_dec(b) if _is_sha(b) and b.strip(b"0") else None for b in (old_id, new_id))
        self._pending, self._paths = (letter, b"160000" in (old_mode, new_mode), old_blob, new_blob), []
        self._need = 2 if letter in ("R", "C") else 1

    def _numstat_token(self, tok: bytes) -> None:
        ins, _, rest = tok.partition(b"\t")
        dels, tab, path = rest.partition(b"\t")
        binary = ins == b"-" and dels == b"-"
        if not tab or not (binary or (ins.isdigit() and dels.isdigit())):
            self._fail("unreadable line counts")
            return
        self.counts.append((0, 0, True) if binary else (int(ins), int(dels), False))
        if not path:  # a rename: "ins TAB dels TAB" NUL old NUL new
            self._pending, self._paths, self._need = None, [], 2

    def _close_entry(self) -> None:
        pending, paths = self._pending, self._paths
        self._pending, self._paths = None, []
        if pending is not None:
            letter, submodule, old_blob, new_blob = pending
            old, new = (paths[0], paths[1]) if len(paths) == 2 else (None, paths[0])
            self.raw.append((letter, new, old, submodule))
            self.ids.append((old_blob, new_blob))

    def add_block(self, block: bytes) -> None:
        """Whole patch lines, in order, as one block (without its last newline). Cut at the
        file headers, each file's text is kept a block at a time: per line this is the hot loop
        of a report (millions of lines a year), per block it costs a few ``find`` calls. What is
        kept is what keeping line by line would keep: a file's lines until the next one would
        pass ``per_file`` (or the commit's ``per_commit``); the rest of that file is dropped, its
        counts stay exact."""
        sections, per_file, per_commit = self.sections, self.limits.per_file, self.limits.per_commit
        starts = [0] if block.startswith(b"diff --git ") else []
        at = block.find(b"\ndiff --git ")
        while at >= 0:
            starts.append(at + 1)
            at = block.find(b"\ndiff --git ", at + 1)
        kept = self.kept
        pos = 0
        for start in [*starts, len(block) + 1]:
            if start > pos:  # the lines before this header belong to the file before it
                kept = self._keep(sections[-1] if sections else None, block[pos:start - 1], kept, per_file, per_commit)
            if start > len(block):
                break
            end = block.find(b"\n", start)
            end = len(block) if end < 0 else end
            sections.append([block[start:end], [], 0, False])
            pos = end + 1
        self.kept = kept

    @staticmethod
    def _keep(cur: list[Any] | None, text: bytes, kept: int, per_file: int, per_commit: int) -> int:
        """``text`` (whole lines) added to the file ``cur`` within the limits; the commit's new total."""
        if cur is None or cur[3]:
            return kept
        size = len(text) + 1  # each line counts its newline
        room = min(per_file - cur[2], per_commit - kept)
        if size > room:
            cut = text.rfind(b"\n", 0, max(room, 0))  # the longest run of whole lines that fits
            cur[3] = True  # clipped: the rest of this file's patch is dropped, counts stay exact
            if cut < 0:
                return kept
            text, size = text[:cut], cut + 1
        cur[1].append(text)
        cur[2] += size
        return kept + size

    # -- output

    def files(self) -> list[FileChange]:
        files = []
        for n, (status, path, old, submodule) in enumerate(self.raw):
            ins, dels, binary = self.counts[n] if n < len(self.counts) else (0, 0, False)
            old_blob, new_blob = self.ids[n]
            files.append(FileChange(path=path, old_path=old, status=status, insertions=ins,
                                    deletions=dels, binary=binary, submodule=submodule,
                                    old_blob=old_blob, new_blob=new_blob))
        # Patch sections follow the raw entries' order. A type change (file → symlink) is one raw
        # entry but two patch sections; then sections are matched by path instead.
        pairs: Iterable[tuple[FileChange, list[Any]]]
        if len(self.sections) == len(files):
            pairs = zip(files, self.sections, strict=True)
        else:
            by_path: dict[str, list[Any]] = {}
            for sec in self.sections:
                p = _section_path(sec[0])
                if p is not None:
                    by_path.setdefault(p, sec)
            pairs = ((f, by_path[f.path]) for f in files if f.path in by_path)
        for f, (_, lines, _, clipped) in pairs:
            f.patch = _dec(b"\n".join(lines))
            f.patch_clipped = clipped
        return files


def _section_path(header: bytes) -> str | None:
    """The path of ``diff --git a/P b/P`` when both sides are the same unquoted path."""
    rest = header[len(b"diff --git "):]
    if rest.startswith(b'"'):
        return None
    n = (len(rest) - 5) // 2
    if n > 0 and rest[:2] == b"a/" and rest[2 + n:5 + n] == b" b/" and rest[2:2 + n] == rest[5 + n:]:
        return _dec(rest[2:2 + n])
    return None


def _split_records(chunks: Iterable[bytes], mark: bytes) -> Iterator[bytes | None]:
    """The stream as data pieces, with ``None`` where a record marker stood. A marker split
    across two chunks is still found: the tail that could start one is held back."""
    keep = len(mark) - 1
    buf = b""
    for chunk in chunks:
        buf = buf + chunk if buf else chunk
        pos = 0
        while (i := buf.find(mark, pos)) >= 0:
            if i > pos:
                yield buf[pos:i]
            yield None
            pos = i + len(mark)
        cut = max(pos, len(buf) - keep)
        if cut > pos:
            yield buf[pos:cut]
        buf = buf[cut:]
    if buf:
        yield buf


def parse_sections(chunks: Iterable[bytes], marks: _Marks, limits: PatchLimits,
                   on_done: Callable[[_Section], None] | None = None) -> list[_Section]:
    """Every section of a patch stream, in order. Bytes before the first marker are not ours.
    ``on_done`` is given each section as soon as the next one begins (the last one, which git
    may not have finished, is never given)."""
    out: list[_Section] = []
    cur: _Section | None = None
    for piece in _split_records(chunks, marks.rec):
        if piece is None:
            if cur is not None:
                cur.finish()
                if on_done is not None:
                    on_done(cur)
            cur = _Section(limits)
            out.append(cur)
        elif cur is not None:
            cur.feed(piece)
    if cur is not None:
        cur.finish()
    return out


@dataclass
class _Outcome:
    """What one pass over the patch stream gave: complete sections in the order asked, and why
    git stopped early (``None`` when it did not)."""

    sections: list[_Section] = field(default_factory=list)
    failure: runner.StreamError | None = None


def _stream(repo: Repo, shas: list[str], marks: _Marks, limits: PatchLimits, args: list[str],
            timeout: float, on_done: Callable[[_Section], None] | None = None) -> _Outcome:
    argv = ["log", "--no-walk=unsorted", "--stdin", marks.patch_format, *args]
    stdin = ("\n".join(shas) + "\n").encode()
    outcome = _Outcome()
    sections: list[_Section] = []
    try:
        with runner.stream(repo.read_dir, argv, input=stdin, timeout=timeout) as chunks:
            sections = parse_sections(chunks, marks, limits, on_done)
    except runner.StreamError as exc:
        outcome.failure = exc
    # Each section must be the commit asked for next; anything else ends what is trusted.
    for sec, sha in zip(sections, shas, strict=False):  # fewer sections when git stopped early
        if sec.sha != sha:
            break
        outcome.sections.append(sec)
    if outcome.failure is None and len(outcome.sections) < len(sections):
        outcome.failure = runner.StreamError("git printed a diff for a commit it was not asked for")
    return outcome


def _culprit(outcome: _Outcome) -> tuple[list[_Section], bool]:
    """(sections to keep, whether the object git could not read is known to be the next commit's).

    git names the object it could not read. When it belongs to the last section printed, that
    section is the broken commit (git died inside its diff); otherwise every printed section is
    whole and the broken commit is the next one (git died before printing its sha — a partial
    clone fetches a commit's blobs before printing anything of it).
    """
    named = set(_HEX_ID.findall(outcome.failure.stderr)) if outcome.failure else set()
    done = outcome.sections
    if named and done and done[-1].blobs & named:
        return done[:-1], True
    if named:
        return done, True
    return done[:-1], False  # git did not say what broke: the last section is suspect


def _early(pending: list[str], by_sha: dict[str, _Meta], done: dict[str, Commit],
           emit: Callable[[Commit], None]) -> Callable[[_Section], None]:
    """A ``parse_sections`` hook that hands each commit over while git is still printing the
    ones after it. A section goes once the section after it has begun with the sha asked for
    next: whatever happens later in the stream, the rules below keep it (they may doubt only
    the last section printed, and nothing past a section git was not asked for)."""
    expected = iter(pending)
    held: list[_Section] = []
    trusted = [True]

    def on_done(sec: _Section) -> None:
        if not trusted[0]:
            return
        if sec.sha != next(expected, None):
            trusted[0] = False
            return
        if held:
            prev = held.pop()
            done[prev.sha] = commit = _from_section(by_sha[prev.sha], prev)
            emit(commit)
        held.append(sec)

    return on_done


def _read_files(repo: Repo, metas: list[_Meta], limits: PatchLimits, marks: _Marks,
                timeout: float, emit: Callable[[Commit], None] | None = None) -> dict[str, Commit]:
    """Files and patches of ``metas``: one stream, resumed after each commit git cannot read.
    ``emit`` is given commits of the first stream in order while it still runs (see ``_early``)."""
    done: dict[str, Commit] = {}
    by_sha = {m.sha: m for m in metas}
    pending = [m.sha for m in metas]
    args = _COUNT_ARGS if limits == COUNTS_ONLY else _DIFF_ARGS
    hook = _early(pending, by_sha, done, emit) if emit is not None else None
    while pending:
        outcome = _stream(repo, pending, marks, limits, args, timeout, hook)
        hook = None  # a resumed stream hands nothing over early: its commits come at the end
        if outcome.failure is None:
            for sec in outcome.sections:
                if sec.sha not in done:
                    done[sec.sha] = _from_section(by_sha[sec.sha], sec)
            pending = pending[len(outcome.sections):]
            if pending:  # git succeeded but printed nothing for these: say so, once each
                done.update(_degraded(repo, [by_sha[s] for s in pending], marks,
                                      "git printed no diff for this commit", timeout))
            break
        if outcome.failure.timed_out:
            # A slow git stays slow: the rest of the window gets its file lists, not retries.
            keep = outcome.sections[:-1]
            for sec in keep:
                if sec.sha not in done:
                    done[sec.sha] = _from_section(by_sha[sec.sha], sec)
            rest = [by_sha[s] for s in pending[len(keep):]]
            done.update(_degraded(repo, rest, marks, outcome.failure.message, timeout))
            break
        keep, known = _culprit(outcome)
        for sec in keep:
            if sec.sha not in done:
                done[sec.sha] = _from_section(by_sha[sec.sha], sec)
        pending = pending[len(keep):]
        if not pending:
            break
        suspect, reason = pending[0], _reason(outcome.failure)
        if not known:
            # git did not name what it could not read: read the suspect alone to find out.
            alone = _stream(repo, [suspect], marks, limits, args, timeout)
            if alone.failure is None and alone.sections:
                done[suspect] = _from_section(by_sha[suspect], alone.sections[0])
                pending = pending[1:]
                continue
            if alone.failure is not None:
                reason = _reason(alone.failure)
        done.update(_degraded(repo, [by_sha[suspect]], marks, reason, timeout))
        pending = pending[1:]
    return done


def _reason(failure: runner.StreamError) -> str:
    return runner.first_line(failure.stderr) if failure.stderr.strip() else failure.message


def _from_section(meta: _Meta, sec: _Section) -> Commit:
    files, sec.sections = sec.files(), []  # the patch bytes go as soon as they are text
    return meta.commit(files, read_error=sec.problem, counts_known=sec.problem is None)


def _degraded(repo: Repo, metas: list[_Meta], marks: _Marks, reason: str,
              timeout: float) -> dict[str, Commit]:
    """Commits whose blobs git cannot read: their file lists from trees alone (one process for
    all of them), no counts, no patch, and the reason."""
    outcome = _stream(repo, [m.sha for m in metas], marks, PatchLimits(), _TREE_ARGS, timeout)
    trees = {sec.sha: sec for sec in outcome.sections}
    out = {}
    for m in metas:
        sec = trees.get(m.sha)
        files = sec.files() if sec is not None and sec.problem is None else []
        why = reason or "diff could not be read"
        if repo.partial:
            why = f"{PARTIAL_NOTE.format(sha=m.sha[:12])} ({why})"
        out[m.sha] = m.commit(files, read_error=why, counts_known=False)
    return out


def _assemble(repo: Repo, metas: list[_Meta], limits: PatchLimits, marks: _Marks,
              timeout: float, emit: Callable[[Commit], None] | None = None) -> list[Commit]:
    """The commits of ``metas``, in order. With ``emit``, a first part of them is also handed
    over, in order, while git still prints the rest: exactly the first ones of the list returned,
    the same objects."""
    # The boundary of a shallow clone has no parent here: its "diff" would be its whole tree.
    cut = {m.sha for m in metas if m.sha in repo.shallow}
    readable = [m for m in metas if m.sha not in cut and m.problem is None]
    made: dict[str, Commit] = {}

    def unread(m: _Meta) -> Commit:
        if m.sha not in made:
            made[m.sha] = (m.commit([], read_error=SHALLOW_NOTE, counts_known=False) if m.sha in cut
                           else m.commit([], counts_known=False))
        return made[m.sha]

    order = iter(metas)

    def in_order(commit: Commit) -> None:
        # the commits git does not print (cut, unreadable header) go out in their place
        assert emit is not None
        for m in order:
            if m.sha == commit.sha:
                emit(commit)
                return
            emit(unread(m))

    done = _read_files(repo, readable, limits, marks, timeout, in_order if emit else None) if readable else {}
    return [done[m.sha] if m.sha not in cut and m.sha in done else unread(m) for m in metas]


def read_commits(repo: Repo, shas: list[str], limits: PatchLimits | None = None,
                 timeout: float = runner.DEFAULT_TIMEOUT) -> list[Commit]:
    """Facts and patches of ``shas`` (in that order), degrading per commit."""
    if not shas:
        return []
    unique = list(dict.fromkeys(shas))  # git prints a commit named twice once
    marks = _new_marks()
    out = runner.run(repo.read_dir, ["log", "--no-walk=unsorted", "--stdin", marks.meta_format],
                     input=("\n".join(unique) + "\n").encode(), timeout=timeout).stdout
    metas = {m.sha: m for m in _meta_records([out], marks)}
    missing = [s for s in unique if s not in metas]
    if missing:
        raise GitError(f"git printed no header for commit {missing[0]} in {repo.path}")
    commits = _assemble(repo, [metas[s] for s in unique], limits or PatchLimits(), marks, timeout)
    by_sha = {c.sha: c for c in commits}
    return [by_sha[s] for s in shas]


#: commits read per batch by :func:`commits_in_batches`: a batch's patch text is what is alive at
#: once (~1,000 ordinary commits are a few MB), and each batch costs one git process
BATCH = 1000
#: commits a batch is handed over in while git still prints the rest of it (``read_batches``)
PART = 100


@dataclass
class Listing:
    """A window's commits as pass 1 found them (metadata only, newest first), to be read in
    batches by :func:`read_batches`."""

    repo: Repo
    metas: list[_Meta]
    marks: _Marks
    date_field: str
    #: the other commits dated after the window (ids only): one of them may have been first seen
    #: on a day of the window (:meth:`with_commits` adds those)
    later: list[str] = field(default_factory=list)
    #: the instant of the run, when commits dated after it were listed too
    now: datetime | None = None

    def __len__(self) -> int:
        return len(self.metas)

    def when(self) -> list[datetime]:
        """Each commit's instant by the listing's date field, in order."""
        return [_instant(m.ct if self.date_field == "committer" else m.at) for m in self.metas]

    def future(self) -> list[str]:
        """The commits dated after the run."""
        if self.now is None:
            return []
        after = self.now.timestamp()
        return [m.sha for m in self.metas if (m.ct if self.date_field == "committer" else m.at) > after]

    def only(self, keep: list[bool]) -> Listing:
        """The commits whose flag is set (one flag per commit, in order): those left out are never
        read, their patches never printed."""
        return Listing(self.repo, [m for m, k in zip(self.metas, keep, strict=True) if k], self.marks,
                       self.date_field, self.later, self.now)

    def with_commits(self, shas: list[str], timeout: float = runner.DEFAULT_TIMEOUT) -> Listing:
        """The listing and the commits ``shas`` (of its ``later`` ones), read in one git process,
        in the order of their dates."""
        known = {m.sha for m in self.metas}
        wanted = [s for s in dict.fromkeys(shas) if s not in known]
        if not wanted:
            return self
        out = runner.run(self.repo.read_dir, ["log", "--no-walk=unsorted", "--stdin", self.marks.meta_format],
                         input=("\n".join(wanted) + "\n").encode(), timeout=timeout).stdout
        metas = [*self.metas, *(m for m in _meta_records([out], self.marks) if m.sha in wanted)]
        order = {m.sha: i for i, m in enumerate(metas)}
        metas.sort(key=lambda m: (-(m.ct if self.date_field == "committer" else m.at), order[m.sha]))
        return Listing(self.repo, metas, self.marks, self.date_field, self.later, self.now)


def list_window(repo: Repo, window: Window, date_field: str = "committer",
                timeout: float = runner.DEFAULT_TIMEOUT, now: datetime | None = None) -> Listing:
    """Pass 1 alone: the window's commits (and, given ``now``, those dated after it), one git
    process, no file content."""
    marks = _new_marks()
    metas, later = _list_window(repo, window, date_field, marks, timeout, now)
    return Listing(repo, metas, marks, date_field, later, now)


def read_batches(listing: Listing, limits: PatchLimits | None = None, timeout: float = runner.DEFAULT_TIMEOUT,
                 size: int = BATCH, part: int | None = None) -> Iterator[list[Commit]]:
    """Pass 2 in batches of ``size`` commits, in the listing's order: one git process per batch
    when nothing is broken. Only the batch being read holds patch text from here, so a long
    period costs one batch of patches at a time, not the whole period's.

    With ``part``, a batch larger than that is handed over ``part`` commits at a time while git
    goes on printing the rest of it: the caller analyses the first commits of a batch while git
    computes the diffs of the next (git on one core, this process on another), instead of each
    waiting for the other. The next batch's git process still starts only once the caller has
    taken the whole of this one."""
    for start in range(0, len(listing.metas), max(size, 1)):
        metas = listing.metas[start:start + size]
        if part is None or len(metas) <= part:
            yield _assemble(listing.repo, metas, limits or PatchLimits(), listing.marks, timeout)
        else:
            yield from _in_parts(listing, metas, limits or PatchLimits(), timeout, part)


_END = object()


def _in_parts(listing: Listing, metas: list[_Meta], limits: PatchLimits, timeout: float,
              part: int) -> Iterator[list[Commit]]:
    """One batch read on a thread of its own, handed over ``part`` commits at a time as git
    prints them; the commits git gives at the end (after a stream it had to resume) follow, in
    the batch's order. The thread only runs git and parses its output: analysis, the cache and
    everything else stay on the caller's thread."""
    handed: queue.SimpleQueue[Any] = queue.SimpleQueue()
    box: dict[str, Any] = {}

    def read() -> None:
        try:
            box["commits"] = _assemble(listing.repo, metas, limits, listing.marks, timeout, emit=handed.put)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            box["error"] = exc
        finally:
            handed.put(_END)

    reader = threading.Thread(target=read, name="commitdigest-git-read", daemon=True)
    reader.start()
    ready: list[Commit] = []
    early = 0
    while (item := handed.get()) is not _END:
        ready.append(item)
        early += 1
        if len(ready) >= part:
            yield ready
            ready = []
    reader.join()
    if "error" in box:
        raise box["error"]
    ready += box["commits"][early:]
    for start in range(0, len(ready), part):
        yield ready[start:start + part]


def commits_in_batches(repo: Repo, window: Window, date_field: str = "committer",
                       limits: PatchLimits | None = None, timeout: float = runner.DEFAULT_TIMEOUT,
                       size: int = BATCH) -> Iterator[list[Commit]]:
    """The window's commits in batches of ``size``, newest first: 1 + ⌈n / size⌉ git processes
    (one listing, one read per batch) when nothing is broken."""
    yield from read_batches(list_window(repo, window, date_field, timeout), limits, timeout, size)


def commits_in_window(repo: Repo, window: Window, date_field: str = "committer",
                      limits: PatchLimits | None = None,
                      timeout: float = runner.DEFAULT_TIMEOUT) -> list[Commit]:
    """The window's commits all at once (two git processes): for the callers that keep them all
    anyway, such as a previous period's counts."""
    listing = list_window(repo, window, date_field, timeout)
    return next(read_batches(listing, limits, timeout, size=len(listing)), []) if listing else []
