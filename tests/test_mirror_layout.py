"""`[output] layout = "per-repo"`: DIR/<year>/<repo>/<date>.* per repository per day, and
`report --dry-run` / `--stdout`: the Markdown on stdout, no file written."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

from commitdigest.job import repo_folders

DAY = "2026-01-13"


def _two_repos(make_repo, tmp_path: Path, layout: str = "per-repo") -> Path:
    engine = make_repo("engine")
    engine.commit("feat: engine start", {"src/engine.rs": "fn start() {}\n"}, when=f"{DAY}T09:00:00+08:00")
    engine.commit("fix: engine stop", {"src/engine.rs": "fn start() {}\nfn stop() {}\n"},
                  when="2026-01-12T09:00:00+08:00")
    tool = make_repo("tool")
    tool.commit("fix: tool crash on empty input", {"tool/main.py": "def main():\n    pass\n"},
                when=f"{DAY}T11:00:00+08:00")
    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n'
                   f'[[repos]]\npath = "{engine.path}"\nname = "acme/engine"\n\n'
                   f'[[repos]]\npath = "{tool.path}"\n\n'
                   f'[output]\ndir = "out"\nformats = ["md", "json", "html", "feed"]\nlayout = "{layout}"\n')
    return cfg


def test_per_repo_layout_writes_one_report_per_repository_per_day(make_repo, tmp_path):
    _two_repos(make_repo, tmp_path)
    r = run_cli("run", "--since", "2026-01-12", "--until", DAY, "--no-notify", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    engine, tool = out / "2026" / "engine", out / "2026" / "tool"
    for folder in (engine, tool):
        for day in ("2026-01-12", DAY):
            assert {(folder / f"{day}.{s}").is_file() for s in ("md", "json", "html")} == {True}
        assert (folder / "index.html").is_file() and (folder / "feed.xml").is_file()
    assert not list(out.glob("*.md")) and not list(out.glob("*.json"))  # nothing in the daily place
    data = json.loads((engine / f"{DAY}.json").read_text())
    assert [s["name"] for s in data["repos"]] == ["acme/engine"]
    assert [c["subject"] for c in data["repos"][0]["commits"]] == ["feat: engine start"]
    tool_md = (tool / f"{DAY}.md").read_text()
    assert "fix: tool crash on empty input" in tool_md and "engine" not in tool_md
    assert json.loads((tool / "2026-01-12.json").read_text())["repos"][0]["commits"] == []
    assert sorted(r.stdout.split()) == sorted(str(p) for p in out.rglob("*") if p.is_file()
                                              and not p.name.startswith("."))

    again = run_cli("run", "--since", "2026-01-12", "--until", DAY, "--no-notify", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == "" and "already reported" in again.stderr
    (tool / f"{DAY}.json").unlink()  # one repository's day missing: only it is written again
    partial = run_cli("run", "--date", DAY, "--no-notify", cwd=tmp_path)
    assert partial.returncode == 0, partial.stderr
    assert str(tool / f"{DAY}.md") in partial.stdout.split() and str(engine / f"{DAY}.md") not in partial.stdout


def test_layout_key_is_checked_with_its_name(make_repo, tmp_path):
    _two_repos(make_repo, tmp_path, layout="by-repo")
    r = run_cli("run", "--date", DAY, "--no-notify", cwd=tmp_path)
    assert r.returncode == 4 and "output.layout" in r.stderr and "'per-repo'" in r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_repo_folders_are_short_unique_and_cannot_leave_the_output_directory():
    assert repo_folders(["ai-dynamo/dynamo", "vllm-project/vllm", "tool"]) == {
        "ai-dynamo/dynamo": "dynamo", "vllm-project/vllm": "vllm", "tool": "tool"}
    assert repo_folders(["a/x", "b/x"]) == {"a/x": "a-x", "b/x": "b-x"}
    assert set(repo_folders(["..", "../../etc", "a b"]).values()) == {"repo", "etc", "a-b"}


def test_report_dry_run_prints_the_markdown_and_writes_nothing(make_repo, tmp_path):
    repo = make_repo("lib")
    repo.commit("feat: add parser", {"src/parser.py": "def parse():\n    return 1\n"}, when=f"{DAY}T10:00:00+08:00")
    for flag in ("--dry-run", "--stdout"):
        r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--lang", "en",
                    "--format", "md,json,html", "--out", str(tmp_path / "out"), flag, "--no-cache")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("# ") and "feat: add parser" in r.stdout
        assert not (tmp_path / "out").exists()
    written = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--tz", "Asia/Shanghai", "--lang", "en",
                      "--format", "md", "--out", str(tmp_path / "out"), "--no-cache")
    # the same text a file gets, but for the seconds the run took in the footer
    assert (tmp_path / "out" / f"{DAY}.md").read_text().splitlines()[:-1] == r.stdout.splitlines()[:-1]
    assert written.stdout.strip() == str(tmp_path / "out" / f"{DAY}.md")


def test_per_repo_layout_announces_the_day_once_with_every_repository(make_repo, tmp_path):
    from capture_server import CaptureServer

    cfg = _two_repos(make_repo, tmp_path)
    with CaptureServer() as hook:
        cfg.write_text(cfg.read_text() + f'base_url = "https://reports.example.com"\n'
                                         f'[[notify]]\ntype = "webhook"\nurl = "{hook.url("/in")}"\n')
        r = run_cli("run", "--date", DAY, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert len(hook.posts) == 1
        body = hook.posts[0].body
        assert [s["name"] for s in body["report"]["repos"]] == ["acme/engine", "tool"]
        assert body["report_url"] == "https://reports.example.com/"
        again = run_cli("run", "--date", DAY, cwd=tmp_path)
        assert again.returncode == 0 and len(hook.posts) == 1  # delivered once
