"""A long period is read, analysed and written a part at a time: the core reads a window's commits
in batches (1 + ⌈n / k⌉ git processes, each batch analysed before the next is read, so at most one
batch holds patch text), the reports are the same whatever the batch size, each report file is
rendered only once the previous one is written (the twin as bytes), and each commit goes once its
entry is made."""

from __future__ import annotations

import subprocess
import weakref
from datetime import date

import pytest
from test_json_twin import old_encoding

from commitdigest import pipeline
from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.errors import OutputError
from commitdigest.git import runner
from commitdigest.git.repo import open_repo
from commitdigest.models import Usage
from commitdigest.outputs import formats
from commitdigest.outputs.files import TEMP_SUFFIX, write_all
from commitdigest.report.render import render_markdown
from commitdigest.window import parse_zone

UTC = parse_zone("UTC")
D1, D2 = date(2026, 1, 13), date(2026, 1, 14)


def two_days(path, per_day: int = 12) -> None:
    """``per_day`` commits on each of 2026-01-13 and 01-14, one on 01-16 (outside the windows);
    every third one touches only docs/. One ``git fast-import``."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stamps = [1768262400 + 3600 * i for i in range(per_day)] + [1768348800 + 3600 * i for i in range(per_day)]
    stamps.append(1768521600)
    stream = []
    for n, ts in enumerate(stamps):
        name = f"docs/p{n}.md" if n % 3 == 0 else f"src/f{n % 5}.py"
        msg = f"fix: change {n}\n".encode()
        blob = "".join(f"value_{j} = {n * 100 + j}\n" for j in range(20)).encode()
        stream += [b"commit refs/heads/main\n",
                   f"author Dev <dev@example.com> {ts} +0000\ncommitter Dev <dev@example.com> {ts} +0000\n".encode(),
                   f"data {len(msg)}\n".encode(), msg, f"M 100644 inline {name}\ndata {len(blob)}\n".encode(), blob,
                   b"\n"]
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(stream), cwd=path, check=True)


@pytest.fixture
def repo(tmp_path):
    two_days(tmp_path / "r")
    return open_repo(str(tmp_path / "r"))


class Counting(HeuristicAnalyzer):
    """The offline analyzer, counting each commit it analyses as one model call, and recording
    what every call was given."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.seen: list = []
        self.on_call = None

    def usage(self) -> Usage:
        return Usage(llm_calls=self.calls)

    def analyze_batch(self, commits, language, progress=None, scoring=None):
        if self.on_call:
            self.on_call(commits)
        self.calls += len(commits)
        self.seen += commits
        return super().analyze_batch(commits, language, progress, scoring)


def test_the_core_reads_a_window_in_batches_and_analyses_each_before_reading_the_next(repo, monkeypatch):
    streams: list[list[str]] = []
    real_stream = runner.stream
    monkeypatch.setattr(runner, "stream", lambda *a, **k: streams.append(a[1]) or real_stream(*a, **k))
    analyzer = Counting()
    calls: list[tuple[int, int]] = []

    def on_call(commits):
        # Commits analysed before hold no patch text any more; this call's commits still do.
        assert all(f.patch == "" for c in analyzer.seen for f in c.files)
        assert all(f.patch for c in commits for f in c.files)
        calls.append((len(commits), sum("-p" in args for args in streams)))

    analyzer.on_call = on_call
    [report] = pipeline.generate([pipeline.Span(D1, D2)], [pipeline.Tracked.of(repo)], analyzer, zone=UTC,
                                 language="en", batch_size=5)
    assert len(report.repos[0].commits) == 24
    patches = [args for args in streams if "-p" in args]
    listings = [args for args in streams if "--first-parent" in args]
    # 1 + ⌈24 / 5⌉ git processes: one listing, five batches read
    assert (len(listings), len(patches)) == (1, 5)
    # Batch b is analysed once b batches have been read, never all of them first.
    assert calls == [(5, 1), (5, 2), (5, 3), (5, 4), (4, 5)]


