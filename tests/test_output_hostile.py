"""Output stays well-formed and inert whatever a repository says: no code from the cache directory,
no control characters in any file, no live links or images from commit text."""

from __future__ import annotations

import json
import os
import pickle
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli
from markdown_it import MarkdownIt

NS = {"a": "http://www.w3.org/2005/Atom"}
# Everything that must never reach a file: C0 controls but tab and newline, DEL, C1, the two XML
# noncharacters, lone surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def raw_commit(repo, message: bytes, when: str = "1768269600 +0800", files: dict | None = None) -> str:
    """A commit written with hash-object, so git keeps every byte of the message (``git commit``
    re-encodes a message holding U+FFFF as if it were Latin-1)."""
    for rel, content in (files or {}).items():
        repo.write(rel, content)
    repo.git("add", "-A")
    tree = repo.git("write-tree")
    parent = repo.git("rev-parse", "-q", "--verify", "HEAD^{commit}") if _has_head(repo) else None
    obj = (f"tree {tree}\n" + (f"parent {parent}\n" if parent else "")
           + f"author Mallory <m@example.com> {when}\ncommitter Mallory <m@example.com> {when}\n\n").encode()
    sha = repo.git("hash-object", "-w", "-t", "commit", "--stdin", input=obj + message)
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def _has_head(repo) -> bool:
    try:
        repo.git("rev-parse", "-q", "--verify", "HEAD^{commit}")
        return True
    except AssertionError:
        return False


# 2026-01-13 10:00 +08:00
HOSTILE_SUBJECT = b"feat: bell\x01 tab\x0bstop \x1b[2Jclear \x1b]0;pwned\x07title \x1b[31mred\x1b[0m"
CLEAN_SUBJECT = "feat: bell tab stop clear title red"
HOSTILE_BODY = "noncharacter \uffff here\n\nsecond paragraph \x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\n"


def hostile_repo(make_repo):
    repo = make_repo("hostile")
    repo.git("remote", "add", "origin", "https://github.com/acme/hostile.git")
    raw_commit(repo, HOSTILE_SUBJECT + b"\n\n" + HOSTILE_BODY.encode(), files={"src/a.py": "A = 1\n"})
    return repo


def test_control_characters_never_reach_a_file(make_repo, tmp_path):
    repo = hostile_repo(make_repo)
    out = tmp_path / "out"
    for lang in ("en", "zh"):
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--lang", lang, "--format", "md,json,html,feed", "--base-url", "https://r.example/",
                    "--out", str(out / lang))
        assert r.returncode == 0, r.stderr
        files = sorted(p for p in (out / lang).iterdir() if p.name != ".commitdigest.lock")
        assert {p.name for p in files} == {"2026-01-13.md", "2026-01-13.json", "2026-01-13.html",
                                           "index.html", "feed.xml"}
        for path in files:
            text = path.read_text(encoding="utf-8")
            assert not FORBIDDEN.search(text), (path.name, FORBIDDEN.findall(text))
            # the printable tails of the escape sequences went with them
            assert "[2J" not in text and "0;pwned" not in text and "[31m" not in text, path.name
        # the words around the controls survive
        data = json.loads((out / lang / "2026-01-13.json").read_text())
        assert data["repos"][0]["commits"][0]["subject"] == CLEAN_SUBJECT
        feed = ET.parse(out / lang / "feed.xml").getroot()  # raises on any XML-illegal character
        entry = feed.find("a:entry", NS)
        content = entry.find("a:content", NS).text
        assert CLEAN_SUBJECT in content  # feat 8 + core 2 = 10: listed among the high-importance commits
        ET.fromstring(f"<div>{content}</div>")  # the HTML it carries parses too
        # the page is served as HTML, but contains nothing an XML parser would refuse either
        page = (out / lang / "2026-01-13.html").read_text(encoding="utf-8")
        assert CLEAN_SUBJECT in page and re.search("noncharacter +here", page)
        assert f"#### {CLEAN_SUBJECT}\n" in (out / lang / "2026-01-13.md").read_text(encoding="utf-8")


