"""What a real model's answers are worth once judged: per language, the share accepted without
fallback, the items dropped and why, identifiers in the kept prose that the commit does not have
(after grounding this must be 0), how long the kept points are against the example reports,
risks per high-tier commit, and seconds and tokens per commit.

Commits are read at run time from a repository path given on the command line (nothing fetched
is stored here): the N first-parent commits ending at REV, so a fixed REV is a fixed set.

Run (the small model behind llama.cpp, started and stopped here):
    python bench/llm_quality.py REPO --rev SHA --gguf MODEL.gguf [--commits 10] [--lang zh en]
    python bench/llm_quality.py REPO --shas SHA… --gguf MODEL.gguf
or against any OpenAI-compatible server:
    python bench/llm_quality.py REPO --rev SHA --base-url URL --model NAME

Judging what the statements say needs a reader with the diff at hand: ``--dump FILE`` writes every
statement of the report (one row each: commit, section, text, an empty ``label``), keeping the
labels of rows already in FILE with the same commit and text, so a rerun only adds the new ones.
A person labels each row against ``git show`` — ``useful`` (true, and tells a reader something the
subject does not), ``empty`` (true but says nothing: the subject again, a count, a stock phrase),
``false`` (the diff says otherwise) — and ``--score FILE…`` prints the three counts per file.
Other figures also count strings that end at a grammar cap (``at_cap``: cut by the server, not
ended by the model) and low-tier commits whose block shows a section their prompt did not ask for.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _llama import start_server  # noqa: E402

from commitdigest.analysis import importance
from commitdigest.analysis.grounding import first_ungrounded
from commitdigest.analysis.llm import LLMAnalyzer
from commitdigest.git import log as gitlog
from commitdigest.git.repo import open_repo
from commitdigest.llm.items import in_language
from commitdigest.llm.settings import LLMSettings

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"


def example_averages(folder: Path) -> dict:
    """Characters per summary point and per insight point (and per insight dimension, as our
    JSON joins the points) in the earlier system's reports."""
    summary, points, dims = [], [], []
    for path in sorted(folder.glob("*.txt")):
        section, dim = None, 0
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text.startswith("**📋 变更摘要"):
                section = "summary"
            elif "技术洞察" in text:
                section = "insights"
            elif text.startswith(("**", "#")) or text == "---":
                section = None
            if section == "summary" and line.startswith("- "):
                summary.append(len(text[2:].strip()))
            elif section == "insights":
                if re.match(r"- \*\*", text):
                    if dim:
                        dims.append(dim)
                    dim = 0
                elif line.startswith("  - ") and text[2:].strip():
                    points.append(len(text[2:].strip()))
                    dim += len(text[2:].strip())
        if dim:
            dims.append(dim)
    return {"summary_item_chars": _mean(summary), "insight_point_chars": _mean(points),
            "insight_dimension_chars": _mean(dims), "summary_items": len(summary), "insight_points": len(points)}


def _mean(xs: list[float]) -> float | None:
    return round(statistics.mean(xs), 1) if xs else None


def commits_of(repo_path: str, rev: str, n: int, picked: list[str] | None = None):
    repo = open_repo(repo_path, None)
    shas = picked or subprocess.run(["git", "-C", repo_path, "rev-list", "--first-parent", f"-{n}", rev],
                                    capture_output=True, text=True, check=True).stdout.split()
    # one git process resolves every abbreviated sha
    shas = subprocess.run(["git", "-C", repo_path, "rev-parse", *shas], capture_output=True, text=True,
                          check=True).stdout.split()
    commits = gitlog.read_commits(repo, shas)
    try:  # the semantic stage, where this tree has it: the commits carry their facts as in a report
        from commitdigest.pipeline import attach_semantic
    except ImportError:
        return commits
    attach_semantic(commits, repo, None)
    return commits


def prose(record) -> list[str]:
    out = list(record.summary) + [i.note for i in record.impact_scope] + list(record.recommendations)
    out += [v for v in (record.insights.architecture, record.insights.performance, record.insights.security) if v]
    out += [r.risk for r in record.risks] + [r.detail for r in record.risks if r.detail]
    return out + ([record.conclusion] if record.conclusion else [])


