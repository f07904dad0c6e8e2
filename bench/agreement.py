"""Is every published tier one the importance score can give? A check against reports an earlier
LLM-based system wrote, whose tier is a weighted score computed before its model was called.

    python bench/agreement.py [LABELS_JSON ...]     (default: ../shared/examples/labels.json)
    python bench/report_labels.py --all reports/2026/dynamo/*.md > dynamo.json
    python bench/agreement.py dynamo.json sglang.json vllm.json

A labels file keeps each commit's subject and tier, not its diff, so the score cannot be
recomputed from it. But the type weight is known from the subject alone, and the other weights
are bounded (size 0–3, file type 0–2, scope 0–2 with the defaults): each subject prefix allows a
range of totals, hence a set of tiers. A tier outside that set could not have come from the
score. Printed per labels file: the share of commits within the bounds (expect 100 %), the
commits outside them, and the tiers seen per type beside the tiers the bounds allow. Commits
whose analysis failed there (``"analysed": false``, from ``report_labels.py --all``) count too:
their tier was computed before the model call.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from commitdigest.analysis.importance import DEFAULT_SCORING, Scoring, commit_type

LEVELS = ("high", "medium", "low")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "examples" / "labels.json"


def tier_of(total: int, s: Scoring) -> str:
    return "high" if total >= s.thresholds.high else "medium" if total >= s.thresholds.medium else "low"


def allowed(subject: str, s: Scoring = DEFAULT_SCORING) -> tuple[str, set[str]]:
    """(the type the score reads, the tiers its total can reach whatever the diff)."""
    ctype = commit_type(subject)
    name = ctype if ctype in s.commit_types else "other"
    base = s.commit_types[name]
    sizes = [0, s.size_weights.small, s.size_weights.medium, s.size_weights.large]
    files = [c.weight for _, c in s.classes]
    scopes = [0, s.scope_weights.medium, s.scope_weights.wide]
    totals = {base + a + b + c for a in sizes for b in files for c in scopes}
    return name, {tier_of(t, s) for t in totals}


def check(path: Path) -> tuple[int, int]:
    labels = json.loads(path.read_text(encoding="utf-8"))
    seen: dict[str, Counter] = defaultdict(Counter)
    bounds: dict[str, set[str]] = {}
    outside = []
    failed = sum(1 for label in labels if label.get("analysed") is False)
    for label in labels:
        name, ok = allowed(label["subject"])
        seen[name][label["importance"]] += 1
        bounds[name] = ok
        if label["importance"] not in ok:
            outside.append(f"    {label['day']} {label['importance']:<6} {label['subject'][:90]}")
    n = len(labels)
    share = 100.0 * (n - len(outside)) / n if n else 0.0
    print(f"{path.name}: {n} commits ({failed} whose analysis failed there), {share:.1f} % within the score's bounds")
    for name, counts in sorted(seen.items(), key=lambda kv: -sum(kv[1].values())):
        got = " ".join(f"{lvl} {counts[lvl]:>4}" for lvl in LEVELS)
        allow = "/".join(lvl for lvl in LEVELS if lvl in bounds[name])
        print(f"  {name:<10} {got}   allowed: {allow}")
    if outside:
        print("  outside the bounds:")
        print("\n".join(outside[:20]) + (f"\n    … {len(outside) - 20} more" if len(outside) > 20 else ""))
    return n, n - len(outside)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [DEFAULT]
    total = within = 0
    for path in paths:
        try:
            n, ok = check(path)
        except (OSError, ValueError, KeyError) as exc:
            sys.exit(f"agreement.py: {path}: {exc}")
        total, within = total + n, within + ok
    if len(paths) > 1 and total:
        print(f"all: {total} commits, {100.0 * within / total:.1f} % within the score's bounds")


if __name__ == "__main__":
    main()
