"""The offline analyzer on real commits, read back through git exactly as a report reads it: the
change type its rules find, the tier the importance score gives (worked out by hand in each
case's comment; the score itself is tested weight by weight in test_importance.py), and the
evidence its conclusion names."""

from __future__ import annotations

import pytest

from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.git.log import read_commits
from commitdigest.git.repo import open_repo

SRC = "fn run() {\n    let x = 1;\n    println!(\"{}\", x);\n}\n"


def src(n: int, tag: str) -> dict[str, str]:
    return {f"lib/core/src/m{i}.rs": SRC.replace("1", tag) + f"// {i}\n" for i in range(n)}


CASES = [
    # (subject, files, expected importance, expected type); each tier is the score worked by
    # hand: type + file class (core .rs/.py/.go 2, config .yml 1, doc 0) + size (all < 50 lines: 0)
    # + scope (3–5 files 1)
    ("feat: stream tokens from the router", src(1, "2"), "high", "feature"),  # 8+2 = 10
    ("fix: off-by-one in block index", src(1, "3"), "medium", "fix"),  # 7+2 = 9
    ("fix: propagate request ids through the scheduler", src(3, "4"), "high", "fix"),  # 7+2+1 = 10
    ("fix: crash when the queue is empty", src(1, "5"), "medium", "fix"),  # 9
    ("fix: emit first token signal after sleeping", src(1, "6"), "medium", "fix"),
    ("fix: asyncio warning on change detection", src(1, "15"), "medium", "fix"),
    ("fix: label action workflow", {".github/workflows/label.yml": "on: push\n"}, "medium", "fix"),  # 7+1 = 8
    ("ci: add required check", {".github/workflows/check.yml": "on: pull_request\n"}, "low", "ci"),  # 2+1 = 3
    ("docs: explain kv events", {"docs/kv.md": "# KV\n"}, "low", "docs"),  # 2+0
    ("fix: typo in README", {"README.md": "# Project\n\nTypo fixed.\n"}, "medium", "fix"),  # 7+0 = 7
    ("chore: bump serde to 1.0.200", {"Cargo.toml": "[dependencies]\nserde = \"1.0.200\"\n"}, "low", "chore"),
    ("chore: tidy the router", src(4, "7"), "low", "chore"),  # 1+2+1 = 4
    # "refactor(api)!:" has no type for the score (the "!"): 3+2 = 5; our type reading keeps it
    ("refactor(api)!: rename the client", src(1, "8"), "low", "refactor"),
    ("feat: add status columns", {"deploy/operator/api/v1/types.go": "package v1\n\ntype Status struct{}\n"},
     "high", "feature"),
    ("fix: minor wording in the CLI help", src(3, "9"), "high", "fix"),  # 7+2+1 = 10, whatever the wording
    ("update the login flow", {"src/auth/login.py": "def login(user):\n    return check_password(user)\n"},
     "low", "chore"),  # no type: 3+2 = 5
    # "area: what changed" subjects with no conventional type: the verb decides the type
    ("mcp: forward the client-id header to backends", {"internal/mcp/session.go": "package mcp\n\nvar H = 1\n"},
     "low", "feature"),  # "mcp" is no weighted type: 3+2
    ("translator: preserve explicit false tool hints", {"internal/translator/hints.go": "package t\n\nvar F = 1\n"},
     "low", "fix"),
    ("net/http: reject header values with newlines", {"net/http/header.go": "package http\n\nvar NL = 1\n"},
     "low", "fix"),
    ("scheduler: two tiers for the run queue", {"lib/core/src/queue.rs": SRC.replace("1", "11")}, "low", "chore"),
    ("docs: update a maintainer's affiliation", {"site/blog/authors.yml": "xz:\n  title: AMD\n"}, "low", "docs"),
    # one .md and one .rs: a tie goes to "core", the earlier class: 2+2 = 4
    ("docs: correct the client API description", {"docs/client.md": "# Client\n", "lib/core/src/client.rs": SRC},
     "low", "docs"),
    ("test(ci): add a p2p coverage gate", {"ci/k8s/client/gate.py": "GATE = 1\n", ".github/workflows/p2p.yml": "on: push\n"},
     "low", "test"),
    # tests/test_x.py is "core" for the score (the extension rule comes first): 7+2 = 9
    ("fix: handle an empty prompt", {**src(1, "12"), "tests/test_prompt.py": "def test_empty():\n    pass\n"},
     "medium", "fix"),
    ("fix: flaky router test", {"tests/test_router.py": "def test_route():\n    assert 1\n"}, "medium", "fix"),
    ("test: cover the scheduler's retry path", {**src(1, "13"), "tests/test_retry.py": "def test_retry():\n    pass\n"},
     "low", "test"),
    ("docs: document the router options", {"docs/router.md": "# Router\n", **src(2, "14")}, "low", "docs"),  # 2+2+1
    ("docs: rewrite the deployment guide", {f"docs/deploy/p{i}.md": f"# Page {i}\n" for i in range(5)},
     "low", "docs"),  # 2+0+1
    ("docs: fix typos across the guides", {f"docs/deploy/p{i}.md": f"# Page {i}.\n" for i in range(5)},
     "low", "docs"),
    ("docs: draw the refit pipeline", {"docs/refit.md": "# Refit\n", "lib/refit/images/pipeline.svg": "<svg/>\n"},
     "low", "docs"),
    # a colon-less "type(scope) text" is still typed; a leading feature verb is not read as a fix
    ("feat(telemetry) Instrument the scheduler", src(1, "16"), "low", "feature"),  # no score type: 3+2 = 5
    ("Add a strict mode that rejects unknown keys", src(1, "17"), "low", "feature"),
    ("Revert \"fix: off-by-one in block index\"", src(1, "18"), "low", "revert"),
]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    from conftest import GitRepo

    repo = GitRepo(tmp_path_factory.mktemp("rules") / "r")
    repo.commit("chore: initial", {"README.md": "# Project\n", **src(4, "0")}, when="2026-01-12T09:00:00+08:00")
    shas = [repo.commit(subject, files, when=f"2026-01-13T{9 + i // 6:02d}:{(i % 6) * 10:02d}:00+08:00")
            for i, (subject, files, _, _) in enumerate(CASES)]
    commits = read_commits(open_repo(str(repo.path)), shas)
    analyzer = HeuristicAnalyzer()
    return {c.subject: analyzer.analyze(c, "en") for c in commits}


