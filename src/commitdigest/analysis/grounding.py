"""Facts beat prose: an analysis may only point at paths the commit really changed."""

from __future__ import annotations

from commitdigest.models import Commit, CommitAnalysis


def changed_paths(commit: Commit) -> set[str]:
    paths = set()
    for f in commit.files:
        paths.add(f.path)
        if f.old_path:
            paths.add(f.old_path)
    return paths


def _is_grounded(path: str, paths: set[str], prefixes: set[str]) -> bool:
    p = path.strip().strip("`").rstrip("/")
    return bool(p) and (p in paths or p in prefixes)


def ground(analysis: CommitAnalysis, commit: Commit) -> CommitAnalysis:
    """Drop ``impact_scope`` entries whose path is neither a changed path nor a directory prefix
    of one; record how many were dropped."""
    paths = changed_paths(commit)
    prefixes = set()
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts)):
            prefixes.add("/".join(parts[:i]))
    kept = []
    for item in analysis.impact_scope:
        if _is_grounded(item.path, paths, prefixes):
            kept.append(item.model_copy(update={"path": item.path.strip().strip("`").rstrip("/")}))
    dropped = len(analysis.impact_scope) - len(kept)
    if dropped == 0:
        return analysis
    return analysis.model_copy(update={"impact_scope": kept,
                                       "paths_dropped": analysis.paths_dropped + dropped})