def corpus(commit) -> str:
    return "\n".join([commit.message, *(f.path for f in commit.files), *(f.old_path or "" for f in commit.files),
                      *(f.patch for f in commit.files)])


LABELS = ("useful", "empty", "false")
#: the string caps a grammar server has enforced, before and after this bench's changes (and one
#: short of each: the Chinese pattern's bound)
GRAMMAR_CAPS = {c - d for c in (60, 120, 160, 200, 220, 280, 300, 400) for d in (0, 1)}
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？")


def statements(commit, record, language: str) -> list[dict]:
    """Every statement a report shows for ``commit``, one row each, in block order."""
    rows = [("summary", s) for s in record.summary]
    rows += [("impact", f"{i.path}: {i.note}") for i in record.impact_scope if i.note]
    rows += [(k, v) for k, v in (("architecture", record.insights.architecture),
                                  ("performance", record.insights.performance),
                                  ("security", record.insights.security)) if v]
    rows += [("risk", f"{r.risk} | {r.detail}".rstrip(" |")) for r in record.risks]
    rows += [("recommendation", s) for s in record.recommendations]
    rows += [("conclusion", record.conclusion)] if record.conclusion else []
    tier = record.importance.value
    if tier != "high" and not record.risks and _renders_no_risks(commit, record, language):
        rows.append(("risk", "(stock sentence: no risks found)"))
    return [{"sha": commit.short_sha, "subject": commit.subject, "tier": tier,
             "change_type": record.change_type.value, "fallback": record.fallback, "section": section,
             "text": text, "label": ""} for section, text in rows]


def _renders_no_risks(commit, record, language: str) -> bool:
    """Whether ``commitdigest analyze`` shows the stock "no risks" line for this record."""
    from commitdigest.models import CommitEntry
    from commitdigest.report.render import render_commit_markdown
    from commitdigest.vocab import words

    entry = CommitEntry(sha=commit.sha, short_sha=commit.short_sha, anchor="c", url=None,
                        time=commit.committer_time, author=commit.author, subject=commit.subject, pr=commit.pr,
                        files=[], analysis=record)
    return words(language).report["no_risks"] in render_commit_markdown(entry, language)


def at_cap(text: str) -> bool:
    """Ends at a cap, not at a sentence end (or with the "…" the tool used to add): cut there."""
    text = text.strip()
    if text.endswith("…"):
        return True
    return len(text) in GRAMMAR_CAPS and not text.endswith(_SENTENCE_ENDS)


def dump(path: Path, rows: list[dict]) -> None:
    """Writes ``rows`` to ``path``, carrying over the labels already given to the same text."""
    known = {}
    if path.is_file():
        for row in json.loads(path.read_text(encoding="utf-8")):
            if row.get("label"):
                known[(row["sha"], row["text"])] = row["label"]
    for row in rows:
        row["label"] = known.get((row["sha"], row["text"]), "")
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def score(paths: list[str]) -> None:
    for name in paths:
        rows = json.loads(Path(name).read_text(encoding="utf-8"))
        counts = {label: sum(r["label"] == label for r in rows) for label in LABELS}
        unlabelled = sum(r["label"] not in LABELS for r in rows)
        per_commit = {}
        for r in rows:
            per_commit.setdefault(r["sha"], {k: 0 for k in LABELS})
            if r["label"] in LABELS:
                per_commit[r["sha"]][r["label"]] += 1
        print(json.dumps({"file": name, "statements": len(rows), **counts, "unlabelled": unlabelled,
                          "commits": len(per_commit),
                          "commits_with_a_false_statement": sum(1 for c in per_commit.values() if c["false"]),
                          "at_cap": sum(at_cap(r["text"]) for r in rows)}, ensure_ascii=False))