@pytest.mark.parametrize("subject,expected,ctype", [(s, e, t) for s, _, e, t in CASES])
def test_importance_and_type(analysed, subject, expected, ctype):
    record = analysed[subject]
    assert (record.importance.value, record.change_type.value) == (expected, ctype), record.importance_reason
    assert record.importance_reason  # the deciding evidence is always named


def test_reason_is_the_score_arithmetic(analysed):
    assert analysed["feat: stream tokens from the router"].importance_reason == \
        "feat 8 + core code 2 + size +1/-1 0 + 1 file 0 = 10 ≥ 10"
    record = analysed["fix: propagate request ids through the scheduler"]
    assert record.importance_reason == "fix 7 + core code 2 + size +3/-3 0 + 3 files 1 = 10 ≥ 10"
    assert record.importance_score.model_dump() == {"total": 10, "parts": {"type": 7, "size": 0, "file_type": 2,
                                                                           "scope": 1}}
    assert analysed["update the login flow"].importance_reason == \
        "no type 3 + core code 2 + size +2/-0 0 + 1 file 0 = 5 < 6"


def test_conclusions_never_contradict_the_paths(analysed):
    # a docs commit carrying a source file says so, instead of "documentation only"
    assert analysed["docs: correct the client API description"].conclusion == \
        "docs change of low importance: changes core source (1 file)."
    assert analysed["docs: draw the refit pipeline"].conclusion.endswith(": documentation only.")
    assert analysed["test(ci): add a p2p coverage gate"].conclusion.endswith(
        ": only tests, CI, build, examples or configuration.")  # ci/ is CI, not source
    assert "security" in analysed["update the login flow"].conclusion
    # authors.yml is not security code ("auth" inside "authors")
    record = analysed["docs: update a maintainer's affiliation"]
    assert "security" not in record.conclusion and not record.insights.security
    scope = {i.path: i.note for i in analysed["docs: draw the refit pipeline"].impact_scope}
    assert scope == {"docs": "docs: 1 file, +1/-0", "lib/refit": "images: 1 file, +1/-0"}


