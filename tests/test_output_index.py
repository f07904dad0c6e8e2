"""The site's index, the feed and multi-repository reports: rows name their repositories, every
number has a label, quiet days come last (and stay out of the feed unless asked), a report of
several repositories opens with their table of contents; configured URLs are http(s) only."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from conftest import run_cli
from markdown_it import MarkdownIt

from commitdigest import config
from commitdigest.errors import ConfigError
from commitdigest.outputs.feed import render_feed

NS = {"a": "http://www.w3.org/2005/Atom"}


class Rows(HTMLParser):
    """The index's top-level rows: (data-stem or "quiet", text), and the header line's text."""

    def __init__(self):
        super().__init__()
        self.rows: list[list] = []
        self.header = ""
        self._depth = 0  # <ul> nesting inside main
        self._in_header = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "ul":
            self._depth += 1
        if tag == "li" and self._depth == 1:
            self.rows.append(["quiet" if a.get("class") == "quiet" else a.get("data-stem"), ""])
        if tag == "p" and a.get("class") == "muted":
            self._in_header = True

    def handle_endtag(self, tag):
        if tag == "ul":
            self._depth -= 1
        if tag == "p":
            self._in_header = False

    def handle_data(self, data):
        if self._in_header:
            self.header += data
        elif self.rows and self._depth >= 1:
            self.rows[-1][1] += data


def rows_of(index: str) -> Rows:
    parsed = Rows()
    parsed.feed(index)
    for row in parsed.rows:
        row[1] = " ".join(row[1].split())
    parsed.header = " ".join(parsed.header.split())
    return parsed


@pytest.fixture
def two_repo_site(make_repo, tmp_path):
    a = make_repo("svc")
    a.git("remote", "add", "origin", "https://github.com/acme/svc.git")
    b = make_repo("web")
    a.commit("feat: a", {"src/a.py": "A = 1\n"}, when="2026-01-12T10:00:00+08:00")
    b.commit("fix: b", {"src/b.py": "B = 1\n"}, when="2026-01-12T11:00:00+08:00")
    b.commit("docs: c", {"README.md": "# W\n"}, when="2026-01-14T11:00:00+08:00")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{a.path}"\n'
        f'[[repos]]\npath = "{b.path}"\nname = "acme/web"\n'
        '[output]\ndir = "out"\nformats = ["md", "html", "feed"]\n')
    r = run_cli("run", "--since", "2026-01-10", "--until", "2026-01-15", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return tmp_path / "out"


def test_index_names_repositories_labels_numbers_and_puts_quiet_days_last(two_repo_site):
    out = two_repo_site
    parsed = rows_of((out / "index.html").read_text())
    # the days with commits, newest first, then one row for the quiet ones
    assert [stem for stem, _ in parsed.rows] == ["2026-01-14", "2026-01-12", "quiet"]
    for _stem, text in parsed.rows:
        assert "svc, acme/web" in text, text
    assert parsed.rows[1][1] == "Daily Update Report (2026-01-12) svc, acme/web 2 commits 🔴High 1 🟡Medium 1 🟢Low 0"
    assert parsed.rows[2][1].startswith("4 reports without commits")
    for day in ("2026-01-10", "2026-01-11", "2026-01-13", "2026-01-15"):
        assert f"Daily Update Report ({day})" in parsed.rows[2][1]
    # no bare number: each one is followed or preceded by what it counts
    assert parsed.header == "Feed · 6 reports"
    labelled = re.compile(r"\(\d{4}-\d\d-\d\d\)|\d+ commits?|\d+ reports? without commits|(🔴High|🟡Medium|🟢Low) \d+")
    for _, text in parsed.rows:
        assert not re.search(r"\d", labelled.sub("", text)), text


def test_quiet_days_stay_out_of_the_feed_unless_asked(two_repo_site):
    out = two_repo_site
    titles = [e.find("a:title", NS).text for e in ET.parse(out / "feed.xml").getroot().findall("a:entry", NS)]
    assert titles == ["Daily Update Report (2026-01-14)", "Daily Update Report (2026-01-12)"]
    every = ET.fromstring(render_feed(out, "en", quiet_days=True)).findall("a:entry", NS)
    assert len(every) == 6


def test_feed_quiet_days_is_a_validated_config_key(make_repo, tmp_path):
    repo = make_repo()
    path = tmp_path / "commitdigest.toml"
    path.write_text(f'[[repos]]\npath = "{repo.path}"\n[output]\nfeed_quiet_days = true\n')
    assert config.load(str(path), env={}).output.feed_quiet_days is True
    path.write_text(f'[[repos]]\npath = "{repo.path}"\n')
    assert config.load(str(path), env={}).output.feed_quiet_days is False
    path.write_text(f'[[repos]]\npath = "{repo.path}"\n[output]\nfeed_quiet_days = "yes"\n')
    with pytest.raises(ConfigError, match=r"output\.feed_quiet_days: Input should be a valid boolean"):
        config.load(str(path), env={})


def test_multi_repository_report_opens_with_its_repositories(make_repo, tmp_path):
    a = make_repo("svc")
    a.commit("feat: a [x](https://evil.example)", {"src/a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    a.commit("docs: d", {"README.md": "# A\n"}, when="2026-01-13T11:00:00+08:00")
    b = make_repo("web")
    b.commit("feat: old", {"src/b.py": "B = 1\n"}, when="2026-01-10T10:00:00+08:00")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{a.path}"\nname = "acme/s|v[c]"\n'
        f'[[repos]]\npath = "{b.path}"\n[[repos]]\nurl = "{(tmp_path / "gone.git").as_uri()}"\nname = "gone"\n'
        '[output]\ndir = "out"\nformats = ["md", "html"]\n')
    r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 7, r.stderr  # the unreadable repository
    md = (tmp_path / "out" / "2026-01-13.md").read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    heads = [(t.tag, "".join(c.content for c in tokens[i + 1].children if c.type == "text"))
             for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert heads[:3] == [("h1", "Daily Update Report (2026-01-13)"), ("h2", "📚 Repositories"), ("h2", "acme/s|v[c]")]
    # the table of contents: one row per repository, in config order, linking to its section
    start = next(i for i, t in enumerate(tokens) if t.type == "tbody_open")  # the first table's body
    table: list[list] = []
    for t in tokens[start:]:
        if t.type == "tbody_close":
            break
        if t.type == "tr_open":
            table.append([])
        elif t.type == "inline":
            table[-1].append(t.children)
    rows = []
    for row in table:
        link = row[0][0]
        assert link.type == "link_open"
        rows.append((link.attrs["href"], "".join(c.content for c in row[0] if c.type == "text"),
                     ["".join(c.content for c in cell) for cell in row[1:]]))
    ids = re.findall(r'<a id="([^"]+)"></a>', md)
    assert [href[1:] in ids for href, _, _ in rows] == [True, True, True]
    assert [name for _, name, _ in rows] == ["acme/s|v[c]", "web", "gone"]
    svc = make_report_counts(md)
    assert rows[0][2] == ["2", *svc] and rows[1][2] == ["0", "0", "0", "0"]
    assert rows[2][2] == ["⚠️ unreadable", "–", "–", "–"]
    # the HTML page's contents give each repository's counts too
    page = (tmp_path / "out" / "2026-01-13.html").read_text()
    assert re.search(r'data-repo-counts="[^"]+"><span>2 commits</span> <span>🔴High \d</span>', page)


def make_report_counts(md: str) -> list[str]:
    """The tier counts the first repository's own statistics line gives."""
    m = re.search(r"commits today \| 🔴High (\d+) \| 🟡Medium (\d+) \| 🟢Low (\d+)", md)
    return list(m.groups())


