"""What the outcomes report counts: one row per answered follow-up with the patient's
screening outcome and the follow-up's result (results.py). Results stored when the patient
answered are read as they are, a few fields of each picked out by the database; follow-ups
without a current result (answered before results were stored, or of an older
results.VERSION) are worked out again here from the intake and follow-up answers.

Rows are lists as the database sends them (Rows), no objects made per row: the report reads
22,500 of them in bench/outcomes.py.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, ColumnElement, func, literal, not_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from intake.extensions import db
from intake.followup import measures, results
from intake.followup.models import FollowUp
from intake.models import BookingRequest, Submission
from intake.screening import questionnaire
from intake.screening.scoring.fibromyalgia import ACR2016_SSS_ITEMS

#: Every intake answer measures.baseline_of reads, so a result worked out again reads only
#: these: the pain items, medicine days, duration and onset, and what the condition group needs
#: (fibromyalgia, the pain map, the ACR 2016 symptom items). tests/followup/test_report.py
#: checks it.
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

#: [booking id, weeks, answered at, follow-up id, outcome, results.report_fields(), current]
Rows = list[list[Any]]


def answered(conditions: list[Any]) -> tuple[Rows, set[int]]:
    """The rows of the answered follow-ups of the requests `conditions` select (in no order),
    and the ids of the requests with an answered follow-up."""
    dialect = db.session.get_bind().dialect.name
    done = FollowUp.status == "answered"
    if dialect not in ("sqlite", "postgresql"):
        return _worked_out(dialect, [done], conditions)
    scan = done
    if dialect == "sqlite":
        # most follow-ups are answered: reading the table in order beats the status index
        # (it halved this query in bench/outcomes.py)
        scan = func.likely(done)
    current = _current(dialect)
    rows = _rows(
        [
            FollowUp.booking_request_id,
            FollowUp.weeks,
            FollowUp.answered_at,
            FollowUp.id,
            Submission.outcome,
            _picked(dialect),
            current,
        ],
        [False, False, False, False, False, True, False],
        lambda query: (
            query.select_from(FollowUp)
            .join(BookingRequest, BookingRequest.id == FollowUp.booking_request_id)
            .join(Submission, Submission.id == BookingRequest.submission_id)
            .where(scan, *conditions)
        ),
    )
    patients = {row[0] for row in rows}
    if all(row[6] for row in rows):
        return rows, patients
    # some have no current result (the same SQL decides): those are worked out from the answers
    rows = [row for row in rows if row[6]]
    worked_out, _ = _worked_out(dialect, [done, not_(current)], conditions)
    return rows + worked_out, patients


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the rows are read and counted: they are tens of
    thousands of small lists, in no cycle, freed by reference counting when the counting ends.
    Collections their allocations set off midway walked the whole heap: about 100 ms of the
    report's 250 ms on SQLite in bench/outcomes.py."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _current(dialect: str) -> ColumnElement[bool]:
    """SQL: the follow-up has a result of results.VERSION (SQLite or PostgreSQL)."""
    if dialect == "sqlite":
        version = func.json_extract(FollowUp.results, "$.version")
        return func.coalesce(version, -1) == results.VERSION
    version = type_coerce(FollowUp.results, JSONB)["version"].astext
    return func.coalesce(version, "") == str(results.VERSION)


def _picked(dialect: str) -> Any:
    """SQL: results.report_fields() of the stored result, as a JSON array."""
    paths = ["version", "group", "claims"]
    measure_paths = [("measures", m, "responder") for m in results.REPORT_MEASURES]
    if dialect == "sqlite":
        text = [f"$.{p}" for p in paths] + [".".join(("$", *p)) for p in measure_paths]
        found = func.json_extract(FollowUp.results, *(literal(p) for p in text))
        return type_coerce(found, JSON)
    stored = type_coerce(FollowUp.results, JSONB)
    items = [stored[p] for p in paths] + [stored[p] for p in measure_paths]
    return type_coerce(func.jsonb_build_array(*items), JSON)


def _worked_out(dialect: str, where: list[Any], conditions: list[Any]) -> tuple[Rows, set[int]]:
    """Rows of the follow-ups `where` selects of the requests `conditions` select, their results
    worked out from the answers (each patient's baseline once), and the ids of their requests.
    Other databases than SQLite and PostgreSQL work out every result here."""
    picked, has_acr, acr_met = _intake_columns(dialect)
    intake = _rows(
        [BookingRequest.id, BookingRequest.psfs_baseline, picked, has_acr, acr_met],
        [False, True, True, False, False],
        lambda query: (
            query.select_from(BookingRequest)
            .join(Submission, Submission.id == BookingRequest.submission_id)
            .where(
                BookingRequest.id.in_(select(FollowUp.booking_request_id).where(*where)),
                *conditions,
            )
        ),
    )
    baselines = {
        booking_id: _baseline(picked, has_acr, acr_met, psfs)
        for booking_id, psfs, picked, has_acr, acr_met in intake
    }
    followups = _rows(
        [
            FollowUp.booking_request_id,
            FollowUp.weeks,
            FollowUp.answers,
            FollowUp.answered_at,
            FollowUp.id,
            Submission.outcome,
        ],
        [False, False, True, False, False, False],
        lambda query: (
            query.select_from(FollowUp)
            .join(BookingRequest, BookingRequest.id == FollowUp.booking_request_id)
            .join(Submission, Submission.id == BookingRequest.submission_id)
            .where(*where, *conditions)
        ),
    )
    rows = [
        [b, w, at, i, o, results.report_fields(results.of(baselines[b], answers)), True]
        for b, w, answers, at, i, o in followups
        if b in baselines and isinstance(answers, dict)
    ]
    return rows, set(baselines)


def _intake_columns(dialect: str) -> tuple[Any, Any, Any]:
    """(the intake answers baseline_of reads, as a JSON array in INTAKE_KEYS order; whether
    the stored scores have ACR 2016; whether its criteria were met) as SQL: the database picks
    the few answers out, so Python decodes a short array, not every answer.
    Other databases read the whole answers (a dict) and the stored scores."""
    keys = INTAKE_KEYS
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


def _rows(columns: list[Any], is_json: list[bool], build: Callable[[Any], Any]) -> Rows:
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
        return [tuple(row) for row in db.session.execute(build(select(*columns)))]
    return db.session.scalar(build(select(type_coerce(aggregate, JSON)))) or []
