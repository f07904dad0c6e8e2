"""The generation core: report, run, analyze and rollups build through one ``pipeline.generate``;
one registry of output formats; per-repo rollups whose links resolve; a light ``--help``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from conftest import run_cli

from commitdigest import pipeline
from commitdigest.git.repo import open_repo
from commitdigest.window import parse_zone

SH = parse_zone("Asia/Shanghai")
D1, D2 = date(2026, 1, 13), date(2026, 1, 14)


@pytest.fixture
def repo(make_repo):
    r = make_repo("engine")
    r.commit("feat: add the scheduler", {"sched/core.py": "A = 1\n" * 60}, when="2026-01-13T09:00:00+08:00")
    r.commit("docs: describe it", {"docs/sched.md": "# S\n"}, when="2026-01-13T15:00:00+08:00")
    r.commit("fix: crash on an empty queue", {"sched/queue.py": "Q = []\n"}, when="2026-01-14T10:00:00+08:00")
    r.commit("chore: later", {"x.txt": "x\n"}, when="2026-01-16T10:00:00+08:00")  # outside every window
    return r


def _entries(report) -> dict[str, dict]:
    return {c.sha: c.model_dump(mode="json", exclude={"anchor"}) for s in report.repos for c in s.commits}


def test_one_core_serves_report_run_and_analyze(repo, tmp_path):
    source = pipeline.Tracked.of(open_repo(repo.path))
    # Three windows of different lengths in one call: git reads the repository once for their span.
    day1, day2, both = pipeline.generate([pipeline.Span(D1, D1), pipeline.Span(D2, D2), pipeline.Span(D1, D2)],
                                         [source], zone=SH, language="en")
    assert [len(r.repos[0].commits) for r in (day1, day2, both)] == [2, 1, 3]
    assert both.period and not day1.period

    report = pipeline.generate_report(pipeline.ReportRequest(
        repos=[pipeline.RepoSpec(path=str(repo.path))], since=D1, until=D2, zone=SH, language="en",
        cache_dir=tmp_path / "cache"))
    days = dict(pipeline.generate_days([source], [D2, D1], SH, language="en"))
    assert _entries(report) == _entries(both) == {**_entries(days[D1]), **_entries(days[D2])}
    assert _entries(days[D1]) == _entries(day1)

    for sha, entry in _entries(days[D1]).items():
        one, usage = pipeline.analyze_one(str(repo.path), sha, "en", SH, cache_dir=tmp_path / "cache")
        assert one.model_dump(mode="json", exclude={"anchor"}) == entry
        assert usage.cache_hits == 1  # the report above left its analysis in the same cache


def test_a_source_that_fails_is_a_section_error_in_run_and_fatal_in_report(repo, tmp_path):
    from commitdigest.errors import RepoError

    good = pipeline.Tracked.of(open_repo(repo.path))
    broken = pipeline.Tracked(name="gone", error="cannot fetch")
    [r] = pipeline.generate([pipeline.Span(D1, D1)], [broken, good], zone=SH, language="en")
    assert [(s.name, s.error, len(s.commits)) for s in r.repos] == [("gone", "cannot fetch", 0),
                                                                    (good.name, None, 2)]
    with pytest.raises(RepoError):
        pipeline.open_source(tmp_path / "nowhere")


def test_a_new_format_is_one_registry_entry(repo, tmp_path, monkeypatch):
    """What the README's "Adding a format" shows: a Format in the registry, and nothing else."""
    from commitdigest.job import days_to_do
    from commitdigest.outputs import check_formats, formats

    monkeypatch.setitem(formats.FORMATS, "txt", formats.Format(
        "txt", suffix="txt", render=lambda report: f"{report.title}: {report.repos[0].stats.total}\n"))
    assert check_formats(["txt", "md"]) == ["txt", "md"]
    [report] = pipeline.generate([pipeline.Span(D1, D1)], [pipeline.Tracked.of(open_repo(repo.path))], zone=SH,
                                 language="en")
    written = pipeline.write_report(report, tmp_path / "out", ["txt"], D1, D1)
    assert written == [tmp_path / "out" / "2026-01-13.txt"]
    assert written[0].read_text().endswith(": 2\n")
    # run counts a day as done only when the new format's file is there too
    assert days_to_do([D1], tmp_path / "out", ["txt"], force=False) == ([], [D1])
    assert days_to_do([D1], tmp_path / "out", ["txt", "md"], force=False) == ([D1], [])