def measure(base: str, model: str, commits, language: str, budget: int, max_tokens: int,
            rows: list[dict] | None = None) -> dict:
    settings = LLMSettings(base_url=base, model=model, budget=budget, max_tokens=max_tokens, timeout=600,
                           deadline=7200, concurrency=1, retries=1, temperature=0.1, response_format="json_schema")
    analyzer = LLMAnalyzer(settings)
    started = time.perf_counter()
    records = analyzer.analyze_batch(commits, language)
    seconds = time.perf_counter() - started
    if rows is not None:
        for c, r in zip(commits, records, strict=True):
            rows.extend(statements(c, r, language))
    usage = analyzer.usage()
    answered = [r for r in records if not r.fallback]
    dropped: dict[str, int] = {}
    for r in answered:
        for cause, n in r.items_dropped.items():
            dropped[cause] = dropped.get(cause, 0) + n
        if r.paths_dropped:
            dropped["impact_path"] = dropped.get("impact_path", 0) + r.paths_dropped
    ungrounded = sum(1 for c, r in zip(commits, records, strict=True) if not r.fallback
                     for text in prose(r) if first_ungrounded(text, corpus(c)))
    wrong_language = sum(1 for r in answered for text in prose(r) if not in_language(text, language))
    summary = [len(s) for r in answered for s in r.summary]
    insights = [len(v) for r in answered for v in (r.insights.architecture, r.insights.performance,
                                                    r.insights.security) if v]
    high = [r for c, r in zip(commits, records, strict=True)
            if importance.score(c).tier.value == "high" and not r.fallback]
    return {
        "language": language, "commits": len(commits), "accepted_without_fallback": len(answered),
        "accepted_share": round(len(answered) / len(commits), 2),
        "fallback_reasons": sorted({r.fallback_reason for r in records if r.fallback}),
        "items_dropped": dict(sorted(dropped.items())),
        "ungrounded_code_refs_in_report": ungrounded, "kept_items_in_wrong_language": wrong_language,
        "summary_items": len(summary), "avg_chars_per_summary_item": _mean(summary),
        "insight_dimensions_filled": len(insights), "avg_chars_per_insight": _mean(insights),
        "high_tier_answered": len(high), "risks_per_high_tier_commit": _mean([len(r.risks) for r in high]),
        "strings_at_cap": sum(at_cap(t) for r in answered for t in prose(r)),
        "seconds_per_commit": round(seconds / len(commits), 1),
        "prompt_tokens_per_commit": round(usage.prompt_tokens / len(commits)),
        "completion_tokens_per_commit": round(usage.completion_tokens / len(commits)),
        "llm_calls": usage.llm_calls, "response_format": usage.response_format,
        "format_switches": usage.format_switches, "served_model": usage.served_model, "warnings": usage.warnings,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo", nargs="?")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--commits", type=int, default=10)
    ap.add_argument("--shas", nargs="+", help="these commits instead of the N ending at --rev")
    ap.add_argument("--lang", nargs="+", default=["zh", "en"])
    ap.add_argument("--gguf")
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--base-url")
    ap.add_argument("--model")
    ap.add_argument("--budget", type=int, default=2500)
    ap.add_argument("--max-tokens", type=int, default=1024)
    ap.add_argument("--dump", type=Path, help="write the statements here for labelling (labels kept)")
    ap.add_argument("--score", nargs="+", metavar="FILE", help="count the labels of dumped statements")
    args = ap.parse_args()
    if args.score:
        score(args.score)
        return
    if not args.repo:
        sys.exit("give REPO")
    commits = commits_of(args.repo, args.rev, args.commits, args.shas)
    proc = None
    if args.gguf:
        proc, base = start_server(args.gguf, args.n_ctx)
        model = args.model or args.gguf  # llama-cpp-python lists the model by its path
    elif args.base_url and args.model:
        base, model = args.base_url, args.model
    else:
        sys.exit("give --gguf, or --base-url and --model")
    tiers: dict[str, int] = {}
    for c in commits:
        tier = importance.score(c).tier.value
        tiers[tier] = tiers.get(tier, 0) + 1
    out = {"repo": args.repo, "rev": args.rev, "shas": [c.short_sha for c in commits], "tiers": tiers, "budget": args.budget,
           "examples": example_averages(EXAMPLES) if EXAMPLES.is_dir() else None, "runs": []}
    rows: list[dict] = []
    try:
        for language in args.lang:
            out["runs"].append(measure(base, model, commits, language, args.budget, args.max_tokens, rows))
            print(json.dumps(out["runs"][-1], ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    if args.dump:
        dump(args.dump, rows)
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
