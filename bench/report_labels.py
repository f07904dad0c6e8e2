"""Turn daily reports written by an earlier LLM-based system into a labels file for agreement.py.

    python bench/report_labels.py [--all] REPORT.md... > labels.json
    python bench/agreement.py labels.json

The reports are the kind in ../shared/examples/: a commit table (time, author, subject), then
one `### subject` section per commit with its commit link, `重要程度` (🔴/🟡/🟢) and `变更类型`
lines and an impact section naming paths in backticks. Each labelled commit keeps what
labels.json keeps: day, time, author, subject, sha, importance, the raw type wording and the
paths the report mentions. The importance is the tier the commit is filed under. Commits whose
analysis failed in that system are left out (and counted on stderr) unless ``--all`` is given:
their prose is missing, though their tier — computed by that system's score before any model
call — is as valid as any other (``"analysed": false`` marks them).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_LEVEL = {"🔴": "high", "🟡": "medium", "🟢": "low"}
_ROW = re.compile(r"^\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \| (.*?) \| (.*?)(?:<br>.*)? \|$")
_DAY = re.compile(r"^# .*?(\d{4}-\d\d-\d\d)", re.MULTILINE)
# A commit section is a `### subject` heading followed by its SHA line; other `###` headings
# (a report's own sub-headings inside an analysis) are not. Tier headings set the importance.
_COMMIT = re.compile(r"^### (.+)\n\*\*SHA\*\*.*?/commit/([0-9a-f]{40})", re.MULTILINE)
_TIER = re.compile(r"^#### ([🔴🟡🟢])", re.MULTILINE)
# When the model call failed, the report still files the commit under a tier, but one chosen by
# a fallback rule: not a model's judgement, so not a label.
_NO_ANALYSIS = ("暂无分析", "LLM分析失败")
_TYPE = re.compile(r"变更类型\**[:：]\s*(.+?)\s*$", re.MULTILINE)
_TICKED = re.compile(r"`([^`\s]+)`")
# A backticked token counts as a path when it has a slash, or ends in a file extension (a known
# one, so that `asyncio.Lock` or `with.args` do not count); globs like `**/*.rs` do not.
_EXTENSIONS = ("py|pyi|rs|go|c|cc|cpp|h|hpp|cu|cuh|js|ts|java|proto|md|rst|txt|yaml|yml|toml|json|"
               "lock|cfg|ini|sh|sql|mod|sum|tpl|j2|jinja|dockerfile")
_PATHLIKE = re.compile(rf"^(?!\*\*)[\w./*-]*[\w*]/[\w./*-]*$|^[\w*-]+\.({_EXTENSIONS})$")


def _table(text: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in text.splitlines():
        if m := _ROW.match(line):
            rows[m.group(3).replace("\\|", "|").strip()] = (m.group(1), m.group(2))
    return rows


def labels_of(path: Path, keep_failed: bool = False) -> tuple[list[dict], int]:
    text = path.read_text(encoding="utf-8")
    table = _table(text)
    day = m.group(1) if (m := _DAY.search(text)) else path.stem
    tiers = [(t.start(), t.group(1)) for t in _TIER.finditer(text)]
    heads = list(_COMMIT.finditer(text))
    bounds = sorted([h.start() for h in heads] + [t for t, _ in tiers] + [len(text)])
    found, skipped = [], 0
    for head in heads:
        # Importance is the tier a commit is filed under, as the report's readers see it; the
        # in-section line sometimes disagrees with it or is missing.
        tier = [level for at, level in tiers if at < head.start()]
        if not tier:
            continue
        body = text[head.end(): next(b for b in bounds if b > head.start())]
        analysed = not any(mark in body for mark in _NO_ANALYSIS)
        if not analysed and not keep_failed:
            skipped += 1
            continue
        subject = head.group(1).strip()
        when, author = table.get(subject, (f"{day} 00:00:00", ""))
        kind = _TYPE.search(body)
        ticked = _TICKED.findall(body)
        paths = list(dict.fromkeys(t.rstrip("/") for t in ticked if _PATHLIKE.match(t)))
        found.append({
            "day": day, "time": when, "author": author, "subject": subject,
            "sha": head.group(2), "importance": _LEVEL[tier[-1]],
            "change_type_raw": kind.group(1) if kind else None, "paths_mentioned": paths,
            **({} if analysed else {"analysed": False}),
        })
    return found, skipped


def main() -> None:
    args = sys.argv[1:]
    keep_failed = "--all" in args
    names = [a for a in args if a != "--all"]
    if not names:
        sys.exit("usage: report_labels.py [--all] REPORT.md... > labels.json")
    labels, skipped = [], 0
    for name in names:
        try:
            found, missed = labels_of(Path(name), keep_failed)
        except (OSError, UnicodeDecodeError) as e:
            sys.exit(f"report_labels.py: {name}: {e}")
        labels += found
        skipped += missed
    json.dump(labels, sys.stdout, ensure_ascii=False, indent=1)
    print(f"{len(labels)} labelled commits from {len(names)} reports; "
          f"{skipped} commits without an analysis left out", file=sys.stderr)


if __name__ == "__main__":
    main()
