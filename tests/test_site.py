"""The HTML site in a real browser: pages rendered from the report record, served over HTTP,
opened in headless Chromium. TOC links land on their commits, the importance filter works, the
page fits a phone, nothing from a commit runs as code, and the index lists every report."""

from __future__ import annotations

import json

import pytest
from browser import Watched, browser, serve  # noqa: F401 (browser is a fixture)
from conftest import run_cli

XSS_SUBJECT = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from conftest import GitRepo

    root = tmp_path_factory.mktemp("site")
    repo = GitRepo(root / "proj")
    repo.git("remote", "add", "origin", "https://github.com/acme/proj.git")
    repo.commit("feat: first day", {"src/a.py": "A = 1\n"}, when="2026-01-12T10:00:00+08:00")
    # long paths with nowhere to break (they reach summaries and insights) must still fit a phone
    deep = "src/deeply_nested_package_name/another_nested_module_directory"
    repo.commit("feat(router): add routing table (#12)", {"src/router.py": "def route():\n    return 1\n",
                f"{deep}/routing_table_implementation.py": "T = 1\n",
                f"{deep}/routing_table_persistence.py": "P = 1\n"},
                when="2026-01-13T09:00:00+08:00")
    repo.commit("fix: parser edge case", {"src/parser.py": "def parse(x):\n    return x\n"},
                when="2026-01-13T10:00:00+08:00")
    repo.commit(f"{XSS_SUBJECT}\n\n<script>alert(2)</script>\n# not a heading",
                {"src/page.py": "P = 1\n"}, when="2026-01-13T11:00:00+08:00")
    repo.commit("docs: explain", {"docs/x.md": "# X\n"}, when="2026-01-13T12:00:00+08:00")
    repo.commit("fix: crash on empty queue", {"src/q.py": "Q = []\n"}, when="2026-01-14T10:00:00+08:00")
    out = root / "out"
    for day in ("2026-01-12", "2026-01-13", "2026-01-14"):
        r = run_cli("report", "--repo", str(repo.path), "--date", day, "--tz", "Asia/Shanghai", "--lang", "en",
                    "--format", "md,html,feed", "--out", str(out))
        assert r.returncode == 0, r.stderr
    (out / "2026-01-10.json").write_text("{ not json")  # a damaged twin must not break the index
    with serve(out) as base:
        yield out, base


def open_page(browser, url, **context):  # noqa: F811
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    watched = Watched(page)
    page.goto(url)
    return ctx, page, watched


def test_toc_links_land_on_their_commits(browser, site):  # noqa: F811
    out, base = site
    ctx, page, watched = open_page(browser, f"{base}/2026-01-13.html", viewport={"width": 1000, "height": 500})
    links = page.locator('nav.toc a[href^="#c-"]')
    assert links.count() == 4
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        links.nth(i).click()
        assert page.evaluate("location.hash") == href
        target = page.locator(f"article{href}")
        assert target.count() == 1
        top = page.evaluate(f"document.getElementById('{href[1:]}').getBoundingClientRect().top")
        assert -1 <= top < 500  # scrolled into view (sub-pixel layout may put it a fraction above)
        assert target.locator("h4").inner_text() in links.nth(i).inner_text()
    assert watched.dialogs == [] and watched.errors == []
    ctx.close()


def test_importance_filter_hides_and_shows(browser, site):  # noqa: F811
    out, base = site
    data = json.loads((out / "2026-01-13.json").read_text())
    levels = [c["analysis"]["importance"] for c in data["repos"][0]["commits"]]
    assert {"high", "medium", "low"} <= set(levels)
    ctx, page, _ = open_page(browser, f"{base}/2026-01-13.html")
    articles = page.locator("article.commit")
    assert articles.count() == 4

    def visible(level):
        sel = page.locator(f'article.commit[data-importance="{level}"]')
        return [sel.nth(i).is_visible() for i in range(sel.count())]

    page.locator('input[data-filter="high"]').uncheck()
    assert visible("high") and not any(visible("high"))
    assert all(visible("medium")) and all(visible("low"))
    page.locator('input[data-filter="low"]').uncheck()
    assert not any(visible("low")) and all(visible("medium"))
    page.locator('input[data-filter="high"]').check()
    assert all(visible("high")) and not any(visible("low"))
    ctx.close()