def _dump(report) -> dict:
    return report.model_dump(mode="json", exclude={"usage": {"seconds"}})


@pytest.mark.parametrize("size", [1, 4, 7])
def test_reports_are_the_same_whatever_the_batch_size(repo, size):
    windows = [pipeline.Span(D1, D1), pipeline.Span(D2, D2), pipeline.Span(D1, D2)]
    filtered = pipeline.Tracked(name="src only", repo=repo, exclude=["docs/*"])

    def run(batch_size: int):
        analyzer, facts = Counting(), {}
        reports = pipeline.generate(windows, [pipeline.Tracked.of(repo), filtered], analyzer, zone=UTC,
                                    language="en", facts=facts, batch_size=batch_size)
        return reports, facts, analyzer

    whole, whole_facts, _ = run(1000)
    parts, part_facts, analyzer = run(size)
    assert [_dump(r) for r in parts] == [_dump(r) for r in whole]
    assert part_facts == whole_facts and len(part_facts) == 24
    assert [[len(s.commits) for s in r.repos] for r in parts] == [[12, 8], [12, 8], [24, 16]]
    # Each report counts its own model usage: a day's commits are analysed for that day's report
    # (once per source), the period's report finds them all done.
    assert [r.usage.llm_calls for r in parts] == [20, 20, 0]
    assert [r.usage.cache_hits for r in parts] == [0, 0, 40]
    assert analyzer.calls == 40


def _report(repo):
    return pipeline.generate([pipeline.Span(D1, D2)], [pipeline.Tracked.of(repo)], zone=UTC, language="en")[0]


def test_each_file_is_rendered_once_the_previous_one_is_written_and_the_twin_as_bytes(repo, tmp_path, monkeypatch):
    report = _report(repo)
    out = tmp_path / "out"
    seen: list[tuple[str, int, type]] = []
    for name in ("md", "json", "html"):
        f = formats.FORMATS[name]

        def render(r, f=f):
            made = f.render(r)
            # how many of this report's temp files exist at this point, its own (still empty) included
            seen.append((f.name, len(list(out.glob(f".*{TEMP_SUFFIX}"))), type(made)))
            return made

        monkeypatch.setitem(formats.FORMATS, name, formats.Format(name, suffix=f.suffix, render=render,
                                                                  site_file=f.site_file, render_site=f.render_site))
    written = pipeline.write_report(report, out, ["md", "json", "html"], D1, D2, site=False)
    assert seen == [("json", 1, bytearray), ("html", 2, str), ("md", 3, str)]
    assert {p.name for p in written} == {f"2026-01-13_2026-01-14.{s}" for s in ("md", "json", "html")}
    assert not list(out.glob(f".*{TEMP_SUFFIX}"))
    stem = out / "2026-01-13_2026-01-14"
    # The bytes written are the text the twin always was, and the Markdown's text, UTF-8.
    assert stem.with_suffix(".json").read_bytes() == old_encoding(report).encode()
    assert stem.with_suffix(".md").read_bytes() == render_markdown(report).encode()


def test_a_file_that_fails_to_render_leaves_none_of_the_set(tmp_path):
    def broken():
        raise OutputError("cannot render")

    with pytest.raises(OutputError):
        write_all({tmp_path / "a.json": b"{}\n", tmp_path / "b.html": lambda: "<p>\n", tmp_path / "c.md": broken})
    assert list(tmp_path.iterdir()) == []


def test_a_batchs_commits_go_once_their_entries_are_made(repo, monkeypatch):
    made = pipeline.make_entry
    refs: list[weakref.ref] = []
    alive: list[int] = []

    def watched(commit, *args, **kwargs):
        alive.append(sum(r() is not None for r in refs))
        refs.append(weakref.ref(commit))
        return made(commit, *args, **kwargs)

    monkeypatch.setattr(pipeline, "make_entry", watched)
    [report] = pipeline.generate([pipeline.Span(D1, D2)], [pipeline.Tracked.of(repo)], zone=UTC, language="en",
                                 batch_size=5)
    # While an entry is made, only commits of its own batch (five at most) are alive: those of
    # the batches before went with them, and the report holds none.
    assert len(alive) == 24 and max(alive) <= 4 and alive[5] == 0
    assert all(r() is None for r in refs)
    assert report.repos[0].stats.total == 24 and report.repos[0].stats.insertions == 24 * 20


