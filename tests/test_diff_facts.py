"""Facts the offline analyzer reads off a diff are true and checkable in that diff: definitions
come from changed lines only, a moved definition is neither added nor removed, and a package's
own version or metadata is not a dependency change. Every case is a real commit."""

from __future__ import annotations

import re
import subprocess
from datetime import date

from commitdigest import pipeline
from commitdigest.analysis.diff_facts import definitions, dependency_bumps
from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.git.log import read_commits
from commitdigest.git.repo import open_repo
from commitdigest.window import parse_zone

DAY0, DAY1 = "2026-01-12T10:00:00+08:00", "2026-01-13T10:00:00+08:00"


def _commit(repo, before: dict, after: dict, subject: str = "chore: change"):
    repo.commit("chore: base", before, when=DAY0)
    sha = repo.commit(subject, after, when=DAY1)
    [c] = read_commits(open_repo(repo.path), [sha])
    return c


def _defs(c):
    return definitions(f.patch for f in c.files)


def _bumps(c):
    return dependency_bumps((f.path, f.patch) for f in c.files)


def test_context_after_a_blank_changed_line_is_not_a_definition(make_repo):
    # A blank line added before unchanged definitions: the old pattern ran from the "+" across
    # the newline into the context and reported `stays` and `Kept` as added.
    before = "import os\ndef stays():\n    return 1\n\nclass Kept:\n    pass\n"
    after = "import os\n\ndef stays():\n    return 1\n\n\nclass Kept:\n    pass\n"
    c = _commit(make_repo(), {"src/mod.py": before}, {"src/mod.py": after})
    d = _defs(c)
    assert d.added == [] and d.removed == []


def test_context_after_a_blank_removed_line_is_not_a_removal(make_repo):
    before = "x = 1\n\n\nfunc Serve() {}\n\nfunc helper() {}\n"
    after = "x = 1\n\nfunc Serve() {}\n\nfunc helper() {}\n"
    c = _commit(make_repo(), {"pkg/server.go": before}, {"pkg/server.go": after})
    assert _defs(c).removed == [] and _defs(c).added == []


def test_moved_definition_is_neither_added_nor_removed(make_repo):
    before = {"src/a.py": "def moved(x):\n    return x\n\n\ndef gone():\n    return 0\n", "src/b.py": "Y = 2\n"}
    after = {"src/a.py": "X = 1\n", "src/b.py": "Y = 2\n\n\ndef moved(x):\n    return x\n\n\ndef fresh():\n    return 3\n"}
    d = _defs(_commit(make_repo(), before, after, "refactor: move"))
    assert d.added == ["fresh"] and d.removed == ["gone"]


def test_only_public_names_per_language(make_repo):
    after = {
        "pkg/api.go": "package pkg\n\nfunc Exported() {}\nfunc unexported() {}\nfunc (s *Srv) Handle() {}\n"
                      "type Config struct{}\ntype inner struct{}\n",
        "src/lib.rs": "pub fn open() {}\npub(crate) fn internal() {}\nfn private() {}\npub struct Reader;\n",
        "web/index.ts": "export function render() {}\nfunction local() {}\nexport interface Props {}\n",
        "src/mod.py": "def visible():\n    pass\n\n\ndef _hidden():\n    pass\n",
        "docs/guide.md": "def not_code():\n",
        "app/Main.kt": "fun start() {}\nprivate fun hidden() {}\ninternal class Inner\ndata class Point(val x: Int)\n",
        "lib/engine.hpp": "class Forward;\nclass Engine {\n};\nstruct EXPORT Options {};\n",
    }
    d = _defs(_commit(make_repo(), {"README": "x\n"}, after, "feat: api"))
    assert sorted(d.added) == sorted(["Exported", "Handle", "Config", "open", "Reader", "render", "Props", "visible",
                                      "start", "Point", "Engine", "Options"])


def test_own_version_and_metadata_are_not_dependencies(make_repo):
    before = {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1.2.3"\nrequires-python = ">=3.9"\n'
                          'dependencies = [\n    "httpx>=0.27.0",\n]\n\n[tool.ruff]\ntarget-version = "py39"\n',
        "Cargo.toml": '[package]\nname = "svc-rs"\nversion = "0.4.0"\nedition = "2021"\nrust-version = "1.70"\n\n'
                      '[dependencies]\nserde = "1.0.190"\n\n[dependencies.tokio]\nversion = "1.37"\nfeatures = ["rt"]\n',
        "web/package.json": '{\n  "name": "svc-web",\n  "version": "2.0.0",\n  "engines": {\n    "node": ">=18"\n  },\n'
                            '  "devDependencies": {\n    "vitest": "^1.5.0"\n  }\n}\n',
    }
    after = {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1.3.0"\nrequires-python = ">=3.10"\n'
                          'dependencies = [\n    "httpx>=0.28.1",\n    "anyio>=4.0",\n]\n\n[tool.ruff]\ntarget-version = "py310"\n',
        "Cargo.toml": '[package]\nname = "svc-rs"\nversion = "0.5.0"\nedition = "2024"\nrust-version = "1.80"\n\n'
                      '[dependencies]\nserde = "1.0.200"\n\n[dependencies.tokio]\nversion = "1.38"\nfeatures = ["rt"]\n',
        "web/package.json": '{\n  "name": "svc-web",\n  "version": "2.1.0",\n  "engines": {\n    "node": ">=20"\n  },\n'
                            '  "devDependencies": {\n    "vitest": "^1.6.0"\n  }\n}\n',
    }
    bumps = {b.name: (b.old, b.new) for b in _bumps(_commit(make_repo(), before, after, "chore: release 1.3.0"))}
    assert bumps == {"httpx": ("0.27.0", "0.28.1"), "anyio": (None, "4.0"), "serde": ("1.0.190", "1.0.200"),
                     "tokio": ("1.37", "1.38"), "vitest": ("^1.5.0", "^1.6.0")}