def test_injected_markup_shows_as_text_and_never_runs(browser, site):  # noqa: F811
    out, base = site
    ctx, page, watched = open_page(browser, f"{base}/2026-01-13.html")
    page.wait_for_load_state("load")
    assert page.get_by_text(XSS_SUBJECT, exact=True).count() >= 1  # the TOC entry and the heading
    assert page.locator("article h4", has_text=XSS_SUBJECT).is_visible()
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert watched.dialogs == []
    assert watched.errors == []  # not even a CSP refusal: nothing tried to run
    html = (out / "2026-01-13.html").read_text()
    assert "<img src=x" not in html and "<script>alert" not in html
    ctx.close()


def test_readable_on_a_phone_and_without_scripts(browser, site):  # noqa: F811
    out, base = site
    for path in ("2026-01-13.html", "index.html"):
        ctx, page, _ = open_page(browser, f"{base}/{path}", viewport={"width": 390, "height": 844},
                                 is_mobile=True, device_scale_factor=3)
        # innerWidth would grow with the content on a mobile viewport; clientWidth is the phone's
        widths = page.evaluate("[document.scrollingElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[1] == 390 and widths[0] <= widths[1], (path, widths)
        ctx.close()
    ctx, page, _ = open_page(browser, f"{base}/2026-01-13.html", java_script_enabled=False)
    assert page.locator("article.commit").count() == 4
    assert all(page.locator("article.commit").nth(i).is_visible() for i in range(4))
    assert not page.locator("form.filter").is_visible()  # a filter that cannot work is not shown
    ctx.close()


def test_index_lists_reports_newest_first_with_counts(browser, site):  # noqa: F811
    out, base = site
    ctx, page, watched = open_page(browser, f"{base}/index.html")
    items = page.locator("ul.reports > li")
    assert [items.nth(i).get_attribute("data-stem") for i in range(items.count())] == \
        ["2026-01-14", "2026-01-13", "2026-01-12"]
    for i in range(items.count()):
        stem = items.nth(i).get_attribute("data-stem")
        stats = json.loads((out / f"{stem}.json").read_text())["repos"][0]["stats"]
        for level in ("high", "medium", "low"):
            text = items.nth(i).locator(f'[data-count="{level}"]').inner_text()
            assert text.endswith(f" {stats[level]}"), (stem, level, text)
        assert items.nth(i).locator('[data-count="total"]').inner_text().startswith(str(stats["total"]))
    items.nth(1).locator("a").click()
    page.wait_for_url(f"{base}/2026-01-13.html")
    assert page.title() == "Daily Update Report (2026-01-13)"
    assert watched.errors == []
    ctx.close()


def test_empty_day_and_unreadable_repository_pages(make_repo, tmp_path):
    from html.parser import HTMLParser

    repo = make_repo("quiet")
    repo.commit("feat: old", {"a.py": "A = 1\n"}, when="2026-01-10T10:00:00+08:00")
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{repo.path}"\n'
        f'[[repos]]\nurl = "{(tmp_path / "gone.git").as_uri()}"\nname = "gone/<b>repo</b>"\n'
        '[output]\ndir = "out"\nformats = ["html"]\n')
    r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 7, r.stderr
    page = (tmp_path / "out" / "2026-01-13.html").read_text()

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.text, self.tags = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.text.append(data)

    parsed = Text()
    parsed.feed(page)
    text = " ".join(parsed.text)
    assert "No commits today" in text
    assert "This repository could not be read" in text and "clone failed" in text
    assert "gone/<b>repo</b>" in text and "b" not in parsed.tags  # the name is text, not markup
    assert (tmp_path / "out" / "2026-01-13.json").is_file()  # the twin the index is built from
    assert '<li data-stem="2026-01-13">' in (tmp_path / "out" / "index.html").read_text()
