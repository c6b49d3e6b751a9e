"""Small server-rendered SVG charts for the staff dashboard (no JavaScript, no inline styles).

Hand-written on purpose: chart libraries such as pygal emit <style> elements, which our
Content-Security-Policy (no 'unsafe-inline') would block. Shapes use presentation attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Outcome colours (distinguishable, AA contrast against white text where used as labels).
COLOURS = {
    "emergency": "#b3261e",
    "see_doctor": "#7a4a00",
    "not_advised": "#6f3fa0",
    "review": "#1d4e89",
    "suitable": "#00703c",
    "not_indicated": "#505a5f",
}


@dataclass(frozen=True)
class Series:
    """One named series of values with its colour."""

    name: str
    label: str
    values: Sequence[int]
    colour: str


def stacked_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    width: int = 720,
    height: int = 260,
) -> str:
    """A stacked bar chart as inline SVG, with a title and a text legend for screen readers."""
    left, bottom, top = 40, 40, 16
    plot_h = height - bottom - top
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    peak = max([*totals, 1])
    step = (width - left - 10) / max(len(categories), 1)
    bar_w = max(step * 0.7, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-{_slug(title)}" class="chart">',
        f'<title id="chart-{_slug(title)}">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" '
        'stroke="#b1b4b6"/>',
        f'<text x="4" y="{top + 10}" font-size="12" fill="#0b0c0c">{peak}</text>',
        f'<text x="4" y="{top + plot_h}" font-size="12" fill="#0b0c0c">0</text>',
    ]
    for i, category in enumerate(categories):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        for s in series:
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(category)}: {escape(s.label)} {value}'
                "</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 22}" font-size="11" '
            f'text-anchor="middle" fill="#0b0c0c">{escape(category)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    title: str, rows: Sequence[tuple[str, int]], colour: str = "#1d4e89", width: int = 720
) -> str:
    """Labelled horizontal bars (a funnel, or counts by step) as inline SVG."""
    row_h, label_w = 30, 260
    height = row_h * max(len(rows), 1) + 10
    peak = max([value for _, value in rows] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-{_slug(title)}" class="chart">',
        f'<title id="chart-{_slug(title)}">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 5 + i * row_h
        bar = (width - label_w - 60) * value / peak
        parts.append(
            f'<text x="0" y="{y + 19}" font-size="13" fill="#0b0c0c">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="20" fill="{colour}"/>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 19}" font-size="13" '
            f'fill="#0b0c0c">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower())[:40]
