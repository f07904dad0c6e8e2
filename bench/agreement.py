"""Importance agreement of the offline analyzer with the labels of an earlier LLM-written report.

    python bench/agreement.py [LABELS_JSON]      (default: ../shared/examples/labels.json)
    python bench/report_labels.py REPORT.md... > held-out.json && python bench/agreement.py held-out.json

Each labelled commit is rebuilt from what the labels keep of it — the subject and the paths the
report mentioned — because the reports' repository is too large to bring here. Paths get a
uniform small size, so size rules cannot fire: the figure measures the wording and placement
rules. The baseline in the same run is the subject-prefix-only rule (feat/fix/perf/refactor →
medium or high by a fixed table, everything else low), which the analyzer has to beat.

Figures are printed per day (per month for more than ten days) as well. The rules were written
looking at the 50 commits of ../shared/examples; other reports of the same kind, turned into a
labels file by bench/report_labels.py, are the held-out check.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.models import Commit, FileChange

LEVELS = ("high", "medium", "low")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "examples" / "labels.json"

# The baseline: what a subject prefix alone says.
_PREFIX_ONLY = {"feat": "high", "fix": "medium", "perf": "medium", "refactor": "medium"}


def prefix_only(subject: str) -> str:
    m = re.match(r"^(\w+)(\([^)]*\))?!?:", subject)
    return _PREFIX_ONLY.get(m.group(1).lower(), "low") if m else "low"


def rebuild(label: dict) -> Commit:
    when = datetime.fromisoformat(label["time"]).replace(tzinfo=timezone.utc)
    paths = [p.strip("/").replace("*", "x") for p in label["paths_mentioned"]]
    files = [FileChange(path=p, status="M", insertions=10, deletions=4) for p in paths if p]
    return Commit(sha=label["sha"], author=label["author"], author_time=when, committer_time=when,
                  subject=label["subject"], files=files)


# The earlier system wrote free-text type labels, sometimes two ("Bug 修复 / 性能优化"); a type
# agrees when it is one of those named.
_RAW_TYPES = {"Bug": "fix", "文档": "docs", "配置": "config", "功能": "feature", "性能": "perf",
              "CI": "ci", "重构": "refactor", "测试": "test", "依赖": "deps", "构建": "build", "维护": "chore"}


def raw_types(raw: str | None) -> set[str]:
    return {t for key, t in _RAW_TYPES.items() if raw and key in raw.split("（")[0]}


def confusion(pairs: list[tuple[str, str]]) -> str:
    grid = Counter(pairs)
    rows = ["label \\ got   " + "".join(f"{g:>8}" for g in LEVELS)]
    rows += [f"{want:<14}" + "".join(f"{grid[(want, got)]:>8}" for got in LEVELS) for want in LEVELS]
    return "\n".join(rows)


def main() -> None:
    labels = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT).read_text())
    analyzer = HeuristicAnalyzer()
    by_day: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    misses = []
    typed = type_ok = 0
    for label in labels:
        record = analyzer.analyze(rebuild(label), "en")
        got = record.importance.value
        if wanted := raw_types(label.get("change_type_raw")):
            typed += 1
            type_ok += record.change_type.value in wanted
        base = prefix_only(label["subject"])
        by_day[label["day"]].append((label["importance"], got, base))
        if got != label["importance"]:
            misses.append(f"  {label['importance']:<6} got {got:<6} {label['subject'][:80]}")
    rows = [r for day in by_day.values() for r in day]

    def pct(items, i):
        return 100.0 * sum(r[0] == r[i] for r in items) / len(items)

    print(f"importance agreement on {len(rows)} labelled commits")
    print(f"  offline analyzer     {pct(rows, 1):5.1f} %")
    print(f"  subject prefix only  {pct(rows, 2):5.1f} %   (baseline, same run)")
    print(f"  ratio                {pct(rows, 1) / pct(rows, 2):5.2f}x")
    # A few days are shown one by one; many (a season of reports) by month.
    periods = by_day if len(by_day) <= 10 else defaultdict(list)
    if periods is not by_day:
        for day, items in by_day.items():
            periods[day[:7]] += items
    for period, items in sorted(periods.items()):
        print(f"  {period}: analyzer {pct(items, 1):5.1f} %, baseline {pct(items, 2):5.1f} % ({len(items)} commits)")
    print(f"change type agreement  {100.0 * type_ok / typed:5.1f} % of {typed} commits with a type label")
    print("\nconfusion matrix, offline analyzer")
    print(confusion([(r[0], r[1]) for r in rows]))
    print("\ndisagreements")
    print("\n".join(misses) or "  none")


if __name__ == "__main__":
    main()
