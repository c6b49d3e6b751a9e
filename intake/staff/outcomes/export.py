"""The outcomes report as CSV rows: every cell of the page, suppression applied."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from intake.followup import stats
from intake.followup.report import Report

CSV_HEADER = (
    "claim",
    "measure",
    "who",
    "breakdown",
    "group",
    "weeks",
    "patients",
    "meeting the change",
    "share %",
    "95 % interval low %",
    "95 % interval high %",
    "note",
)


def csv_rows(report: Report) -> Iterator[list[Any]]:
    """The report as CSV rows (header first), suppression applied: a suppressed cell gives no
    number or share, and its note says "fewer than 5" (every number column holds only numbers,
    so a spreadsheet can sum and chart them)."""
    yield list(CSV_HEADER)
    for item in report.claims:
        lines = [("all", item.overall, item.measure.label), ("all", item.pgic, "PGIC")]
        lines += [
            (title, row, item.measure.label) for title, rows in item.breakdowns for row in rows
        ]
        for breakdown, row, measure in lines:
            for w, cell in zip(report.weeks, row.cells, strict=True):
                yield [
                    item.claim.promise,
                    measure,
                    item.population,
                    breakdown,
                    row.label,
                    w,
                    *_cell_fields(cell),
                ]
    for response in report.response:
        yield [
            "response rate",
            "answered, of follow-ups sent and closed",
            "",
            "all",
            f"sent {response.sent}, still open {response.still_open}",
            response.weeks,
            *_cell_fields(response.rate),
        ]


def _cell_fields(cell: stats.Share) -> list[Any]:
    if cell.suppressed:
        return ["", "", "", "", "", f"{stats.SUPPRESSED_WORDS} patients: not shown"]
    if not cell.n:
        return [0, "", "", "", "", "no answers yet"]
    return [
        cell.n,
        cell.met,
        stats.whole_percent(cell.share or 0),
        stats.whole_percent(cell.low or 0),
        stats.whole_percent(cell.high or 0),
        "",
    ]
