"""Kinds of source: a location → a local repository. The built-in kinds split URLs from paths;
a kind added from outside the package (one module, one registry line, or ``register``) is read
by the library and accepted by the config like the built-in ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import commitdigest
from commitdigest import sources
from commitdigest.config import RepoConfig


@pytest.mark.parametrize(("location", "kind"), [
    ("https://github.com/acme/svc.git", "remote"), ("git@github.com:acme/svc.git", "remote"),
    ("file:///srv/git/svc.git", "remote"), ("ssh://git@host/acme/svc", "remote"),
    ("~/src/svc", "local"), ("./svc", "local"), ("C:svc", "local"), ("svc", "local"),
])
def test_built_in_kinds(location, kind):
    assert sources.kind_of(location).name == kind
    assert sources.is_remote(location) == (kind == "remote")


def test_a_registered_kind_is_read_like_any_other(make_repo, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "_added", [])
    repo = make_repo("svc")
    repo.commit("feat: add the planner", {"src/plan.py": "def plan():\n    return 1\n"},
                when="2026-01-13T10:00:00+08:00")
    asked = []

    def fetch(location: str, fetching: sources.Fetch) -> str:
        asked.append((location, fetching.cache_dir))
        return str(repo.path)

    sources.register(sources.SourceKind(name="fixture", matches=lambda loc: loc.startswith("fixture:"),
                                        fetch=fetch, default_name=lambda loc: loc.removeprefix("fixture:")))
    report = commitdigest.build_report("fixture:svc", "2026-01-13", tz="Asia/Shanghai", cache_dir=tmp_path / "cache")
    assert [c.subject for s in report.repos for c in s.commits] == ["feat: add the planner"]
    assert asked == [("fixture:svc", tmp_path / "cache")]
    # the config takes it as a remote location and names the section after it
    assert RepoConfig(url="fixture:svc").display_name() == "svc"
    with pytest.raises(ValidationError, match="URL"):
        RepoConfig(url="/srv/svc")  # a path is not a url, whatever kinds there are