def test_lock_files_leave_out_the_project_itself(make_repo):
    def uv(own: str, dep: str) -> str:
        return (f'version = 1\n\n[[package]]\nname = "svc"\nversion = "{own}"\nsource = {{ editable = "." }}\n'
                f'dependencies = [\n    {{ name = "idna" }},\n]\n\n[[package]]\nname = "idna"\nversion = "{dep}"\n'
                'source = { registry = "https://pypi.org/simple" }\n')

    def cargo(own: str, dep: str) -> str:
        return (f'[[package]]\nname = "app"\nversion = "{own}"\ndependencies = [\n "memchr",\n]\n\n'
                f'[[package]]\nname = "memchr"\nversion = "{dep}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n'
                'checksum = "abc"\n')

    c = _commit(make_repo(), {"uv.lock": uv("1.0.0", "3.6"), "Cargo.lock": cargo("0.1.0", "2.7.1")},
                {"uv.lock": uv("1.1.0", "3.7"), "Cargo.lock": cargo("0.2.0", "2.7.4")})
    assert {b.name: (b.old, b.new) for b in _bumps(c)} == {"idna": ("3.6", "3.7"), "memchr": ("2.7.1", "2.7.4")}


def test_bump_texts_hold_no_html_specials_and_render_without_entities(make_repo, tmp_path):
    repo = make_repo("svc")
    repo.commit("chore: base", {"web/package.json": '{\n  "dependencies": {\n    "left-pad": ">=1.2.0"\n  }\n}\n',
                                "Cargo.toml": '[dependencies]\nregex = ">=1.9"\n'}, when=DAY0)
    repo.commit("build: widen ranges", {"web/package.json": '{\n  "dependencies": {\n    "left-pad": ">=1.3.0"\n  }\n}\n',
                                        "Cargo.toml": '[dependencies]\nregex = ">=1.10"\n'}, when=DAY1)
    req = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                 until=date(2026, 1, 13), zone=parse_zone("Asia/Shanghai"), language="en",
                                 use_cache=False, cache_dir=tmp_path / "cache")
    report = pipeline.generate_report(req, analyzer=HeuristicAnalyzer())
    summary = report.repos[0].commits[0].analysis.summary
    deps = next(s for s in summary if s.startswith("dependencies: "))
    assert "left-pad 1.2.0 → 1.3.0" in deps and "regex 1.9 → 1.10" in deps
    assert not re.search(r"[<>&]", " ".join(summary))
    md = pipeline.render_report(report, ["md"])["md"]
    assert "&gt;" not in md and "&lt;" not in md and "&amp;" not in md


# --------------------------------------------------------------------- the report, checked by git

TRICKY = [
    # (subject, files): each commit mixes real changes with context that looks like definitions
    ("feat: client", {"src/client.py": "import os\n\n\ndef connect():\n    return 1\n\n\nclass Pool:\n    pass\n"}),
    ("style: spacing", {"src/client.py": "import os\n\n\n\ndef connect():\n    return 1\n\n\n\nclass Pool:\n    pass\n"}),
    ("refactor: move pool", {"src/client.py": "import os\n\n\n\ndef connect():\n    return 1\n",
                             "src/pool.py": "class Pool:\n    pass\n\n\ndef drain():\n    pass\n"}),
    ("feat(go): server", {"pkg/s.go": "package pkg\n\nfunc Serve() {}\n\nfunc helper() {}\n\ntype Options struct{}\n"}),
    ("fix(go): spacing", {"pkg/s.go": "package pkg\n\n\nfunc Serve() {}\nfunc helper() {}\n\ntype Options struct{}\n"}),
    ("feat!: drop connect", {"src/client.py": "import os\n"}),
]