def test_diff_facts_in_the_summary(make_repo):
    repo = make_repo("facts")
    repo.commit("chore: init", {
        "requirements.txt": "urllib3==2.2.1\nrequests==2.31.0\n",
        "go.mod": "module x\n\nrequire (\n\tgolang.org/x/net v0.53.0\n)\n",
        "Cargo.lock": '[[package]]\nname = "h2"\nversion = "0.4.12"\n\n[[package]]\nname = "tokio"\nversion = "1.39.0"\n',
        "package.json": '{\n  "dependencies": {\n    "react": "^18.2.0"\n  }\n}\n',
        "src/api.py": "def keep(a):\n    return a\n\n\ndef legacy():\n    return 0\n\n\ndef _private():\n    return 1\n",
    }, when="2026-01-12T10:00:00+08:00")
    repo.commit("fix: bump dependencies", {
        "requirements.txt": "urllib3==2.2.2\nrequests==2.31.0\nidna==3.7\n",
        "go.mod": "module x\n\nrequire (\n\tgolang.org/x/net v0.55.0\n)\n",
        "Cargo.lock": '[[package]]\nname = "h2"\nversion = "0.4.16"\n\n[[package]]\nname = "tokio"\nversion = "1.39.0"\n',
        "package.json": '{\n  "dependencies": {\n    "react": "^18.3.1"\n  }\n}\n',
    }, when="2026-01-13T10:00:00+08:00")
    sha = repo.commit("feat: new api", {
        "src/api.py": "def keep(a, b=None):\n    return a\n\n\ndef fresh():\n    return 2\n\n\nclass Client:\n    pass\n",
    }, when="2026-01-13T11:00:00+08:00")
    bump, feat = read_commits(open_repo(str(repo.path)), [repo.git("rev-parse", "HEAD~1"), sha])
    summary = HeuristicAnalyzer().analyze(bump, "en").summary
    deps = next(s for s in summary if s.startswith("dependencies: "))
    for fragment in ("urllib3 2.2.1 → 2.2.2", "adds idna 3.7", "golang.org/x/net v0.53.0 → v0.55.0",
                     "h2 0.4.12 → 0.4.16", "react ^18.2.0 → ^18.3.1"):
        assert fragment in deps, deps
    assert "requests" not in deps and "tokio" not in deps  # unchanged versions are not news
    summary = HeuristicAnalyzer().analyze(feat, "zh").summary
    assert "新增公共定义：fresh、Client" in summary
    assert "移除公共定义：legacy" in summary  # keep() changed its signature: not a removal; _private is private


def test_long_definition_lists_count_right_in_both_languages(make_repo):
    repo = make_repo("many")
    repo.commit("chore: init", {"src/x.py": "X = 0\n"}, when="2026-01-12T10:00:00+08:00")
    sha = repo.commit("feat: seven helpers", {"src/x.py": "".join(f"def h{i}():\n    return {i}\n\n\n" for i in range(7))},
                      when="2026-01-13T10:00:00+08:00")
    [c] = read_commits(open_repo(str(repo.path)), [sha])
    assert "adds public definitions: h0, h1, h2, h3, h4 and 2 more" in HeuristicAnalyzer().analyze(c, "en").summary
    assert "新增公共定义：h0、h1、h2、h3、h4 等 7 个" in HeuristicAnalyzer().analyze(c, "zh").summary


