"""The outcomes report: for each of the clinic's five claims (measures.CLAIMS), the share of
patients whose follow-up answers reach the meaningful change of the measure behind it, at each
time point (weeks after the first appointment), overall, by condition group and by screening
outcome; the patients' own view (PGIC) beside it; the response rate of each time point.

How it stays fast (bench/outcomes.py: 10,000 patients, 30,000 follow-ups): each follow-up's
result against the patient's baseline is worked out once, when the patient answers, and stored
with it (results.py); the report reads a few fields of each (picked out by the database, one
query: report_data.py), counts them, and counts the follow-ups by time point and status in SQL.
Only follow-ups without a current stored result are worked out again from the answers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal_column, select

from intake import clinic_time
from intake.extensions import db
from intake.followup import measures, report_data, results, stats
from intake.followup.models import FollowUp
from intake.followup.report_data import INTAKE_KEYS  # noqa: F401 (read by the tests here)
from intake.models import BookingRequest
from intake.screening.outcomes import OUTCOME_TEXT

#: The screening outcomes the report compares; a booked patient with any other outcome (seen
#: after a doctor's advice, say) counts under "other".
OUTCOME_GROUPS = {
    "suitable": OUTCOME_TEXT["suitable"].label,
    "review": OUTCOME_TEXT["review"].label,
    "other": "Any other outcome",
}
BREAKDOWNS = (
    ("group", "By condition", measures.GROUPS),
    ("outcome", "By screening outcome", OUTCOME_GROUPS),
)
#: Who each claim counts, in words (measures.Claim.population).
POPULATION_WORDS = {
    None: "Everyone who answered",
    "has_psfs": "Patients who named activities at booking (PSFS)",
    "sport_injury": "Sport injuries",
    "chronic": "Pain for more than 12 weeks, or fibromyalgia or widespread pain",
    "takes_pain_medicine": "Patients who took pain medicine at intake",
}
PGIC_LABEL = "Patients' own view: much or very much improved (PGIC)"


@dataclass(frozen=True)
class ReportFilter:
    """Which patients: first appointment from and to (inclusive), from the query string."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[ReportFilter, dict[str, str]]:
        """The filter and the errors of fields that could not be read (those are ignored)."""
        errors: dict[str, str] = {}
        dates: dict[str, dt.date | None] = {}
        for key in ("date_from", "date_to"):
            raw = str(args.get(key) or "").strip()[:40]
            try:  # as the staff pages read a typed date: 4/12/2026, 4 Dec 2026, 2026-12-04
                dates[key] = clinic_time.parse_date(raw) if raw else None
            except ValueError:
                dates[key] = None
                errors[key] = f"Enter a date like {clinic_time.DATE_EXAMPLE}"
        start, end = dates["date_from"], dates["date_to"]
        if start and end and start > end:
            errors["date_to"] = "Enter a date on or after the 'from' date"
            end = None
        return cls(start, end), errors

    def as_args(self) -> dict[str, str]:
        """The query string that gives this filter (for the CSV link)."""
        args = {"date_from": self.date_from, "date_to": self.date_to}
        return {key: value.isoformat() for key, value in args.items() if value}

    def conditions(self) -> list[Any]:
        """WHERE clauses on booking_requests."""
        found = []
        if self.date_from:
            found.append(BookingRequest.first_appointment_on >= self.date_from)
        if self.date_to:
            found.append(BookingRequest.first_appointment_on <= self.date_to)
        return found


@dataclass(frozen=True)
class Row:
    """One line of a claim's table: a label and a cell per time point."""

    label: str
    cells: list[stats.Share]


@dataclass(frozen=True)
class ClaimReport:
    """One claim: its measure, who it counts, and its rows."""

    claim: measures.Claim
    measure: measures.Measure
    population: str
    overall: Row
    pgic: Row
    #: (title, rows) per breakdown
    breakdowns: list[tuple[str, list[Row]]]


@dataclass(frozen=True)
class Response:
    """Follow-ups of one time point: sent, still open, and answered of those closed."""

    weeks: int
    sent: int
    still_open: int
    rate: stats.Share


@dataclass(frozen=True)
class Report:
    filters: ReportFilter
    weeks: list[int]
    claims: list[ClaimReport]
    response: list[Response]
    #: patients who opted in and have a first appointment (in the filter's dates)
    opted_in: int
    #: of them, those who answered at least one follow-up
    answered: int


#: (claim id, "pgic" or "measure", breakdown, group, weeks) -> [met, counted]
_Tallies = dict[tuple[str, str, str, str, int], list[int]]


def build(filters: ReportFilter, schedule: Sequence[int]) -> Report:
    """The report over the patients the filter selects (FOLLOWUP_SCHEDULE gives the weeks)."""
    with report_data.cycle_collector_paused():
        tallies, seen, patients = _count(filters)
    weeks = sorted(set(schedule) | seen)
    claims = [_claim_report(claim, weeks, tallies) for claim in measures.CLAIMS]
    opted_in = db.session.scalar(
        select(func.count())
        .select_from(BookingRequest)
        .where(
            BookingRequest.followup_consent.is_(True),
            BookingRequest.first_appointment_on.is_not(None),
            *filters.conditions(),
        )
    )
    return Report(filters, weeks, claims, _response(filters, weeks), opted_in, patients)


