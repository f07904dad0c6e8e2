"""The environment the benchmarks run the tool in: a user's, with its own cache directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# Run each measured command under a tiny wrapper so every figure is one child's own peak.
_WRAP = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
         "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_mb(cmd: list[str], cwd: Path, env: dict) -> float:
    """Peak RSS of ``cmd`` (one child process, waited for), in MB; Linux reports KiB."""
    out = subprocess.run([sys.executable, "-c", _WRAP, *cmd], cwd=cwd, env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip()) / 1024


def _rss_tree(root: int) -> dict[int, int]:
    """RSS in KiB of ``root`` and every process below it (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    out = {}
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        out[pid] = int(line.split()[1])
        except OSError:
            continue
    return out


def tree_peak_mb(cmd: list[str], cwd: Path, env: dict, every: float = 0.02) -> tuple[float, float, float]:
    """Peak RSS of ``cmd`` with every process it starts (the semantic stage's workers come from
    a fork server, out of reach of ``getrusage``), sampled from ``/proc`` every ``every``
    seconds: (the command's own process, its largest other process, all of them at once), MB."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    own = other = total = 0
    while proc.poll() is None:
        sample = _rss_tree(proc.pid)
        own = max(own, sample.get(proc.pid, 0))
        other = max(other, max((v for k, v in sample.items() if k != proc.pid), default=0))
        total = max(total, sum(sample.values()))
        time.sleep(every)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return own / 1024, other / 1024, total / 1024


def tool_env(cache: Path) -> dict[str, str]:
    # An installed tool runs from bytecode after its first start. Some machines (these included)
    # set PYTHONDONTWRITEBYTECODE, which would make every measured run recompile the tool's own
    # modules from source (~35 ms) — a cost no user pays twice.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMMITDIGEST_CACHE_DIR"] = str(cache)
    return env
