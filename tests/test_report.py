"""The rendered report: golden files in zh and en, structure, anchors, escaping, JSON fields."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from commitdigest import pipeline
from commitdigest.git.log import PatchLimits
from commitdigest.window import parse_zone

GOLDEN = Path(__file__).parent / "golden"
SH = parse_zone("Asia/Shanghai")
NASTY = "fix: a|b `x` <script>alert(1)</script>"


def build_day_repo(make_repo):
    repo = make_repo("dynamo")
    repo.git("remote", "add", "origin", "git@github.com:acme/dynamo.git")
    repo.commit("chore: initial layout", {
        "lib/router/src/lib.rs": "pub fn route() -> u32 { 1 }\npub fn legacy() -> u32 { 0 }\n",
        "docs/router.md": "# Router\n",
        "tests/test_router.py": "def test_route():\n    assert True\n",
    }, when="2026-01-12T09:00:00+08:00")
    repo.commit("feat(router)!: drop legacy routing (#5350)\n\nRemoves the legacy() entry point.\n\n"
                "BREAKING CHANGE: callers of legacy() must use route().\n",
                {"lib/router/src/lib.rs": "pub fn route() -> u32 { 2 }\n",
                 "lib/router/src/config.rs": "pub const DEFAULT_TIMEOUT_MS: u64 = 500;\n"},
                when="2026-01-13T07:33:47+08:00", author="Yan Ru Pei <yan@example.com>")
    repo.commit("docs: explain kv events (#5386)", {"docs/router.md": "# Router\n\nKV events.\n"},
                when="2026-01-13T14:56:17+08:00", author="Bo Li <bo@example.com>")
    repo.commit(f"{NASTY}\n\n# not a heading\n<img src=x onerror=alert(1)>\n",
                {"lib/router/src/escape.rs": "// a | b\n", "assets/logo.png": b"\x89PNG\x00\x00\x01"},
                when="2026-01-13T18:00:00+08:00", author="Eve <eve@example.com>")
    repo.git("mv", "docs/router.md", "docs/routing.md")
    repo.commit("chore: bump tokio to 1.40 (#5401)", {"Cargo.lock": "tokio 1.40\n", "Cargo.toml": "tokio = \"1.40\"\n"},
                when="2026-01-13T22:34:56+08:00", author="Bot <bot@example.com>")
    return repo


def make_report(repos, language="zh", since="2026-01-13", until=None, limits=None, names=None):
    d1 = date.fromisoformat(since)
    d2 = date.fromisoformat(until or since)
    request = pipeline.ReportRequest(
        repos=[pipeline.RepoSpec(path=str(r.path), name=(names or {}).get(r)) for r in repos],
        since=d1, until=d2, zone=SH, language=language, use_cache=False,
        patch_limits=limits or PatchLimits(),
    )
    return pipeline.generate_report(request)


def normalise(md: str) -> str:
    # Wall time is the only thing in the report that changes from run to run.
    return re.sub(r"(耗时 |\| )\d+\.\d( 秒| s\*)", r"\g<1>X\2", md)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_golden_markdown(make_repo, language):
    repo = build_day_repo(make_repo)
    report = make_report([repo], language)
    md = normalise(pipeline.render_report(report, ["md"])["md"])
    golden = GOLDEN / f"day_{language}.md"
    if os.environ.get("COMMITDIGEST_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(md, encoding="utf-8")
    assert md == golden.read_text(encoding="utf-8")


def headings(md: str) -> list[tuple[int, str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            out.append((int(tok.tag[1]), tokens[i + 1].content))
    return out


def test_structure_levels_and_no_injected_headings(make_repo):
    repo = build_day_repo(make_repo)
    md = pipeline.render_report(make_report([repo]), ["md"])["md"]
    hs = headings(md)
    assert hs[0] == (1, "每日更新报告（2026-01-13）")
    levels = [lvl for lvl, _ in hs]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), hs  # no level jumps
    assert not any("not a heading" in text for _, text in hs)
    h4 = [text for lvl, text in hs if lvl == 4]
    assert len(h4) == 4  # one per commit of the day, nothing else at that depth
    # raw HTML from a commit is escaped with a backslash, not turned into entities: the raw
    # Markdown reads as the subject does, and no renderer sees a tag
    assert "\\<script>" in md and "&lt;" not in md and "&amp;" not in md
    from markdown_it import MarkdownIt

    tokens = MarkdownIt().parse(md)
    html = [t.content for t in tokens if t.type == "html_block"]
    html += [c.content for t in tokens if t.children for c in t.children if c.type == "html_inline"]
    assert all(h.startswith(("<a id=", "</a>")) for h in html), html
    assert "<script>alert(1)</script>" in MarkdownIt().render(md).replace("&lt;", "<").replace("&gt;", ">")


def test_plain_comparisons_and_ampersands_stay_plain():
    from commitdigest.report.render import md_cell, md_inline

    assert md_inline("a < b && c > d; R&D") == "a < b && c > d; R&D"
    assert md_inline("&amp; &#60; <b>x</b> <https://e.example>") == "\\&amp; \\&#60; \\<b>x\\</b> \\<https://e.example>"
    assert md_inline("> quoted") == "\\> quoted"
    assert md_cell("x < 6 | y") == "x < 6 \\| y"


def test_table_escapes_pipes(make_repo):
    repo = build_day_repo(make_repo)
    md = pipeline.render_report(make_report([repo]), ["md"])["md"]
    row = next(line for line in md.splitlines() if line.startswith("| 2026-01-13 18:00:00"))
    assert "a\\|b" in row
    # Exactly the three column separators plus the borders remain unescaped.
    assert len(re.findall(r"(?<!\\)\|", row)) == 4


def anchors_and_links(md: str):
    ids = re.findall(r'<a id="([^"]+)"></a>', md)
    links = re.findall(r"\]\(#([^)]+)\)", md)
    return ids, links


def test_toc_links_resolve_across_repos(make_repo):
    a = build_day_repo(make_repo)
    b = make_repo("other")
    b.commit("feat: other thing", {"src/x.py": "x = 1\n"}, when="2026-01-13T11:00:00+08:00")
    # Two sections with the same display name must still get distinct anchors.
    report = make_report([a, b], names={a: "same/name", b: "same/name"})
    md = pipeline.render_report(report, ["md"])["md"]
    ids, links = anchors_and_links(md)
    assert len(ids) == len(set(ids))
    assert links and set(links) <= set(ids)
    commit_ids = [i for i in ids if i.startswith("c-")]
    assert len(commit_ids) == 5


def test_toc_titles_cut_at_56(make_repo):
    repo = make_repo()
    long = "feat: " + "x" * 80
    repo.commit(long, {"a.py": "a = 1\n"}, when="2026-01-13T10:00:00+08:00")
    md = pipeline.render_report(make_report([repo]), ["md"])["md"]
    assert f"- [{long[:56]}...](#c-" in md
    assert f"#### {long}\n" in md


def test_tiers_ordered_and_newest_first(make_repo):
    repo = build_day_repo(make_repo)
    report = make_report([repo])
    commits = report.repos[0].commits
    assert [c.time for c in commits] == sorted((c.time for c in commits), reverse=True)
    md = pipeline.render_report(report, ["md"])["md"]
    tier_positions = [md.find(f"<a id=\"dynamo-{lvl}\"></a>") for lvl in ("high", "medium", "low")]
    present = [p for p in tier_positions if p >= 0]
    assert present == sorted(present)
    for level in ("high", "medium", "low"):
        tier = [c for c in commits if c.analysis.importance.value == level]
        pos = [md.find(f'<a id="{c.anchor}"></a>') for c in tier]
        assert pos == sorted(pos)


def test_stats_are_git_facts(make_repo):
    repo = build_day_repo(make_repo)
    stats = make_report([repo]).repos[0].stats
    out = repo.git("log", "--first-parent", "--numstat", "--format=", "-M",
                   "--since=2026-01-13T00:00:00+08:00", "--until=2026-01-13T23:59:59+08:00")
    rows = [line.split("\t") for line in out.splitlines() if line.strip()]
    ins = sum(int(r[0]) for r in rows if r[0] != "-")
    dels = sum(int(r[1]) for r in rows if r[1] != "-")
    assert (stats.total, stats.insertions, stats.deletions) == (4, ins, dels)
    assert stats.high + stats.medium + stats.low == 4
    assert stats.files_changed == 8


def test_json_twin_field_names(make_repo):
    repo = build_day_repo(make_repo)
    data = json.loads(pipeline.render_report(make_report([repo]), ["json"])["json"])
    assert {"schema_version", "title", "language", "timezone", "window", "generator", "repos", "usage"} <= set(data)
    assert data["schema_version"] == 1 and data["timezone"] == "Asia/Shanghai"
    assert data["generator"]["name"] == "commitdigest" and data["generator"]["analyzer"] == "heuristic"
    repo_d = data["repos"][0]
    assert {"name", "url", "branch", "stats", "commits"} <= set(repo_d)
    assert repo_d["url"] == "https://github.com/acme/dynamo" and repo_d["branch"] == "main"
    assert set(repo_d["stats"]) >= {"total", "high", "medium", "low", "files_changed", "insertions", "deletions"}
    c = next(c for c in repo_d["commits"] if c["pr"] == 5350)
    assert {"sha", "short_sha", "url", "time", "author", "subject", "pr", "files", "analysis"} <= set(c)
    assert c["time"] == "2026-01-13T07:33:47+08:00" and c["author"] == "Yan Ru Pei"
    assert c["url"] == f"https://github.com/acme/dynamo/commit/{c['sha']}"
    assert set(c["files"][0]) >= {"path", "status", "insertions", "deletions"}
    a = c["analysis"]
    assert set(a) >= {"change_type", "importance", "importance_reason", "summary", "impact_scope", "insights",
                      "risks", "recommendations", "conclusion", "analyzer", "fallback", "coverage"}
    assert set(a["insights"]) == {"architecture", "performance", "security"}
    assert set(a["coverage"]) >= {"files_total", "files_analyzed", "truncated"}
    assert a["analyzer"] == "heuristic" and a["fallback"] is False
    nasty = next(c for c in repo_d["commits"] if c["subject"] == NASTY)
    assert nasty["pr"] is None
    assert set(data["usage"]) >= {"llm_calls", "prompt_tokens", "completion_tokens", "cache_hits", "seconds"}


def test_coverage_line_for_truncated_and_unreadable(make_repo):
    repo = make_repo()
    repo.commit("feat: big", {"src/big.py": "".join(f"x{i} = {i}\n" for i in range(3000))},
                when="2026-01-13T10:00:00+08:00")
    broken = repo.commit("fix: lost", {"src/lost.py": "y = 1\n"}, when="2026-01-13T11:00:00+08:00")
    blob = repo.git("rev-parse", f"{broken}:src/lost.py")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    report = make_report([repo], limits=PatchLimits(per_file=1000))
    md = pipeline.render_report(report, ["md"])["md"]
    blocks = md.split('<a id="c-')
    big = next(b for b in blocks if "#### feat: big" in b)
    lost = next(b for b in blocks if "#### fix: lost" in b)
    assert "ℹ️ 分析覆盖：" in big and "截断" in big
    assert "ℹ️ 分析覆盖：" in lost and "git 无法读取" in lost and "+?/-?" in lost
    data = json.loads(pipeline.render_report(report, ["json"])["json"])
    lost_d = next(c for c in data["repos"][0]["commits"] if c["subject"] == "fix: lost")
    assert lost_d["files"][0]["path"] == "src/lost.py"
    assert lost_d["analysis"]["coverage"]["unreadable"] is True


def test_every_odd_commit_gives_complete_report(make_repo):
    sub = make_repo("sub")
    sub.commit("s", {"s": "1"})
    repo = make_repo()
    repo.commit("root", {"a.txt": "a\n"}, when="2026-01-13T01:00:00+08:00")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"side.txt": "s\n"}, when="2026-01-13T02:00:00+08:00")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side", when="2026-01-13T03:00:00+08:00")
    repo.commit("binary", {"img.bin": b"\x00\x01\x02" * 100}, when="2026-01-13T04:00:00+08:00")
    repo.git("mv", "a.txt", "b.txt")
    repo.commit("rename", when="2026-01-13T05:00:00+08:00")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "ext/sub")
    repo.commit("submodule", when="2026-01-13T06:00:00+08:00")
    repo.commit("empty", allow_empty=True, when="2026-01-13T07:00:00+08:00")
    repo.commit(b"fix: \xff\xfe latin \xe9\n", {b"caf\xe9.txt": "x\n"}, when="2026-01-13T08:00:00+08:00")
    repo.commit("feat: many", {f"gen/f{i}.txt": f"{i}\n" for i in range(5000)}, when="2026-01-13T09:00:00+08:00")
    for language in ("zh", "en"):
        report = make_report([repo], language)
        assert report.repos[0].stats.total == 8  # "side" is not first-parent
        out = pipeline.render_report(report, ["md", "json"])
        json.loads(out["json"])
        ids, links = anchors_and_links(out["md"])
        assert set(links) <= set(ids)
        assert len([i for i in ids if i.startswith("c-")]) == 8
