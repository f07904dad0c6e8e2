"""Weekly and monthly rollups of a fixture repository: the Markdown (golden, zh and en), the
numbers, the SVG charts (values, well-formed XML, phone and desktop widths in Chromium), the CLI,
and run's idempotent rollups."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from browser import browser, serve  # noqa: F401 (browser is a fixture)
from conftest import run_cli

GOLDEN = Path(__file__).parent / "golden"
SVG_NS = "{http://www.w3.org/2000/svg}"

# Two weeks, 2026-W46 (Nov 9–15) and 2026-W47 (Nov 16–22), Asia/Shanghai.
COMMITS = [
    # (day, hour, author, subject, files) — tiers by the score: feat/fix on .py high or medium
    ("2026-11-10", 10, "Ann", "feat: add the scheduler", {"sched/core.py": "A = 1\n" * 60}),  # 8+1+2 = 11 high
    ("2026-11-12", 11, "Bo", "docs: describe the scheduler", {"docs/sched.md": "# S\n"}),  # low
    ("2026-11-16", 9, "Ann", "feat: stream results (#12)", {"sched/stream.py": "S = 1\n" * 120,
                                                              "sched/io.py": "I = 1\n"}),  # 8+2+2 = 12 high
    ("2026-11-16", 15, "Cy", "fix: crash on empty queue", {"sched/queue.py": "Q = []\n"}),  # 9 medium
    ("2026-11-18", 10, "Bo", "chore: tidy [links](https://evil.example) <b>x</b>", {"tools/t.py": "T = 1\n"}),  # low
    ("2026-11-18", 16, "Ann", "refactor: split the planner", {f"plan/p{i}.py": f"P = {i}\n" * 30 for i in range(6)}),
    ("2026-11-20", 12, "Dee", "ci: pin actions", {".github/workflows/ci.yml": "on: push\n"}),  # low
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    from conftest import GitRepo

    r = GitRepo(tmp_path_factory.mktemp("roll") / "sched")
    r.git("remote", "add", "origin", "https://github.com/acme/sched.git")
    r.commit("chore: init", {"README.md": "# sched\n"}, when="2026-11-01T09:00:00+08:00")
    for day, hour, author, subject, files in COMMITS:
        r.commit(subject, files, when=f"{day}T{hour:02d}:00:00+08:00", author=f"{author} <{author.lower()}@x.io>")
    return r


def rollup(repo, out: Path, *args: str) -> list[str]:
    r = run_cli("rollup", "--repo", str(repo.path), "--tz", "Asia/Shanghai", "--out", str(out), *args)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_weekly_rollup_golden(repo, tmp_path, language):
    written = rollup(repo, tmp_path / "out", "--week", "2026-W47", "--lang", language)
    md_path = tmp_path / "out" / "rollups" / "2026-W47.md"
    assert str(md_path) in written
    md = md_path.read_text(encoding="utf-8")
    golden = GOLDEN / f"rollup_week_{language}.md"
    if os.environ.get("COMMITDIGEST_UPDATE_GOLDEN"):
        golden.write_text(md, encoding="utf-8")
    assert md == golden.read_text(encoding="utf-8")


def test_rollup_numbers(repo, tmp_path):
    rollup(repo, tmp_path / "out", "--week", "2026-W47", "--lang", "en")
    data = json.loads((tmp_path / "out" / "rollups" / "2026-W47.json").read_text())
    assert data["kind"] == "rollup" and data["period"]["label"] == "2026-W47"
    [r] = data["repos"]
    assert r["totals"]["commits"] == 5 and r["totals"]["contributors"] == 4
    assert [(d["day"], d["high"], d["medium"], d["low"]) for d in r["days"] if d["high"] + d["medium"] + d["low"]] == [
        ("2026-11-16", 1, 1, 0), ("2026-11-18", 1, 0, 1), ("2026-11-20", 0, 0, 1)]
    assert len(r["days"]) == 7  # every day of the week, quiet ones too
    # the previous week (2 commits: feat high, docs low), from the score alone
    assert r["previous"]["commits"] == 2 and r["previous"]["high"] == 1 and r["previous"]["low"] == 1
    highlights = {h["subject"]: h for h in r["highlights"]}
    assert set(highlights) == {"feat: stream results (#12)", "refactor: split the planner"}
    feat = highlights["feat: stream results (#12)"]
    assert feat["report"] == f"../2026-11-16.md#c-{feat['short_sha']}"
    # the daily report it links to exists and holds that anchor
    daily = (tmp_path / "out" / "2026-11-16.md").read_text()
    assert f'<a id="c-{feat["short_sha"]}"></a>' in daily
    areas = [a["area"] for a in r["areas"]]
    assert areas[0] == "plan" and "sched" in areas  # 180 lines in plan/, 122 + 1 in sched/
    assert r["types"] == {"feature": 1, "fix": 1, "chore": 1, "refactor": 1, "ci": 1} or sum(r["types"].values()) == 5
    assert r["contributors"][0] == ["Ann", 2]


def test_commit_text_stays_inert_in_the_rollup(repo, tmp_path):
    rollup(repo, tmp_path / "out", "--week", "2026-W47", "--lang", "en")
    from markdown_it import MarkdownIt

    md = (tmp_path / "out" / "rollups" / "2026-W47.md").read_text()
    tokens = MarkdownIt().parse(md)
    links = [c.attrs.get("href") for t in tokens if t.children for c in t.children if c.type == "link_open"]
    assert not any("evil.example" in (h or "") for h in links)
    assert "<b>" not in md.replace("\\<b>", "")


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


def test_charts_are_drawn_to_scale_and_well_formed(repo, tmp_path):
    rollup(repo, tmp_path / "out", "--week", "2026-W47", "--lang", "en")
    html = (tmp_path / "out" / "rollups" / "2026-W47.html").read_text()
    days, areas, types = _svgs(html)  # each parses as XML
    unit = float(days.get("data-unit"))
    bars = days.findall(f"{SVG_NS}rect")
    assert sum(int(b.get("data-count")) for b in bars) == 5
    for b in bars:
        assert abs(float(b.get("height")) - int(b.get("data-count")) * unit) < 0.01
    by_day: dict[str, dict[str, int]] = {}
    for b in bars:
        by_day.setdefault(b.get("data-day"), {})[b.get("data-tier")] = int(b.get("data-count"))
    assert by_day == {"2026-11-16": {"high": 1, "medium": 1}, "2026-11-18": {"high": 1, "low": 1},
                      "2026-11-20": {"low": 1}}
    # stacked: on a day with two tiers, the upper bar starts where the lower one ends
    d16 = sorted((b for b in bars if b.get("data-day") == "2026-11-16"), key=lambda b: -float(b.get("y")))
    assert abs(float(d16[0].get("y")) - float(d16[1].get("y")) - float(d16[1].get("height"))) < 0.01
    a_unit = float(areas.get("data-unit"))
    for rect in areas.findall(f"{SVG_NS}rect"):
        assert abs(float(rect.get("width")) - int(rect.get("data-value")) * a_unit) < 0.01
    assert sum(int(r.get("data-value")) for r in types.findall(f"{SVG_NS}rect")) == 5
    assert "<script" not in html


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["rollups/2026-W47.html", "index.html"])  # the index shows the week's charts too
def test_rollup_page_and_index_fit_phone_and_desktop(browser, repo, tmp_path, width, path):  # noqa: F811
    rollup(repo, tmp_path / "out", "--week", "2026-W47", "--lang", "zh")
    with serve(tmp_path / "out") as base:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{base}/{path}")
        scroll, client = page.evaluate("() => [document.scrollingElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, (scroll, client)
        sizes = page.evaluate("() => [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)")
        assert len(sizes) == 3 and all(0 < w <= client for w in sizes)
        page.close()


def test_monthly_and_bad_periods(repo, tmp_path):
    rollup(repo, tmp_path / "out", "--month", "2026-11", "--lang", "en", "--format", "md")
    md = (tmp_path / "out" / "rollups" / "2026-11.md").read_text()
    assert md.startswith("# Monthly Report (2026-11: 2026-11-01 ~ 2026-11-30)")
    assert "This month: 8 commits" in md  # the init commit of Nov 1 too
    for args in (("--week", "2026-47"), ("--week", "2026-W54"), ("--month", "2026-13"),
                 ("--week", "2026-W47", "--month", "2026-11"), ("--week", "2026-W47", "--format", "pdf"),
                 ("--month", "2062-11"), ("--week", "2026-W47", "--out", "")):
        r = run_cli("rollup", "--repo", str(repo.path), "--out", str(tmp_path / "bad"), *args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (args, r.stderr)
    assert not (tmp_path / "bad" / "rollups").exists()


def test_run_writes_each_rollup_once_its_period_is_over(repo, tmp_path):
    out = tmp_path / "site"
    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{repo.path}"\n'
                   f'[output]\ndir = "{out}"\nformats = ["md", "json", "html"]\nrollups = ["weekly"]\n')
    first = run_cli("run", "--config", str(cfg), "--since", "2026-11-09", "--until", "2026-11-22", "-q")
    assert first.returncode == 0, first.stderr
    # the weeks the range completes, not the one before it
    assert {Path(p).name for p in first.stdout.split() if "/rollups/" in p} == {
        f"2026-W{w}.{s}" for w in (46, 47) for s in ("md", "json", "html")}
    again = run_cli("run", "--config", str(cfg), "--since", "2026-11-09", "--until", "2026-11-22", "-q")
    assert again.returncode == 0 and "rollups" not in again.stdout  # written once: nothing new
    forced = run_cli("run", "--config", str(cfg), "--date", "2026-11-22", "--force", "-q")  # W47's Sunday
    assert {Path(p).name for p in forced.stdout.split() if "/rollups/" in p} >= {"2026-W47.md"}
    midweek = run_cli("run", "--config", str(cfg), "--date", "2026-11-20", "--force", "-q")
    assert midweek.returncode == 0 and "/rollups/" not in midweek.stdout  # a Friday completes no week


def test_public_definitions_and_dependencies_net_over_the_period(tmp_path):
    """The rollup names the public definitions and dependency versions the period changed, net:
    a definition added and removed again within the week is not listed, a dependency bumped
    twice shows its first old and last new version. Each fact is checkable in the diffs."""
    from conftest import GitRepo

    r = GitRepo(tmp_path / "svc")
    r.commit("chore: init", {"svc/api.py": "def old_entry():\n    return 1\n", "requirements.txt": "httpx==0.27.0\nrich==13.0\n"},
             when="2026-11-01T09:00:00+08:00")
    r.commit("feat: add the planner", {"svc/plan.py": "def make_plan(x):\n    return x\n\n\nclass Planner:\n    pass\n"},
             when="2026-11-16T10:00:00+08:00")
    r.commit("feat: try a helper", {"svc/tmp.py": "def scratch():\n    return 0\n"}, when="2026-11-16T11:00:00+08:00")
    (r.path / "svc" / "tmp.py").unlink()
    r.commit("refactor: drop the helper and the old entry", {"svc/api.py": "X = 1\n"},
             when="2026-11-17T10:00:00+08:00")
    r.commit("deps: bump httpx", {"requirements.txt": "httpx==0.28.0\nrich==13.0\n"}, when="2026-11-18T10:00:00+08:00")
    r.commit("deps: bump httpx again", {"requirements.txt": "httpx==0.28.1\nrich==13.0\n"},
             when="2026-11-19T10:00:00+08:00")
    r.commit("deps: rich there and back", {"requirements.txt": "httpx==0.28.1\nrich==14.0\n"},
             when="2026-11-20T10:00:00+08:00")
    r.commit("deps: rich back", {"requirements.txt": "httpx==0.28.1\nrich==13.0\n"}, when="2026-11-21T10:00:00+08:00")
    out = tmp_path / "out"
    rollup(r, out, "--week", "2026-W47", "--lang", "en", "--format", "md,json,html")
    [repo] = json.loads((out / "rollups" / "2026-W47.json").read_text())["repos"]
    # named as the code writes them (a function with "()"), from the semantic facts: the module
    # constant X that replaced old_entry() is public too
    assert [d["name"] for d in repo["definitions_added"]] == ["make_plan()", "Planner", "X"]
    assert [d["name"] for d in repo["definitions_removed"]] == ["old_entry()"]
    assert [(d["name"], d["old"], d["new"]) for d in repo["dependencies"]] == [("httpx", "0.27.0", "0.28.1")]
    md = (out / "rollups" / "2026-W47.md").read_text()
    assert "### 🧩 Public definitions" in md and "Added (3): `make_plan()`, `Planner`, `X`" in md
    section = md.split("### 🧩 Public definitions", 1)[1].split("\n### ", 1)[0]
    assert "Removed (1): `old_entry()`" in section and "scratch" not in section
    deps = md.split("### 📦 Dependency changes", 1)[1].split("\n### ", 1)[0]
    assert "| `httpx` | `0.27.0` | `0.28.1` | 2026-11-19 `" in deps and "rich" not in deps
    html = (out / "rollups" / "2026-W47.html").read_text()
    assert "<code>make_plan()</code>" in html and "<code>0.28.1</code>" in html


def test_long_lists_show_their_full_count(tmp_path):
    """A period that adds more definitions than a page lists says how many, and how many are left out."""
    from conftest import GitRepo

    r = GitRepo(tmp_path / "many")
    r.commit("chore: init", {"README.md": "x\n"}, when="2026-11-01T09:00:00+08:00")
    body = "".join(f"def public_{i:02d}():\n    return {i}\n\n" for i in range(35))
    r.commit("feat: many helpers", {"lib/many.py": body}, when="2026-11-17T10:00:00+08:00")
    out = tmp_path / "out"
    rollup(r, out, "--week", "2026-W47", "--lang", "en", "--format", "md,json")
    [repo] = json.loads((out / "rollups" / "2026-W47.json").read_text())["repos"]
    assert len(repo["definitions_added"]) == 35  # the record keeps them all
    md = (out / "rollups" / "2026-W47.md").read_text()
    assert "Added (35): `public_00()`" in md and "`public_29()`" in md and "`public_30()`" not in md
    assert "…and 5 more in the daily reports" in md


def test_site_index_shows_the_newest_rollups_with_their_charts(repo, tmp_path):
    out = tmp_path / "out"
    rollup(repo, out, "--week", "2026-W46", "--lang", "en")
    rollup(repo, out, "--week", "2026-W47", "--lang", "en")
    rollup(repo, out, "--month", "2026-11", "--lang", "en")
    html = (out / "index.html").read_text()
    # every rollup listed, newest period first (the month ends after W47, W47 after W46)
    assert re.findall(r'data-rollup="([^"]+)"', html) == ["2026-11", "2026-W47", "2026-W46"]
    # charts of the newest month and the newest week: W47's days chart counts W47's commits
    blocks = dict(re.findall(r'<div class="rollup-charts" data-label="([^"]+)">(.*?)</div>', html, flags=re.S))
    assert list(blocks) == ["2026-11", "2026-W47"]
    days, areas, types = _svgs(blocks["2026-W47"])
    bars = days.findall(f"{SVG_NS}rect")
    assert sum(int(b.get("data-count")) for b in bars) == 5
    unit = float(days.get("data-unit"))
    assert all(abs(float(b.get("height")) - int(b.get("data-count")) * unit) < 0.01 for b in bars)
    assert sum(int(r.get("data-value")) for r in types.findall(f"{SVG_NS}rect")) == 5
    month_days = _svgs(blocks["2026-11"])[0]
    assert sum(int(b.get("data-count")) for b in month_days.findall(f"{SVG_NS}rect")) == 8  # with the 1st's init
    assert 'href="rollups/2026-W47.html"' in html and "<script" not in html


def test_signature_changes_are_listed_once_per_name(tmp_path):
    """A public definition whose parameters changed during the week is listed under its own
    heading, once, from the semantic facts; one added in the same week is only "added"."""
    from conftest import GitRepo

    r = GitRepo(tmp_path / "sig")
    r.commit("chore: init", {"svc/api.py": "def fetch(url):\n    return url\n"}, when="2026-11-01T09:00:00+08:00")
    r.commit("feat: timeout", {"svc/api.py": "def fetch(url, timeout):\n    return url\n"},
             when="2026-11-16T10:00:00+08:00")
    r.commit("feat: retries", {"svc/api.py": "def fetch(url, timeout, retries=3):\n    return url\n\n\n"
                                             "def ping(host):\n    return host\n"}, when="2026-11-17T10:00:00+08:00")
    r.commit("feat: ping port", {"svc/api.py": "def fetch(url, timeout, retries=3):\n    return url\n\n\n"
                                               "def ping(host, port):\n    return host\n"}, when="2026-11-18T10:00:00+08:00")
    out = tmp_path / "out"
    rollup(r, out, "--week", "2026-W47", "--lang", "en", "--format", "md,json")
    [repo] = json.loads((out / "rollups" / "2026-W47.json").read_text())["repos"]
    assert [(d["name"], d["day"]) for d in repo["definitions_changed"]] == [("fetch()", "2026-11-17")]
    assert [d["name"] for d in repo["definitions_added"]] == ["ping()"]
    assert "Signature changed (1): `fetch()`" in (out / "rollups" / "2026-W47.md").read_text()
