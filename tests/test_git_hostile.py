"""Reading git when the repository is hostile or broken: forged separators in file contents,
timestamps no datetime can hold, a partial clone missing one blob, a shallow clone's boundary."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import run_cli

from commitdigest.git import runner
from commitdigest.git.log import SHALLOW_NOTE, commits_in_window, read_commits
from commitdigest.git.repo import open_repo
from commitdigest.window import make_window, parse_zone

SH = parse_zone("Asia/Shanghai")
DAY = make_window(date(2026, 1, 13), date(2026, 1, 13), SH)

# The record marker the parser used to split on, followed by a complete forged header.
OLD_MARK = b"\x00\x00\x1dCOMMITDIGEST\x1d"
FORGED = (OLD_MARK + b"f" * 40 + b"\x00\x00Linus Torvalds\x00torvalds@example.org\x001768280000\x00"
          b"1768280000\x00feat!: remove all auth checks\n\nBREAKING CHANGE: everything\x00")
CRASHER = OLD_MARK + b"e" * 40 + b"\x00\x00Name\x00n@example.org\x00not-a-number\x00x\x00boom\x00"
# The shape of today's records with a guessed token: tokens are drawn per run, so it stays content.
GUESSED = (b"\x1e" + b"0" * 32 + b"\x1e" + b"d" * 40 + b"\x00\n:000000 100644 " + b"0" * 40 + b" " + b"1" * 40
           + b" A\x00x\x00\x1f" + b"0" * 32 + b"\x1f")


def hostile_text(payload: bytes) -> bytes:
    # git judges "binary" from the first 8,000 bytes only: after 8 KB of text, any byte is diffed.
    return b"".join(b"line %d of plain text\n" % i for i in range(500)) + payload + b"\ntail\n"


def count_git(monkeypatch) -> list[list[str]]:
    """Every git process the package starts, by its arguments."""
    calls: list[list[str]] = []
    real_run, real_stream = runner.run, runner.stream
    monkeypatch.setattr(runner, "run", lambda *a, **k: calls.append(a[1]) or real_run(*a, **k))
    monkeypatch.setattr(runner, "stream", lambda *a, **k: calls.append(a[1]) or real_stream(*a, **k))
    return calls


@pytest.mark.parametrize("payload", [FORGED, CRASHER, GUESSED + CRASHER],
                         ids=["forged-commit", "crasher", "guessed-token"])
def test_file_holding_separator_bytes_forges_nothing(make_repo, payload):
    repo = make_repo()
    repo.commit("fix: first", {"a.txt": "a\n"}, when="2026-01-13T09:00:00+08:00")
    hostile = repo.commit("docs: notes", {"notes.txt": hostile_text(payload)}, when="2026-01-13T10:00:00+08:00")
    # A message may hold the same bytes: it is content too.
    repo.commit(b"fix: last \x1e" + b"0" * 32 + b"\x1e" + b"c" * 40 + b"\n\n" + GUESSED.replace(b"\x00", b""),
                {"a.txt": "b\n"}, when="2026-01-13T11:00:00+08:00")
    commits = commits_in_window(open_repo(repo.path), DAY)
    assert [c.subject[:9] for c in commits] == ["fix: last", "docs: not", "fix: firs"]
    notes = commits[1]
    assert notes.sha == hostile and notes.read_error is None
    (f,) = notes.files
    # git diffed it as text, every line counted
    assert not f.binary and f.insertions == hostile_text(payload).count(b"\n")
    assert "COMMITDIGEST" in f.patch  # the bytes stay what they are: file content
    assert all(c.author == "Alice Example" for c in commits)


def test_forged_commit_never_reaches_the_report(make_repo, tmp_path):
    repo = make_repo()
    repo.commit("fix: first", {"a.txt": "a\n"}, when="2026-01-13T09:00:00+08:00")
    repo.commit("docs: notes", {"notes.txt": hostile_text(FORGED + CRASHER)}, when="2026-01-13T10:00:00+08:00")
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--lang", "en", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    twin = json.loads((out / "2026-01-13.json").read_text())
    (section,) = twin["repos"]
    assert [c["subject"] for c in section["commits"]] == ["docs: notes", "fix: first"]
    md = (out / "2026-01-13.md").read_text()
    assert "Linus" not in md and "remove all auth checks" not in md


def literal_commit(repo, parent: str, author_ts: str, committer_ts: str, subject: str) -> str:
    """A commit object git accepts as stored, with any text in its timestamp fields."""
    tree = repo.git("rev-parse", f"{parent}^{{tree}}")
    body = (f"tree {tree}\nparent {parent}\nauthor Mallory <m@example.org> {author_ts} +0000\n"
            f"committer Mallory <m@example.org> {committer_ts} +0800\n\n{subject}\n")
    return repo.git("hash-object", "-t", "commit", "--literally", "-w", "--stdin", input=body.encode())


def test_timestamps_no_datetime_can_hold_are_clamped(make_repo, tmp_path):
    repo = make_repo()
    head = repo.commit("base", {"a.txt": "a\n"}, when="2026-01-12T10:00:00+08:00")
    in_day = "1768276800"  # 2026-01-13 12:00 +08:00
    for author_ts, subject in [("253402300800", "year 10000"), ("-100", "negative"),
                               ("99999999999999999999999", "overflow"), ("1" * 5000, "five thousand digits")]:
        head = literal_commit(repo, head, author_ts, in_day, subject)
    head = literal_commit(repo, head, in_day, "253402300800", "committed in year 10000")
    head = literal_commit(repo, head, in_day, in_day, "normal")
    repo.git("update-ref", "refs/heads/main", head)
    r = open_repo(repo.path)
    commits = {c.subject: c for c in commits_in_window(r, DAY)}
    assert set(commits) == {"year 10000", "negative", "overflow", "five thousand digits", "normal"}
    for subject in ("year 10000", "overflow", "five thousand digits"):
        assert commits[subject].author_time.year == 9999
        commits[subject].author_time.astimezone(parse_zone("Pacific/Kiritimati").tz)  # still convertible
    assert commits["negative"].author_time == datetime(1970, 1, 1, tzinfo=UTC)  # as git shows it
    (far,) = read_commits(r, [repo.git("rev-parse", "HEAD~1")])
    assert far.subject == "committed in year 10000" and far.committer_time.year == 9999
    for field in ("committer", "author"):
        out = tmp_path / field
        res = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                      "--date-field", field, "--out", str(out), "--quiet", "--format", "md,json,html")
        assert res.returncode == 0, res.stderr
    assert "year 10000" in (tmp_path / "committer" / "2026-01-13.md").read_text()
    res = run_cli("analyze", far.sha, "--repo", str(repo.path), "--format", "json")
    assert res.returncode == 0, res.stderr


def test_a_commit_dated_1970_hides_nothing_beneath_it(make_repo):
    """git's --since stops at the first older commit; one bad clock must not hide a day."""
    repo = make_repo()
    repo.commit("morning", {"a.txt": "1\n"}, when="2026-01-13T09:00:00+08:00")
    head = repo.commit("noon", {"a.txt": "2\n"}, when="2026-01-13T12:00:00+08:00")
    head = literal_commit(repo, head, "1768280000", "abc", "unreadable committer date")
    head = literal_commit(repo, head, "1768280000", "0", "committed in 1970")
    head = literal_commit(repo, head, "1768290000", "1768290000", "evening")
    repo.git("update-ref", "refs/heads/main", head)
    assert [c.subject for c in commits_in_window(open_repo(repo.path), DAY)] == ["evening", "noon", "morning"]
    author_day = [c.subject for c in commits_in_window(open_repo(repo.path), DAY, "author")]
    assert author_day == ["evening", "committed in 1970", "unreadable committer date", "noon", "morning"]


