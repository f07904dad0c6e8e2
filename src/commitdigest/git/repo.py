"""Opening a local repository (working copy or bare): its branch, its name and web links, and
whether its history is cut (a shallow clone)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from commitdigest.errors import GitError, InputError, RepoError
from commitdigest.git import runner
from commitdigest.git.view import view_of


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
    rev: str  # the commit id of the branch's tip when the repository was opened
    links: WebLinks | None
    # Commits whose parents a shallow clone cut away (the lines of ``<git dir>/shallow``).
    shallow: frozenset[str] = frozenset()
    # Longer names, most readable first and the path last: what tells two repositories apart
    # when both would be called ``name`` (see ``distinct_names``).
    aliases: tuple[str, ...] = ()
    named: bool = False  # the user chose ``name``: it is never replaced
    #: where git reads the commits: a view of the object store (``git/view.py``); ``None``
    #: for the tool's own mirrors, read in place
    view: Path | None = None
    #: a partial clone of the user's: file versions it lacks are never fetched (see git/log.py)
    partial: bool = False

    @property
    def read_dir(self) -> Path:
        return self.view or self.path


_SCP_RE = re.compile(r"^(?:[^@/]+@)?([^:/]+):(.+)$")  # git@github.com:owner/name.git


def _host_kind(host: str) -> str | None:
    host = host.lower()
    if host == "github.com" or host.startswith("github."):
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    return None


# What a link is rebuilt from: a host name (letters, digits, dots, dashes: IDNs arrive as punycode)
# and path segments in the characters GitHub and GitLab allow in owner, group and project names.
# Anything else (``>``, ``|``, ``)``, ``%``, spaces, quotes) would reach a Markdown link, a chat
# message or an href as markup: such a URL gives no links at all.
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def web_links(remote_url: str | None) -> WebLinks | None:
    """https / ssh / scp-style remotes of GitHub and GitLab → web links; others → None.

    The links are rebuilt from validated parts (``https://`` + host + owner/name), never copied
    from the URL: credentials, ports, queries and anything that is not a plain name stay out.
    """
    if not isinstance(remote_url, str) or not remote_url:
        return None
    url = remote_url.strip()
    host = path = None
    if "://" in url:
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:  # an unbalanced "[" in the host, a bad port
            return None
        if parts.scheme.lower() not in ("https", "http", "ssh", "git", "git+ssh"):
            return None
        path = parts.path
    else:
        m = _SCP_RE.match(url)
        if m and not url.startswith(("/", ".")):
            host, path = m.group(1), m.group(2)
    if not host or not path:
        return None
    host = host.lower()
    kind = _host_kind(host)
    if kind is None or not _HOST.fullmatch(host):
        return None
    path = path.strip("/")
    path = path.removesuffix(".git")
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2 or (kind == "github" and len(segments) != 2):
        return None
    if not all(_SEGMENT.fullmatch(s) for s in segments):
        return None
    return WebLinks(base=f"https://{host}/{'/'.join(segments)}", kind=kind)


def checked_web_links(web_url: str) -> WebLinks:
    """Links for a web URL the user gave; one that names no GitHub or GitLab project is bad input."""
    links = web_links(web_url)
    if links is None:
        raise InputError(f"{web_url}: not a GitHub or GitLab project URL (https://github.com/OWNER/NAME)")
    return links


def _strip_git(segment: str) -> str:
    return segment.removesuffix(".git") or segment


def remote_names(remote_url: str | None) -> list[str]:
    """Names for a repository from its remote URL, shortest first: ``owner/name`` (then
    ``host/owner/name``) for a URL, as ``run`` names a configured ``url``; ``name`` (then
    ``parent/name``) for a plain local path. Only the URL's path is used: user, password, token,
    query and fragment never reach a name."""
    url = (remote_url or "").strip()
    if not url:
        return []
    host, is_url = "", True
    if "://" in url:
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return []
        path = parts.path
    elif (m := _SCP_RE.match(url)) and not url.startswith(("/", ".")):
        host, path = m.group(1).lower(), m.group(2)
    else:
        path, is_url = url, False
    segments = [s for s in path.replace("\\", "/").split("/") if s not in ("", ".", "..", ".git")]
    if not segments:
        return []
    segments[-1] = _strip_git(segments[-1])
    tail = "/".join(segments[-2:])
    if is_url:
        return [tail, f"{host}/{tail}"] if host else [tail]
    return [segments[-1], tail] if len(segments) > 1 else [segments[-1]]


def _names(path: Path, links: WebLinks | None, remote_url: str | None) -> list[str]:
    """Default name and its aliases: the web project, else the remote, else the folder; the path
    is always the last resort."""
    if links is not None:
        owner_name = links.base.split("/", 3)[3]
        names = [owner_name, links.base.split("://", 1)[1]]
    else:
        names = remote_names(remote_url)
    if not names:
        folder = _strip_git(path.name)
        names = [folder, f"{_strip_git(path.parent.name)}/{folder}"] if path.parent.name else [folder]
    return list(dict.fromkeys([*names, str(path)]))


def distinct_names(repos: Sequence[Repo]) -> list[Repo]:
    """The same repositories, each section with its own name: a repository whose name another
    one also has takes its next alias (owner/name, then the path) until the names differ. Names
    the user chose are kept as given."""
    chains = [[r.name] if r.named else [r.name, *r.aliases] for r in repos]
    level = [0] * len(repos)
    while True:
        current = [chain[i] for chain, i in zip(chains, level, strict=True)]
        dupes = {n for n in current if current.count(n) > 1}
        moved = False
        for k, name in enumerate(current):
            if name in dupes and level[k] + 1 < len(chains[k]):
                level[k] += 1
                moved = True
        if not moved:
            break
    return [r if r.name == n else replace(r, name=n) for r, n in zip(repos, current, strict=True)]


def open_repo(path: str | Path, branch: str | None = None, name: str | None = None,
              timeout: float = runner.DEFAULT_TIMEOUT, web_url: str | None = None) -> Repo:
    """Validate ``path`` as a non-empty git repository and resolve the branch to report on.

    ``name`` and ``web_url`` override what ``remote.origin.url`` (then the folder) says."""
    links_override = checked_web_links(web_url) if web_url else None
    p = Path(path).expanduser()
    if not p.exists():
        raise RepoError(f"{path}: no such file or directory")
    if not p.is_dir():
        raise RepoError(f"{path}: not a directory")
    p = p.resolve()
    probe = runner.run(p, ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--is-shallow-repository",
                           "--show-object-format"], check=False, timeout=timeout)
    lines = probe.text().splitlines()
    if not probe.ok or len(lines) < 4:
        raise RepoError(f"{path}: not a git repository")
    git_dir = Path(lines[0].strip())
    common_dir = Path(os.path.normpath(p / lines[1].strip()))
    shallow = _shallow_commits(common_dir) if lines[2].strip() == "true" else frozenset()

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
            resolved = r.text().strip()
            break
    if resolved is None:
        any_ref = runner.run(p, ["for-each-ref", "--count=1", "--format=%(refname)"], check=False,
                             timeout=timeout)
        if branch is None and not any_ref.text().strip():
            raise RepoError(f"{path}: empty repository (no commits yet)")
        if branch is None:
            raise RepoError(f"{path}: HEAD points to branch '{display}', which has no commits")
        raise RepoError(f"{path}: unknown branch '{branch}'")

    # The remote's URL (names and links) and whether this is a partial clone, in one process.
    found = runner.run(p, ["config", "-z", "--get-regexp",
                           r"^(remote\.origin\.url|extensions\.partialclone|remote\..*\.promisor)$"],
                       check=False, timeout=timeout)
    settings = [item.partition("\n")[::2] for item in found.text().split("\0") if item]
    remote_url = next((v.strip() for k, v in reversed(settings) if k == "remote.origin.url"), "") or None
    partial = any(k == "extensions.partialclone" or v.strip().lower() not in ("false", "no", "off", "0", "")
                  for k, v in settings if k != "remote.origin.url")
    links = links_override or web_links(remote_url)
    names = _names(p, links, remote_url)
    own = runner.is_own_mirror(p)
    view = None if own else view_of(common_dir, lines[3].strip(), shallow)
    return Repo(path=p, git_dir=git_dir, name=name or names[0], branch=display, rev=resolved, links=links,
                shallow=shallow, aliases=tuple(names[1:]), named=bool(name), view=view,
                partial=partial and not own)


def _shallow_commits(common_dir: Path) -> frozenset[str]:
    """The boundary commits of a shallow clone; unreadable or odd lines are not commits."""
    try:
        text = (common_dir / "shallow").read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(ln.strip() for ln in text.splitlines() if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", ln.strip()))


def resolve_rev(repo: Repo, rev: str, timeout: float = runner.DEFAULT_TIMEOUT) -> str:
    r = runner.run(repo.path, ["rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"],
                   check=False, timeout=timeout)
    if not r.ok:
        raise RepoError(f"{repo.path}: unknown revision '{rev}'")
    return r.text().strip()


__all__ = [
    "GitError",
    "Repo",
    "WebLinks",
    "checked_web_links",
    "distinct_names",
    "open_repo",
    "remote_names",
    "resolve_rev",
    "web_links",
]
