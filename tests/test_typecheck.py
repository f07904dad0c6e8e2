"""The sources type-check by the project's own mypy configuration (``[tool.mypy]`` in
pyproject.toml): a real run of mypy over the package, as a developer's editor would run it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    if mypy is None:
        pytest.skip("mypy is not installed (it is in the test extras: pip install -e '.[test]')")
    # mypy's incremental cache (.mypy_cache, git-ignored by mypy itself) makes a rerun take seconds.
    result = subprocess.run([mypy, "src/commitdigest"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
