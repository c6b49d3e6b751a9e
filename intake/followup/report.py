"""The outcomes report: for each of the clinic's five claims (measures.CLAIMS), the share of
patients whose follow-up answers reach the meaningful change of the measure behind it, at each
time point (weeks after the first appointment), overall, by condition group and by screening
outcome; the patients' own view (PGIC) beside it; the response rate of each time point.

How it stays fast (bench/outcomes.py: 10,000 patients, 30,000 follow-ups): three queries read
only the columns needed (the patients who answered, with their intake answers and outcome; the
answered follow-ups' answers; follow-up counts by time point and status, counted in SQL). Each
patient's baseline is worked out once, each follow-up's values once, and the rest is counting.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, case, func, literal, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from intake.extensions import db
from intake.followup import measures, stats
from intake.followup.models import FollowUp
from intake.models import BookingRequest, Submission
from intake.screening import questionnaire
from intake.screening.outcomes import OUTCOME_TEXT
from intake.screening.scoring.fibromyalgia import ACR2016_SSS_ITEMS

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
#: Every intake answer measures.baseline_of reads, so the report reads only these: the pain
#: items, medicine days, duration and onset, and what the condition group needs (fibromyalgia,
#: the pain map, the ACR 2016 symptom items). tests/followup/test_report.py checks it.
INTAKE_KEYS = (
    measures.NPRS_NOW,
    *measures.PEG_ITEMS,
    "pain_medication_days",
    "pain_duration",
    "pain_onset",
    "fibromyalgia_diagnosed",
    "pain_regions",
    *questionnaire.QUESTIONS["pain_map"].item_ids,
    *ACR2016_SSS_ITEMS,
    "symptoms_3_months",
)


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
            try:
                dates[key] = dt.date.fromisoformat(raw) if raw else None
            except ValueError:
                dates[key] = None
                errors[key] = "Enter a date like 2026-11-23"
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


@dataclass
class _Patient:
    baseline: measures.Baseline
    outcome: str
    #: weeks -> the answers of the latest answered follow-up at that time point
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)


def build(filters: ReportFilter, schedule: Sequence[int]) -> Report:
    """The report over the patients the filter selects (FOLLOWUP_SCHEDULE gives the weeks)."""
    patients = _patients(filters)
    weeks = sorted(set(schedule) | {w for p in patients.values() for w in p.answers})
    tallies = _tally(patients.values())
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
    return Report(filters, weeks, claims, _response(filters, weeks), opted_in, len(patients))


def _intake_columns() -> tuple[Any, Any, Any]:
    """(the intake answers baseline_of reads, as a JSON array in INTAKE_KEYS order; whether
    the stored scores have ACR 2016; whether its criteria were met) as SQL: the database picks
    the few answers out, so Python decodes a short array, not every answer (bench/outcomes.py).
    Other databases read the whole answers (a dict) and the stored scores."""
    keys = INTAKE_KEYS
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        paths = [literal(f"$.{key}") for key in keys]
        return (
            type_coerce(func.json_extract(Submission.answers, *paths), JSON),
            func.json_type(Submission.scores, "$.acr2016").is_not(None),
            func.json_extract(Submission.scores, "$.acr2016.criteria_met"),
        )
    if dialect == "postgresql":
        answers, scores = (
            type_coerce(Submission.answers, JSONB),
            type_coerce(Submission.scores, JSONB),
        )
        return (
            type_coerce(func.jsonb_build_array(*(answers[key] for key in keys)), JSON),
            scores.has_key("acr2016"),
            scores[("acr2016", "criteria_met")].astext,
        )
    return Submission.answers, literal(False), Submission.scores


def _baseline(picked: Any, has_acr: Any, acr_met: Any, psfs: Any) -> measures.Baseline:
    """A patient's baseline from what _intake_columns read."""
    psfs = psfs if isinstance(psfs, list) else None
    if isinstance(picked, dict):  # the whole answers, and the stored scores
        return measures.baseline_of(picked, psfs, acr_met if isinstance(acr_met, dict) else None)
    values = picked if isinstance(picked, list) else []
    answers = dict(zip(INTAKE_KEYS, values, strict=False))  # a missing answer reads as None
    scores = None
    if has_acr:
        met = acr_met in (1, True, "true")
        scores = {"acr2016": {"criteria_met": met}}
    return measures.baseline_of(answers, psfs, scores)


