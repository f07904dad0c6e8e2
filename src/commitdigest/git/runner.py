"""The one place that runs git.

Every git process of the package starts here, with a timeout, a fixed locale (so error text is
predictable) and no pager, prompt or colour. ``run`` captures small outputs; ``stream`` yields a
large output in chunks so a 5,000-file commit never has to sit in memory whole.

**One environment for reading.** What git prints must depend on the commits alone, never on
settings: every process ignores the system and global config (``GIT_CONFIG_NOSYSTEM``,
``GIT_CONFIG_GLOBAL=/dev/null``), the home and system attributes, replace objects and grafts, and
gets every setting that changes what is printed pinned on its command line (``_PINNED``: a ``-c``
there wins over any config file, the repository's own included). The user's ``GIT_*`` variables
are dropped but for the few that only say how to reach a server. In-tree attributes, a
repository's ``info/attributes`` and its own config are kept out by reading a user's repository
through a view of its object store (``git/view.py``).

**Network only in the tool's own mirrors.** Reading never fetches: ``GIT_ALLOW_PROTOCOL`` is empty
for every process but the clones and fetches of ``git/mirror.py`` (``run(..., network=True)``),
so git's lazy fetch in a partial clone fails instead of running what the clone's config names as
its upload-pack; the commit is flagged. Those clones and fetches go only into the mirrors this
process cloned or updated in the cache (``own_mirror``), with ``--upload-pack`` pinned on their
command line (git takes the *first* ``uploadpack`` setting it finds, so a ``-c`` cannot override
one in a config file), hooks off and only ``MIRROR_PROTOCOLS``. Of the user's global config they
are handed only the transport settings (``_TRANSPORT``: ``url.<base>.insteadOf`` tokens, proxies,
credential helpers), never the rest (a ``remote.origin.url`` there would be fetched from first).
"""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from commitdigest.errors import GitError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_TIMEOUT = 300.0
_CHUNK = 1 << 18
_AHEAD = 4  # chunks read ahead of the parser, at most: a MB, as many as the pipe holds
_PIPE = 1 << 20  # what git may write ahead into the pipe (Linux, see _widen)

# Settings that change what git prints for the same commits, pinned to git's defaults (or to what
# the parsers expect). Each is here because a user's ~/.gitconfig or a repository's config could
# otherwise drop files or lines, change the encoding, the prefixes or the counts.
_PINNED = {
    "core.quotepath": "false",
    "color.ui": "never",
    "log.showSignature": "false",
    "log.showRoot": "true",  # the root commit's files (false: shown without any)
    "log.mailmap": "false",  # authors as the commit records them (README "Odd commits")
    "log.decorate": "false",
    "log.follow": "false",
    "i18n.logOutputEncoding": "UTF-8",  # UTF-16 output parses as nothing
    "core.bigFileThreshold": "512m",  # a file above it is shown as binary, +0/-0
    "core.attributesFile": "/dev/null",  # ~/.config/git/attributes (-diff hides a change)
    "core.commitGraph": "false",  # parents come from the commit objects themselves
    "core.fsmonitor": "false",  # never runs a repository's hook program
    "core.hooksPath": "/dev/null",  # nor any hook (a fetch runs reference-transaction)
    "diff.noprefix": "false",
    "diff.mnemonicPrefix": "false",
    "diff.srcPrefix": "a/",
    "diff.dstPrefix": "b/",
    "diff.relative": "false",
    "diff.ignoreSubmodules": "none",  # also overrides .gitmodules' submodule.<name>.ignore
    "diff.submodule": "short",
    "diff.renames": "true",
    "diff.renameLimit": "1000",  # 1: every rename of a large commit becomes a delete and an add
    "diff.algorithm": "myers",  # the line counts depend on the algorithm
    "diff.indentHeuristic": "true",
    "diff.context": "3",
    "diff.interHunkContext": "0",
    "diff.suppressBlankEmpty": "false",
    "diff.orderFile": "/dev/null",  # files in git's order, as the raw entries are
    "diff.colorMoved": "false",
    "safe.bareRepository": "all",  # the views are bare repositories found by their folder
}

# The variables of the user's environment a git process keeps: how to reach a server. Every
# other GIT_* variable (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_DIFF_OPTS, GIT_NAMESPACE,
# GIT_REPLACE_REF_BASE, GIT_TRACE…) could redirect or change what is read.
_KEPT = frozenset({"GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_ASKPASS", "GIT_PROXY_COMMAND",
                   "GIT_EXEC_PATH"})
