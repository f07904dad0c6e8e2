"""Synthetic commits for the LLM benchmarks (facts only; no git needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commitdigest.models import Commit, FileChange

T0 = datetime(2026, 1, 13, 1, tzinfo=UTC)


def small_patch(path: str, n: int, lines: int = 8) -> str:
    body = "\n".join(f"+    value_{n}_{i} = compute({i}, {n})" for i in range(lines))
    return f"--- a/{path}\n+++ b/{path}\n@@ -1,2 +1,{lines + 2} @@\n def f{n}():\n{body}\n     return 0"


def day(count: int = 30) -> list[Commit]:
    """A day of ordinary commits: a few files each, source and tests."""
    out = []
    for n in range(count):
        files = []
        for path in (f"src/mod{n}/core.py", f"src/mod{n}/util.py", f"tests/test_mod{n}.py"):
            files.append(FileChange(path=path, status="M", insertions=8, deletions=0, patch=small_patch(path, n)))
        out.append(Commit(sha=f"{n:040x}", author="Dev", author_time=T0 + timedelta(minutes=n),
                          committer_time=T0 + timedelta(minutes=n), subject=f"feat(mod{n}): add values ({n})",
                          files=files))
    return out


def huge(files: int = 5000) -> Commit:
    changes = [FileChange(path=f"src/pkg{i % 50}/mod_{i}.py", status="A", insertions=8, deletions=0,
                          patch=small_patch(f"src/pkg{i % 50}/mod_{i}.py", i)) for i in range(files)]
    return Commit(sha="f" * 40, author="Dev", author_time=T0, committer_time=T0,
                  subject=f"refactor: split into {files} modules", files=changes)
