"""Bare mirrors of remote repositories, kept in the cache directory.

Cloned once, then brought up to date with an incremental fetch on every run. Only branches and
tags are fetched (a GitHub mirror of ``refs/*`` would drag in every pull request head). A file
lock per mirror keeps two runs from fetching into the same directory at once; a first clone
goes to a temporary directory and is renamed into place, so an interrupted clone leaves nothing
that looks like a mirror.

**Lean mirrors.** A remote reached over the network is cloned without file contents
(``--filter=blob:none``): commits and trees only, a few per cent of a full mirror. Before a
window is read, ``prefetch_window`` asks the server for the blobs that window's diffs need in one
request; reading never fetches (git/runner.py), so what that request could not bring flags its
commit. The blobs fetched for
old windows are dropped again from time to time (``TRIM_*`` below), so a mirror followed daily
for a year stays the size of its history, not of every diff ever read. A server that does not allow
filters gets a full mirror and one line saying so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from filelock import FileLock, Timeout

from commitdigest.errors import GitError
from commitdigest.git import runner
from commitdigest.models import Window
from commitdigest.outputs.files import check_inside, check_regular

log = logging.getLogger("commitdigest.mirror")

# How long to wait for another run that is updating the same mirror.
LOCK_WAIT = 600.0

# A lean mirror drops the blobs it fetched for past windows (a "trim") every TRIM_EVERY updates
# — two weeks of a daily job — or sooner when its objects have grown to TRIM_GROWTH times their
# size after the clone or the last trim (and by TRIM_MIN_BYTES at least), or when they are
# spread over more than TRIM_PACKS packs (two a day: git's own gc is off in a lean mirror).
# A trim is one local repack of commits and trees, no network; a rerun of a trimmed day fetches
# that day's blobs again in one request.
TRIM_GROWTH = 2.0
TRIM_MIN_BYTES = 32 << 20  # below this much growth a repack is not worth its time
TRIM_PACKS = 50
TRIM_EVERY = 14

MirrorKind = Literal["auto", "lean", "full"]

# The mirror's own bookkeeping lives in its git config, beside git's.
_UPDATES_KEY = "commitdigest.updatesSinceTrim"
_BASE_KEY = "commitdigest.trimmedBytes"
_NO_FILTER = "filtering not recognized by server"
_ZERO = "0" * 40


@dataclass
class MirrorResult:
    path: Path
    cloned: bool  # False: an existing mirror was updated
    lean: bool = False  # blob-less partial clone; its windows are prefetched before reading
    trimmed: bool = False  # this update dropped the blobs fetched for old windows


# --------------------------------------------------------------------------- URLs and names


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def strip_credentials(url: str) -> str:
    """The URL without userinfo (``user:token@``) and without a query or fragment: what may
    appear in a folder name. Tokens ride in both places (``?private_token=…``)."""
    if _SCHEME.match(url):
        try:
            parts = urlsplit(url)
        except ValueError:  # "https://[::1/a": not a URL Python can split; git will say what is wrong
            scheme, _, rest = url.partition("://")
            rest = re.split(r"[?#]", rest, maxsplit=1)[0]
            host, slash, path = rest.partition("/")
            return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    # scp-like user@host:path has no password field: its user (git@) is an account name, and
    # keeping it keeps the folder names of mirrors cloned before credentials were stripped.
    return url


def redact_url(text: str) -> str:
    """Credentials in URLs anywhere in ``text`` (a git error line, say) masked: the userinfo of
    ``scheme://user:token@host`` and every query value. Greedy up to the last ``@`` before the
    path, so a raw ``@`` inside a token does not leave its tail visible."""
    text = re.sub(r"(\b[a-z][a-z0-9+.-]*://)[^/\s]*@", r"\1***@", text, flags=re.IGNORECASE)
    return re.sub(r"(\b[a-z][a-z0-9+.-]*://[^\s?#]*\?)([^\s#]*)",
                  lambda m: m.group(1) + re.sub(r"=[^&;\s]*", "=***", m.group(2)), text, flags=re.IGNORECASE)


def mirror_dir(cache_dir: Path, url: str) -> Path:
    """A readable, collision-free folder name: host/owner/name plus a hash of the URL, both
    without credentials — a folder name ends up in messages and reports, and a rotated token
    must not cost a new clone."""
    clean = strip_credentials(url)
    readable = re.sub(r"^[a-z+]+://", "", clean.lower())
    readable = re.sub(r"[^a-z0-9._-]+", "-", re.sub(r"\.git/?$", "", readable)).strip("-")[-80:]
    digest = hashlib.sha256(clean.encode()).hexdigest()[:10]
    return cache_dir / "mirrors" / f"{readable}-{digest}.git"


_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_url(value: str) -> bool:
    """A remote to mirror (https, ssh, git, file URLs and scp-like user@host:path), not a path."""
    return bool(_URL.match(value))


def name_from_url(url: str) -> str:
    """owner/name from the last two parts of the URL, without .git (nor credentials)."""
    clean = strip_credentials(url)
    tail = re.sub(r"\.git/?$", "", clean.rstrip("/"))
    parts = re.split(r"[/:]", tail)
    return "/".join(p for p in parts[-2:] if p) or tail


def wants_lean(url: str, kind: MirrorKind) -> bool:
    """``auto`` is lean for network remotes. A file:// remote already holds every object on this
    machine, and local repositories rarely allow filters: a lean copy of it saves nothing."""
    if kind == "auto":
        return not url.lower().startswith("file://")
    return kind == "lean"


# ------------------------------------------------------------------------------- the mirror


def ensure_mirror(url: str, cache_dir: Path, timeout: float = runner.DEFAULT_TIMEOUT,
                  lock_wait: float = LOCK_WAIT, kind: MirrorKind = "auto") -> MirrorResult:
    """Clone ``url`` into the cache, or fetch what is new. Raises GitError with git's reason.

    An existing full mirror stays full whatever ``kind`` says (it works, and turning it lean
    would mean cloning again); a lean one asked to be ``full`` is cloned again in full."""
    target = mirror_dir(cache_dir, url)
    # Nothing in the cache may send a clone or a fetch elsewhere: a linked mirrors/ folder or mirror.
    check_inside(target, root=cache_dir)
    check_regular(Path(str(target) + ".lock"), "a lock file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GitError(f"cannot create {target.parent}: {exc.strerror or exc}") from None
    lean = wants_lean(url, kind)
    lock = FileLock(str(target) + ".lock")
    try:
        with lock.acquire(timeout=lock_wait):
            # Only here may git fetch (runner.py): into the cache's own mirrors.
            runner.own_mirror(target)
            if (target / "HEAD").is_file():
                is_lean = is_partial(target, timeout)
                if is_lean and kind == "full":
                    _replace_with_full(url, target, timeout)
                    return MirrorResult(target, cloned=True)
                _fetch(target, timeout)
                trimmed = is_lean and _count_update_and_trim(target, timeout)
                return MirrorResult(target, cloned=False, lean=is_lean, trimmed=trimmed)
            got_lean = _clone(url, target, timeout, lean)
            return MirrorResult(target, cloned=True, lean=got_lean)
    except Timeout:
        raise GitError(f"{redact_url(url)}: another run has been updating this mirror for "
                       f"{lock_wait:.0f}s; try again later") from None


def is_partial(path: Path, timeout: float = runner.DEFAULT_TIMEOUT) -> bool:
    """A partial clone: its origin is a promisor remote that serves missing objects on demand."""
    r = runner.run(path, ["config", "--bool", "--get", "remote.origin.promisor"], check=False, timeout=timeout)
    return r.ok and r.text().strip() == "true"


def _clone(url: str, target: Path, timeout: float, lean: bool) -> bool:
    """Clone into a temporary folder, then rename into place. Returns whether it is lean."""
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
    try:
        # No template: nothing (hooks) is copied in from the user's or the system's template folder.
        args = ["clone", "--bare", "--quiet", "--template=", "--origin=origin", f"--upload-pack={runner.UPLOAD_PACK}",
                *(["--filter=blob:none"] if lean else []), "--", url, str(tmp)]
        r = runner.run(target.parent, args, check=False, timeout=timeout, network=True)
        if not r.ok:
            raise GitError(f"{redact_url(url)}: clone failed: {redact_url(runner.first_line(r.stderr))}")
        if lean and _NO_FILTER in r.stderr.decode("utf-8", "replace"):
            # git ignored the filter and downloaded everything: make it an ordinary full mirror,
            # so it is never mistaken for a partial clone that could fetch what it lacks.
            log.warning("%s: the server does not allow partial clones (uploadpack.allowFilter); "
                        "mirrored in full", redact_url(url))
            _make_full(tmp, timeout)
            lean = False
        # A bare clone fetches nothing on later fetches unless told which refs to keep.
        runner.run(tmp, ["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], timeout=timeout)
        runner.run(tmp, ["config", "--add", "remote.origin.fetch", "+refs/tags/*:refs/tags/*"], timeout=timeout)
        if lean:
            # git's own gc would repack every fetched blob into one pack forever; the trim below
            # is this mirror's gc instead.
            runner.run(tmp, ["config", "gc.auto", "0"], timeout=timeout)
            runner.run(tmp, ["config", "maintenance.auto", "false"], timeout=timeout)
            runner.run(tmp, ["config", _BASE_KEY, str(_objects_bytes(tmp))], timeout=timeout)
        tmp.rename(target)
        return lean
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _make_full(path: Path, timeout: float) -> None:
    for key in ("remote.origin.promisor", "remote.origin.partialclonefilter"):
        runner.run(path, ["config", "--unset-all", key], check=False, timeout=timeout)
    for marker in (path / "objects" / "pack").glob("*.promisor"):
        marker.unlink(missing_ok=True)


def _replace_with_full(url: str, target: Path, timeout: float) -> None:
    """``mirror = "full"`` for a folder that holds a lean mirror: clone in full beside it and
    swap, so a failed clone leaves the lean one in place."""
    full, old = target.with_name(target.name + ".full"), target.with_name(target.name + ".old")
    for stale in (full, old):  # left by a run killed halfway through this
        shutil.rmtree(stale, ignore_errors=True)
    _clone(url, full, timeout, lean=False)
    target.rename(old)
    full.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _fetch(target: Path, timeout: float) -> None:
    r = runner.run(target, ["fetch", "--prune", "--quiet", "--recurse-submodules=no",
                            f"--upload-pack={runner.UPLOAD_PACK}", "origin"], check=False, timeout=timeout, network=True)
    if not r.ok:
        url = runner.run(target, ["config", "--get", "remote.origin.url"], check=False).text().strip()
        raise GitError(f"{redact_url(url)}: fetch failed: {redact_url(runner.first_line(r.stderr))}")


# ------------------------------------------------------------------------- prefetch a window


def prefetch_window(path: Path, rev: str, window: Window, date_field: str = "committer",
                    timeout: float = runner.DEFAULT_TIMEOUT) -> int:
    """Fetch, in one request, every blob the diffs of ``window`` need that a partial clone lacks.
    Returns how many were asked for (0: not a partial clone, or nothing missing).

    git's own lazy fetching would make one round trip per commit (15 for a day of 15 commits in
    bench/lean_mirror.py); reading does not fetch at all (git/runner.py). Only the tool's own
    mirrors are fetched into. A failed fetch is one warning, and the read that follows flags the
    commits it cannot read."""
    try:
        return _prefetch(path, rev, window, date_field, timeout)
    except GitError as exc:  # a timeout, say: the read that follows says what it could not read
        log.warning("%s: %s", path.name, redact_url(exc.message))
        return 0


def _prefetch(path: Path, rev: str, window: Window, date_field: str, timeout: float) -> int:
    if not runner.is_own_mirror(path) or not is_partial(path, timeout):
        return 0  # a repository of the user's is never fetched into (git/runner.py)
    return _prefetch_commits(path, _window_commits(path, rev, window, date_field, timeout), timeout)


def prefetch_commits(path: Path, shas: Sequence[str], timeout: float = runner.DEFAULT_TIMEOUT) -> int:
    """``prefetch_window`` for named commits (``analyze REV``): one request for what their diffs
    need, in the tool's own lean mirrors only. Returns how many file versions were asked for."""
    if not shas:
        return 0
    try:
        if not runner.is_own_mirror(path) or not is_partial(path, timeout):
            return 0
        args = ["log", "--no-walk=unsorted", "--stdin", "--format=%H %P"]
        r = runner.run(path, args, input=("\n".join(shas) + "\n").encode(), check=False, timeout=timeout)
        commits = [(f[0], f[1] if len(f) > 1 else None) for f in (ln.split() for ln in r.text().splitlines()) if f]
        return _prefetch_commits(path, commits, timeout)
    except GitError as exc:
        log.warning("%s: %s", path.name, redact_url(exc.message))
        return 0


