"""Choosing what of a diff fits the prompt budget."""

from __future__ import annotations

from datetime import datetime, timezone

from commitdigest.analysis import budget
from commitdigest.models import Commit, FileChange

NOW = datetime(2026, 1, 13, tzinfo=timezone.utc)


def patch(path: str, hunks: int = 1, lines: int = 3, width: int = 30) -> str:
    out = [f"--- a/{path}", f"+++ b/{path}"]
    for h in range(hunks):
        out.append(f"@@ -{h * 100 + 1},{lines} +{h * 100 + 1},{lines} @@")
        out += [f"+line {h}.{i} " + "x" * width for i in range(lines)]
    return "\n".join(out)


def fc(path: str, text: str | None = None, **kw) -> FileChange:
    text = patch(path) if text is None else text
    n = sum(1 for line in text.splitlines() if line.startswith("+") and not line.startswith("+++"))
    return FileChange(path=path, status=kw.pop("status", "M"), insertions=kw.pop("insertions", n),
                      deletions=0, patch=text, **kw)


def commit(*files: FileChange) -> Commit:
    return Commit(sha="c" * 40, author="A", author_time=NOW, committer_time=NOW, subject="s", files=list(files))


def test_estimate_over_counts_ascii_and_counts_cjk():
    assert budget.estimate_tokens("") == 0
    assert budget.estimate_tokens("abcdef") == 2
    assert budget.estimate_tokens("中文字") == 3
    assert budget.estimate_tokens("x" * 3000) == 1000


def test_skipped_kinds_are_listed_not_shown():
    c = commit(fc("package-lock.json"), fc("vendor/lib/x.go"), fc("web/app.min.js"),
               fc("api/v1/types.pb.go"), fc("logo.png", "", binary=True), fc("src/main.py"))
    sel = budget.select(c, 10_000, 2_000)
    notes = {v.change.path: v.note for v in sel.files}
    assert notes == {"package-lock.json": "lockfile", "vendor/lib/x.go": "vendored", "web/app.min.js": "minified",
                     "api/v1/types.pb.go": "generated", "logo.png": "binary", "src/main.py": ""}
    assert [v.change.path for v in sel.shown] == ["src/main.py"]
    lines = [budget.file_line(v) for v in sel.files[:sel.listed]]
    assert "M +3 -0 package-lock.json [diff lockfile]" in lines
    # Rule-skipped files are not a gap in coverage: name and +/- are all they have to say.
    assert sel.coverage.files_analyzed == 6 and not sel.coverage.truncated


def test_source_before_tests_before_docs():
    c = commit(fc("README.md"), fc("tests/test_x.py"), fc("docs/guide.rst"), fc("src/x.py"), fc("config.yaml"))
    order = [v.change.path for v in budget.select(c, 10_000, 2_000).files]
    assert order == ["src/x.py", "tests/test_x.py", "README.md", "docs/guide.rst", "config.yaml"]


def test_big_file_clipped_at_hunk_boundary():
    big = patch("src/big.py", hunks=40, lines=10)
    c = commit(fc("src/big.py", big))
    sel = budget.select(c, 800, 500)
    view = sel.files[0]
    assert view.note == "clipped" and view.shown
    assert budget.estimate_tokens(view.shown) <= 800
    body = view.shown.split("\n")
    assert body[-1].startswith("… [clipped:") and "of 40 hunks shown" in body[-1]
    kept = "\n".join(body[:-1])
    assert big.startswith(kept)  # a prefix of the patch …
    assert big[len(kept):].startswith("\n@@")  # … that ends right before a hunk
    assert sel.coverage.truncated and sel.coverage.files_analyzed == 0
    assert 0 < sel.coverage.lines_analyzed < sel.coverage.lines_total == 400


def test_single_huge_hunk_clipped_at_line_boundary():
    c = commit(fc("src/new.py", patch("src/new.py", hunks=1, lines=2000)))
    view = budget.select(c, 600, 500).files[0]
    assert view.note == "clipped" and "lines shown" in view.shown
    assert all(line.startswith(("+", "-", "@", "…")) for line in view.shown.split("\n"))


def test_one_file_cannot_starve_the_others():
    c = commit(fc("src/huge.py", patch("src/huge.py", hunks=100, lines=10)), fc("src/small.py"), fc("src/other.py"))
    sel = budget.select(c, 3_000, 500)
    shown = {v.change.path: v.note for v in sel.shown}
    assert shown == {"src/huge.py": "clipped", "src/small.py": "", "src/other.py": ""}


def test_five_thousand_files_fit_the_budget_and_are_summarised():
    files = [fc(f"pkg{i % 7}/mod{i}.py", patch(f"pkg{i % 7}/mod{i}.py", lines=5)) for i in range(5000)]
    sel = budget.select(commit(*files), 6_000, 1_500)
    shown_tokens = sum(budget.estimate_tokens(v.shown) + 1 for v in sel.shown)
    listed_tokens = sum(budget.estimate_tokens(budget.file_line(v)) + 1 for v in sel.files[:sel.listed])
    assert shown_tokens <= 6_000 and listed_tokens <= 1_500
    assert 0 < sel.listed < 5000 and sum(n for _, n in sel.unlisted_dirs) == 5000 - sel.listed
    assert sel.coverage.files_total == 5000 and 0 < sel.coverage.files_analyzed < 5000
    assert sel.coverage.truncated


def test_patch_dropped_by_git_layer_counts_as_truncated():
    c = commit(fc("src/a.py"), FileChange(path="src/b.py", status="M", insertions=9000, patch="", patch_clipped=True))
    sel = budget.select(c, 10_000, 2_000)
    assert {v.change.path: v.note for v in sel.files}["src/b.py"] == "over budget"
    assert sel.coverage.truncated and sel.coverage.files_analyzed == 1


def test_clean_is_applied_before_measuring():
    c = commit(fc("src/a.py"))
    sel = budget.select(c, 10_000, 2_000, clean=lambda path, text: text.replace("x", "Y"))
    assert "x" not in sel.shown[0].shown.replace("+++", "").split("line")[1]