_KEPT_PREFIXES = ("GIT_SSL_", "GIT_HTTP_")
# Where the user's config files are found: read once, by _user_settings, and by no git process.
_USER_CONFIG = frozenset({"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"})
# The settings of the user's system and global config that a mirror's clone and fetches are
# given: how to reach and log in to a server (url.<base>.insteadOf, where the README has a
# token go; http.* proxies and certificates; credential helpers; ssh), nothing that changes
# what is fetched or from where (a remote.origin.url there would come before the mirror's own).
_TRANSPORT = re.compile(r"url\..+\.(?:insteadof|pushinsteadof)|https?\..+|credential\..+"
                        r"|core\.(?:sshcommand|gitproxy|askpass)|ssh\.variant")

#: the transports a mirror may use: no ext:: (runs a command), fd::, nor other remote helpers
MIRROR_PROTOCOLS = "file:git:http:https:ssh"
#: what a mirror's clone and fetches run on the server's side (``--upload-pack``)
UPLOAD_PACK = "git-upload-pack"
# Pinned for the clones and fetches, besides the ``_PINNED`` settings.
_NETWORK_PINS = {
    "clone.defaultRemoteName": "origin",
    "fetch.recurseSubmodules": "false",
}

# Mirrors this process cloned or updated in the cache: the only places git fetches into.
_mirrors: set[str] = set()


def own_mirror(path: Path) -> None:
    """Mark ``path`` as one of the tool's own mirrors: git may fetch into it."""
    _mirrors.add(os.path.realpath(path))


def is_own_mirror(path: Path) -> bool:
    return os.path.realpath(path) in _mirrors


def _user_settings() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """See ``_read_user_settings``: read once per set of variables that say where the files are."""
    return _read_user_settings(*(os.environ.get(k) for k in (*sorted(_USER_CONFIG), "HOME", "XDG_CONFIG_HOME")))


@cache
def _read_user_settings(*_where: str | None) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """(the user's ``safe.directory`` entries, their transport settings), from the system and
    global config as the user's own git reads them, once per process. ``safe.directory`` trusts
    a repository owned by another account; it changes nothing git prints, and git takes it
    only from those files or the command scope, so it is handed on there (for every process);
    the transport settings go to the network processes. Both through ``GIT_CONFIG_COUNT``, which
    keeps any "=" in a key (a URL with a token) intact."""
    env = {k: v for k, v in os.environ.items() if k in _USER_CONFIG or not k.startswith("GIT_")}
    with tempfile.TemporaryDirectory() as nowhere:  # no repository here: no local config
        try:
            proc = subprocess.run(["git", "config", "-z", "--list", "--show-scope"], cwd=nowhere, env=env,
                                  capture_output=True, timeout=30, check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return (), ()
    items = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    safe: list[tuple[str, str]] = []
    transport: list[tuple[str, str]] = []
    for scope, entry in zip(items[::2], items[1::2], strict=False):
        if scope not in ("system", "global"):
            continue
        key, _, value = entry.partition("\n")
        if key == "safe.directory":
            safe.append((key, value))
        elif _TRANSPORT.fullmatch(key):
            transport.append((key, value))
    return tuple(safe), tuple(transport)


def _command(args: list[str], network: bool) -> list[str]:
    pins = {**_PINNED, **_NETWORK_PINS} if network else _PINNED
    cmd = ["git"]
    for key, value in pins.items():
        cmd += ["-c", f"{key}={value}"]
    return [*cmd, "--no-pager", *args]


def _env(network: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k in _KEPT or k.startswith(_KEPT_PREFIXES)}
    env.update(
        LC_ALL="C",
        LANG="C",
        GIT_TERMINAL_PROMPT="0",  # never wait for a password on a TTY
        GIT_OPTIONAL_LOCKS="0",  # reading must not take index.lock in the user's working copy
        GIT_PAGER="cat",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_ATTR_NOSYSTEM="1",
        GIT_NO_REPLACE_OBJECTS="1",  # refs/replace would show another commit under a sha
        GIT_GRAFT_FILE="/dev/null/none",  # info/grafts would rewrite parents (a path that cannot exist)
        # No transport at all for reading (a lazy fetch fails), a few for a mirror's fetches.
        GIT_ALLOW_PROTOCOL=MIRROR_PROTOCOLS if network else "",
    )
    safe, transport = _user_settings()
    handed = [*safe, *(transport if network else ())]
    env["GIT_CONFIG_COUNT"] = str(len(handed))
    for n, (key, value) in enumerate(handed):
        env[f"GIT_CONFIG_KEY_{n}"], env[f"GIT_CONFIG_VALUE_{n}"] = key, value
    # ssh must fail rather than ask (an unknown host key, a passphrase) when cron is the only one
    # listening; keys in an agent still work. A user's own ssh command is left alone.
    if "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def first_line(stderr: bytes | str) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # git prints "fatal:"/"error:" lines last; those say what went wrong.
    for ln in reversed(lines):
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[-1] if lines else "git failed"


class StreamError(GitError):
    """A streamed git command that failed or timed out, with all it printed on stderr: the
    caller may need more than the first line (which object could not be read)."""

    def __init__(self, message: str, stderr: bytes = b"", timed_out: bool = False):
        super().__init__(message)
        self.stderr = stderr
        self.timed_out = timed_out


class GitResult:
    def __init__(self, returncode: int, stdout: bytes, stderr: bytes):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


def run(
    cwd: Path,
    args: list[str],
    *,
    input: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    network: bool = False,
) -> GitResult:
    """``network``: a clone or fetch into one of the tool's own mirrors (see the module's notes)."""
    cmd = _command(args, network)
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, input=input, capture_output=True, timeout=timeout, env=_env(network), check=False,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:g} s in {cwd}") from None
    except FileNotFoundError:
        raise GitError("the git executable was not found on PATH") from None
    result = GitResult(proc.returncode, proc.stdout, proc.stderr)
    if check and not result.ok:
        raise GitError(f"git {args[0]} failed in {cwd}: {first_line(proc.stderr)}")
    return result


