"""Patients and answered follow-ups written straight to the database, for the outcomes report
and the staff panel tests (the scheduler is tested on its own)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from sqlalchemy import select

from intake.extensions import db
from intake.followup import measures
from intake.followup.models import FollowUp
from intake.models import BookingRequest, RuleSetVersion, Submission
from tests.answers import patient

FIRST = dt.date(2026, 1, 5)


def add_patient(
    answers: dict[str, Any] | None = None,
    *,
    outcome: str = "suitable",
    psfs: list[dict[str, Any]] | None = None,
    first: dt.date | None = FIRST,
    consent: bool = True,
) -> int:
    """A booked request with its submission (inside an app context); returns its id."""
    version = db.session.scalar(select(RuleSetVersion.id).order_by(RuleSetVersion.id))
    key = uuid.uuid4().hex
    submission = Submission(
        token=key,
        reference=f"DN-{key[:8].upper()}",
        answers=answers if answers is not None else patient(),
        scores={},
        fired=[],
        outcome=outcome,
        questionnaire_version="test",
        ruleset_version_id=version,
    )
    db.session.add(submission)
    db.session.flush()
    booking = BookingRequest(
        submission_id=submission.id,
        name="Test Patient",
        email="patient@example.com",
        phone="+447700900123",
        consent_privacy=True,
        consent_contact=True,
        status="booked",
        followup_consent=consent,
        psfs_baseline=psfs,
        first_appointment_on=first,
    )
    db.session.add(booking)
    db.session.flush()
    return booking.id


def add_followup(
    booking_id: int,
    weeks: int,
    answers: dict[str, Any] | None = None,
    *,
    status: str | None = None,
    number: int | None = None,
    flags: list[str] | None = None,
    sent: bool = True,
    reminded: bool = False,
    first: dt.date = FIRST,
) -> FollowUp:
    """A follow-up `weeks` after `first`; answered when answers are given (unless `status`)."""
    due = dt.datetime.combine(first + dt.timedelta(weeks=weeks), dt.time(9))
    status = status or ("answered" if answers is not None else "sent")
    followup = FollowUp(
        booking_request_id=booking_id,
        number=number or {2: 1, 6: 2, 12: 3}.get(weeks, weeks),
        weeks=weeks,
        due_at=due,
        expires_at=due + dt.timedelta(weeks=4),
        status=status,
        sent_at=due if sent else None,
        reminded_at=due + dt.timedelta(days=3) if reminded else None,
        answered_at=due + dt.timedelta(days=1) if status == "answered" else None,
        answers=answers,
        flags=flags or [],
    )
    db.session.add(followup)
    db.session.flush()
    return followup


# --- realistic patients (screenshots, the browser tests and bench/outcomes.py) ---------------

ACTIVITIES = (
    "Climbing stairs",
    "Running 5 km",
    "Lifting my child",
    "Gardening",
    "Sleeping",
    "Sitting at my desk",
    "Playing football",
    "Carrying shopping",
    "Driving",
)


def _moved(
    rng: random.Random,
    before: float,
    effect: float,
    weeks: int,
    spread: float = 1.0,
    high: int = 10,
) -> int:
    """A 0-`high` value `weeks` after treatment: `effect` of the way down from `before` by 6
    weeks (negative: worse), give or take."""
    value = before * (1 - effect * min(1.0, (weeks / 6) ** 0.5)) + rng.gauss(0, spread)
    return max(0, min(high, round(value)))


def effect_of(rng: random.Random) -> float:
    """How much a patient's pain eases: most a lot or a little, some not at all, a few worse."""
    return rng.choices((0.6, 0.35, 0.05, -0.25), weights=(40, 35, 20, 5))[0]