def build_upstream(make_repo, n: int = 10, broken: int = 4):
    """n commits on 2026-01-13; commit ``broken`` adds the only blob larger than 1 KB."""
    up = make_repo("upstream")
    up.git("config", "uploadpack.allowFilter", "true")
    shas = []
    for i in range(n):
        files = {f"f{i}.txt": f"small {i}\n"}
        if i == broken:
            files["big.bin.txt"] = "".join(f"large line {k}\n" for k in range(400))
        shas.append(up.commit(f"c{i}", files, when=f"2026-01-13T{i + 1:02d}:00:00+08:00"))
    return up, shas


def test_partial_clone_missing_one_blob_resumes_the_stream(make_repo, tmp_path, monkeypatch):
    up, shas = build_upstream(make_repo)
    clone = tmp_path / "lean.git"
    subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:limit=1k", f"file://{up.path}", str(clone)],
                   check=True, capture_output=True)
    # The promisor is gone: the one blob left behind can no longer be fetched.
    subprocess.run(["git", "-C", str(clone), "config", "remote.origin.url", str(tmp_path / "gone")], check=True)
    r = open_repo(clone)
    calls = count_git(monkeypatch)
    commits = commits_in_window(r, DAY)
    assert [c.subject for c in commits] == [f"c{i}" for i in reversed(range(10))]
    bad = commits[-5]
    assert bad.sha == shas[4] and bad.read_error and "never fetches into a repository it does not own" in bad.read_error
    assert sorted(f.path for f in bad.files) == ["big.bin.txt", "f4.txt"] and not bad.counts_known
    for c in commits:
        if c is not bad:
            assert c.read_error is None and c.counts_known
            assert "+small" in c.files[0].patch
    # The list, the stream up to the broken commit, its file list from trees, the rest of the stream.
    assert len(calls) == 4, calls