def test_directory_formats_imply_the_twin():
    from commitdigest.outputs import formats

    assert formats.report_files(["feed"]) == ["json"]
    assert formats.report_files(["html", "md"]) == ["md", "json", "html"]
    assert [f.site_file for f in formats.site_formats(["md", "feed", "html"])] == ["index.html", "feed.xml"]


def test_load_report_is_what_run_notifies_from(repo, tmp_path):
    """A day written earlier is announced from its twin as a Report record (never a dict)."""
    from commitdigest import job
    from commitdigest.outputs.catalog import load_report

    [report] = pipeline.generate([pipeline.Span(D1, D1)], [pipeline.Tracked.of(open_repo(repo.path))], zone=SH,
                                 language="en")
    pipeline.write_report(report, tmp_path, ["md", "json"], D1, D1)
    loaded = load_report(tmp_path / "2026-01-13.json")
    assert _entries(loaded) == _entries(report)
    assert job._loaded(tmp_path / "2026-01-13.json") == loaded
    (tmp_path / "2026-01-14.json").write_text('{"repos": [{"name": 1}]}')
    assert job._loaded(tmp_path / "2026-01-14.json") is None
    assert job._had_failures(tmp_path / "2026-01-14.json") and not job._had_failures(tmp_path / "2026-01-13.json")


def _links(md: str) -> list[str]:
    return re.findall(r"\]\((\.\./[^)\s]+)\)", md)


