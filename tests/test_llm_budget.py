"""Choosing what of a diff fits the prompt budget."""

from __future__ import annotations

from datetime import UTC, datetime

from commitdigest.analysis import budget
from commitdigest.models import Commit, FileChange

NOW = datetime(2026, 1, 13, tzinfo=UTC)


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
                      deletions=kw.pop("deletions", 0), patch=text, **kw)


def commit(*files: FileChange) -> Commit:
    return Commit(sha="c" * 40, author="A", author_time=NOW, committer_time=NOW, subject="s", files=list(files))


def test_estimate_over_counts_ascii_and_counts_cjk():
    assert budget.estimate_tokens("") == 0
    assert budget.estimate_tokens("abcdef") == 2
    assert budget.estimate_tokens("中文字") == 3
    assert budget.estimate_tokens("x" * 3000) == 1000


def test_skipped_kinds_are_listed_not_shown():
    c = commit(fc("package-lock.json"), fc("vendor/lib/x.go"), fc("web/app.min.js"),
               fc("api/v1/types.pb.go"), fc("logo.png", "", binary=True), fc("src/main.py", patch("src/main.py", lines=60)))
    # Room for the source file only: lockfiles and generated files are listed, not shown.
    sel = budget.select(c, 1_000, 2_000)
    notes = {v.change.path: v.note for v in sel.files}
    assert notes == {"package-lock.json": "lockfile", "vendor/lib/x.go": "vendored", "web/app.min.js": "minified",
                     "api/v1/types.pb.go": "generated", "logo.png": "binary", "src/main.py": ""}
    assert [v.change.path for v in sel.shown] == ["src/main.py"]
    lines = [budget.file_line(v) for v in sel.files[:sel.listed]]
    assert "M +3 -0 package-lock.json [diff lockfile]" in lines
    # Rule-skipped files are not a gap in coverage: name and +/- are all they have to say.
    assert sel.coverage.files_analyzed == 6 and not sel.coverage.truncated
    assert sel.coverage.lines_analyzed == sel.coverage.lines_total == 60


def test_lockfile_and_generated_changed_lines_come_last_when_there_is_room():
    c = commit(fc("package-lock.json"), fc("vendor/lib/x.go"), fc("web/app.min.js"),
               fc("api/v1/types.pb.go"), fc("logo.png", "", binary=True), fc("src/main.py"))
    sel = budget.select(c, 10_000, 2_000)
    # source first; a lock's and a generated file's changed lines after it; never vendored or minified
    assert [v.change.path for v in sel.shown] == ["src/main.py", "api/v1/types.pb.go", "package-lock.json"]
    assert sel.coverage.lines_analyzed == sel.coverage.lines_total == 9


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
    plain = big.split("\n", 2)[2]  # the path lines are not repeated under the file's own heading
    assert plain.startswith(kept)  # a prefix of the patch …
    assert plain[len(kept):].startswith("\n@@")  # … that ends right before a hunk
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


def context_patch(path: str, hunks: int, context: int) -> str:
    """Hunks of one changed line each inside ``context`` unchanged lines either side, as git -U."""
    out = [f"--- a/{path}", f"+++ b/{path}"]
    for h in range(hunks):
        out.append(f"@@ -{h * 1000 + 1},{2 * context + 1} +{h * 1000 + 1},{2 * context + 1} @@")
        out += [f" unchanged {h}.{i} " + "y" * 40 for i in range(context)]
        out += [f"-old {h}", f"+new {h}"]
        out += [f" unchanged {h}.{i} " + "y" * 40 for i in range(context, 2 * context)]
    return "\n".join(out)


def test_condense_keeps_every_change_and_one_line_of_context():
    text = context_patch("src/a.go", hunks=3, context=6)
    tight = budget.condense(text)
    lines = tight.split("\n")
    assert [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))] == \
        ["-old 0", "+new 0", "-old 1", "+new 1", "-old 2", "+new 2"]
    assert sum(line.startswith(" unchanged") for line in lines) == 6  # one each side of each change
    assert lines.count(" …") == 6 and sum(line.startswith("@@") for line in lines) == 3
    assert budget.condense(patch("src/b.py", hunks=2)) == patch("src/b.py", hunks=2)  # nothing to trim


def test_context_is_trimmed_before_anything_is_clipped():
    text = context_patch("src/a.go", hunks=20, context=20)
    full = budget.estimate_tokens(text)
    sel = budget.select(commit(fc("src/a.go", text, insertions=20, deletions=20)), full // 3, 500)
    view = sel.files[0]
    assert view.note == budget.CONTEXT_TRIMMED and view.lines_shown == 40
    assert budget.estimate_tokens(view.shown) < full // 3
    # every change was seen: that is full coverage, and the file list says context was left out
    assert not sel.coverage.truncated and sel.coverage.files_analyzed == 1
    assert sel.coverage.lines_analyzed == sel.coverage.lines_total == 40
    assert budget.file_line(view).endswith("src/a.go [diff context trimmed]")


def test_a_clipped_hunk_shows_its_change_not_only_its_context():
    # one hunk whose leading context alone is bigger than the room: a prefix of lines would show
    # no change at all; after trimming, the change comes first
    text = context_patch("src/a.go", hunks=1, context=200) + "\n" + "\n".join(f"+more {i} " + "z" * 60
                                                                              for i in range(400))
    view = budget.select(commit(fc("src/a.go", text, insertions=401, deletions=1)), 300, 500).files[0]
    assert view.note == "clipped"
    assert "-old 0" in view.shown and "+new 0" in view.shown


def test_minified_is_judged_by_the_changed_lines_not_the_context():
    bundle = "--- a/web/app.js\n+++ b/web/app.js\n@@ -1 +1 @@\n-" + "a=1;" * 400 + "\n+" + "b=2;" * 400
    prose = ("--- a/docs/guide.md\n+++ b/docs/guide.md\n@@ -1,7 +1,7 @@\n"
             + "\n".join(" " + "A long paragraph of prose on one line. " * 25 for _ in range(3))
             + "\n-Old sentence.\n+New sentence.\n"
             + "\n".join(" " + "Another long paragraph of prose. " * 25 for _ in range(3)))
    assert budget.skip_reason(fc("web/app.js", bundle, insertions=1, deletions=1)) == budget.SKIP_MINIFIED
    assert budget.skip_reason(fc("docs/guide.md", prose, insertions=1, deletions=1)) is None
