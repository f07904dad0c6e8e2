"""Inline SVG charts for rollups, drawn by code: no script, no network, no library.

Each chart is one ``<svg>`` with a ``viewBox`` and ``width="100%"``, so it scales to a phone's
width without scrolling. Every bar carries its value in ``data-*`` attributes and a ``<title>``
(the tooltip), so a reader — or a test — can check that a bar's size is its count. Labels come
from repositories (paths, type names) and are XML-escaped and cleaned of control characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from commitdigest.outputs.text import clean

TIER_COLORS = {"high": "#d73a49", "medium": "#dbab09", "low": "#28a745"}
BAR_COLOR = "#0366d6"
# Drawn 400 units wide with 12-unit text: at a phone's width (~360 px of drawing) the text stays
# about 11 px; the pages cap a chart's width (560 px) so it does not grow huge on a desktop.
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _text(value: object) -> str:
    return escape(clean(str(value)))


def _attr(value: object) -> str:
    return quoteattr(clean(str(value)))


def stacked_days(days: Sequence[tuple[str, dict[str, int]]], title: str, tier_names: dict[str, str]) -> str:
    """Commits per day, stacked high (bottom) → medium → low. ``days``: (label, {tier: count})."""
    n = max(len(days), 1)
    width, height, top, bottom, left = 400, 180, 20, 26, 28
    plot_h = height - top - bottom
    slot = (width - left - 16) / n  # room on the right for the last day's label
    bar_w = max(min(slot * 0.7, 40), 2)
    peak = max((sum(c.values()) for _, c in days), default=0) or 1
    unit = plot_h / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-days" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label={_attr(title)} data-unit="{unit:.6f}" {_FONT}>',
             f"<title>{_text(title)}</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>']
    label_every = max(1, round(n / 6))  # at most ~7 day labels, so they never overlap
    for i, (label, counts) in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y: float = top + plot_h
        for tier in ("high", "medium", "low"):
            count = counts.get(tier, 0)
            if not count:
                continue
            h = count * unit
            y -= h
            parts.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{bar_w:.2f}" height="{h:.2f}" '
                         f'fill="{TIER_COLORS[tier]}" data-day={_attr(label)} data-tier="{tier}" data-count="{count}">'
                         f"<title>{_text(label)} {_text(tier_names[tier])}: {count}</title></rect>")
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.2f}" y="{height - 10}" text-anchor="middle">{_text(label[-5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbars(items: Sequence[tuple[str, int]], title: str, unit_word: str = "", color: str = BAR_COLOR) -> str:
    """Horizontal bars, longest first as given: (label, value)."""
    width, row, top, label_w = 400, 22, 8, 168
    height = top * 2 + row * max(len(items), 1)
    peak = max((v for _, v in items), default=0) or 1
    unit = (width - label_w - 58) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label={_attr(title)} data-unit="{unit:.6f}" {_FONT}>',
             f"<title>{_text(title)}</title>"]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        shown = label if len(label) <= 26 else "…" + label[-25:]
        w = value * unit
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_text(shown)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.2f}" height="{row - 8}" fill="{color}" '
                     f'data-label={_attr(label)} data-value="{value}"><title>{_text(label)}: {value}'
                     f'{" " + _text(unit_word) if unit_word else ""}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.2f}" y="{y + 15}">{value:,}</text>')
    parts.append("</svg>")
    return "".join(parts)
