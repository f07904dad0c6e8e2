"""Time to encode a long period's JSON twin, against the standard library's encoder in the same run.

    python bench/json_twin.py [--commits 5000] [--repeat 5]

Builds a synthetic repository, makes the report of its whole history through the library
(``commitdigest.build_report``, offline, no cache), then times ``render_json`` against what the
twin was written with before, ``json.dumps(clean_tree(report.to_json_dict()), ensure_ascii=False,
indent=2)``, and checks that both give the same bytes. Each figure is the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synth import END, build  # noqa: E402

import commitdigest  # noqa: E402
from commitdigest.outputs.text import clean_tree  # noqa: E402  (the reference encoding's cleaning)
from commitdigest.report.render import render_json  # noqa: E402  (one format alone: not in the library interface)


def stdlib(report) -> str:
    return json.dumps(clean_tree(report.to_json_dict()), ensure_ascii=False, indent=2) + "\n"


def median_s(fn, report, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(report)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = build(Path(tmp) / "repo", args.commits, days=args.days, busy=0)
        report = commitdigest.build_report(repo, END - timedelta(days=args.days - 1), END, tz="UTC", use_cache=False,
                                           cache_dir=Path(tmp) / "cache")
        ours = render_json(report)
        same = ours == stdlib(report)
        new_s = median_s(render_json, report, args.repeat)
        old_s = median_s(stdlib, report, args.repeat)
        n = sum(len(r.commits) for r in report.repos)
        print(f"JSON twin of {n} commits: {len(ours.encode()) / 1e6:.1f} MB, byte-identical to json.dumps: {same}")
        print(f"json.dumps (before)          {old_s * 1000:8.1f} ms")
        print(f"render_json (orjson)         {new_s * 1000:8.1f} ms   {old_s / new_s:5.1f}x faster")
        if not same:
            sys.exit("json_twin.py: the encodings differ")


if __name__ == "__main__":
    main()