def test_per_repo_rollups_land_in_each_folder_and_their_links_resolve(make_repo, tmp_path):
    a, b = make_repo("alpha"), make_repo("beta")
    # a week across New Year: 2025-W01 is Dec 30, 2024 to Jan 5, 2025
    a.commit("feat: add the scheduler", {"sched/core.py": "A = 1\n" * 60}, when="2024-12-31T10:00:00+08:00")
    a.commit("feat: stream results", {"sched/stream.py": "S = 1\n" * 120}, when="2025-01-02T10:00:00+08:00")
    b.commit("feat: new engine", {"engine/core.py": "E = 1\n" * 80}, when="2024-12-30T10:00:00+08:00")
    out = tmp_path / "site"
    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{a.path}"\nname = "acme/alpha"\n'
                   f'[[repos]]\npath = "{b.path}"\nname = "acme/beta"\n'
                   f'[output]\ndir = "{out}"\nlayout = "per-repo"\nformats = ["md", "json", "html"]\n'
                   'rollups = ["weekly"]\n')
    r = run_cli("run", "--config", str(cfg), "--since", "2024-12-30", "--until", "2025-01-05", "-q")
    assert r.returncode == 0, r.stderr
    assert not (out / "rollups").exists()  # nothing in the flat layout's place
    pages = {}
    for folder in ("alpha", "beta"):
        md = out / "2025" / folder / "rollups" / "2025-W01.md"
        assert md.is_file() and str(md) in r.stdout.split()
        data = json.loads(md.with_suffix(".json").read_text())
        assert [repo["name"] for repo in data["repos"]] == [f"acme/{folder}"]  # its own repository only
        pages[folder] = md
    links = _links(pages["alpha"].read_text())
    assert len(links) == 2  # a day of each year of the week
    assert any(link.startswith("../../../2024/alpha/2024-12-31.md#") for link in links)
    assert any(link.startswith("../../../2025/alpha/2025-01-02.md#") for link in links)
    for link in links + _links(pages["beta"].read_text()):
        target, anchor = link.split("#")
        for folder_md in pages.values():
            path = (folder_md.parent / target).resolve()
            if path.is_file():
                break
        assert path.is_file(), link
        assert f'<a id="{anchor}"></a>' in path.read_text()
        html = path.with_suffix(".html")
        assert html.is_file() and f'id="{anchor}"' in html.read_text()
    again = run_cli("run", "--config", str(cfg), "--since", "2024-12-30", "--until", "2025-01-05", "-q")
    assert again.returncode == 0 and "rollups" not in again.stdout  # written once


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_do_not_load_the_report_stack(flag):
    code = ("import sys\nfrom commitdigest.cli import main\n"
            f"sys.argv = ['commitdigest', '{flag}']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('commitdigest.pipeline', 'commitdigest.job', 'commitdigest.api', 'jinja2',"
            " 'pydantic', 'commitdigest.models') if m in sys.modules]\n"
            "print('LOADED', heavy, file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "LOADED []" in r.stderr, r.stderr
    assert ("Usage:" if flag == "--help" else "commitdigest, version") in r.stdout


def test_the_min_importance_choice_lists_the_tiers():
    from commitdigest.analysis.factory import TIERS
    from commitdigest.models import Importance

    assert list(TIERS) == [i.value for i in reversed(list(Importance))]  # lowest first, as before


def test_previous_period_counts_need_no_patch(repo):
    """The rollup's previous period reads line counts only (no ``-p``), with the same numbers."""
    from commitdigest.git import log as gitlog
    from commitdigest.window import make_window

    r = open_repo(repo.path)
    window = make_window(D1, date(2026, 1, 16), SH)
    full = gitlog.commits_in_window(r, window, limits=gitlog.PatchLimits())
    counts = gitlog.commits_in_window(r, window, limits=gitlog.COUNTS_ONLY)
    assert [(c.sha, [(f.path, f.insertions, f.deletions) for f in c.files]) for c in counts] == \
        [(c.sha, [(f.path, f.insertions, f.deletions) for f in c.files]) for c in full]
    assert all(f.patch == "" for c in counts for f in c.files)
    assert any(f.patch for c in full for f in c.files)


def test_the_catalog_is_read_again_when_a_twin_or_page_changes(repo, tmp_path):
    """The index and the feed share one reading of the directory, but never a stale one."""
    from commitdigest.outputs.catalog import scan

    [report] = pipeline.generate([pipeline.Span(D1, D1)], [pipeline.Tracked.of(open_repo(repo.path))], zone=SH,
                                 language="en")
    pipeline.write_report(report, tmp_path, ["json"], D1, D1, site=False)
    first = scan(tmp_path)
    assert [e.page for e in first.entries] == ["2026-01-13.json"] and scan(tmp_path) is first
    pipeline.write_report(report, tmp_path, ["html"], D1, D1)  # the page and index.html appear
    second = scan(tmp_path)
    assert [e.page for e in second.entries] == ["2026-01-13.html"]
    assert scan(tmp_path) is second  # index.html itself is no reason to read the twins again
    pipeline.write_report(report.model_copy(update={"title": "Renamed day"}), tmp_path, ["json"], D1, D1, site=False)
    assert [e.title for e in scan(tmp_path).entries] == ["Renamed day"]


def test_a_report_without_a_token_loads_no_http_client(make_repo, tmp_path):
    """The hosting clients (and httpx under them) load only when an API is asked."""
    repo = make_repo("svc")
    repo.commit("feat: x", {"src/x.py": "X = 1\n"}, when="2026-01-13T10:00:00+08:00")
    code = ("import sys\nfrom commitdigest.cli import main\n"
            f"sys.argv = ['commitdigest', 'report', '--repo', {str(repo.path)!r}, '--date', '2026-01-13',"
            f" '--tz', 'Asia/Shanghai', '--no-cache', '--quiet', '--out', {str(tmp_path / 'out')!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', [m for m in ('httpx', 'commitdigest.hosting.http') if m in sys.modules], file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("GITHUB_TOKEN", "GITLAB_TOKEN"))}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "LOADED []" in r.stderr, r.stderr
    assert (tmp_path / "out" / "2026-01-13.md").is_file()