def _prefetch_commits(path: Path, commits: Sequence[tuple[str, str | None]], timeout: float) -> int:
    """(sha, first parent) pairs → one fetch of the file versions their diffs need and lack."""
    if not commits:
        return 0
    needed = _diff_blobs(path, [sha for sha, _ in commits], timeout)
    tips = [sha for sha, _ in commits] + [p for _, p in commits if p]
    missing = _missing(path, tips, timeout) & needed
    if not missing:
        return 0
    fetch_missing(path, sorted(missing), timeout)
    return len(missing)


def fetch_missing(path: Path, oids: Sequence[str], timeout: float = runner.DEFAULT_TIMEOUT) -> None:
    """One fetch request for ``oids``, as git's own lazy fetch makes it for a single object: no
    negotiation (we have none of them), no tags, ids on stdin (a year's worth passes no
    command-line limit)."""
    args = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
            "--recurse-submodules=no", "--filter=blob:none", f"--upload-pack={runner.UPLOAD_PACK}", "--stdin", "origin"]
    r = runner.run(path, args, input=("\n".join(oids) + "\n").encode(), check=False, timeout=timeout,
                   network=runner.is_own_mirror(path))
    if not r.ok:
        log.warning("%s: could not fetch the %d file versions this report reads (%s); the commits "
                    "that need them are listed without their changes", path.name, len(oids),
                    redact_url(runner.first_line(r.stderr)))


