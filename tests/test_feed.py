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