def test_missing_loose_blob_costs_a_constant_number_of_processes(make_repo, monkeypatch):
    up, shas = build_upstream(make_repo, n=12, broken=3)
    blob = up.git("rev-parse", f"{shas[3]}:big.bin.txt")
    (up.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    r = open_repo(up.path)
    calls = count_git(monkeypatch)
    commits = commits_in_window(r, DAY)
    assert len(commits) == 12
    flagged = [c.subject for c in commits if c.read_error]
    assert flagged == ["c3"] and blob in commits[-4].read_error
    assert len(calls) == 4, calls


def test_shallow_boundary_is_flagged_not_shown_as_adding_the_tree(make_repo, tmp_path):
    up = make_repo("upstream")
    up.commit("c0: the whole tree", {f"src/m{i}.py": f"v = {i}\n" for i in range(30)}, when="2026-01-13T08:00:00+08:00")
    up.commit("c1: small fix", {"src/m1.py": "v = 100\n"}, when="2026-01-13T09:00:00+08:00")
    up.commit("c2: another", {"src/m2.py": "v = 200\n"}, when="2026-01-13T10:00:00+08:00")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{up.path}", str(shallow)], check=True,
                   capture_output=True)
    r = open_repo(shallow)
    commits = commits_in_window(r, DAY)
    assert [c.subject for c in commits] == ["c2: another", "c1: small fix"]
    boundary = commits[1]
    assert boundary.files == [] and boundary.read_error == SHALLOW_NOTE and not boundary.counts_known
    assert commits[0].read_error is None and [f.path for f in commits[0].files] == ["src/m2.py"]
    assert r.shallow == {up.git("rev-parse", "HEAD~1")}
    out = tmp_path / "out"
    res = run_cli("report", "--repo", str(shallow), "--date", "2026-01-13", "--tz", "Asia/Shanghai", "--lang", "en",
                  "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    md = (out / "2026-01-13.md").read_text()
    assert "shallow clone: history is cut at this commit" in md
    assert "src/m29.py" not in md  # the tree is not presented as the commit's diff


def test_output_git_should_never_print_flags_one_commit():
    """Defensive parsing: a section whose entries do not parse is one flagged commit, and the
    sections around it are read as usual."""
    from commitdigest.git.log import PatchLimits, _Marks, parse_sections

    marks = _Marks("ab" * 16)
    good = (b"1" * 40 + b"\x00\n:000000 100644 " + b"0" * 40 + b" " + b"2" * 40 + b" A\x00ok.txt\x001\t0\tok.txt\x00\x00"
            b"diff --git a/ok.txt b/ok.txt\n+ok\n")
    bad_counts = b"3" * 40 + b"\x00\n:100644 100644 " + b"4" * 40 + b" " + b"5" * 40 + b" M\x00x\x00one\ttwo\tx\x00\x00"
    bad_raw = b"6" * 40 + b"\x00\n:what is this\x00x\x00"
    stream = b"".join(marks.rec + s for s in (good, bad_counts, bad_raw, good))
    # Cut anywhere, even inside a marker: the same sections come out.
    for size in (1, 7, 64, len(stream)):
        chunks = [stream[i:i + size] for i in range(0, len(stream), size)]
        secs = parse_sections(chunks, marks, PatchLimits())
        assert [s.sha[:1] for s in secs] == ["1", "3", "6", "1"]
        assert [s.problem is None for s in secs] == [True, False, False, True]
        assert [f.path for f in secs[0].files()] == ["ok.txt"] and secs[0].files()[0].patch == "+ok"
        assert "line counts" in secs[1].problem and "file status" in secs[2].problem


def test_a_giant_message_body_is_read_only_as_far_as_its_gist_needs(make_repo, tmp_path):
    """240,000 short lines in one paragraph (2.4 MB), then a paragraph that only a reader of the
    whole body would find: the summary comes from the first 64 KB (bench/long_message.py times it)."""
    from commitdigest.analysis.message import READ_LIMIT

    repo = make_repo()
    body = "".join(f"ln {n:06d}\n" for n in range(240_000))
    assert len(body) == 2_400_000 > READ_LIMIT
    repo.commit(f"docs: changelog\n\n{body}\nSECOND PARAGRAPH far beyond the read bound.\n\n"
                "BREAKING CHANGE: the v1 API is gone\n",
                {"CHANGES.md": "changes\n"}, when="2026-01-13T10:00:00+08:00")
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai", "--lang", "en",
                "--out", str(out), "--quiet", "--no-cache")
    assert r.returncode == 0, r.stderr
    (commit,) = json.loads((out / "2026-01-13.json").read_text())["repos"][0]["commits"]
    summary = commit["analysis"]["summary"]
    assert summary[0].startswith("ln 000000 ln 000001 ln 000002") and summary[0].endswith("…")
    assert not any("SECOND PARAGRAPH" in s for s in summary)
    assert "SECOND PARAGRAPH" not in (out / "2026-01-13.md").read_text()
    # The signals are looked for at both ends, where a description and its trailers are.
    r = run_cli("analyze", commit["sha"], "--repo", str(repo.path), "--explain", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "breaking" in json.loads(r.stdout)["facts"]["signals"]


def test_a_commit_dated_after_the_run_is_shown_on_the_day_it_is_first_seen(make_repo, tmp_path):
    """A committer date in 2100 (or year 10000, as git stores it) would put a commit in no report
    before that day: it is shown, flagged, on the day a report first sees it on the branch."""
    from commitdigest.store import Store

    zone = parse_zone("Asia/Shanghai")
    today = datetime.now(UTC).astimezone(zone.tz).date()
    yesterday = today - timedelta(days=1)
    repo = make_repo()
    head = repo.commit("fix: ordinary", {"a.txt": "a\n"}, when="2026-01-12T10:00:00+08:00")
    head = literal_commit(repo, head, "1768276800", "4102444800", "feat!: dated 2100")
    head = literal_commit(repo, head, "1768276800", "253402300800", "feat!: dated year 10000")
    repo.git("update-ref", "refs/heads/main", head)
    cache, out = tmp_path / "cache", tmp_path / "out"

    def subjects(day, *extra):
        r = run_cli("report", "--repo", str(repo.path), "--date", day.isoformat(), "--tz", "Asia/Shanghai",
                    "--lang", "en", "--out", str(out), "--cache-dir", str(cache), "--quiet", *extra)
        assert r.returncode == 0, r.stderr
        (section,) = json.loads((out / f"{day.isoformat()}.json").read_text())["repos"]
        return {c["subject"]: c.get("first_seen") for c in section["commits"]}

    assert subjects(yesterday) == {}  # neither was seen before today
    assert subjects(today) == {"feat!: dated 2100": today.isoformat(), "feat!: dated year 10000": today.isoformat()}
    md = (out / f"{today.isoformat()}.md").read_text()
    assert md.count("after the day it was first seen on the branch: shown on that day") == 2
    assert subjects(today, "--no-cache") == subjects(today)  # without the cache: the day of the report

    # Recorded once, a sighting holds: a commit first seen on 2026-01-13 is shown on that day,
    # whenever that day's report is made, and on no other.
    late = literal_commit(repo, head, "1768276800", "4102444800", "feat!: seen on the 13th")
    repo.git("update-ref", "refs/heads/main", late)
    store = Store(cache)
    store.put_first_seen({late: date(2026, 1, 13)})
    store.close()
    assert subjects(date(2026, 1, 13)) == {"feat!: seen on the 13th": "2026-01-13"}
    assert "feat!: seen on the 13th" not in subjects(today)
    # and every command still reads these commits
    for sha in (head, late):
        for tz in ("Pacific/Kiritimati", "Etc/GMT+12"):
            r = run_cli("analyze", sha, "--repo", str(repo.path), "--tz", tz, "--format", "json")
            assert r.returncode == 0, r.stderr
    r = run_cli("rollup", "--since", "2026-01-12", "--until", "2026-01-18", "--repo", str(repo.path), "--tz",
                "Asia/Shanghai", "--out", str(tmp_path / "rollup"), "--cache-dir", str(cache))
    assert r.returncode == 0, r.stderr