def _window_commits(path: Path, rev: str, window: Window, date_field: str,
                    timeout: float) -> list[tuple[str, str | None]]:
    """(sha, first parent) of the branch's first-parent commits whose date is in ``window`` —
    the same selection the log reader makes, with the same two days of clock-skew slack."""
    slack = timedelta(days=2)
    args = ["log", "--first-parent", "--format=%H %ct %at %P",
            f"--since={(window.start - slack).astimezone(UTC).isoformat()}"]
    if date_field == "committer":
        args.append(f"--until={(window.end + slack).astimezone(UTC).isoformat()}")
    r = runner.run(path, [*args, "--end-of-options", rev], check=False, timeout=timeout)
    if not r.ok:
        return []  # the reader reports the branch problem in its own words
    lo, hi = window.start.timestamp(), window.end.timestamp()
    out = []
    for line in r.text().splitlines():
        fields = line.split()
        try:
            t = int(fields[1] if date_field == "committer" else fields[2])
        except (IndexError, ValueError):
            continue
        if lo <= t < hi:
            out.append((fields[0], fields[3] if len(fields) > 3 else None))
    return out


def _diff_blobs(path: Path, shas: Sequence[str], timeout: float) -> set[str]:
    """Both sides of every changed file of ``shas`` against their first parent (what ``-p``,
    ``--numstat`` and rename detection open). ``--raw`` without renames compares trees only,
    so this reads no blob."""
    args = ["log", "--no-walk=unsorted", "--stdin", "--format=%x00", "--diff-merges=first-parent",
            "--raw", "--no-renames", "-z", "--no-abbrev"]
    r = runner.run(path, args, input=("\n".join(shas) + "\n").encode(), check=False, timeout=timeout)
    blobs: set[str] = set()
    for token in r.stdout.split(b"\x00"):
        token = token.lstrip(b"\n")
        if not token.startswith(b":"):
            continue
        parts = token[1:].split()
        if len(parts) < 4:
            continue
        for mode, oid in ((parts[0], parts[2]), (parts[1], parts[3])):
            if mode != b"160000" and oid.decode() != _ZERO:  # a submodule entry names a commit
                blobs.add(oid.decode())
    return blobs