@pytest.mark.parametrize("language", ["en", "zh"])
def test_commit_blocks_rendered_while_git_reads_make_the_same_markdown(repo, language):
    def day_report(prepare):
        [report] = pipeline.generate([pipeline.Span(D1, D2)], [pipeline.Tracked.of(repo)], zone=UTC,
                                     language=language, batch_size=5, prepare=prepare)
        report.usage.seconds = 0.0  # the time it took is the one thing the two may differ in
        return report

    ahead, plain = day_report(formats.preparer(["md", "json"])), day_report(None)
    entries = ahead.repos[0].commits
    keys = [("md", language, e.analysis.importance.value) for e in entries]
    assert len(entries) == 24 and all(e.piece(k) for e, k in zip(entries, keys, strict=True))
    assert not any(e.piece(k) for e, k in zip(plain.repos[0].commits, keys, strict=True))
    assert render_markdown(ahead) == render_markdown(plain)
    # The blocks rendered ahead are what was printed, each once: they are gone now.
    assert not any(e.piece(k) for e, k in zip(entries, keys, strict=True))
    marked = day_report(formats.preparer(["md"]))
    first = marked.repos[0].commits[0]
    first.keep_piece(("md", language, first.analysis.importance.value), "#### THE BLOCK KEPT\n\n---\n")
    assert "#### THE BLOCK KEPT" in render_markdown(marked)
    assert formats.preparer(["json"]) is None  # the twin has nothing to render ahead


def test_a_kept_block_goes_when_its_entry_changes(repo):
    [report] = pipeline.generate([pipeline.Span(D1, D2)], [pipeline.Tracked.of(repo)], zone=UTC, language="en",
                                 prepare=formats.preparer(["md"]))
    one, two = report.repos[0].commits[:2]
    key = ("md", "en", one.analysis.importance.value)
    assert one.piece(key) and two.piece(("md", "en", two.analysis.importance.value))
    copied = one.model_copy(update={"subject": "fix: another subject"})
    assert copied.piece(key) is None and one.piece(key)
    one.subject = "fix: another subject"
    assert one.piece(key) is None
    assert "fix: another subject" in render_markdown(report)


def test_pull_requests_over_batches_keep_one_budget_and_one_coverage_line(make_repo, monkeypatch):
    from hosting_server import FakeHost
    from test_hosting import SH, serve_prs, squash_repo

    from commitdigest.hosting import HostingSettings

    for var in ("COMMITDIGEST_GITHUB_TOKEN", "GITLAB_TOKEN", "COMMITDIGEST_GITLAB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_faketoken")
    day = pipeline.Span(date(2026, 1, 13), date(2026, 1, 13))
    repo = squash_repo(make_repo)
    with FakeHost() as host:
        serve_prs(host, repo)
        tracked = [pipeline.Tracked.of(open_repo(repo.path))]

        def run(size: int, **settings):
            host.requests.clear()
            [report] = pipeline.generate([day], tracked, zone=SH, language="en", batch_size=size,
                                         hosting=HostingSettings(github_api=host.github_api, **settings))
            return report, len(host.requests)

        whole, _ = run(1000)
        parts, _ = run(1)
        assert _dump(parts) == _dump(whole)
        assert parts.usage.pr_meta == "PR metadata: 3 of 3 PRs"
        # max_requests is the repository's for the run, not each batch's
        for budget in (1, 2, 3):
            limited, asked = run(1, max_requests=budget)
            assert asked == budget
            assert limited.usage.pr_meta.endswith(f"; GitHub: {budget} requests asked, the most one run may")
