"""What a repository path is: source, tests, docs, CI, dependencies, build, configuration…

The one path classifier of the code base: the offline analyzer's areas, risks and wording, the
prompt budget's ranking of which diffs a model sees first, and the redactor's choice of context
rules (``syntax``: how a file's lines are written) all ask it. (The importance score
has its own configurable file classes — see ``analysis.importance`` — because it reproduces the
earlier system's quirks on purpose.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Area = Literal["test", "ci", "deps", "docs", "asset", "build", "example", "config", "source"]

_DOC = re.compile(r"(^|/)(docs?/|README|CHANGELOG|CHANGES|HISTORY|LICEN[CS]E|NOTICE|AUTHORS|CONTRIBUTING|CODEOWNERS)"
                  r"|\.(md|mdx|rst|txt|adoc)$", re.IGNORECASE)
# Images illustrate the docs or dress a UI: they never change what the code does.
_ASSET = re.compile(r"\.(svg|png|jpe?g|gif|webp|ico|bmp)$", re.IGNORECASE)
# Snapshot files (Jest's __snapshots__, insta's .snap) are test expectations.
_TEST = re.compile(r"(^|/)(tests?|__tests__|__snapshots__|spec|specs|testing|testdata|fixtures|e2e)/|"
                   r"(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$|\.snap$|"
                   r"(?-i:[a-z0-9]Tests?)\.(java|kt|cs|swift|scala|php)$", re.IGNORECASE)
_CI = re.compile(r"^\.github/|^\.gitlab-ci|^\.ci/|^(scripts/)?ci/|Jenkinsfile|^\.circleci/|^\.buildkite/", re.IGNORECASE)
_BUILD = re.compile(r"(^|/)(Dockerfile[^/]*|container/|Makefile|CMakeLists\.txt|setup\.py|build\.rs)", re.IGNORECASE)
# Manifests; lockfiles are ``is_lockfile``'s. pip's constraints files pin versions like requirements.
_DEPS = re.compile(r"(^|/)(Cargo\.toml|package\.json|go\.mod|(requirements|constraints)[^/]*\.(txt|in)|pyproject\.toml|"
                   r"Pipfile|Gemfile|composer\.json)$", re.IGNORECASE)
# Configuration by extension, deployment folders, templates of config ("*.example", ".env.sample")
# and dotfiles at any depth (.gitignore, .editorconfig, .pre-commit-config.yaml).
_CONFIG = re.compile(r"\.(ya?ml|toml|ini|cfg|json|conf|properties|env)$|(^|/)(deploy|helm|charts|k8s)/|"
                     r"\.(example|sample|template|dist|tpl)$|(^|/)\.[^/]+$", re.IGNORECASE)
# Code is code wherever it lives: a Go controller under deploy/ is source, not configuration.
_CODE = re.compile(r"\.(py|pyi|pyx|rs|go|c|cc|cpp|cxx|h|hh|hpp|cu|cuh|java|kt|scala|swift|rb|php|cs|"
                   r"js|jsx|ts|tsx|mjs|zig|ex|exs|erl|hs|ml|lua|pl|r|jl|dart|m|mm|sql|proto|thrift|graphql|fbs|"
                   r"sh|bash)$", re.IGNORECASE)
_EXAMPLE = re.compile(r"(^|/)(examples?|recipes?|samples?|benchmarks?)/", re.IGNORECASE)

_LOCKFILES = {
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "cargo.lock", "poetry.lock", "pipfile.lock", "uv.lock", "pdm.lock", "gemfile.lock",
    "composer.lock", "go.sum", "mix.lock", "pubspec.lock", "podfile.lock", "packages.lock.json",
    "flake.lock", "gradle.lockfile", "conda-lock.yml", "requirements.lock",
}


@lru_cache(maxsize=1 << 16)  # asked of the same paths by several rules of a commit
def area(path: str) -> Area:
    """The area a path belongs to; the first rule that matches wins."""
    # deps before docs: requirements.txt is a manifest, not prose; tests before config: a
    # fixture's YAML is part of a test.
    if _TEST.search(path):
        return "test"
    if _CI.search(path):
        return "ci"
    if is_dependency_manifest(path):
        return "deps"
    if _DOC.search(path):
        return "docs"
    if _ASSET.search(path):
        return "asset"
    if _BUILD.search(path):
        return "build"
    if _EXAMPLE.search(path):
        return "example"
    if _CONFIG.search(path) and not _CODE.search(path):
        return "config"
    return "source"


# Security-sensitive code by its path: a keyword that is a whole word of a file or folder name —
# between separators (auth/, oauth2.go, client_secret.py, api_key.rs, charts/rbac.yaml) or a
# CamelCase word (OAuthToken.java, UserPasswordReset.kt) — never part of another word
# (authors.yml, coauthor.py, tlsf.c).
_SECURITY = re.compile(
    r"(?:(?<![^/._-])|(?<=[a-z])(?=[A-Z]))"
    r"(?i:auth|authn|authz|authentication|authorization|oauth2?|oidc|saml|(?:en|de)?crypt(?:o|ion|ography)?|"
    r"security|tls|ssl|secrets?|passwords?|permissions?|rbac|api[_-]?keys?|access[_-]?tokens?|credentials?)"
    r"(?=[/._-]|$|[A-Z0-9])")


def is_security(path: str) -> bool:
    return bool(_SECURITY.search(path))


def security_terms(path: str) -> list[str]:
    """The words that make ``path`` security-sensitive (for a reader to judge the rule)."""
    return [m.group(0).lower() for m in _SECURITY.finditer(path)]


def is_lockfile(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name in _LOCKFILES or name.endswith(".lock")


def is_dependency_manifest(path: str) -> bool:
    """A file that declares or pins dependencies (pyproject.toml, Cargo.toml, go.mod, a lockfile…)."""
    return bool(_DEPS.search(path)) or is_lockfile(path)


def module(path: str) -> str:
    """The top folder or two a path lives in: how the impact scope groups files."""
    parts = path.split("/")
    return "/".join(parts[:min(2, len(parts) - 1)]) if len(parts) > 1 else path


# ------------------------------------------------------------------------- a file's syntax

_CONFIG_SUFFIXES = (".env", ".ini", ".cfg", ".conf", ".config", ".properties", ".yaml", ".yml",
                    ".toml", ".json", ".xml", ".tfvars", ".npmrc", ".yarnrc", ".pypirc", ".netrc",
                    ".htpasswd", ".http", ".rest", ".example", ".sample", ".tpl")
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".ksh", ".fish", ".envrc", ".mk", ".ps1", ".bat", ".cmd")
_DOC_SUFFIXES = (".md", ".mdx", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".org")


def is_config_file(path: str) -> bool:
    """Key = value files, by name: where an unquoted assignment can hold a secret."""
    name = path.rsplit("/", 1)[-1].lower()
    return (name.startswith(".env") or name.endswith(_CONFIG_SUFFIXES)
            or name in ("credentials", "config", ".netrc", ".npmrc", ".yarnrc", ".pypirc"))


def syntax(path: str) -> Literal["docker", "config", "shell", "docs", "source"]:
    """How a file's lines are written: which context rules the redactor applies to it."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in ("dockerfile", "containerfile") or name.startswith(("dockerfile.", "containerfile.")) \
            or name.endswith(".dockerfile"):
        return "docker"
    if is_config_file(path):
        return "config"
    if name.endswith(_SHELL_SUFFIXES) or name in ("makefile", "gnumakefile", ".bashrc", ".zshrc", ".profile",
                                                  ".bash_profile", ".envrc"):
        return "shell"
    if name.endswith(_DOC_SUFFIXES) or name in ("readme", "install", "usage"):
        return "docs"
    return "source"