def _missing(path: Path, tips: Sequence[str], timeout: float) -> set[str]:
    """Objects the trees of ``tips`` name that are not in the mirror, found without fetching
    them (``--missing=print`` turns lazy fetching off for the walk)."""
    args = ["rev-list", "--objects", "--no-object-names", "--missing=print", "--no-walk=unsorted", "--stdin"]
    r = runner.run(path, args, input=("\n".join(tips) + "\n").encode(), check=False, timeout=timeout)
    return {line[1:] for line in r.text().splitlines() if line.startswith("?")}


# ---------------------------------------------------------------------------------- trimming


def _objects_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path / "objects").rglob("*") if p.is_file())


def _config_int(path: Path, key: str, timeout: float) -> int | None:
    r = runner.run(path, ["config", "--get", key], check=False, timeout=timeout)
    try:
        return int(r.text().strip()) if r.ok else None
    except ValueError:
        return None


def _count_update_and_trim(path: Path, timeout: float) -> bool:
    """Count this update; trim when the policy above says so. Returns whether it trimmed."""
    count = (_config_int(path, _UPDATES_KEY, timeout) or 0) + 1
    base = _config_int(path, _BASE_KEY, timeout)
    packs = len(list((path / "objects" / "pack").glob("*.pack")))
    due = (count >= TRIM_EVERY or packs > TRIM_PACKS
           or (base is not None and _objects_bytes(path) > max(TRIM_GROWTH * base, base + TRIM_MIN_BYTES)))
    trimmed = False
    if due:
        try:
            trim(path, timeout)
            trimmed, count = True, 0
            runner.run(path, ["config", _BASE_KEY, str(_objects_bytes(path))], check=False, timeout=timeout)
        except GitError as exc:  # a trim that fails leaves a bigger mirror, never a broken one
            log.warning("%s: %s", path.name, exc.message)
    runner.run(path, ["config", _UPDATES_KEY, str(count)], check=False, timeout=timeout)
    return trimmed


