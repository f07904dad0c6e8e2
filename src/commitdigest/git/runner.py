"""The one place that runs git.

Every git process of the package starts here, with a timeout, a fixed locale (so error text is
predictable) and no pager, prompt or colour. ``run`` captures small outputs; ``stream`` yields a
large output in chunks so a 5,000-file commit never has to sit in memory whole.
"""

from __future__ import annotations

import io
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commitdigest.errors import GitError

DEFAULT_TIMEOUT = 300.0
_CHUNK = 1 << 20
_AHEAD = 16  # chunks read ahead of the parser, at most

# Options that make git's output independent of the user's configuration.
_BASE = [
    "git",
    "-c", "core.quotepath=false",
    "-c", "color.ui=never",
    "-c", "log.showSignature=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "--no-pager",
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LC_ALL="C",
        LANG="C",
        GIT_TERMINAL_PROMPT="0",  # never wait for a password on a TTY
        GIT_OPTIONAL_LOCKS="0",  # reading must not take index.lock in the user's working copy
        GIT_PAGER="cat",
    )
    # ssh must fail rather than ask (an unknown host key, a passphrase) when cron is the only one
    # listening; keys in an agent still work. A user's own ssh command is left alone.
    if "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    # A user's GIT_DIR would silently redirect every command to another repository.
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(var, None)
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
) -> GitResult:
    cmd = _BASE + args
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, input=input, capture_output=True, timeout=timeout, env=_env(), check=False,
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
            _BASE + args, cwd=cwd, env=_env(),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise GitError("the git executable was not found on PATH") from None
    # Both are pipes (opened above), buffered by default: read1 returns what is there, up to a chunk.
    stdout, stderr_pipe = proc.stdout, proc.stderr
    assert isinstance(stdout, io.BufferedReader) and stderr_pipe is not None
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