def _count(filters: ReportFilter) -> tuple[_Tallies, set[int], int]:
    """The tallies, the time points answered and the patients who answered; the rows read are
    gone when it returns."""
    rows, patients = report_data.answered(filters.conditions())
    latest = _latest(rows)
    return _tally(latest.values()), {weeks for _, weeks in latest}, len(patients)


def _latest(rows: report_data.Rows) -> dict[tuple[int, int], list[Any]]:
    """(request, weeks) -> the row of the latest answered follow-up there."""
    latest: dict[tuple[int, int], list[Any]] = {}
    for row in rows:
        key = (row[0], row[1])
        if key in latest and _answered_order(row) < _answered_order(latest[key]):
            continue  # answered twice at one time point: the later answer counts
        latest[key] = row
    return latest


def _answered_order(row: list[Any]) -> tuple[str, int]:
    return str(row[2] or ""), row[3]


def _tally(latest: Any) -> _Tallies:
    """Count responders of every claim and of PGIC, per time point, overall and per group:
    first the follow-ups alike (same time point, outcome, group, claims counting the patient
    and responders), then by (condition group, outcome), the finest cells, then summed up."""
    at = {measure: i for i, measure in enumerate(results.REPORT_MEASURES)}
    claims = [(claim.id, at[claim.measure]) for claim in measures.CLAIMS]
    pgic_at = at["pgic"]
    alike = Counter(
        (weeks, outcome, fields[1], tuple(fields[2] or ()), *fields[3:])
        for _, weeks, _, _, outcome, fields, _ in latest
    )
    fine: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (weeks, outcome, group, counted_in, *met), n in alike.items():
        outcome = outcome if outcome in OUTCOME_GROUPS else "other"
        pgic = met[pgic_at]
        for claim_id, i in claims:
            if claim_id not in counted_in:
                continue
            if met[i] is not None:
                tally = fine[(claim_id, "measure", group, outcome, weeks)]
                tally[0] += n if met[i] else 0
                tally[1] += n
            if pgic is not None:
                tally = fine[(claim_id, "pgic", group, outcome, weeks)]
                tally[0] += n if pgic else 0
                tally[1] += n
    tallies: _Tallies = defaultdict(lambda: [0, 0])
    for (claim_id, what, group, outcome, weeks), (met_count, counted) in fine.items():
        for breakdown, key in (("all", "all"), ("group", group), ("outcome", outcome)):
            tally = tallies[(claim_id, what, breakdown, key, weeks)]
            tally[0] += met_count
            tally[1] += counted
    return tallies


def responder_of(
    measure: str,
    baseline: measures.Baseline,
    answers: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
) -> bool | None:
    """Whether one follow-up's answers reach the measure's meaningful change from baseline
    (PSFS over the activities rated both times)."""
    if measure == "psfs":
        return measures.responder("psfs", *measures.psfs_pair(baseline, answers.get("psfs")))
    after = (values or measures.measure_values(answers))[measure]
    return measures.responder(measure, baseline.values.get(measure), after)


def _cells(tallies: _Tallies, key: tuple[str, str, str, str], weeks: list[int]) -> list:
    return [stats.share(*tallies.get((*key, w), (0, 0))) for w in weeks]


def _claim_report(claim: measures.Claim, weeks: list[int], tallies: _Tallies) -> ClaimReport:
    overall = _cells(tallies, (claim.id, "measure", "all", "all"), weeks)
    breakdowns = []
    for breakdown, title, groups in BREAKDOWNS:
        table = [_cells(tallies, (claim.id, "measure", breakdown, g), weeks) for g in groups]
        # secondary suppression within each time point's column of this breakdown
        for i in range(len(weeks)):
            column = stats.protect([row[i] for row in table], overall[i].shown)
            for row, cell in zip(table, column, strict=True):
                row[i] = cell
        rows = [Row(label, cells) for label, cells in zip(groups.values(), table, strict=True)]
        breakdowns.append((title, rows))
    return ClaimReport(
        claim=claim,
        measure=measures.MEASURES[claim.measure],
        population=POPULATION_WORDS.get(claim.population, claim.population or ""),
        overall=Row("All patients", overall),
        pgic=Row(PGIC_LABEL, _cells(tallies, (claim.id, "pgic", "all", "all"), weeks)),
        breakdowns=breakdowns,
    )


def _response(filters: ReportFilter, weeks: list[int]) -> list[Response]:
    """Per time point: follow-ups sent, still open, and the share answered of those whose
    time to answer is over (counted in SQL)."""
    was_sent = case(
        (FollowUp.sent_at.is_not(None), 1),
        (FollowUp.status.in_(("answered", "missed")), 1),
        else_=0,
    ).label("was_sent")
    rows = db.session.execute(
        select(FollowUp.weeks, FollowUp.status, was_sent, func.count())
        .join(BookingRequest, BookingRequest.id == FollowUp.booking_request_id)
        .where(*filters.conditions())
        .group_by(FollowUp.weeks, FollowUp.status, literal_column("was_sent"))
    ).all()
    sent: dict[int, int] = defaultdict(int)
    still_open: dict[int, int] = defaultdict(int)
    answered: dict[int, int] = defaultdict(int)
    for w, status, was, number in rows:
        if not was:
            continue
        sent[w] += number
        if status == "sent":
            still_open[w] += number
        elif status == "answered":
            answered[w] += number
    return [
        Response(w, sent[w], still_open[w], stats.share(answered[w], sent[w] - still_open[w]))
        for w in weeks
    ]
