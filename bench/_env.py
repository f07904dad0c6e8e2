"""The environment the benchmarks run the tool in: a user's, with its own cache directory."""

from __future__ import annotations

import os
from pathlib import Path


def tool_env(cache: Path) -> dict[str, str]:
    # An installed tool runs from bytecode after its first start. Some machines (these included)
    # set PYTHONDONTWRITEBYTECODE, which would make every measured run recompile the tool's own
    # modules from source (~35 ms) — a cost no user pays twice.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMMITDIGEST_CACHE_DIR"] = str(cache)
    return env