def _widen(pipe: io.BufferedReader) -> None:
    """Let git write up to a MB ahead into the pipe (Linux; elsewhere, or when the system's
    limit is lower, the pipe stays as it was). The thread that drains it needs the GIL back after
    every read, and while the parser holds it that can take a switch interval (5 ms): with the
    default 64 KB pipe git would stop that often, for a year's 80 MB of patches over a thousand
    times."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is None:
        return
    try:
        fcntl.fcntl(pipe.fileno(), setsize, _PIPE)
    except OSError:  # above /proc/sys/fs/pipe-max-size for this user, or not a pipe
        pass


@contextmanager
def stream(
    cwd: Path, args: list[str], *, input: bytes | None = None, timeout: float = DEFAULT_TIMEOUT,
    drain: bool = True,
) -> Iterator[Iterator[bytes]]:
    """Yield an iterator over git's stdout in chunks; raise ``StreamError`` if git fails.

    The timeout covers the whole command: a watchdog kills git when it runs past it. With
    ``drain=False`` a consumer that stops reading early ends git there (a walk that has found
    what it needs), and git's exit status is not looked at.
    """
    try:
        proc = subprocess.Popen(
            _command(args, False), cwd=cwd, env=_env(),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise GitError("the git executable was not found on PATH") from None
    # Both are pipes (opened above), buffered by default: read1 returns what is there, up to a chunk.
    stdout, stderr_pipe = proc.stdout, proc.stderr
    assert isinstance(stdout, io.BufferedReader) and stderr_pipe is not None
    _widen(stdout)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(timeout, kill)
    watchdog.daemon = True
    watchdog.start()
    err_chunks: list[bytes] = []
    # stderr is drained on a thread so a chatty git cannot block on a full pipe.
    err_thread = threading.Thread(target=lambda: err_chunks.append(stderr_pipe.read()), daemon=True)
    err_thread.start()
    if input is not None and proc.stdin is not None:
        stdin, payload = proc.stdin, input

        def feed() -> None:
            try:
                stdin.write(payload)
                stdin.close()
            except (BrokenPipeError, OSError):
                pass
        threading.Thread(target=feed, daemon=True).start()

    at_end = threading.Event()
    # git goes on writing while this process parses what it wrote: a thread keeps the pipe
    # drained into a queue of at most _AHEAD chunks (git would otherwise wait on a full 64 KB
    # pipe for every chunk parsed). Reads release the GIL; memory stays bounded.
    ahead: queue.Queue[bytes] = queue.Queue(maxsize=_AHEAD)
    gone = threading.Event()  # the consumer is done: the reader stops handing chunks over

    def pump() -> None:
        data = b"x"
        while data:
            try:
                data = stdout.read1(_CHUNK)
            except (OSError, ValueError):
                data = b""
            while not gone.is_set():
                try:
                    ahead.put(data, timeout=0.1)
                    break
                except queue.Full:
                    continue

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()

    def chunks() -> Iterator[bytes]:
        while not at_end.is_set():
            data = ahead.get()
            if not data:
                at_end.set()
                return
            yield data

    stopped = False
    try:
        yield chunks()
        if drain:
            # Drain what the consumer did not read so git can exit.
            for _ in chunks():
                pass
        elif not at_end.is_set():
            stopped = True
            proc.kill()
        proc.wait()
    finally:
        gone.set()
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        err_thread.join(timeout=5)
        stdout.close()
    stderr = b"".join(err_chunks)
    if timed_out.is_set():
        raise StreamError(f"git {args[0]} timed out after {timeout:g} s in {cwd}", stderr, timed_out=True)
    if proc.returncode != 0 and not stopped:
        raise StreamError(f"git {args[0]} failed in {cwd}: {first_line(stderr)}", stderr)