PR_BODY = """**Description**

When the upstream returns a compressed error
response, the error branch decompresses the body but leaves the
`content-encoding` header intact. Clients then fail to decode it.

The success path already handles this via
`removeContentEncoding`; this change applies it to the error path.

**Related Issues/PRs (if applicable)**

Fixes #2553

---------

Signed-off-by: Dev <dev@example.com>
"""


def test_summary_takes_the_pr_description_not_its_boilerplate(make_repo):
    from commitdigest.analysis.message import gist

    repo = make_repo("pr")
    sha = repo.commit("fix: remove stale content-encoding header (#2554)\n\n" + PR_BODY, {"src/e.go": "package e\n"})
    [commit] = read_commits(open_repo(str(repo.path)), [sha])
    summary = HeuristicAnalyzer().analyze(commit, "en").summary
    assert summary[:2] == [
        "When the upstream returns a compressed error response, the error branch decompresses the body but "
        "leaves the `content-encoding` header intact. Clients then fail to decode it.",
        "The success path already handles this via `removeContentEncoding`; this change applies it to the error path.",
    ]
    assert gist("- first item\n  wrapped\n- second\n- third\n\nSigned-off-by: A <a@b>") == ["first item wrapped", "second"]
    assert gist("Signed-off-by: A <a@b>\nCo-authored-by: B <b@c>") == []
    long = gist("word " * 100 + ". Next sentence.")[0]
    assert len(long) <= 200 and long.endswith("word…")  # between words, not inside one
    # a cut never leaves a code span open, which would swallow the rest of the line
    coded = gist("The handler " + "rewrites the body " * 9 + "and runs `git log --first-parent --numstat -p` " * 3)[0]
    assert len(coded) <= 200 and coded.count("`") % 2 == 0 and coded.endswith("…")
    assert len(gist("这是一个很长的中文说明" * 30)[0]) == 200  # no spaces: cut at the limit
    # layout markup of PR descriptions is dropped; generic types are words
    assert gist("Bumps h2.\n\n<details>\n<summary>Release notes</summary>\n<p>From h2's log.</p>\n</details>") == [
        "Bumps h2.", "Release notes From h2's log."]
    assert gist("Returns Vec<u8> and Option<T> now.") == ["Returns Vec<u8> and Option<T> now."]
    # bold labels lose their markers as pairs: no dangling "**" that turns the next words bold
    assert gist("**Description**\n\n**Issue:** the rotator fails.\n**Reason:** it ignores the proxy.") == [
        "Issue: the rotator fails. Reason: it ignores the proxy."]
    assert gist("__init__ now takes a `*args` glob like **/*.py") == ["__init__ now takes a `*args` glob like **/*.py"]


def test_changed_defaults_and_migrations_are_risks(make_repo):
    repo = make_repo("cfg")
    repo.commit("chore: init", {"deploy/values.yaml": "workers:\n  default: 8\n", "app/settings.py": "DEFAULT_TIMEOUT = 30\n"},
                when="2026-01-12T10:00:00+08:00")
    bump = repo.commit("chore: tune", {"deploy/values.yaml": "workers:\n  default: 16\n"}, when="2026-01-13T10:00:00+08:00")
    added = repo.commit("chore: new knob", {"deploy/values.yaml": "workers:\n  default: 16\nqueue:\n  default: 4\n"},
                        when="2026-01-13T11:00:00+08:00")
    migr = repo.commit("chore: add column", {"db/migrations/0002_add_owner.sql": "ALTER TABLE t ADD owner TEXT;\n"},
                       when="2026-01-13T12:00:00+08:00")
    records = {c.sha: HeuristicAnalyzer().analyze(c, "en") for c in read_commits(open_repo(str(repo.path)), [bump, added, migr])}
    tuned = records[bump]
    assert [r.risk for r in tuned.risks] == ["Default changed"] and "deploy/values.yaml" in tuned.risks[0].detail
    assert not records[added].risks  # a new default is not a change
    migration = records[migr]
    assert any(r.risk == "Migration" and r.severity.value == "high" for r in migration.risks)