def test_every_definition_the_report_names_is_on_a_changed_line(make_repo, tmp_path):
    repo = make_repo("svc")
    repo.commit("chore: init", {"README.md": "svc\n"}, when=DAY0)
    for n, (subject, files) in enumerate(TRICKY):
        repo.commit(subject, files, when=f"2026-01-13T1{n}:00:00+08:00")
    req = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                 until=date(2026, 1, 13), zone=parse_zone("Asia/Shanghai"), language="en",
                                 use_cache=False, cache_dir=tmp_path / "cache")
    report = pipeline.generate_report(req, analyzer=HeuristicAnalyzer())
    named: dict[str, list[str]] = {}
    for c in report.repos[0].commits:
        show = subprocess.run(["git", "show", "--first-parent", "-M", "--format=", c.sha], cwd=repo.path,
                              capture_output=True, text=True, check=True).stdout
        for bullet in c.analysis.summary:
            m = re.match(r"(adds|removes) public API: (.*)", bullet)
            if m:
                names = re.findall(r"`([^`]+)`", re.sub(r" and \d+ more$", "", m.group(2)))
                named.setdefault(c.subject, []).extend(f"{m.group(1)} {n}" for n in names)
                sign = "+" if m.group(1) == "adds" else "-"
                for name in names:
                    bare = name.removesuffix("()")
                    assert re.search(rf"(?m)^\{sign}(?!\{sign}\{sign} ).*\b(def|class|func|type)\s+{bare}\b", show), \
                        (c.subject, name)
            m = re.match(r"moves `([^`]+)` from `([^`]+)` to `([^`]+)`", bullet)
            if m:
                named.setdefault(c.subject, []).append(f"moves {m.group(1)}")
                bare = m.group(1).removesuffix("()")
                assert re.search(rf"(?m)^-(?!-- ).*\bclass\s+{bare}\b", show) and \
                    re.search(rf"(?m)^\+(?!\+\+ ).*\bclass\s+{bare}\b", show)
    # and the facts a reader should get are there: the spacing commits say nothing
    assert named == {"feat: client": ["adds connect()", "adds Pool"],
                     "refactor: move pool": ["moves Pool", "adds drain()"],
                     "feat(go): server": ["adds Serve()", "adds Options"], "feat!: drop connect": ["removes connect()"]}


def test_facts_audit_verifies_every_fact_of_a_fixture_repository(make_repo):
    """bench/facts_audit.py, run as a user runs it, confirms every stated fact from git: the
    definitions of the tricky commits, the dependency bump beside the release's own version."""
    import sys
    from pathlib import Path

    repo = make_repo("svc")
    repo.commit("chore: init", {"README.md": "svc\n", "pyproject.toml": '[project]\nname = "svc"\nversion = "1.0.0"\n'
                                "dependencies = [\n    \"httpx>=0.27.0\",\n]\n"}, when=DAY0)
    for n, (subject, files) in enumerate(TRICKY):
        repo.commit(subject, files, when=f"2026-01-13T1{n}:00:00+08:00")
    repo.commit("chore(release): 1.1.0", {"pyproject.toml": '[project]\nname = "svc"\nversion = "1.1.0"\n'
                                          "dependencies = [\n    \"httpx>=0.28.1\",\n]\n"},
                when="2026-01-13T18:00:00+08:00")
    script = Path(__file__).resolve().parent.parent / "bench" / "facts_audit.py"
    out = subprocess.run([sys.executable, str(script), str(repo.path), "--since", "2026-01-13", "--until", "2026-01-13"],
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"semantic\s+100\.0%\s+\(5 of 5", out), out
    assert re.search(r"dependencies\s+100\.0%\s+\(1 of 1", out), out
    assert re.search(r"change type\s+100\.0%\s+\(7 of 7", out), out
    assert "FAIL" not in out


def test_go_type_changing_form_is_neither_added_nor_removed(make_repo):
    before = {"api/types.go": "package api\n\ntype Request map[string]any\n\ntype Choice interface{}\n"}
    after = {"api/types.go": "package api\n\ntype Request struct {\n\tModel string\n}\n\ntype Choice any\n"}
    d = _defs(_commit(make_repo(), before, after, "refactor: typed request"))
    assert d.added == [] and d.removed == []


def test_nothing_is_called_removed_when_part_of_the_diff_was_not_read(make_repo):
    """A huge commit's patch is clipped by the log reader: a definition re-added in the part not
    read must not be reported as removed."""
    from commitdigest.git.log import PatchLimits

    repo = make_repo()
    big = "".join(f"def helper_{i}():\n    return {i}\n\n\n" for i in range(400))
    repo.commit("chore: base", {"src/a.py": "def moved():\n    return 1\n", "src/z.py": "X = 1\n"}, when=DAY0)
    sha = repo.commit("refactor: move", {"src/a.py": "X = 0\n", "src/z.py": big + "def moved():\n    return 1\n"},
                      when=DAY1)
    [c] = read_commits(open_repo(repo.path), [sha], limits=PatchLimits(per_file=2_000, per_commit=100_000))
    assert any(f.patch_clipped for f in c.files)
    assert "moved" not in definitions(f.patch for f in c.files).removed  # text alone: the clip is seen
    assert "moved" not in definitions(c.files).removed  # file changes: their flag says so
    [full] = read_commits(open_repo(repo.path), [sha])
    assert _defs(full).removed == [] and "moved" not in _defs(full).added
