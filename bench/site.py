"""The static site for a year of daily reports: pages, index and feed, time and size.

    python bench/site.py [--days 365]

One real report is built from a synthetic repository's busy day (30 commits), then re-dated for
each of the days, so every page has a full day's content. Measured: writing the 365 HTML pages
with their JSON twins, then the index and the feed (which read every twin back from disk).
Baseline in the same run: writing the same reports as Markdown only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synth import BUSY_DAY, build  # noqa: E402

import commitdigest  # noqa: E402
from commitdigest import pipeline  # noqa: E402  (writing pages and the site: not in the library interface)
from commitdigest.window import make_window, parse_zone  # noqa: E402


def size_mb(directory: Path, pattern: str) -> float:
    return sum(p.stat().st_size for p in directory.glob(pattern)) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = build(root / "repo", 2_000, days=100, busy=30)
        zone = parse_zone("UTC")
        base = commitdigest.build_report(repo, BUSY_DAY, tz="UTC", use_cache=False)
        days = [BUSY_DAY - timedelta(days=i) for i in range(args.days)]
        reports = [(d, base.model_copy(update={"title": base.title.replace(BUSY_DAY.isoformat(), d.isoformat()),
                                               "window": make_window(d, d, zone)})) for d in days]
        t = time.perf_counter()
        for d, r in reports:
            pipeline.write_report(r, root / "md", ["md"], d, d, site=False)
        md_s = time.perf_counter() - t
        t = time.perf_counter()
        for d, r in reports:
            pipeline.write_report(r, root / "site", ["html"], d, d, site=False)
        pages_s = time.perf_counter() - t
        t = time.perf_counter()
        pipeline.write_site(root / "site", ["html", "feed"], "zh", "https://reports.example.com")
        index_s = time.perf_counter() - t
        site = root / "site"
        print(f"{args.days} daily reports of {base.repos[0].stats.total} commits each")
        print(f"Markdown only (baseline)        {md_s:6.2f} s   {size_mb(root / 'md', '*.md'):6.1f} MB")
        print(f"HTML pages + JSON twins         {pages_s:6.2f} s   {size_mb(site, '*.html') - size_mb(site, 'index.html'):6.1f} MB html, "
              f"{size_mb(site, '*.json'):6.1f} MB json   {pages_s / md_s:4.1f}x Markdown")
        print(f"index.html + feed.xml           {index_s:6.2f} s   index {size_mb(site, 'index.html') * 1000:6.0f} KB, "
              f"feed {size_mb(site, 'feed.xml') * 1000:6.0f} KB")
        print(f"whole site                      {pages_s + index_s:6.2f} s, {sum(p.stat().st_size for p in site.iterdir()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