def trim(path: Path, timeout: float = runner.DEFAULT_TIMEOUT) -> None:
    """Drop every blob of a lean mirror: repack what the refs reach, without blobs, into one
    promisor pack and delete the other packs. What ``git repack --filter=blob:none`` does from
    git 2.42 on; built from ``pack-objects --filter`` (git 2.20+) to run on older git too.

    The new pack is complete before any old one is removed, so an interrupted trim leaves a
    working mirror with one extra pack."""
    pack_dir = path / "objects" / "pack"
    before = {p.name for p in pack_dir.glob("pack-*.pack")}
    # A file git ignores until its index exists: a pack without .idx is not a pack to git.
    tmp = pack_dir / f"tmp-trim-{os.getpid()}"
    try:
        with open(tmp.with_suffix(".pack"), "wb") as out, runner.stream(
                path, ["pack-objects", "--all", "--filter=blob:none", "--missing=allow-any", "--stdout", "-q"],
                input=b"", timeout=timeout) as chunks:
            out.writelines(chunks)
        r = runner.run(path, ["index-pack", "--promisor=trim", str(tmp.with_suffix(".pack"))], timeout=timeout)
        name = "pack-" + r.text().split()[-1]
        for suffix in (".idx", ".promisor", ".pack"):  # the .pack last: git looks for packs by their .idx
            tmp.with_suffix(suffix).replace(pack_dir / (name + suffix))
    except OSError as exc:
        raise GitError(f"could not trim the mirror: {exc.strerror}") from None
    finally:
        for suffix in (".pack", ".idx", ".promisor"):
            tmp.with_suffix(suffix).unlink(missing_ok=True)
    for old in before - {name + ".pack"}:
        base = pack_dir / old[:-len(".pack")]
        if base.with_suffix(".keep").exists():
            continue  # a fetch in progress holds it
        for suffix in (".idx", ".pack", ".promisor", ".rev", ".bitmap"):  # .idx first: unseen, then gone
            base.with_suffix(suffix).unlink(missing_ok=True)
    (pack_dir / "multi-pack-index").unlink(missing_ok=True)
    runner.run(path, ["prune-packed", "-q"], check=False, timeout=timeout)