@pytest.mark.parametrize("value", ["javascript:alert(1)", "data:text/html,x", "ftp://example.com/r",
                                   "https:///nohost", "reports.example.com", " https://example.com"])
def test_configured_urls_must_be_http(make_repo, tmp_path, value):
    repo = make_repo()
    path = tmp_path / "commitdigest.toml"
    for table, where in (("[output]\nbase_url", "output.base_url"), ("web_url", "repos[0].web_url")):
        path.write_text(f'[[repos]]\npath = "{repo.path}"\n{table} = "{value}"\n')
        with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: {re.escape(where)}: must be an http:// or https:// URL$"):
            config.load(str(path), env={})
    # while the addresses people publish at load as they are
    path.write_text(f'[[repos]]\npath = "{repo.path}"\nweb_url = "https://github.com/acme/x"\n'
                    '[output]\nbase_url = "http://reports.example.com:8080/x/"\n')
    cfg = config.load(str(path), env={})
    assert (cfg.output.base_url, cfg.repos[0].web_url) == ("http://reports.example.com:8080/x/", "https://github.com/acme/x")


def test_a_bad_url_in_the_config_is_exit_4_naming_file_and_key(make_repo, tmp_path):
    repo = make_repo()
    (tmp_path / "commitdigest.toml").write_text(
        f'[[repos]]\npath = "{repo.path}"\n[output]\nbase_url = "javascript:alert(1)"\n')
    r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 4, r.stderr
    assert r.stderr.strip().splitlines() == [
        "commitdigest: error: commitdigest.toml: output.base_url: must be an http:// or https:// URL"]
    r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path, env={"COMMITDIGEST_OUTPUT_BASE_URL": "javascript:x"})
    assert r.returncode == 4 and "COMMITDIGEST_OUTPUT_BASE_URL: must be an http:// or https:// URL" in r.stderr


def test_a_javascript_base_url_never_reaches_a_link(make_repo, tmp_path):
    repo = make_repo()
    repo.commit("feat: a", {"src/a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--format", "html,feed", "--base-url", "javascript:alert(1)//", "--out", str(out))
    if r.returncode == 0:  # the flag may be refused outright; if not, the link must not carry it
        feed = (out / "feed.xml").read_text()
        assert "javascript" not in feed and "javascript" not in (out / "index.html").read_text()
        assert ET.fromstring(feed).find("a:entry/a:link", NS).get("href") == "2026-01-13.html"
    else:
        assert r.returncode == 2 and "--base-url" in r.stderr and not out.exists()
