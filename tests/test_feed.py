"""The Atom feed: well-formed, newest first, stable ids, links to the pages, escaped content."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

from conftest import run_cli

from commitdigest.outputs.feed import MAX_ENTRIES, render_feed
from commitdigest.outputs.site import render_index

NS = {"a": "http://www.w3.org/2005/Atom"}


def reports(make_repo, tmp_path, formats="html,feed"):
    repo = make_repo("svc")
    repo.git("remote", "add", "origin", "https://github.com/acme/svc.git")
    repo.commit("feat: a & b <c> \"d\"", {"src/a.py": "A = 1\n"}, when="2026-01-12T10:00:00+08:00")
    repo.commit("docs: readme", {"README.md": "# S\n"}, when="2026-01-13T10:00:00+08:00")
    out = tmp_path / "out"
    for day in ("2026-01-12", "2026-01-13"):
        r = run_cli("report", "--repo", str(repo.path), "--date", day, "--tz", "Asia/Shanghai",
                    "--format", formats, "--base-url", "https://reports.example.com/svc/", "--out", str(out))
        assert r.returncode == 0, r.stderr
    return out


def test_feed_entries_links_and_escaping(make_repo, tmp_path):
    out = reports(make_repo, tmp_path)
    root = ET.parse(out / "feed.xml").getroot()
    assert root.find("a:id", NS).text == "https://reports.example.com/svc/feed.xml"
    entries = root.findall("a:entry", NS)
    assert [e.find("a:title", NS).text for e in entries] == ["每日更新报告（2026-01-13）", "每日更新报告（2026-01-12）"]
    assert [e.find("a:link", NS).get("href") for e in entries] == [
        "https://reports.example.com/svc/2026-01-13.html", "https://reports.example.com/svc/2026-01-12.html"]
    assert entries[1].find("a:id", NS).text == "https://reports.example.com/svc/feed.xml#2026-01-12"
    content = entries[1].find("a:content", NS)
    assert content.get("type") == "html"
    # The content is HTML carried as text: the subject is escaped once inside it.
    assert "feat: a &amp; b &lt;c&gt; &quot;d&quot;" in content.text or "feat: a &amp; b &lt;c&gt; &#34;d&#34;" in content.text
    assert "🔴高 1" in content.text
    assert "🟢低 1" in entries[0].find("a:content", NS).text


def test_feed_is_capped_and_skips_damaged_files(make_repo, tmp_path):
    out = reports(make_repo, tmp_path)
    for i in range(1, 60):
        shutil.copy(out / "2026-01-12.json", out / f"2025-{(i - 1) // 28 + 1:02d}-{(i - 1) % 28 + 1:02d}.json")
    (out / "2026-01-14.json").write_text("{broken")
    (out / "notes.json").write_text("[]")  # not a report: ignored, not counted
    root = ET.fromstring(render_feed(out, "en"))
    entries = root.findall("a:entry", NS)
    assert len(entries) == MAX_ENTRIES
    assert entries[0].find("a:link", NS).get("href") == "2026-01-13.html"  # relative without a base URL
    assert root.find("a:id", NS).text.startswith("urn:commitdigest:")
    index = render_index(out, "en")
    assert index.count('<li data-stem="') == 61 and "2026-01-14" not in index


def test_links_point_at_the_pages_that_exist(make_repo, tmp_path):
    out = reports(make_repo, tmp_path, "json,feed")  # no HTML pages, no Markdown
    (out / "2026-01-13.md").write_text("# report\n")
    root = ET.fromstring(render_feed(out, "zh"))
    assert [e.find("a:link", NS).get("href") for e in root.findall("a:entry", NS)] == [
        "2026-01-13.md", "2026-01-12.json"]
    index = render_index(out, "zh")
    assert 'href="2026-01-13.md"' in index and 'href="2026-01-12.json"' in index


def test_rollups_are_entries_beside_the_daily_reports(make_repo, tmp_path):
    repo = make_repo("sched")
    repo.git("remote", "add", "origin", "https://github.com/acme/sched.git")
    repo.commit("feat: add <the> scheduler", {"sched/core.py": "A = 1\n" * 60}, when="2026-11-10T10:00:00+08:00")
    repo.commit("feat: stream results", {"sched/stream.py": "S = 1\n" * 120, "sched/io.py": "I = 1\n"},
                when="2026-11-16T09:00:00+08:00")
    repo.commit("docs: usage", {"README.md": "# S\n"}, when="2026-11-18T10:00:00+08:00")
    out = tmp_path / "out"
    for period in (("--week", "2026-W46"), ("--week", "2026-W47"), ("--month", "2026-11")):
        r = run_cli("rollup", "--repo", str(repo.path), "--tz", "Asia/Shanghai", "--lang", "en", "--out", str(out),
                    *period)
        assert r.returncode == 0, r.stderr
    (out / "rollups" / "2026-W45.json").write_text("{broken")  # skipped, like a damaged report twin
    (out / "rollups" / "2026-W47.html").unlink()  # the link falls back to the Markdown
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-11-20", "--tz", "Asia/Shanghai", "--lang", "en",
                "--format", "html,feed", "--base-url", "https://reports.example.com/s/", "--out", str(out))
    assert r.returncode == 0, r.stderr
    root = ET.parse(out / "feed.xml").getroot()  # well-formed, and Atom
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = root.findall("a:entry", NS)
    titles = [e.find("a:title", NS).text for e in entries]
    assert titles == ["Monthly Report (2026-11: 2026-11-01 ~ 2026-11-30)",
                      "Weekly Report (2026-W47: 2026-11-16 ~ 2026-11-22)",
                      "Daily Update Report (2026-11-18)", "Daily Update Report (2026-11-16)",
                      "Weekly Report (2026-W46: 2026-11-09 ~ 2026-11-15)", "Daily Update Report (2026-11-10)"]
    by_title = dict(zip(titles, entries, strict=True))
    week = by_title["Weekly Report (2026-W47: 2026-11-16 ~ 2026-11-22)"]
    assert week.find("a:id", NS).text == "https://reports.example.com/s/feed.xml#rollup-2026-W47"
    assert week.find("a:link", NS).get("href") == "https://reports.example.com/s/rollups/2026-W47.md"
    assert week.find("a:published", NS).text == "2026-11-23T00:00:00+08:00"
    assert by_title["Monthly Report (2026-11: 2026-11-01 ~ 2026-11-30)"].find("a:link", NS).get("href") == \
        "https://reports.example.com/s/rollups/2026-11.html"
    body = ET.fromstring(f"<div>{week.find('a:content', NS).text}</div>")  # the HTML it carries parses too
    text = "".join(body.itertext())
    assert "2 commits | 🔴High 1" in text and "Versus last week: commits +1" in text
    [link] = body.iter("a")
    assert link.text == "feat: stream results" and link.get("href").startswith("https://github.com/acme/sched/commit/")
    w46 = by_title["Weekly Report (2026-W46: 2026-11-09 ~ 2026-11-15)"].find("a:content", NS).text
    assert "feat: add &lt;the&gt; scheduler" in w46
    # a quiet period is no news, unless quiet days are asked for
    r = run_cli("rollup", "--repo", str(repo.path), "--tz", "Asia/Shanghai", "--out", str(out), "--week", "2026-W44")
    assert r.returncode == 0, r.stderr
    quiet = "周报（2026-W44：2026-10-26 ~ 2026-11-01）"
    assert quiet not in render_feed(out, "en")
    assert quiet in render_feed(out, "en", quiet_days=True)
