"""Reading git: windows, first-parent history, and every odd kind of commit, on real repos."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from commitdigest.errors import RepoError
from commitdigest.git.log import PatchLimits, commits_in_window, read_commits
from commitdigest.git.repo import open_repo, web_links
from commitdigest.window import make_window, parse_zone

SH = parse_zone("Asia/Shanghai")


def day_window(day: str, zone=SH):
    d = date.fromisoformat(day)
    return make_window(d, d, zone)


def subjects(repo, window, field="committer"):
    r = open_repo(repo.path)
    return [c.subject for c in commits_in_window(r, window, field)]


def test_window_edges_compare_instants_not_strings(make_repo):
    repo = make_repo()
    repo.commit("before", {"a": "0"}, when="2026-01-12T23:59:59+08:00")
    repo.commit("at midnight", {"a": "1"}, when="2026-01-13T00:00:00+08:00")
    # 16:30 UTC on the 12th is 00:30 on the 13th in Shanghai.
    repo.commit("utc evening", {"a": "2"}, when="2026-01-12T16:30:00+00:00")
    repo.commit("last second", {"a": "3"}, when="2026-01-13T23:59:59+08:00")
    repo.commit("next midnight", {"a": "4"}, when="2026-01-14T00:00:00+08:00")
    assert subjects(repo, day_window("2026-01-13")) == ["last second", "utc evening", "at midnight"]
    assert subjects(repo, day_window("2026-01-14")) == ["next midnight"]
    # The same instants seen from UTC fall on other days.
    utc = parse_zone("UTC")
    assert subjects(repo, day_window("2026-01-12", utc)) == ["utc evening", "at midnight", "before"]


def test_fixed_offset_zone(make_repo):
    repo = make_repo()
    repo.commit("x", {"a": "1"}, when="2026-01-13T01:00:00+00:00")
    assert subjects(repo, day_window("2026-01-12", parse_zone("-05:00"))) == ["x"]
    assert subjects(repo, day_window("2026-01-13", parse_zone("+08:00"))) == ["x"]


def test_dst_days_are_23_and_25_hours(make_repo):
    ny = parse_zone("America/New_York")
    spring = day_window("2026-03-08", ny)
    fall = day_window("2026-11-01", ny)
    assert (spring.end - spring.start).total_seconds() == 23 * 3600
    assert (fall.end - fall.start).total_seconds() == 25 * 3600
    repo = make_repo()
    repo.commit("spring late", {"a": "1"}, when="2026-03-08T23:30:00-04:00")
    repo.commit("spring next", {"a": "2"}, when="2026-03-09T00:00:00-04:00")
    repo.commit("fall first", {"a": "3"}, when="2026-11-01T00:00:00-04:00")
    repo.commit("fall repeated hour", {"a": "4"}, when="2026-11-01T01:30:00-05:00")
    repo.commit("fall last", {"a": "5"}, when="2026-11-01T23:59:59-05:00")
    assert subjects(repo, spring) == ["spring late"]
    assert subjects(repo, fall) == ["fall last", "fall repeated hour", "fall first"]


def test_author_date_field(make_repo):
    repo = make_repo()
    # Written on the 10th, landed on the 13th.
    repo.commit("late landing", {"a": "1"}, when="2026-01-13T09:00:00+08:00",
                author_when="2026-01-10T09:00:00+08:00")
    assert subjects(repo, day_window("2026-01-13")) == ["late landing"]
    assert subjects(repo, day_window("2026-01-13"), "author") == []
    assert subjects(repo, day_window("2026-01-10"), "author") == ["late landing"]


def test_first_parent_only_and_merge_diffed_against_first_parent(make_repo):
    repo = make_repo()
    repo.commit("base", {"a.txt": "a\n"}, when="2026-01-13T08:00:00+08:00")
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic work", {"t.py": "x = 1\n"}, when="2026-01-13T09:00:00+08:00")
    repo.git("checkout", "-q", "main")
    repo.commit("main work", {"m.txt": "m\n"}, when="2026-01-13T09:30:00+08:00")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge topic", "topic", when="2026-01-13T10:00:00+08:00")
    r = open_repo(repo.path)
    commits = commits_in_window(r, day_window("2026-01-13"))
    assert [c.subject for c in commits] == ["Merge topic", "main work", "base"]
    merge = commits[0]
    assert merge.is_merge and len(merge.parents) == 2
    assert [(f.path, f.status, f.insertions) for f in merge.files] == [("t.py", "A", 1)]
    assert "+x = 1" in merge.files[0].patch


def test_root_rename_binary_submodule_empty(make_repo):
    sub = make_repo("sub")
    sub.commit("sub init", {"s": "s"})
    repo = make_repo()
    root = repo.commit("root", {"src/app.py": "def main():\n    return 1\n" * 20, "logo.png": b"\x89PNG\x00\x01\x02"},
                       when="2026-01-13T01:00:00+08:00")
    repo.git("mv", "src/app.py", "src/main.py")
    repo.commit("rename", when="2026-01-13T02:00:00+08:00")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub")
    repo.commit("add submodule", when="2026-01-13T03:00:00+08:00")
    sub.commit("sub next", {"s": "t"})
    subprocess.run(["git", "-C", str(repo.path / "vendor/sub"), "pull", "-q"], check=True, capture_output=True)
    repo.commit("bump submodule", when="2026-01-13T04:00:00+08:00")
    repo.commit("empty", allow_empty=True, when="2026-01-13T05:00:00+08:00")
    commits = {c.subject: c for c in commits_in_window(open_repo(repo.path), day_window("2026-01-13"))}
    assert commits["root"].sha == root and commits["root"].parents == []
    files = {f.path: f for f in commits["root"].files}
    assert files["logo.png"].binary and files["src/app.py"].insertions == 40
    (ren,) = commits["rename"].files
    assert (ren.status, ren.old_path, ren.path) == ("R", "src/app.py", "src/main.py")
    bump = [f for f in commits["bump submodule"].files if f.path == "vendor/sub"]
    assert bump and bump[0].submodule and bump[0].status == "M"
    assert "Subproject commit" in bump[0].patch
    assert commits["empty"].files == []


def test_non_utf8_message_and_path(make_repo):
    repo = make_repo()
    repo.commit(b"fix: caf\xe9 au lait\n\nbody \xff\n", {b"caf\xe9.txt": "x\n"})
    (c,) = read_commits(open_repo(repo.path), [repo.git("rev-parse", "HEAD")])
    # git may re-encode a message with no encoding header; either way it arrives as valid text.
    assert c.subject.startswith("fix: caf") and c.subject.endswith(" au lait")
    assert c.files[0].path == "caf\ufffd.txt"
    c.model_dump_json()  # serialisable: no surrogates left
    assert c.files[0].insertions == 1


def test_five_thousand_files_in_one_process(make_repo):
    repo = make_repo()
    files = {f"pkg{i % 50}/mod{i}.py": f"value = {i}\n" for i in range(5000)}
    repo.commit("feat: generate modules", files)
    r = open_repo(repo.path)
    (c,) = read_commits(r, [repo.git("rev-parse", "HEAD")], PatchLimits(per_file=1024, per_commit=100_000))
    assert len(c.files) == 5000
    assert sum(f.insertions for f in c.files) == 5000
    kept = sum(len(f.patch) for f in c.files)
    assert kept <= 100_000 + 5000  # bounded by the per-commit limit, not by the commit's size
    assert any(f.patch_clipped for f in c.files)


def test_patch_clipped_per_file(make_repo):
    repo = make_repo()
    repo.commit("big", {"big.txt": "".join(f"line {i}\n" for i in range(5000)), "small.txt": "s\n"})
    (c,) = read_commits(open_repo(repo.path), [repo.git("rev-parse", "HEAD")], PatchLimits(per_file=2000))
    files = {f.path: f for f in c.files}
    assert files["big.txt"].patch_clipped and len(files["big.txt"].patch) <= 2000
    assert files["big.txt"].insertions == 5000  # counts stay exact
    assert not files["small.txt"].patch_clipped and "+s" in files["small.txt"].patch


def test_missing_blob_degrades_one_commit(make_repo):
    repo = make_repo()
    repo.commit("good one", {"a.txt": "a\n"}, when="2026-01-13T01:00:00+08:00")
    broken = repo.commit("broken one", {"b.txt": "lost content\n", "c.txt": "c\n"},
                         when="2026-01-13T02:00:00+08:00")
    repo.commit("good two", {"a.txt": "a2\n"}, when="2026-01-13T03:00:00+08:00")
    blob = repo.git("rev-parse", f"{broken}:b.txt")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    commits = {c.subject: c for c in commits_in_window(open_repo(repo.path), day_window("2026-01-13"))}
    assert set(commits) == {"good one", "broken one", "good two"}
    bad = commits["broken one"]
    assert bad.read_error and blob[:7] in bad.read_error or "unable to read" in bad.read_error
    assert sorted(f.path for f in bad.files) == ["b.txt", "c.txt"]
    assert not bad.counts_known
    assert commits["good two"].read_error is None and "+a2" in commits["good two"].files[0].patch


def test_select_shas_is_one_process_per_window(make_repo, monkeypatch):
    repo = make_repo()
    for i in range(12):
        repo.commit(f"c{i}", {"f": str(i)}, when=f"2026-01-13T{i + 1:02d}:00:00+08:00")
    calls = []
    from commitdigest.git import runner

    real_run, real_stream = runner.run, runner.stream
    monkeypatch.setattr(runner, "run", lambda *a, **k: calls.append(a[1][0]) or real_run(*a, **k))
    monkeypatch.setattr(runner, "stream", lambda *a, **k: calls.append(a[1][0]) or real_stream(*a, **k))
    r = open_repo(repo.path)
    calls.clear()
    commits = commits_in_window(r, day_window("2026-01-13"))
    assert len(commits) == 12
    assert calls == ["log", "log"]


@pytest.mark.parametrize("url, base", [
    ("https://github.com/ai-dynamo/dynamo.git", "https://github.com/ai-dynamo/dynamo"),
    ("git@github.com:ai-dynamo/dynamo.git", "https://github.com/ai-dynamo/dynamo"),
    ("ssh://git@github.com/ai-dynamo/dynamo", "https://github.com/ai-dynamo/dynamo"),
    ("https://user:s3cret@gitlab.com/group/sub/proj.git", "https://gitlab.com/group/sub/proj"),
    ("git@gitlab.com:group/proj.git", "https://gitlab.com/group/proj"),
])
def test_web_links_known_hosts(url, base):
    links = web_links(url)
    assert links is not None and links.base == base
    assert "s3cret" not in links.commit("abc")


@pytest.mark.parametrize("url", ["https://example.org/a/b.git", "/srv/git/x.git", "file:///srv/x", None])
def test_web_links_unknown_hosts(url):
    assert web_links(url) is None


def test_links_from_origin(make_repo):
    repo = make_repo()
    repo.commit("x", {"a": "1"})
    repo.git("remote", "add", "origin", "git@gitlab.com:grp/proj.git")
    r = open_repo(repo.path)
    assert r.name == "grp/proj"
    assert r.links.commit("abc") == "https://gitlab.com/grp/proj/-/commit/abc"
    assert r.links.pr_base == "https://gitlab.com/grp/proj/-/merge_requests/"


def test_bare_repository_and_branch(make_repo, tmp_path):
    repo = make_repo()
    repo.commit("on main", {"a": "1"}, when="2026-01-13T10:00:00+08:00")
    repo.git("checkout", "-q", "-b", "dev")
    repo.commit("on dev", {"a": "2"}, when="2026-01-13T11:00:00+08:00")
    repo.git("checkout", "-q", "main")
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    r = open_repo(bare)
    # Named after the repository it was cloned from (remote.origin.url), not its folder.
    assert r.name == "repo0" and r.branch == "main"
    subprocess.run(["git", "-C", str(bare), "remote", "remove", "origin"], check=True)
    assert open_repo(bare).name == "mirror"  # no remote: the folder, without .git
    assert [c.subject for c in commits_in_window(r, day_window("2026-01-13"))] == ["on main"]
    r_dev = open_repo(bare, "dev")
    assert [c.subject for c in commits_in_window(r_dev, day_window("2026-01-13"))] == ["on dev", "on main"]


def test_repo_errors(make_repo, tmp_path):
    with pytest.raises(RepoError, match="no such file"):
        open_repo(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(RepoError, match="not a git repository"):
        open_repo(tmp_path / "plain")
    empty = make_repo("empty")
    with pytest.raises(RepoError, match="empty repository"):
        open_repo(empty.path)
    empty.commit("x", {"a": "1"})
    with pytest.raises(RepoError, match="unknown branch 'nope'"):
        open_repo(empty.path, "nope")


def test_window_commits_newest_first_by_chosen_date(make_repo):
    repo = make_repo()
    repo.commit("one", {"a": "1"}, when="2026-01-13T10:00:00+08:00")
    repo.commit("two", {"a": "2"}, when="2026-01-13T12:00:00+08:00")
    r = open_repo(repo.path)
    shas = [c.sha for c in commits_in_window(r, day_window("2026-01-13"))]
    assert shas == [repo.git("rev-parse", "HEAD"), repo.git("rev-parse", "HEAD~1")]
