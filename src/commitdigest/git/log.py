"""A time window of a branch → ``Commit`` records, with two git processes in all.

1. ``git log --first-parent`` lists the candidate commits with their two timestamps (cheap: no
   diffs); the exact window is then applied in Python on instants, by committer or author date.
2. One ``git log --no-walk --stdin`` over the selected commits prints, per commit, the header,
   ``--raw`` (status, modes, renames), ``--numstat`` (line counts, binary flag) — both ``-z`` so
   any byte in a path survives — and the patch, diffed against the first parent for merges.
   The output is parsed as a stream; each file keeps at most ``PatchLimits`` of its patch.

Only when that second process fails (a partial clone missing a blob: "fatal: unable to read …")
does the code fall back to one process per commit, so the commits git *can* read keep their
diffs and the broken one keeps its file list and says what could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from commitdigest.errors import GitError
from commitdigest.git import runner
from commitdigest.git.repo import Repo
from commitdigest.models import Commit, FileChange, Window

# A commit header starts with this. It contains NULs, which git never prints inside a text
# patch (a NUL makes git treat a file as binary), so it cannot be confused with diff content.
_MARK = b"\x00\x00\x1dCOMMITDIGEST\x1d"
_FORMAT = "%x00%x00%x1dCOMMITDIGEST%x1d%H%x00%P%x00%aN%x00%aE%x00%at%x00%ct%x00%B%x00"
_DIFF_ARGS = ["--diff-merges=first-parent", "-M", "--raw", "--numstat", "-z",
              "--no-color", "--no-ext-diff", "--no-textconv", "--submodule=short"]

# Committer dates along a branch are nearly monotonic; the slack absorbs clock skew between
# committers so git's date-limited walk does not stop before the window's oldest commit.
_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class PatchLimits:
    """How much patch text is kept, per file and per commit (bounds memory on huge commits)."""

    per_file: int = 64 * 1024
    per_commit: int = 2 * 1024 * 1024


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _ts(raw: bytes) -> datetime:
    return datetime.fromtimestamp(int(raw), tz=timezone.utc)


# ------------------------------------------------------------------------ pass 1: the window


def select_shas(repo: Repo, window: Window, date_field: str = "committer",
                timeout: float = runner.DEFAULT_TIMEOUT) -> list[str]:
    """First-parent commits of the branch whose chosen date falls in ``window``, newest first."""
    since = (window.start - _SLACK).astimezone(timezone.utc)
    args = ["log", "--first-parent", "--format=%H %ct %at", f"--since={since.isoformat()}"]
    if date_field == "committer":
        until = (window.end + _SLACK).astimezone(timezone.utc)
        args.append(f"--until={until.isoformat()}")
    # Author dates precede committer dates, so "author date in window" implies "committer date
    # after the window's start": the --since bound above is safe for both modes.
    args += ["--end-of-options", repo.rev]
    out = runner.run(repo.path, args, timeout=timeout).stdout
    lo, hi = window.start.timestamp(), window.end.timestamp()
    picked: list[tuple[int, str]] = []
    for line in out.splitlines():
        sha, ct, at = line.split()
        t = int(ct if date_field == "committer" else at)
        if lo <= t < hi:
            picked.append((t, sha.decode()))
    # Newest first by the chosen date; git's order (topological along first parents) breaks ties.
    order = {sha: i for i, (_, sha) in enumerate(picked)}
    picked.sort(key=lambda p: (-p[0], order[p[1]]))
    return [sha for _, sha in picked]


# ------------------------------------------------------------------ pass 2: facts and patches


class _Builder:
    """Accumulates one commit from the stream: header + raw/numstat tokens, then patch lines."""

    def __init__(self, header: bytes, limits: PatchLimits):
        fields = header.split(b"\x00", 6)
        self.sha = _dec(fields[0])
        self.parents = _dec(fields[1]).split()
        self.author = _dec(fields[2])
        self.email = _dec(fields[3])
        self.at = _ts(fields[4])
        self.ct = _ts(fields[5])
        self.message = _dec(fields[6]) if len(fields) > 6 else ""
        self.limits = limits
        self.sections: list[list] = []  # [header, lines, size, clipped], mutated in place
        self.kept = 0
        self.files: list[FileChange] = []

    def parse_meta(self, meta: bytes) -> None:
        tokens = meta.split(b"\x00")
        raw: list[tuple[str, str, str | None, bool]] = []  # status, path, old_path, submodule
        counts: list[tuple[int, int, bool]] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i].lstrip(b"\n")
            if not tok:
                i += 1
                continue
            if tok.startswith(b":"):
                parts = tok[1:].split()
                status = _dec(parts[4][:1]) if len(parts) >= 5 else "M"
                submodule = b"160000" in (parts[0], parts[1]) if len(parts) >= 2 else False
                if status in ("R", "C"):
                    old, new = _dec(tokens[i + 1]), _dec(tokens[i + 2])
                    raw.append((status, new, old, submodule))
                    i += 3
                else:
                    raw.append((status, _dec(tokens[i + 1]), None, submodule))
                    i += 2
                continue
            ins, _, rest = tok.partition(b"\t")
            dels, _, path = rest.partition(b"\t")
            binary = ins == b"-"
            counts.append((0 if binary else int(ins), 0 if binary else int(dels), binary))
            i += 1 if path else 3  # renames: "ins\tdels\t" NUL old NUL new
        for n, (status, path, old, submodule) in enumerate(raw):
            ins, dels, binary = counts[n] if n < len(counts) else (0, 0, False)
            self.files.append(FileChange(path=path, old_path=old, status=status, insertions=ins,
                                         deletions=dels, binary=binary, submodule=submodule))

    def add_lines(self, lines: list[bytes]) -> None:
        """Patch lines, in order; a block at a time because this is the hot loop of a report."""
        sections, per_file, per_commit = self.sections, self.limits.per_file, self.limits.per_commit
        kept = self.kept
        cur = sections[-1] if sections else None
        for line in lines:
            if line.startswith(b"diff --git "):
                cur = [line, [], 0, False]
                sections.append(cur)
                continue
            if cur is None or cur[3]:
                continue
            n = len(line) + 1
            if cur[2] + n > per_file or kept + n > per_commit:
                cur[3] = True  # clipped: the rest of this file's patch is dropped, counts stay exact
                continue
            cur[1].append(line)
            cur[2] += n
            kept += n
        self.kept = kept

    def build(self) -> Commit:
        # Patch sections follow the raw entries' order. A type change (file → symlink) is one raw
        # entry but two patch sections; then sections are matched by path instead.
        if len(self.sections) == len(self.files):
            pairs = zip(self.files, self.sections, strict=True)
        else:
            by_path = {}
            for sec in self.sections:
                p = _section_path(sec[0])
                if p is not None:
                    by_path.setdefault(p, sec)
            pairs = ((f, by_path[f.path]) for f in self.files if f.path in by_path)
        for f, (_, lines, _, clipped) in pairs:
            f.patch = _dec(b"\n".join(lines))
            f.patch_clipped = clipped
        subject, _, body = self.message.strip("\n").partition("\n")
        return Commit(sha=self.sha, parents=self.parents, author=self.author, author_email=self.email,
                      author_time=self.at, committer_time=self.ct, subject=subject.strip(),
                      body=body.strip("\n"), files=self.files)


def _section_path(header: bytes) -> str | None:
    """The path of ``diff --git a/P b/P`` when both sides are the same unquoted path."""
    rest = header[len(b"diff --git "):]
    if rest.startswith(b'"'):
        return None
    n = (len(rest) - 5) // 2
    if n > 0 and rest[:2] == b"a/" and rest[2 + n:5 + n] == b" b/" and rest[2:2 + n] == rest[5 + n:]:
        return _dec(rest[2:2 + n])
    return None


def parse_stream(chunks: Iterable[bytes], limits: PatchLimits) -> Iterator[Commit]:
    """Parse the output of ``git log --format=_FORMAT _DIFF_ARGS -p`` incrementally."""
    buf = b""
    current: _Builder | None = None
    in_patch = False
    header_pending = False
    for chunk in chunks:
        buf += chunk
        while True:
            if current is None or header_pending:
                # Waiting for a complete header + meta: marker … NUL "diff --git " or next marker.
                start = buf.find(_MARK)
                if start < 0:
                    break
                body_start = start + len(_MARK)
                nxt = buf.find(_MARK, body_start)
                diff = buf.find(b"\x00diff --git ", body_start)
                if diff < 0 and buf[body_start:].startswith(b"diff --git "):
                    diff = body_start - 1
                # The header's 7 NUL-separated fields end before any raw entry.
                if diff >= 0 and (nxt < 0 or diff < nxt):
                    end_meta = diff
                elif nxt >= 0:
                    end_meta = nxt
                else:
                    break  # need more data
                meta_block = buf[body_start:end_meta]
                header, meta = _split_header(meta_block)
                if current is not None:
                    yield current.build()
                current = _Builder(header, limits)
                current.parse_meta(meta)
                header_pending = False
                if end_meta == diff:
                    buf = buf[diff + 1:]
                    in_patch = True
                else:
                    buf = buf[end_meta:]
                    in_patch = False
                    header_pending = True
                continue
            if in_patch:
                # Patch text contains no NUL: everything up to the next NUL is patch.
                nul = buf.find(b"\x00")
                limit = nul if nul >= 0 else buf.rfind(b"\n") + 1
                if nul < 0 and limit <= 0:
                    break  # no complete line yet
                block, buf = buf[:limit], buf[limit:]
                lines = block.split(b"\n")
                if lines and lines[-1] == b"":
                    lines.pop()
                current.add_lines(lines)
                if nul >= 0:
                    in_patch = False
                    header_pending = True
                    continue
            break
    if current is not None:
        if in_patch and buf:
            current.add_lines(buf.rstrip(b"\n").split(b"\n"))
            buf = b""
        yield current.build()
    start = buf.find(_MARK)
    if (current is None or header_pending) and start >= 0:
        # A last commit with no patch (an empty commit, or one that only touches submodules).
        header, meta = _split_header(buf[start + len(_MARK):])
        last = _Builder(header, limits)
        last.parse_meta(meta)
        yield last.build()


def _split_header(block: bytes) -> tuple[bytes, bytes]:
    """Split ``sha NUL parents NUL name NUL email NUL at NUL ct NUL message NUL`` from the rest."""
    pos = 0
    for _ in range(7):
        nul = block.find(b"\x00", pos)
        if nul < 0:
            return block, b""
        pos = nul + 1
    return block[:pos - 1], block[pos:]


def read_commits(repo: Repo, shas: list[str], limits: PatchLimits | None = None,
                 timeout: float = runner.DEFAULT_TIMEOUT) -> list[Commit]:
    """Facts and patches of ``shas`` (in that order) with one git process, degrading per commit."""
    if not shas:
        return []
    limits = limits or PatchLimits()
    try:
        return _read(repo, shas, limits, timeout)
    except GitError:
        if len(shas) == 1:
            return [_read_degraded(repo, shas[0], timeout)]
        # One unreadable commit must not take the others' diffs with it.
        out = []
        for sha in shas:
            try:
                out.extend(_read(repo, [sha], limits, timeout))
            except GitError:
                out.append(_read_degraded(repo, sha, timeout))
        return out


def _read(repo: Repo, shas: list[str], limits: PatchLimits, timeout: float) -> list[Commit]:
    args = ["log", "--no-walk=unsorted", "--stdin", f"--format={_FORMAT}", *_DIFF_ARGS, "-p"]
    stdin = ("\n".join(shas) + "\n").encode()
    with runner.stream(repo.path, args, input=stdin, timeout=timeout) as chunks:
        commits = list(parse_stream(chunks, limits))
    return commits


def _read_degraded(repo: Repo, sha: str, timeout: float) -> Commit:
    """A commit whose blobs git cannot read: the file list (from trees only), no counts, no patch."""
    failure = runner.run(repo.path, ["log", "--no-walk", f"--format={_FORMAT}", "--diff-merges=first-parent",
                                     "--numstat", "-z", sha], check=False, timeout=timeout)
    reason = runner.first_line(failure.stderr) if not failure.ok else "diff could not be read"
    # --raw without rename detection compares tree entries only and never opens a blob.
    r = runner.run(repo.path, ["log", "--no-walk", f"--format={_FORMAT}", "--diff-merges=first-parent",
                               "--raw", "--no-renames", "-z", "--no-abbrev", sha], check=False,
                   timeout=timeout)
    if not r.ok:  # even the trees are gone: keep the commit with what the header says
        r = runner.run(repo.path, ["log", "--no-walk", f"--format={_FORMAT}", sha], timeout=timeout)
    commits = list(parse_stream([r.stdout], PatchLimits()))
    commit = commits[0]
    return commit.model_copy(update={"read_error": reason, "counts_known": False})


def commits_in_window(repo: Repo, window: Window, date_field: str = "committer",
                      limits: PatchLimits | None = None,
                      timeout: float = runner.DEFAULT_TIMEOUT) -> list[Commit]:
    return read_commits(repo, select_shas(repo, window, date_field, timeout), limits, timeout)
