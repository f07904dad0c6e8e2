"""Opening a local repository (working copy or bare) and deriving its web links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from commitdigest.errors import GitError, RepoError
from commitdigest.git import runner


@dataclass(frozen=True)
class WebLinks:
    """Commit and PR links of a repository hosted on GitHub or GitLab."""

    base: str  # https://github.com/owner/name
    kind: str  # "github" | "gitlab"

    def commit(self, sha: str) -> str:
        return f"{self.base}/commit/{sha}" if self.kind == "github" else f"{self.base}/-/commit/{sha}"

    @property
    def pr_base(self) -> str:
        return f"{self.base}/pull/" if self.kind == "github" else f"{self.base}/-/merge_requests/"


@dataclass(frozen=True)
class Repo:
    path: Path  # what the user named (worktree top or bare directory)
    git_dir: Path
    name: str
    branch: str  # display name of the branch reported on
    rev: str  # full ref name or sha handed to git log
    links: WebLinks | None


_SCP_RE = re.compile(r"^(?:[^@/]+@)?([^:/]+):(.+)$")  # git@github.com:owner/name.git


def _host_kind(host: str) -> str | None:
    host = host.lower()
    if host == "github.com" or host.startswith("github."):
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    return None


def web_links(remote_url: str | None) -> WebLinks | None:
    """https / ssh / scp-style remotes of GitHub and GitLab → web links; others → None.

    Credentials embedded in the URL (``https://user:token@host/…``) are never carried over.
    """
    if not remote_url:
        return None
    url = remote_url.strip()
    host = path = None
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh"):
            return None
        host, path = parts.hostname, parts.path
    else:
        m = _SCP_RE.match(url)
        if m and not url.startswith(("/", ".")):
            host, path = m.group(1), m.group(2)
    if not host or not path:
        return None
    kind = _host_kind(host)
    if kind is None:
        return None
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2 or (kind == "github" and len(segments) != 2):
        return None
    return WebLinks(base=f"https://{host.lower()}/{'/'.join(segments)}", kind=kind)


def _default_name(path: Path, links: WebLinks | None) -> str:
    if links is not None:
        return links.base.split("/", 3)[3]
    name = path.name
    return name[:-4] if name.endswith(".git") and len(name) > 4 else name


def open_repo(path: str | Path, branch: str | None = None, name: str | None = None,
              timeout: float = runner.DEFAULT_TIMEOUT) -> Repo:
    """Validate ``path`` as a non-empty git repository and resolve the branch to report on."""
    p = Path(path).expanduser()
    if not p.exists():
        raise RepoError(f"{path}: no such file or directory")
    if not p.is_dir():
        raise RepoError(f"{path}: not a directory")
    p = p.resolve()
    probe = runner.run(p, ["rev-parse", "--absolute-git-dir"], check=False, timeout=timeout)
    if not probe.ok:
        raise RepoError(f"{path}: not a git repository")
    git_dir = Path(probe.text().strip())

    if branch is None:
        head = runner.run(p, ["symbolic-ref", "-q", "HEAD"], check=False, timeout=timeout)
        if head.ok:
            ref = head.text().strip()
            display = ref.removeprefix("refs/heads/")
        else:  # detached HEAD: report the history of the checked-out commit
            ref, display = "HEAD", "HEAD"
        candidates = [ref]
    else:
        display = branch
        candidates = [f"refs/heads/{branch}", f"refs/remotes/origin/{branch}", branch]

    resolved = None
    for ref in candidates:
        r = runner.run(p, ["rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}"],
                       check=False, timeout=timeout)
        if r.ok:
            resolved = ref
            break
    if resolved is None:
        any_ref = runner.run(p, ["for-each-ref", "--count=1", "--format=%(refname)"], check=False,
                             timeout=timeout)
        if branch is None and not any_ref.text().strip():
            raise RepoError(f"{path}: empty repository (no commits yet)")
        if branch is None:
            raise RepoError(f"{path}: HEAD points to branch '{display}', which has no commits")
        raise RepoError(f"{path}: unknown branch '{branch}'")

    remote = runner.run(p, ["config", "--get", "remote.origin.url"], check=False, timeout=timeout)
    links = web_links(remote.text().strip() if remote.ok else None)
    return Repo(path=p, git_dir=git_dir, name=name or _default_name(p, links), branch=display,
                rev=resolved, links=links)


def resolve_rev(repo: Repo, rev: str, timeout: float = runner.DEFAULT_TIMEOUT) -> str:
    r = runner.run(repo.path, ["rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"],
                   check=False, timeout=timeout)
    if not r.ok:
        raise RepoError(f"{repo.path}: unknown revision '{rev}'")
    return r.text().strip()


__all__ = ["Repo", "WebLinks", "open_repo", "resolve_rev", "web_links", "GitError"]
