"""The environment the benchmarks run the tool in: a user's, with its own cache directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Run each measured command under a tiny wrapper so every figure is one child's own peak.
_WRAP = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
         "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_mb(cmd: list[str], cwd: Path, env: dict) -> float:
    """Peak RSS of ``cmd`` (one child process, waited for), in MB; Linux reports KiB."""
    out = subprocess.run([sys.executable, "-c", _WRAP, *cmd], cwd=cwd, env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip()) / 1024


def tool_env(cache: Path) -> dict[str, str]:
    # An installed tool runs from bytecode after its first start. Some machines (these included)
    # set PYTHONDONTWRITEBYTECODE, which would make every measured run recompile the tool's own
    # modules from source (~35 ms) — a cost no user pays twice.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMMITDIGEST_CACHE_DIR"] = str(cache)
    return env