def _rows(columns: list[Any], is_json: list[bool], build: Any) -> list[Any]:
    """The rows of `build(select(...))` over `columns`. SQLite and PostgreSQL send them as one
    JSON array of arrays (json_group_array / json_agg), decoded in one call: per-row decoding
    and row handling were most of the report's time. Other databases send rows."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        items = [func.json(c) if j else c for c, j in zip(columns, is_json, strict=True)]
        aggregate = func.json_group_array(func.json_array(*items))
    elif dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_array(*columns))
    else:
        return list(db.session.execute(build(select(*columns))))
    return db.session.scalar(build(select(type_coerce(aggregate, JSON)))) or []


def _patients(filters: ReportFilter) -> dict[int, _Patient]:
    """Everyone with an answered follow-up: baseline (once each) and answers by time point."""
    answered = FollowUp.status == "answered"
    picked, has_acr, acr_met = _intake_columns()
    intake = _rows(
        [
            BookingRequest.id,
            BookingRequest.psfs_baseline,
            picked,
            has_acr,
            acr_met,
            Submission.outcome,
        ],
        [False, True, True, False, False, False],
        lambda query: (
            query.select_from(BookingRequest)
            .join(Submission, Submission.id == BookingRequest.submission_id)
            .where(
                BookingRequest.id.in_(select(FollowUp.booking_request_id).where(answered)),
                *filters.conditions(),
            )
        ),
    )
    patients = {
        booking_id: _Patient(
            _baseline(picked, has_acr, acr_met, psfs),
            outcome if outcome in OUTCOME_GROUPS else "other",
        )
        for booking_id, psfs, picked, has_acr, acr_met, outcome in intake
    }
    followups = _rows(
        [
            FollowUp.booking_request_id,
            FollowUp.weeks,
            FollowUp.answers,
            FollowUp.answered_at,
            FollowUp.id,
        ],
        [False, False, True, False, False],
        lambda query: (
            query.select_from(FollowUp)
            .join(BookingRequest, BookingRequest.id == FollowUp.booking_request_id)
            .where(answered, *filters.conditions())
        ),
    )
    for booking_id, weeks, answers, _, _ in sorted(
        followups, key=lambda r: (str(r[3] or ""), r[4])
    ):
        patient = patients.get(booking_id)
        if patient is not None and isinstance(answers, dict):
            patient.answers[weeks] = answers  # in answering order: the latest stays
    return patients


#: (claim id, "pgic" or "measure", breakdown, group, weeks) -> [met, counted]
_Tallies = dict[tuple[str, str, str, str, int], list[int]]


def _tally(patients: Any) -> _Tallies:
    """Count responders of every claim and of PGIC, per time point, overall and per group:
    first by (condition group, outcome), the finest cells, then summed up."""
    fine: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for patient in patients:
        baseline = patient.baseline
        claims = [c for c in measures.CLAIMS if measures.in_population(c, baseline)]
        for weeks, answers in patient.answers.items():
            values = measures.measure_values(answers)
            pgic = measures.responder("pgic", None, values["pgic"])
            for claim in claims:
                met = responder_of(claim.measure, baseline, answers, values)
                if met is not None:
                    tally = fine[(claim.id, "measure", baseline.group, patient.outcome, weeks)]
                    tally[0] += met
                    tally[1] += 1
                if pgic is not None:
                    tally = fine[(claim.id, "pgic", baseline.group, patient.outcome, weeks)]
                    tally[0] += pgic
                    tally[1] += 1
    tallies: _Tallies = defaultdict(lambda: [0, 0])
    for (claim_id, what, group, outcome, weeks), (met, counted) in fine.items():
        for breakdown, key in (("all", "all"), ("group", group), ("outcome", outcome)):
            tally = tallies[(claim_id, what, breakdown, key, weeks)]
            tally[0] += met
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
