"""One path classifier: what ``paths.area`` calls a file agrees with what the prompt budget, the
dependency reader and the importance score ask of ``paths`` about the same file, and the offline
analyzer on a real commit shows it."""

from __future__ import annotations

import pytest

from commitdigest import paths
from commitdigest.analysis import budget
from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.git.log import read_commits
from commitdigest.git.repo import open_repo
from commitdigest.models import FileChange

# Lockfiles of every ecosystem the budget leaves out of a prompt as lockfiles.
LOCKFILES = ["Cargo.lock", "yarn.lock", "go.sum", "poetry.lock", "uv.lock", "Gemfile.lock", "composer.lock",
             "flake.lock", "pubspec.lock", "ios/Podfile.lock", "mix.lock", "bun.lockb", "gradle.lockfile",
             "conda-lock.yml", "packages.lock.json", "npm-shrinkwrap.json", "requirements.lock", "web/pnpm-lock.yaml"]


@pytest.mark.parametrize("path", LOCKFILES)
def test_a_lockfile_is_in_the_dependency_area(path):
    # Before, area() had its own shorter list: flake.lock and pubspec.lock were "source",
    # conda-lock.yml and packages.lock.json "config", while is_lockfile() knew them all.
    assert paths.is_lockfile(path) and paths.is_dependency_manifest(path)
    assert paths.area(path) == "deps"
    assert budget.skip_reason(FileChange(path=path, status="M", insertions=1, deletions=1)) == budget.SKIP_LOCK


@pytest.mark.parametrize("path", ["constraints.txt", "constraints-dev.txt", "services/api/constraints.in"])
def test_pip_constraints_are_in_the_dependency_area(path):
    # A constraints file was "docs" (a .txt file) while the dependency reader parsed its pins.
    assert paths.area(path) == "deps"
    # The rules before the dependency one still win: a fixture is a test, a workflow is CI.
    assert paths.area(f"tests/fixtures/{path}") == "test"
    assert paths.area(f".github/workflows/{path}") == "ci"


def test_a_constraints_bump_is_a_dependency_change_with_its_versions(make_repo):
    repo = make_repo("pins")
    repo.commit("init", {"constraints.txt": "httpx==0.27.0\nanyio==4.4.0\n", "src/app.py": "X = 1\n"},
                when="2026-01-12T10:00:00+08:00")
    sha = repo.commit("pin the http client", {"constraints.txt": "httpx==0.28.1\nanyio==4.4.0\n"},
                      when="2026-01-13T10:00:00+08:00")
    [commit] = read_commits(open_repo(str(repo.path)), [sha])
    analysis = HeuristicAnalyzer().analyze(commit, "en")
    # Typed from its paths (no conventional prefix): a dependency change, not documentation.
    assert analysis.change_type.value == "deps"
    assert any(s.startswith("dependencies: ") and "httpx 0.27.0 → 0.28.1" in s for s in analysis.summary), \
        analysis.summary


@pytest.mark.parametrize(("path", "security"), [
    ("src/auth/login.py", True), ("oauth2.go", True), ("app/client_secret.py", True), ("src/api_key.rs", True),
    ("charts/rbac.yaml", True), ("OAuthToken.java", True), ("UserPasswordReset.kt", True),
    ("src/permissions.py", True), ("lib/encrypt.rs", True), ("src/access_token.rs", True),
    ("internal/crypto/x.go", True), ("pkg/tls/config.go", True),
    ("authors.yml", False), ("coauthor.py", False), ("lib/tlsf.c", False), ("src/Author.java", False),
    ("src/reauth.go", False), ("README.md", False),
])
def test_one_security_rule_for_the_analyzer_and_the_score(make_repo, path, security):
    """The offline analyzer's security risk and the score's security signal read paths with the
    same rule: a keyword that is a whole word of a name, never part of another word."""
    from commitdigest.analysis.importance import fired_signals

    assert paths.is_security(path) is security
    repo = make_repo("sec")
    sha = repo.commit("chore: tidy", {path: "x = 1\n"})
    [commit] = read_commits(open_repo(str(repo.path)), [sha])
    assert ("security" in fired_signals(commit)) is security
    risks = [r.risk for r in HeuristicAnalyzer().analyze(commit, "en").risks]
    assert ("Security-sensitive" in risks) is security, risks
