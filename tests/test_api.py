"""The library interface, used as a program that imports commitdigest would."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

import commitdigest
from commitdigest.errors import CommitdigestError


@pytest.fixture
def repo(make_repo):
    r = make_repo("lib")
    r.git("remote", "add", "origin", "https://github.com/acme/lib.git")
    r.commit("chore: init", {"README.md": "# lib\n"}, when="2026-01-12T09:00:00+08:00")
    r.commit("feat: add the client (#7)", {"lib/client.py": "def get():\n    return 1\n"},
             when="2026-01-13T10:00:00+08:00")
    r.commit("fix: a|b <script>x</script>", {"lib/client.py": "def get():\n    return 2\n"},
             when="2026-01-13T11:00:00+08:00")
    return r


def test_build_report_and_render(repo, tmp_path):
    report = commitdigest.build_report(repo.path, "2026-01-13", tz="Asia/Shanghai", language="en",
                                       cache_dir=tmp_path / "cache")
    [section] = report.repos
    assert section.name == "acme/lib"
    assert [c.subject for c in section.commits] == ["fix: a|b <script>x</script>", "feat: add the client (#7)"]
    assert [c.analysis.importance.value for c in section.commits] == ["medium", "high"]  # 7+2; 8+2


def test_load_report_round_trips_the_twin(repo, tmp_path):
    from commitdigest import pipeline

    report = commitdigest.build_report(str(repo.path), date(2026, 1, 13), tz="Asia/Shanghai",
                                       cache_dir=tmp_path / "cache")
    written = pipeline.write_report(report, tmp_path / "out", ["md", "json"], date(2026, 1, 13), date(2026, 1, 13),
                                    site=False)
    loaded = commitdigest.load_report(tmp_path / "out" / "2026-01-13.json")
    # the same bytes from the record read back as from the record built
    assert pipeline.render_report(loaded, ["md", "json"]) == {
        p.suffix[1:]: p.read_text(encoding="utf-8") for p in written}
    (tmp_path / "bad.json").write_text(json.dumps({"title": "x"}))
    with pytest.raises(CommitdigestError, match="not a report twin"):
        commitdigest.load_report(tmp_path / "bad.json")


def test_analyze_commit_and_rollup(repo, tmp_path):
    entry = commitdigest.analyze_commit(repo.path, "HEAD", language="en", use_cache=False)
    assert entry.subject.startswith("fix:") and entry.analysis.importance_score.total == 9
    week = commitdigest.build_rollup(repo.path, week="2026-W03", tz="Asia/Shanghai", use_cache=False)
    assert week.repos[0].totals.commits == 3 and week.repos[0].totals.high == 1  # Jan 12–18: init too


def test_the_version_does_not_import_the_report_stack():
    code = "import sys, commitdigest; commitdigest.__version__; print(sorted(m for m in sys.modules if m.startswith(('jinja2', 'pydantic', 'commitdigest.'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
