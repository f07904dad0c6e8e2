"""The importance score on real commits, weight by weight and boundary by boundary.

Every expected value below is worked out by hand from the defaults (the earlier system's):
type feat 8, fix 7, perf 6, refactor 5, test 3, docs 2, ci 2, chore/style/build 1, other 3;
size > 500 → 3, > 100 → 2, > 50 → 1; file class core 2 / config 1 / test 1 / doc 0;
scope > 5 files → 2, 3–5 → 1; high ≥ 10, medium ≥ 6.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from llm_server import FakeLLM, answer, completion

from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.analysis.importance import (
    Scoring,
    commit_type,
    score,
    scoring_from_table,
)
from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.git.log import read_commits
from commitdigest.git.repo import open_repo
from commitdigest.llm.settings import LLMSettings


def lines(n: int, tag: str = "x") -> str:
    return "".join(f"{tag} line {i}\n" for i in range(n))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """One repository holding every boundary case; returns {label: Commit}."""
    from conftest import GitRepo

    repo = GitRepo(tmp_path_factory.mktemp("score") / "r")
    repo.commit("chore: init", {"README.md": "# r\n", "old/name.py": lines(30, "keep"), "pic.bin": b"\x00\x01" * 50,
                                "src/base.py": "A = 1\n"}, when="2026-01-12T09:00:00+08:00")
    shas: dict[str, str] = {}
    when = iter(f"2026-01-13T{9 + i // 30:02d}:{(i % 30) * 2:02d}:00+08:00" for i in range(200))

    def add(label: str, message: str, files: dict) -> None:
        shas[label] = repo.commit(message, files, when=next(when))

    for n in (50, 51, 100, 101, 500, 501):  # size boundaries, one .md file each: docs 2 + doc 0
        add(f"size{n}", f"docs: page of {n} lines", {f"docs/p{n}.md": lines(n)})
    for n in (2, 3, 5, 6):  # scope boundaries: n one-line .md files
        add(f"files{n}", f"docs: {n} pages", {f"pages{n}/p{i}.md": "x\n" for i in range(n)})
    add("core", "chore: code", {"src/a.py": "A = 2\n"})
    add("config", "chore: conf", {"deploy/values.yaml": "a: 1\n"})
    add("doc", "chore: doc", {"guide.rst": "Guide\n"})
    add("tests_core", "chore: a test", {"tests/test_x.py": "def test(): pass\n"})  # .py first: core
    add("dockerfile", "chore: image", {"Dockerfile": "FROM scratch\n"})  # counts no file: core
    add("tie_config_doc", "chore: tie", {"conf/b.toml": "b = 1\n", "notes/b.md": "b\n"})  # 1:1 → config (earlier)
    add("doc_beats_none", "chore: doc and image", {"notes/c.md": "c\n", "Makefile": "all:\n"})  # doc 1, none 0
    add("Feat", "Feat: capital type", {"src/f.py": "F = 1\n"})
    add("bang", "feat!: breaking", {"src/g.py": "G = 1\n"})
    add("scoped", "fix(a): scoped", {"src/h.py": "H = 1\n"})
    add("greedy", "fix(a) b(c): greedy scope", {"src/h2.py": "H = 2\n"})
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.py", "new/name.py")
    shas["rename"] = repo.commit("refactor: move module", {}, when=next(when))
    add("binary", "chore: image bytes", {"pic.bin": b"\x00\x02" * 300})
    # a merge: the first-parent diff is the side branch's two files
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("feat: side work", {"side/a.py": lines(40), "side/b.py": lines(40)}, when=next(when))
    repo.git("checkout", "-q", "main")
    repo.commit("chore: main work", {"main.txt": "m\n"}, when=next(when))
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side", when=next(when))
    shas["merge"] = repo.git("rev-parse", "HEAD")
    commits = read_commits(open_repo(str(repo.path)), list(shas.values()))
    return repo, {label: c for label, c in zip(shas, commits, strict=True)}


@pytest.mark.parametrize("n,size", [(50, 0), (51, 1), (100, 1), (101, 2), (500, 2), (501, 3)])
def test_size_boundaries(history, n, size):
    sc = score(history[1][f"size{n}"])
    assert sc.parts == {"type": 2, "size": size, "file_type": 0, "scope": 0} and sc.total == 2 + size


@pytest.mark.parametrize("n,scope", [(2, 0), (3, 1), (5, 1), (6, 2)])
def test_scope_boundaries(history, n, scope):
    sc = score(history[1][f"files{n}"])
    assert sc.files == n and sc.parts["scope"] == scope


@pytest.mark.parametrize("label,cls,weight", [
    ("core", "core", 2), ("config", "config", 1), ("doc", "doc", 0), ("tests_core", "core", 2),
    ("dockerfile", "core", 2), ("tie_config_doc", "config", 1), ("doc_beats_none", "doc", 0),
])
def test_file_classes_and_their_order(history, label, cls, weight):
    sc = score(history[1][label])
    assert (sc.file_class, sc.parts["file_type"]) == (cls, weight)


@pytest.mark.parametrize("label,ctype,weight", [("Feat", "other", 3), ("bang", "other", 3), ("scoped", "fix", 7),
                                                ("greedy", "fix", 7), ("core", "chore", 1)])
def test_type_is_read_as_the_earlier_system_read_it(history, label, ctype, weight):
    sc = score(history[1][label])
    assert (sc.commit_type, sc.parts["type"]) == (ctype, weight)


def test_rename_binary_and_merge_facts(history):
    c = history[1]
    rename = score(c["rename"])
    assert (rename.files, rename.lines) == (1, 0)  # one file under its new path, no content change
    assert rename.total == 5 + 0 + 2 + 0 and rename.tier.value == "medium"
    binary = score(c["binary"])
    assert (binary.files, binary.lines) == (1, 0)  # binary files count 0 lines
    merge = score(c["merge"])
    # first-parent diff: side/a.py and side/b.py, 80 lines; "Merge branch" has no type
    assert (merge.files, merge.lines, merge.file_class) == (2, 80, "core")
    assert merge.total == 3 + 1 + 2 + 0


class _Git:
    def __init__(self, path: Path):
        self.path = path

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True, check=True).stdout.strip()


def _by_hand(repo, sha: str) -> tuple[int, str]:
    """The score from `git show --first-parent -M --numstat` alone, computed independently."""
    out = repo.git("show", "--first-parent", "-M", "--numstat", "--format=%s", sha)
    subject, *rows = [line for line in out.split("\n") if line]
    m = re.match(r"^([a-z]+)(\(.+\))?:", subject.strip())
    types = {"feat": 8, "fix": 7, "perf": 6, "refactor": 5, "test": 3, "docs": 2, "ci": 2, "chore": 1,
             "style": 1, "build": 1}
    total = types.get(m.group(1), 3) if m else 3
    changed = 0
    counts = {"core": 0, "config": 0, "test": 0, "doc": 0}
    for row in rows:
        add, dele, path = row.split("\t", 2)
        if " => " in path:  # a rename shown as "old => new" or "dir/{a => b}/f"
            path = re.sub(r"\{[^{}]* => ([^{}]*)\}", r"\1", path).split(" => ")[-1].replace("//", "/")
        changed += (int(add) if add != "-" else 0) + (int(dele) if dele != "-" else 0)
        if path.endswith((".py", ".rs", ".cpp", ".cc", ".c", ".h", ".hpp", ".go", ".js", ".ts")):
            counts["core"] += 1
        elif path.endswith((".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf")):
            counts["config"] += 1
        elif any(p in path for p in ("_test.py", "test_.py", "_test.rs", "_test.go")):
            counts["test"] += 1
        elif path.endswith((".md", ".rst", ".txt", "adoc")):
            counts["doc"] += 1
    total += 3 if changed > 500 else 2 if changed > 100 else 1 if changed > 50 else 0
    total += {"core": 2, "config": 1, "test": 1, "doc": 0}[max(counts.items(), key=lambda kv: kv[1])[0]]
    total += 2 if len(rows) > 5 else 1 if len(rows) >= 3 else 0
    return total, "high" if total >= 10 else "medium" if total >= 6 else "low"


def test_every_commit_scores_as_computed_by_hand_from_git_show(history):
    repo, commits = history
    for label, commit in commits.items():
        sc = score(commit)
        assert (sc.total, sc.tier.value) == _by_hand(repo, commit.sha), label


def test_both_analyzers_give_the_score_tier(history):
    commits = list(history[1].values())
    offline = HeuristicAnalyzer().analyze_batch(commits, "en")
    with FakeLLM(lambda req: completion(answer("en", paths=[], importance="high"))) as server:
        llm = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", api_key="k", retries=0, concurrency=4))
        online = llm.analyze_batch(commits, "en")
    assert not any(r.fallback for r in online)
    assert [r.importance for r in online] == [r.importance for r in offline] == [score(c).tier for c in commits]
    assert all(r.importance_reason == o.importance_reason for r, o in zip(online, offline, strict=True))


def test_the_prompt_states_the_tier_and_asks_for_its_depth(history):
    commits = history[1]
    with FakeLLM(lambda req: completion(answer("zh", paths=[]))) as server:
        llm = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", api_key="k", retries=0))
        llm.analyze_batch([commits["doc"], commits["merge"]], "zh")  # 1+0+0+0 = 1 low; 3+1+2 = 6 medium
    low, medium = sorted(server.requests, key=lambda r: "Merge" in r.text)
    system = low.body["messages"][0]["content"]
    assert "rated low by the report's weighted score (chore 1 + docs 0 + size +1/-0 0 + 1 file 0 = 1 < 6)" in system
    assert "Depth (low importance)" in system and "impact_scope" not in system
    low_schema = low.body["response_format"]["json_schema"]["schema"]
    assert set(low_schema["properties"]) == {"summary", "change_type"}
    assert low_schema["properties"]["summary"]["maxItems"] == 2
    medium_schema = medium.body["response_format"]["json_schema"]["schema"]
    assert set(medium_schema["properties"]) == {"summary", "change_type", "impact_scope", "risks", "recommendations"}
    assert "Depth (medium importance)" in medium.body["messages"][0]["content"]
    # the low-tier request is the smaller one: fewer tokens for commits that matter less
    assert len(json.dumps(low_schema)) < len(json.dumps(medium_schema))


def test_model_source_lets_the_model_rate(history):
    commits = history[1]
    with FakeLLM(lambda req: completion(answer("en", paths=[], importance="high"))) as server:
        llm = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", api_key="k", retries=0),
                          scoring=Scoring(source="model"))
        [record] = llm.analyze_batch([commits["doc"]], "en")
    assert record.importance.value == "high" and record.importance_source == "model"
    assert record.importance_score.total == 1  # what the score said, kept beside the rating
    assert "importance" in server.requests[0].body["response_format"]["json_schema"]["schema"]["properties"]


def test_configured_weights_change_the_tier(history):
    c = history[1]["core"]  # chore 1 + core 2 = 3: low
    assert score(c).tier.value == "low"
    cases = [
        ({"commit_types": {"chore": 5}}, "medium", 7),
        ({"file_types": {"core": {"weight": 8}}}, "medium", 9),
        ({"thresholds": {"high": 3, "medium": 2}}, "high", 3),
        ({"change_sizes": {"small": 0}}, "low", 4),  # 1 line > 0: size weight 1
        ({"change_sizes": {"small": 0}, "size_weights": {"small": 9}}, "high", 12),
        ({"scopes": {"medium": 1}, "scope_weights": {"medium": 4}}, "medium", 7),
        ({"signals": {"security": 5}}, "low", 3),  # src/a.py is no security path: the signal does not fire
        ({"file_types": {"order": ["doc", "config", "test", "core"]}}, "low", 3),
    ]
    for table, tier, total in cases:
        sc = score(c, scoring_from_table(table))
        assert (sc.tier.value, sc.total) == (tier, total), table


def test_signals_add_only_when_weighted(history):
    bang = history[1]["bang"]
    assert score(bang).parts == {"type": 3, "size": 0, "file_type": 2, "scope": 0}  # defaults stay exact
    sc = score(bang, scoring_from_table({"signals": {"breaking": 4}}))
    assert sc.parts["breaking"] == 4 and sc.total == 9
    assert "breaking" in sc.signals
    assert commit_type("feat!: x") is None and commit_type("feat(x): y") == "feat"


def test_reason_shows_the_arithmetic_in_both_languages(history):
    analysis = HeuristicAnalyzer().analyze(history[1]["merge"], "zh")
    assert analysis.importance_reason == "无类型 3 + 核心代码 2 + 规模 +80/-0 1 + 2 个文件 0 = 6 ≥ 6"
    assert analysis.importance_score.model_dump() == {"total": 6, "parts": {"type": 3, "size": 1, "file_type": 2,
                                                                            "scope": 0}}
    en = HeuristicAnalyzer().analyze(history[1]["files6"], "en")
    assert en.importance_reason == "docs 2 + docs 0 + size +6/-0 0 + 6 files 2 = 4 < 6"


# ------------------------------------------------------------------------------ CLI and config


def _config(tmp_path, repo_path, importance: str = "", repo_extra: str = "") -> str:
    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n\n[[repos]]\npath = "{repo_path}"\n{repo_extra}\n'
                   f'[output]\ndir = "{tmp_path / "out"}"\n\n{importance}\n')
    return str(cfg)


def test_explain_prints_each_weight(history):
    repo, commits = history
    r = run_cli("analyze", commits["merge"].sha, "--repo", str(repo.path), "--explain", "--lang", "en")
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line for line in r.stdout.splitlines()[1:-1]}
    assert rows["type"].endswith(" 3") and rows["size"].split()[-1] == "1" and rows["scope"].split()[-1] == "0"
    assert "+80/-0 = 80 lines (> 50)" in rows["size"] and "core (core 2, config 0, test 0, doc 0)" in r.stdout
    assert r.stdout.splitlines()[-1] == "no type 3 + core code 2 + size +80/-0 1 + 2 files 0 = 6 ≥ 6"
    js = run_cli("analyze", commits["merge"].sha, "--repo", str(repo.path), "--explain", "--format", "json")
    assert json.loads(js.stdout)["score"] == {"total": 6, "parts": {"type": 3, "size": 1, "file_type": 2, "scope": 0}}


@pytest.mark.parametrize("table,key", [
    ("[importance.thresholds]\nhigh = 5\nmedium = 6\n", "importance.thresholds: must satisfy high > medium"),
    ("[importance.commit_types]\nfeat = \"8\"\n", "importance.commit_types.feat"),
    ("[importance]\nweights = 1\n", "unknown key 'importance.weights'"),
    ("[importance.file_types]\norder = [\"core\", \"nope\"]\n", "importance.file_types: order: names 'nope'"),
    ("[importance.change_sizes]\nlarge = -1\n", "importance.change_sizes.large"),
])
def test_bad_importance_config_is_one_line_exit_4(history, tmp_path, table, key):
    repo = history[0]
    cfg = _config(tmp_path, repo.path, table)
    r = run_cli("run", "--config", cfg, "--date", "2026-01-13", "-q")
    assert r.returncode == 4 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"commitdigest: error: {cfg}: ") and key in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_bad_repository_override_names_its_key(history, tmp_path):
    cfg = _config(tmp_path, history[0].path, repo_extra="importance = { thresholds = { high = 1 } }")
    r = run_cli("run", "--config", cfg, "--date", "2026-01-13", "-q")
    assert r.returncode == 4 and "repos[0].importance.thresholds: must satisfy high > medium" in r.stderr, r.stderr


def _tiers(tmp_path) -> dict[str, str]:
    data = json.loads((tmp_path / "out" / "2026-01-13.json").read_text())
    return {c["subject"]: c["analysis"]["importance"] for c in data["repos"][0]["commits"]}


def test_config_weights_reach_the_report_and_invalidate_the_cache(history, tmp_path):
    repo = history[0]
    cfg = _config(tmp_path, repo.path)
    assert run_cli("run", "--config", cfg, "--date", "2026-01-13", "-q").returncode == 0
    assert _tiers(tmp_path)["chore: code"] == "low"
    # same cache, new weight: the cached tiers are not reused
    cfg = _config(tmp_path, repo.path, "[importance.commit_types]\nchore = 9\n")
    r = run_cli("run", "--config", cfg, "--date", "2026-01-13", "-q", "--force")
    assert r.returncode == 0, r.stderr
    assert _tiers(tmp_path)["chore: code"] == "high"  # 9 + 2
    data = json.loads((tmp_path / "out" / "2026-01-13.json").read_text())
    assert data["usage"]["cache_hits"] == 0
    commit = next(c for c in data["repos"][0]["commits"] if c["subject"] == "chore: code")
    assert commit["analysis"]["importance_reason"] == "chore 9 + core code 2 + size +1/-0 0 + 1 file 0 = 11 ≥ 10"


def test_a_repository_override_applies_to_that_repository(history, tmp_path):
    cfg = _config(tmp_path, history[0].path, "[importance.thresholds]\nhigh = 20\nmedium = 15\n",
                  repo_extra="importance = { thresholds = { high = 3, medium = 2 } }")
    r = run_cli("run", "--config", cfg, "--date", "2026-01-13", "-q")
    assert r.returncode == 0, r.stderr
    tiers = _tiers(tmp_path)
    assert tiers["chore: code"] == "high" and tiers["chore: doc"] == "low"  # 3 ≥ 3; 1 < 2


def test_importance_source_flag(history, tmp_path):
    repo, commits = history
    with FakeLLM(lambda req: completion(answer("en", paths=[], importance="high"))) as server:
        env = {"COMMITDIGEST_LLM_BASE_URL": server.base_url, "COMMITDIGEST_LLM_MODEL": "m"}
        r = run_cli("analyze", commits["doc"].sha, "--repo", str(repo.path), "--analyzer", "llm", "--lang", "en",
                    "--format", "json", "--no-cache", "--importance-source", "model", env=env)
    assert r.returncode == 0, r.stderr
    analysis = json.loads(r.stdout)["analysis"]
    assert analysis["importance"] == "high" and analysis["importance_source"] == "model"


def test_git_show_is_the_oracle_on_this_repository_too():
    """The tool's own history: every commit's score equals the one computed from git show."""
    here = Path(__file__).resolve().parent
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, cwd=here)
    if root.returncode != 0:
        pytest.skip("not run from a git checkout")
    repo = _Git(Path(root.stdout.strip()))
    if repo.git("rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("a shallow checkout: its boundary commit has no parent to diff against")
    shas = repo.git("log", "--first-parent", "--format=%H", "-n", "40").split()
    for commit in read_commits(open_repo(str(repo.path)), shas):
        sc = score(commit)
        assert (sc.total, sc.tier.value) == _by_hand(repo, commit.sha), commit.subject


def test_the_sample_config_documents_the_defaults_exactly():
    """`commitdigest init` writes the defaults as comments; uncommented, they are the defaults."""
    import tomllib
    from importlib.resources import files

    text = files("commitdigest").joinpath("sample_config.toml").read_text(encoding="utf-8")
    section = text[text.index("\n[importance]\n"):text.index("# The LLM analyzer")]
    live = "\n".join(line[2:] if re.match(r"# (\w+ = |\[importance)", line) else line
                     for line in section.splitlines())
    table = tomllib.loads(live)["importance"]
    assert set(table) >= {"commit_types", "change_sizes", "size_weights", "scopes", "scope_weights", "thresholds",
                          "signals", "file_types", "source"}
    assert scoring_from_table(table).fingerprint == Scoring().fingerprint
