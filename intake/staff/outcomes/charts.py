"""Server-rendered SVG charts of outcome follow-up: one patient's measure over time, and a
claim's shares with their 95 % intervals. Like the dashboard's (intake/staff/dashboard/
charts.py): no JavaScript, no <style> and no style attributes (the CSP forbids them), only
presentation attributes; every chart has a <title> and a table with the same numbers beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from intake.followup import stats

INK, GRID, LINE = "#0b0c0c", "#b1b4b6", "#1d4e89"
BAND, GOOD = "#e8f1ea", "#00703c"
#: the claim chart's series: the measure's meaningful change, and the patients' own view
SERIES_COLOURS = ("#1d4e89", "#6f3fa0")


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0")


def _open(chart_id: str, title: str, width: int, height: int, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}" class="chart chart--{kind}" id="{chart_id}-svg">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]


def measure_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float | None]],
    scale: tuple[int, int],
    baseline: float | None,
    meaningful_at: float | None,
) -> str:
    """A patient's values of one measure over time (intake first) as a line with dots; the
    intake value as a grey dashed line, and the band between it and the meaningful change
    (`meaningful_at`: the value at which a change counts) shaded, its edge a green dashed line.
    """
    width, height, left, right, top, bottom = 360, 200, 30, 14, 12, 30
    low, high = scale
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(value: float) -> float:
        return top + plot_h * (high - value) / (high - low)

    step = plot_w / max(len(points) - 1, 1)
    parts = _open(chart_id, title, width, height, "small")
    for tick in sorted({low, (low + high) // 2, high}):
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="13" text-anchor="end" '
            f'fill="{INK}">{tick}</text>'
        )
    if baseline is not None and meaningful_at is not None and low <= meaningful_at <= high:
        top_edge, bottom_edge = sorted((y(baseline), y(meaningful_at)))
        parts.append(
            f'<rect x="{left}" y="{top_edge:.1f}" width="{plot_w}" '
            f'height="{bottom_edge - top_edge:.1f}" fill="{BAND}"/>'
            f'<line x1="{left}" y1="{y(meaningful_at):.1f}" x2="{width - right}" '
            f'y2="{y(meaningful_at):.1f}" stroke="{GOOD}" stroke-width="1.5" '
            f'stroke-dasharray="6 3"><title>Meaningful change at {_number(meaningful_at)}'
            "</title></line>"
        )
    if baseline is not None:
        parts.append(
            f'<line x1="{left}" y1="{y(baseline):.1f}" x2="{width - right}" '
            f'y2="{y(baseline):.1f}" stroke="#505a5f" stroke-width="1.5" '
            f'stroke-dasharray="2 3"><title>At intake: {_number(baseline)}</title></line>'
        )
    drawn = [
        (left + i * step if len(points) > 1 else left + plot_w / 2, value, label)
        for i, (label, value) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y(v):.1f}" for x, v, _ in drawn if v is not None)
    if line.count(",") > 1:
        parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for x, value, label in drawn:
        anchor = "start" if x <= left + 1 else "end" if x >= width - right - 1 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="13" text-anchor="{anchor}" '
            f'fill="{INK}">{escape(label)}</text>'
        )
        if value is None:
            continue
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="4" fill="{LINE}">'
            f"<title>{escape(label)}: {_number(value)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ShareSeries:
    """One series of a claim chart: its label and a cell per time point."""

    label: str
    cells: Sequence[stats.Share]


def claim_chart(
    chart_id: str, title: str, weeks: Sequence[int], series: Sequence[ShareSeries]
) -> str:
    """Bars of the share meeting the change at each time point, one per series, each with its
    95 % interval as a whisker; a suppressed or empty cell says so where its bar would be."""
    width, height, left, top, bottom = 720, 260, 48, 14, 58
    plot_h = height - top - bottom
    group_w = (width - left - 10) / max(len(weeks), 1)
    bar_w = min(56.0, group_w * 0.7 / max(len(series), 1))

    def y(share: float) -> float:
        return top + plot_h * (1 - share)

    parts = _open(chart_id, title, width, height, "claim")
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{INK}">{round(tick * 100)} %</text>'
        )
    for i, w in enumerate(weeks):
        start = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, (s, colour) in enumerate(zip(series, SERIES_COLOURS, strict=False)):
            parts.append(
                _bar(start + j * bar_w, bar_w, s.cells[i], f"{w} weeks, {s.label}", y, colour)
            )
        parts.append(
            f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{height - bottom + 34}" '
            f'font-size="12" text-anchor="middle" fill="{INK}">{w} weeks</text>'
        )
    x = left
    for s, colour in zip(series, SERIES_COLOURS, strict=False):
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 17}" y="{height - 4}" font-size="12" fill="{INK}">'
            f"{escape(s.label)}</text>"
        )
        x += 24 + 7 * len(s.label)
    parts.append("</svg>")
    return "".join(parts)


def _bar(x: float, w: float, cell: stats.Share, label: str, y, colour: str) -> str:
    centre, base = x + w / 2, y(0)
    if not cell.shown:
        words = stats.SUPPRESSED_WORDS if cell.suppressed else "none yet"
        return (
            f'<text x="{centre:.1f}" y="{base - 4:.1f}" font-size="10" text-anchor="middle" '
            f'fill="{INK}">{"&lt; 5" if cell.suppressed else "–"}'
            f"<title>{escape(label)}: {words}</title></text>"
        )
    share, low, high = cell.share or 0.0, cell.low or 0.0, cell.high or 0.0
    bar_top = y(share)
    return (
        f'<rect x="{x + 2:.1f}" y="{bar_top:.1f}" width="{w - 4:.1f}" '
        f'height="{base - bar_top:.1f}" fill="{colour}">'
        f"<title>{escape(label)}: {escape(cell.words())}</title></rect>"
        f'<line x1="{centre:.1f}" y1="{y(low):.1f}" x2="{centre:.1f}" y2="{y(high):.1f}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
        f'<line x1="{centre - 6:.1f}" y1="{y(low):.1f}" x2="{centre + 6:.1f}" y2="{y(low):.1f}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
        f'<line x1="{centre - 6:.1f}" y1="{y(high):.1f}" x2="{centre + 6:.1f}" '
        f'y2="{y(high):.1f}" stroke="{INK}" stroke-width="1.5"/>'
        f'<text x="{centre:.1f}" y="{base + 14:.1f}" font-size="12" text-anchor="middle" '
        f'fill="{INK}">{stats.percent(cell.share)}</text>'
    )