def followup_answers(
    rng: random.Random,
    intake: dict[str, Any],
    psfs: list[dict[str, Any]],
    weeks: int,
    effect: float,
) -> dict[str, Any]:
    """What a patient with this intake and this `effect` might answer at `weeks`."""
    avg_before = intake.get(measures.NPRS_AVG, 5)
    avg = _moved(rng, avg_before, effect, weeks)
    eased = avg_before - avg
    pgic = 1 if eased >= 4 else 2 if eased >= 2 else 3 if eased >= 1 else 4 if eased >= 0 else 6
    pgic = max(1, min(7, pgic + rng.choice((-1, 0, 0, 0, 1))))
    band_days = measures.MEDICINE_BAND_LEAST.get(intake.get("pain_medication_days", "0"), 0)
    roll = rng.random()
    effects = (
        ["faint"]
        if roll < 0.02
        else ["other"]
        if roll < 0.04
        else ["soreness"]
        if roll < 0.4
        else ["bruising"]
        if roll < 0.5
        else ["none"]
    )
    answers: dict[str, Any] = {
        measures.NPRS_NOW: _moved(rng, intake.get(measures.NPRS_NOW, 5), effect, weeks),
        measures.NPRS_AVG: avg,
        measures.PEG_ENJOYMENT: _moved(rng, intake.get(measures.PEG_ENJOYMENT, 5), effect, weeks),
        measures.PEG_ACTIVITY: _moved(rng, intake.get(measures.PEG_ACTIVITY, 5), effect, weeks),
        measures.PGIC: pgic,
        measures.MEDICINE_DAYS: _moved(rng, band_days, effect, weeks, 0.7, high=7),
        measures.AFTER_EFFECTS: effects,
    }
    if psfs:
        answers[measures.PSFS] = [
            max(
                0,
                min(10, round(item["score"] + effect * 7 * min(1.0, weeks / 6) + rng.gauss(0, 1))),
            )
            for item in psfs
        ]
    if answers[measures.MEDICINE_DAYS]:
        answers[measures.MEDICINE_KINDS] = [rng.choice(("nsaid", "other", "opioid"))]
    if "other" in effects:
        answers[measures.AFTER_EFFECTS_OTHER] = "A headache the evening after"
    if intake.get("pain_onset") == "sport":
        fully = rng.random() < (0.2 + effect) * weeks / 12
        answers[measures.SPORT_RETURN] = "fully" if fully else rng.choice(("no", "partly"))
    return answers


def realistic_intake(rng: random.Random) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """(intake answers, screening outcome, PSFS at booking) of a plausible patient."""
    pain = rng.randint(3, 9)
    kind = rng.choices(("back", "sport", "widespread", "neck"), weights=(45, 25, 10, 20))[0]
    answers = patient(
        nprs_now=pain,
        peg_pain_avg_week=max(1, min(10, pain + rng.choice((-1, 0, 0, 1)))),
        peg_enjoyment_interference=rng.randint(2, 9),
        peg_activity_interference=rng.randint(2, 9),
        pain_duration=rng.choice(("under_6_weeks", "6_to_12_weeks", "over_12_weeks")),
        pain_medication_days=rng.choice(("0", "1_2", "3_5", "6_7")),
        pain_onset="sport" if kind == "sport" else "gradual",
        fibromyalgia_diagnosed=kind == "widespread",
        wpi_lower_back=kind in ("back", "widespread") or None,
        wpi_neck=kind == "neck" or None,
    )
    outcome = rng.choices(("suitable", "review", "see_doctor"), weights=(65, 27, 8))[0]
    psfs = (
        [
            {"activity": activity, "score": rng.randint(1, 6)}
            for activity in rng.sample(ACTIVITIES, rng.randint(1, 3))
        ]
        if rng.random() < 0.7
        else []
    )
    return answers, outcome, psfs


def seed_realistic(n: int, seed: int = 20261202, today: dt.date | None = None) -> list[int]:
    """n opted-in patients whose first appointments spread over the last 8 months, with their
    follow-ups as far as they have come (inside an app context; commits). Returns their ids."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    ids = []
    for _ in range(n):
        answers, outcome, psfs = realistic_intake(rng)
        first = today - dt.timedelta(days=rng.randint(1, 240))
        booking = add_patient(answers, outcome=outcome, psfs=psfs or None, first=first)
        effect = effect_of(rng)
        for number, weeks in enumerate((2, 6, 12), start=1):
            due = first + dt.timedelta(weeks=weeks)
            if due > today:
                add_followup(
                    booking, weeks, status="scheduled", number=number, sent=False, first=first
                )
                continue
            if rng.random() < {2: 0.85, 6: 0.75, 12: 0.65}[weeks]:
                reply = followup_answers(rng, answers, psfs, weeks, effect)
                flags = measures.flags(measures.baseline_of(answers, psfs), reply)
                add_followup(
                    booking,
                    weeks,
                    reply,
                    number=number,
                    flags=flags,
                    first=first,
                    reminded=rng.random() < 0.3,
                )
            else:
                add_followup(
                    booking, weeks, status="missed", number=number, first=first, reminded=True
                )
        ids.append(booking)
    db.session.commit()
    return ids