def test_analyze_prints_no_terminal_escapes(make_repo):
    repo = hostile_repo(make_repo)
    r = run_cli("analyze", "HEAD", "--repo", str(repo.path), "--lang", "en", "--tz", "Asia/Shanghai")
    assert r.returncode == 0, r.stderr
    assert not FORBIDDEN.search(r.stdout), FORBIDDEN.findall(r.stdout)
    assert f"#### {CLEAN_SUBJECT}\n" in r.stdout


LINKY_SUBJECT = ("fix: see [patch](https://evil.example/p) ![x](https://evil.example/i.png) "
                 "<https://evil.example/a> \\[b\\](https://evil.example/b) [ref] (#7)")
LINKY_BODY = ("Apply [this](javascript:alert(1)) first.\n\n![](https://evil.example/track.png)\n\n"
              "[ref]: https://evil.example/ref\n")


def links_and_images(md: str) -> tuple[list[str], list[str], list[str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    hrefs, images, html = [], [], []
    for tok in tokens:
        if tok.type == "html_block":
            html.append(tok.content)
        for child in tok.children or []:
            if child.type == "link_open":
                hrefs.append(child.attrs["href"])
            elif child.type == "image":
                images.append(child.attrs["src"])
            elif child.type == "html_inline":
                html.append(child.content)
    return hrefs, images, html


def test_links_and_images_in_commit_text_are_inert(make_repo, tmp_path):
    repo = make_repo("linky")
    repo.git("remote", "add", "origin", "https://github.com/acme/linky.git")
    repo.commit(f"{LINKY_SUBJECT}\n\n{LINKY_BODY}", {"src/a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    for lang in ("zh", "en"):
        r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                    "--lang", lang, "--format", "md", "--out", str(tmp_path / lang))
        assert r.returncode == 0, r.stderr
        md = (tmp_path / lang / "2026-01-13.md").read_text(encoding="utf-8")
        hrefs, images, html = links_and_images(md)
        assert images == []
        assert not [h for h in hrefs if "evil" in h or "javascript" in h], hrefs
        # what links remain are ours: the TOC, the commit, the PR
        assert all(h.startswith(("#", "https://github.com/acme/linky/")) for h in hrefs), hrefs
        assert "https://github.com/acme/linky/pull/7" in hrefs
        assert all(re.fullmatch(r'<a id="[^"]+">|</a>', h) for h in html), html  # only our anchors
        # The reader still sees the text as it was written.
        tokens = MarkdownIt("commonmark").enable("table").parse(md)
        h4 = next(tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h4")
        shown = "".join(c.content for c in h4.children if c.type == "text")
        assert shown == LINKY_SUBJECT


def test_a_planted_template_cache_is_never_loaded(make_repo, tmp_path):
    """Compiled templates used to be cached with pickle under the user cache directory: a file
    planted there ran code on the next start. Plant one where every template would be looked up."""
    import os

    from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader
    from jinja2.bccache import bc_magic

    from commitdigest.outputs.html import env as html_env
    from commitdigest.report.render import _env as md_env

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    cache = Path(os.environ["COMMITDIGEST_CACHE_DIR"])
    planted = []
    for name, folder, real in (("md", "report/templates", md_env()), ("html", "outputs/templates", html_env())):
        directory = cache / "templates" / name
        directory.mkdir(parents=True)
        env = Environment(loader=PackageLoader("commitdigest", folder),
                          bytecode_cache=FileSystemBytecodeCache(str(directory)))
        env.filters.update(real.filters)
        for template in env.list_templates():
            if template.startswith("rollup"):  # rollup templates came after the on-disk cache was gone
                continue
            env.get_template(template)  # writes the cache file under the name a loader looks for
        for path in directory.iterdir():
            path.write_bytes(bc_magic + pickle.dumps(Payload()))
            planted.append(path)
    assert len(planted) >= 6
    repo = make_repo()
    repo.commit("feat: one", {"a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--format", "md,html,feed", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    assert (tmp_path / "out" / "2026-01-13.html").is_file()
    # and nothing template-related is written to the cache any more
    assert sorted(p for p in (cache / "templates").rglob("*") if p.is_file()) == sorted(planted)


# ------------------------------------------------------- hostile URLs: links, chat mentions

MENTION_URL = "https://github.com/acme/x><!channel>|x"
PWN_URL = "https://github.com/acme/x)[pwn](javascript:alert(1)"
PWN_BASE = "https://reports.example/a)[pwn](javascript:alert(1)|<!channel>"


def chat_payloads(make_repo, tmp_path, origin: str):
    """A `run` whose repository's origin URL and published base URL are hostile, announced on
    every Markdown-like chat: (the day's Markdown, {channel type: what it was sent})."""
    from capture_server import CaptureServer

    repo = make_repo("hostile-url")
    repo.git("remote", "add", "origin", origin)
    repo.commit("feat!: drop the v1 api", {"src/api.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    with CaptureServer() as server:
        channels = "".join(f'[[notify]]\ntype = "{kind}"\nurl = "{server.url("/" + kind)}"\nbackoff = 0\n'
                           for kind in ("slack", "dingtalk", "wecom", "feishu"))
        (tmp_path / "commitdigest.toml").write_text(
            f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{repo.path}"\n'
            f'[output]\ndir = "out"\nbase_url = "{PWN_BASE}"\n{channels}')
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        sent = {p.path.strip("/"): json.dumps(p.body, ensure_ascii=False) for p in server.posts}
    return (tmp_path / "out" / "2026-01-13.md").read_text(encoding="utf-8"), sent


@pytest.mark.parametrize("origin", [MENTION_URL, PWN_URL], ids=["slack-mention", "javascript-link"])
def test_hostile_urls_make_no_link_and_no_mention(make_repo, tmp_path, origin):
    md, sent = chat_payloads(make_repo, tmp_path, origin)
    hrefs, _, _ = links_and_images(md)
    assert not [h for h in hrefs if not h.startswith("#")], hrefs  # the origin gives no links at all
    assert set(sent) == {"slack", "dingtalk", "wecom", "feishu"}
    for kind, payload in sent.items():
        assert "<!channel>" not in payload and "<!" not in payload, kind
        assert "](javascript" not in payload and ")[pwn]" not in payload, kind
    # The published link is still there, encoded: nothing in it ends the link.
    encoded = "https://reports.example/a%29[pwn]%28javascript:alert%281%29%7C%3C!channel%3E/2026-01-13.md"
    assert f"<{encoded}|" in sent["slack"]
    for kind in ("dingtalk", "wecom"):
        destinations = re.findall(r"\]\(([^)]*)\)", json.loads(sent[kind])["markdown"].get("text")
                                  or json.loads(sent[kind])["markdown"]["content"])
        assert destinations == [encoded], (kind, destinations)


@pytest.mark.parametrize("url", [PWN_URL, MENTION_URL, "https://[::1/a/b"])
def test_a_hostile_web_url_is_refused_in_one_line(make_repo, tmp_path, url):
    repo = make_repo()
    repo.commit("feat: one", {"a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    r = run_cli("report", "--repo", str(repo.path), "--web-url", url, "--date", "2026-01-13", "--out",
                str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("commitdigest: error: ") and "GitHub or GitLab" in lines[0]
    assert not (tmp_path / "out").exists()


# ------------------------------------------ what a terminal or a reader would obey, not read

# A carriage return that would put "docs: typo fix" over the real subject, a backspace, a bell,
# an OSC 8 hyperlink, an 8-bit CSI (U+009B, as UTF-8) that clears the screen.
SPOOFED = ("feat!: DISABLE AUTH CHECK\r\x08\x07\x1b]8;;https://evil.example/\x07docs: typo fix\x1b]8;;\x07"
           " \u009b2J\u202e")
TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("args", [["--explain"], ["--explain", "--format", "json"], [], ["--format", "json"]],
                         ids=["explain", "explain-json", "md", "json"])
def test_analyze_never_prints_what_drives_a_terminal(make_repo, args):
    repo = make_repo()
    sha = raw_commit(repo, SPOOFED.encode() + b"\n\nbody\n", files={"src/auth.py": "def check():\n    return True\n"})
    r = run_cli("analyze", sha, "--repo", str(repo.path), "--lang", "en", "--tz", "Asia/Shanghai", *args)
    assert r.returncode == 0, r.stderr
    assert not TERMINAL.search(r.stdout), TERMINAL.findall(r.stdout)
    assert "DISABLE AUTH CHECK" in r.stdout
    if "json" in args:
        data = json.loads(r.stdout)  # escapes, not raw controls: the same data
        assert data["subject"].startswith("feat!: DISABLE AUTH CHECK\r") and "\u202e" in data["subject"]
    else:
        assert "\\u202e" in r.stdout  # shown, not obeyed


BIDI_PATH = "src/invoice_\u202egnp.py"  # shows as "src/invoice_yp.png"
BIDI_SUBJECT = "fix: access check \u2067/* admin only */\u2069 (#21)"
BIDI_TITLE = "Harmless \u202etpircs\u202c cleanup"


def test_bidirectional_controls_are_shown_escaped_in_every_file(make_repo, tmp_path, monkeypatch):
    from hosting_server import FakeHost, FakePR

    repo = make_repo("bidi")
    repo.git("remote", "add", "origin", "https://github.com/acme/bidi.git")
    repo.commit(BIDI_SUBJECT, {BIDI_PATH: "x = 1\n"}, when="2026-01-13T10:00:00+08:00",
                author="Mal\u202elory <m@example.com>")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_faketoken")
    with FakeHost() as host:
        host.add(FakePR(21, title=BIDI_TITLE, labels=["\u202elabel"]))
        (tmp_path / "commitdigest.toml").write_text(
            f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\npath = "{repo.path}"\n'
            f'[output]\ndir = "out"\nformats = ["md", "json", "html", "feed"]\nbase_url = "https://r.example/"\n'
            f'[hosting]\ngithub_api = "{host.github_api}"\n')
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    for name in ("2026-01-13.md", "2026-01-13.json", "2026-01-13.html", "feed.xml", "index.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert not re.search("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", text), name
    md = (out / "2026-01-13.md").read_text(encoding="utf-8")
    assert "access check \\u2067/* admin only */\\u2069 (#21)" in md
    assert "Harmless \\u202etpircs\\u202c cleanup" in md and "Mal\\u202elory" in md
    (commit,) = json.loads((out / "2026-01-13.json").read_text())["repos"][0]["commits"]
    assert commit["files"][0]["path"] == "src/invoice_\\u202egnp.py"
    assert commit["pr_meta"]["title"] == "Harmless \\u202etpircs\\u202c cleanup"
    assert "invoice_\\u202egnp.py" in (out / "2026-01-13.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------- writes stay inside


def one_line_error(r, code: int, fragment: str) -> None:
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("commitdigest: error: ") and fragment in lines[0], r.stderr
    assert "internal error" not in r.stderr


def a_day(make_repo):
    repo = make_repo()
    repo.commit("feat: one", {"a.py": "A = 1\n"}, when="2026-01-13T10:00:00+08:00")
    return repo


def test_a_linked_rollups_folder_is_never_written_through(make_repo, tmp_path):
    repo = a_day(make_repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "2026-W03.md"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "rollups").symlink_to(outside)
    r = run_cli("rollup", "--week", "2026-W03", "--repo", str(repo.path), "--tz", "Asia/Shanghai", "--out", str(out))
    one_line_error(r, 5, "a symbolic link")
    assert victim.read_text() == "precious\n" and sorted(p.name for p in outside.iterdir()) == ["2026-W03.md"]
    # A folder of the per-repo layout, the same.
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\n[[repos]]\npath = "{repo.path}"\n[output]\ndir = "out2"\nlayout = "per-repo"\n')
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "2026").symlink_to(outside)
    r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode != 0 and "internal error" not in r.stderr and "a symbolic link" in r.stderr, r.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["2026-W03.md"]
    # The output directory itself may be a link (a published folder elsewhere).
    (tmp_path / "published").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "published")
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--out", str(tmp_path / "link"), "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "published" / "2026-01-13.md").is_file()


def test_a_lock_or_config_that_is_not_a_regular_file_is_refused_in_one_line(make_repo, tmp_path):
    repo = a_day(make_repo)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".commitdigest.lock").symlink_to(tmp_path / "elsewhere.lock")
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--out", str(out))
    one_line_error(r, 5, "a symbolic link")
    assert not (tmp_path / "elsewhere.lock").exists() and not (out / "2026-01-13.md").exists()
    (out / ".commitdigest.lock").unlink()
    (out / ".commitdigest.lock").symlink_to(out / ".commitdigest.lock")  # a loop: ELOOP when opened
    one_line_error(run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--out", str(out)), 5,
                   "a symbolic link")

    fifo = tmp_path / "fifo.toml"  # a stand-in for a device node: not a regular file
    os.mkfifo(fifo)
    one_line_error(run_cli("init", "--force", "--path", str(fifo)), 5, "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    target = tmp_path / "dotfiles.toml"
    target.write_text("# mine\n")
    (tmp_path / "linked.toml").symlink_to(target)
    one_line_error(run_cli("init", "--force", "--path", str(tmp_path / "linked.toml")), 5, "a symbolic link")
    assert (tmp_path / "linked.toml").is_symlink() and target.read_text() == "# mine\n"


def test_links_in_the_cache_are_not_followed(make_repo, tmp_path):
    repo = a_day(make_repo)
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (cache / "mirrors").symlink_to(outside)
    (cache / "cache.sqlite3").symlink_to(outside / "planted.sqlite3")
    r = run_cli("report", "--repo", f"file://{repo.path}", "--date", "2026-01-13", "--out", str(tmp_path / "out"),
                "--cache-dir", str(cache))
    one_line_error(r, 5, "a symbolic link")
    assert list(outside.iterdir()) == []
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--out", str(tmp_path / "out"),
                "--cache-dir", str(cache), "--quiet")
    assert r.returncode == 0 and "cache.sqlite3: a symbolic link" in r.stderr and "not cached" in r.stderr, r.stderr
    assert list(outside.iterdir()) == []


# ----------------------------------------------------------------------- damaged state files

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("planted", [DEEP, '{"a":' * 900 + "1" + "}" * 900, "{not json", '{"title": 1}'],
                         ids=["deep-array", "deep-object", "not-json", "wrong-shape"])
def test_a_damaged_twin_in_the_output_directory_is_skipped(make_repo, tmp_path, planted):
    repo = a_day(make_repo)
    out = tmp_path / "out"
    (out / "rollups").mkdir(parents=True)
    (out / "2026-01-12.json").write_text(planted)
    (out / "rollups" / "2026-W01.json").write_text(planted)
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-01-13", "--tz", "Asia/Shanghai",
                "--format", "md,json,html,feed", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2026-01-13" in index and "2026-01-12.html" not in index
    ET.parse(out / "feed.xml")
    # run's "is this day done" reads the twin: a damaged one is a day to write again, not an error
    (tmp_path / "commitdigest.toml").write_text(
        f'timezone = "Asia/Shanghai"\n[[repos]]\npath = "{repo.path}"\n[output]\ndir = "out"\n'
        f'formats = ["md", "json", "html"]\n')
    (out / "2026-01-13.json").write_text(planted)
    r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
    assert r.returncode == 0 and "internal error" not in r.stderr, r.stderr
    assert json.loads((out / "2026-01-13.json").read_text())["repos"][0]["commits"]


@pytest.mark.parametrize("planted", [DEEP, "{not json", '{"2026-01-13": ["ok"]}', "[]", "x" * (5 << 20)],
                         ids=["deep", "not-json", "wrong-shape", "a-list", "too-large"])
def test_a_damaged_deliveries_record_is_set_aside_with_one_warning(make_repo, tmp_path, planted):
    from capture_server import CaptureServer

    repo = a_day(make_repo)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".commitdigest-deliveries.json").write_text(planted)
    with CaptureServer() as server:
        (tmp_path / "commitdigest.toml").write_text(
            f'timezone = "Asia/Shanghai"\n[[repos]]\npath = "{repo.path}"\n[output]\ndir = "out"\n'
            f'[[notify]]\ntype = "webhook"\nurl = "{server.url("/in")}"\n')
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        warnings = r.stderr.strip().splitlines()
        assert len(warnings) == 1 and warnings[0].startswith("commitdigest: warning: ") and "set aside" in warnings[0]
        assert len(server.posts) == 1
        assert json.loads((out / ".commitdigest-deliveries.json").read_text()) == {"2026-01-13": {"0:webhook:webhook": "ok"}}
        (aside,) = out.glob(".commitdigest-deliveries.json.damaged-*")
        assert aside.read_text() == planted
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)  # recorded: not sent again
        assert r.returncode == 0 and "warning" not in r.stderr and len(server.posts) == 1
