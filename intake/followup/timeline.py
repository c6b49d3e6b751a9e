"""One patient's follow-up, as staff see it on the request page: opted in or not, the
timeline of follow-ups, each measure from intake through every answered follow-up (a small
chart with the meaningful change marked, and the same numbers as a table), whether the latest
answer is a meaningful improvement, after-effects, and flags to look at (marked as seen, audited).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import Text, cast, func, select

from intake.audit import audit
from intake.extensions import db
from intake.followup import measures
from intake.followup.models import FollowUp
from intake.followup.report import responder_of
from intake.models import BookingRequest, Submission, utcnow
from intake.screening.scoring.values import int_in
from intake.staff.outcomes import charts

STATUS_WORDS = {
    "scheduled": "Scheduled",
    "sent": "Sent, waiting for an answer",
    "answered": "Answered",
    "missed": "Missed: not answered in time",
    "cancelled": "Cancelled",
    "unsubscribed": "Stopped: the patient unsubscribed",
}
VERDICTS = {True: "Meaningful improvement", False: "No meaningful change", None: "Can't tell"}
WORSE = "Worse"
SPORT_VERDICTS = {"no": "Not back yet", "partly": "Partly back", "fully": "Fully back"}
#: the intake's pain-medicine band (days in a typical week) -> its most days
MEDICINE_BAND_MOST = {"0": 0, "1_2": 2, "3_5": 5, "6_7": 7}
#: what a change of one is, per measure
UNITS = {"medicine_days": ("day", "days")}
#: the measures drawn as charts (the others are categories: words in the table)
CHARTED = ("nprs_now", "nprs_avg", "peg", "psfs", "medicine_days")


@dataclass(frozen=True)
class Step:
    """One follow-up in the timeline."""

    followup: FollowUp
    status: str
    flags: list[str]
    after_effects: str
    medicine_kinds: str

    @property
    def unseen(self) -> bool:
        return bool(self.flags) and self.followup.flags_seen_at is None


@dataclass(frozen=True)
class MeasureView:
    """One measure: its value at intake and at each answered follow-up, chart and verdict."""

    measure: measures.Measure
    cells: list[str]
    chart: Markup | None
    verdict: str
    why: str
    responder: bool | None


@dataclass(frozen=True)
class Panel:
    opted_in: bool
    stopped_at: dt.datetime | None
    first_appointment_on: dt.date | None
    steps: list[Step]
    #: "At intake", then each answered follow-up ("6 weeks")
    columns: list[str]
    measures: list[MeasureView]
    #: (activity, [rating at intake, at each answered follow-up]) of the patient's PSFS
    psfs: list[tuple[str, list[str]]]

    @property
    def unseen(self) -> list[Step]:
        return [step for step in self.steps if step.unseen]


def followups_of(booking: BookingRequest) -> list[FollowUp]:
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.booking_request_id == booking.id)
            .order_by(FollowUp.number, FollowUp.id)
        )
    )


def panel(booking: BookingRequest) -> Panel:
    """Everything the request page's follow-up section shows."""
    followups = followups_of(booking)
    baseline = measures.baseline_of(booking.submission.answers or {}, booking.psfs_baseline)
    answered = [f for f in followups if f.status == "answered" and isinstance(f.answers, dict)]
    columns = ["At intake", *(f"{f.weeks} weeks" for f in answered)]
    views = [
        _measure_view(booking.id, m, baseline, answered, columns)
        for m in measures.MEASURES.values()
    ]
    psfs = [
        (
            activity,
            [_value(score), *(_value(_rating(f.answers, i)) for f in answered)],
        )
        for i, (activity, score) in enumerate(baseline.psfs_activities)
    ]
    return Panel(
        opted_in=bool(booking.followup_consent),
        stopped_at=booking.followups_stopped_at,
        first_appointment_on=booking.first_appointment_on,
        steps=[_step(f) for f in followups],
        columns=columns,
        measures=views,
        psfs=psfs,
    )


def _rating(answers: dict[str, Any], index: int) -> int | None:
    ratings = answers.get(measures.PSFS)
    if not isinstance(ratings, list) or index >= len(ratings):
        return None
    return int_in(ratings[index], 0, 10)


def _words(keys: Any, choices: dict[str, str]) -> str:
    keys = keys if isinstance(keys, list) else []
    return ", ".join(choices[k] for k in keys if isinstance(k, str) and k in choices)


def _step(followup: FollowUp) -> Step:
    answers = followup.answers if isinstance(followup.answers, dict) else {}
    effects = _words(answers.get(measures.AFTER_EFFECTS), measures.AFTER_EFFECT_CHOICES)
    other = answers.get(measures.AFTER_EFFECTS_OTHER)
    if isinstance(other, str) and other.strip():
        effects = f"{effects}: “{other.strip()[:500]}”" if effects else f"“{other.strip()[:500]}”"
    flags = followup.flags if isinstance(followup.flags, list) else []
    return Step(
        followup=followup,
        status=STATUS_WORDS.get(followup.status, followup.status),
        flags=[measures.FLAG_TEXT.get(f, str(f)) for f in flags],
        after_effects=effects,
        medicine_kinds=_words(answers.get(measures.MEDICINE_KINDS), measures.MEDICINE_KIND_CHOICES),
    )


def _value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return measures.SPORT_RETURN_CHOICES.get(value, value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def meaningful_at(measure: str, before: float | None) -> float | None:
    """The value at which a change from `before` becomes meaningful (None when none can be)."""
    if before is None:
        return None
    if measure in ("nprs_now", "nprs_avg"):
        return round(max(before - 2, before * 0.7), 2) if before > 0 else None
    if measure == "peg":
        return round(before - measures.PEG_MCID, 2) if before > 0 else None
    if measure == "psfs":
        return before + measures.PSFS_MCID if before + measures.PSFS_MCID <= 10 else None
    if measure == "medicine_days":
        return before - 1 if before > 0 else None
    return None


def _measure_view(booking_id, measure, baseline, answered, columns) -> MeasureView:
    before = baseline.values.get(measure.id)
    after = [measures.measure_values(f.answers)[measure.id] for f in answered]
    cells = [_value(before), *(_value(v) for v in after)]
    if measure.id == "pgic":
        cells[1:] = [f"{v}: {measures.PGIC_CHOICES[v].lower()}" if v else "–" for v in after]
    if measure.id == "medicine_days" and baseline.medicine_band:
        words = measures.MEDICINE_BAND_WORDS[baseline.medicine_band]
        cells[0] = f"{words} (counted as {before})"
    verdict, why, result = _verdict(measure, baseline, answered, columns[1:])
    chart = None
    if measure.id in CHARTED and any(v is not None for v in after):
        chart = Markup(
            charts.measure_chart(
                f"chart-{booking_id}-{measure.id}",
                f"{measure.label}: at intake and at each follow-up",
                list(zip(columns, [before, *after], strict=True)),
                measure.scale or (0, 10),
                before,
                meaningful_at(measure.id, before),
            )
        )
    return MeasureView(measure, cells, chart, verdict, why, result)


def _verdict(measure, baseline, answered, labels) -> tuple[str, str, bool | None]:
    """(verdict, why, responder) at the latest answered follow-up that gives this measure."""
    if not answered:
        return VERDICTS[None], "No follow-up answered yet.", None
    for followup, label in reversed(list(zip(answered, labels, strict=True))):
        result = responder_of(measure.id, baseline, followup.answers)
        if result is not None:
            verdict = WORSE if _worse(measure.id, baseline, followup.answers) else VERDICTS[result]
            if measure.id == "sport_return":  # descriptive: the answer says it best
                verdict = SPORT_VERDICTS[followup.answers.get(measures.SPORT_RETURN)]
            return verdict, _why(measure, baseline, followup.answers, label), result
    return VERDICTS[None], _cannot_tell(measure, baseline), None


def _worse(measure: str, baseline: measures.Baseline, answers: dict[str, Any]) -> bool:
    """Worse by at least the meaningful change (pain, PEG, PSFS), or "much worse" (PGIC)."""
    values = measures.measure_values(answers)
    before, after = baseline.values.get(measure), values[measure]
    if measure == "psfs":
        before, after = measures.psfs_pair(baseline, answers.get(measures.PSFS))
    if measure == "pgic":
        return after in (6, 7)
    if measure == "medicine_days":  # more days than the most the intake's band allowed
        most = MEDICINE_BAND_MOST.get(baseline.medicine_band or "")
        return most is not None and after is not None and after > most
    if before is None or after is None:
        return False
    worse_by = {"nprs_now": 2, "nprs_avg": 2, "peg": measures.PEG_MCID}
    if measure in worse_by:
        return after - before >= worse_by[measure] - 1e-9
    return measure == "psfs" and before - after >= measures.PSFS_MCID - 1e-9


def _cannot_tell(measure: measures.Measure, baseline: measures.Baseline) -> str:
    before = baseline.values.get(measure.id)
    if measure.id == "psfs" and not baseline.has_psfs:
        return "No activities were named at booking."
    if measure.id == "sport_return" and not baseline.sport_injury:
        return "Asked only after a sport injury; not answered."
    if measure.id == "medicine_days" and before == 0:
        return "No pain medicine at intake: nothing to reduce."
    if measure.id in ("nprs_now", "nprs_avg", "peg", "medicine_days") and before is None:
        return "Not answered at intake."
    if before == 0:
        return "It was 0 at intake: nothing to reduce."
    return "Not answered at any follow-up."


def _why(measure, baseline, answers, label: str) -> str:
    values = measures.measure_values(answers)
    if measure.id == "pgic":
        return f"“{measures.PGIC_CHOICES[values['pgic']]}” at {label}."
    if measure.id == "sport_return":
        return f"“{_value(values['sport_return'])}” at {label}."
    before, after = baseline.values.get(measure.id), values[measure.id]
    extra = ""
    if measure.id == "psfs":
        before, after = measures.psfs_pair(baseline, answers.get(measures.PSFS))
        extra = " (the activities rated both times)"
    change = round(after - before, 2)
    one, many = UNITS.get(measure.id, ("point", "points"))
    size = abs(change)
    text = f"{_value(before)} at intake, {_value(after)} at {label}{extra}: "
    if not change:
        text += "no change"
    else:
        text += f"{_value(size)} {one if size == 1 else many} {'more' if change > 0 else 'less'}"
    if measure.id in ("nprs_now", "nprs_avg") and before and change < 0:
        text += f" ({round(size / before * 100)} % less)"
    meaningful = measure.meaningful[0].lower() + measure.meaningful[1:]
    return f"{text}. Counts as meaningful: {meaningful}."


def _unseen_condition():
    text = cast(FollowUp.flags, Text)
    return (
        FollowUp.flags.is_not(None),
        text.not_in(("[]", "null")),
        FollowUp.flags_seen_at.is_(None),
    )


def unseen_flag_count() -> int:
    """Follow-ups with flags no one has marked as seen (the dashboard's count)."""
    return db.session.scalar(select(func.count()).select_from(FollowUp).where(*_unseen_condition()))


def flagged(limit: int = 200) -> list[tuple[FollowUp, str]]:
    """Follow-ups with unseen flags, oldest answer first, with their request's reference."""
    rows = db.session.execute(
        select(FollowUp, Submission.reference)
        .join(BookingRequest, BookingRequest.id == FollowUp.booking_request_id)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .where(*_unseen_condition())
        .order_by(FollowUp.answered_at, FollowUp.id)
        .limit(limit)
    )
    return [(followup, reference) for followup, reference in rows]


def mark_flags_seen(booking: BookingRequest) -> int:
    """Mark a request's unseen flags as seen by the current staff member (audited); how many
    follow-ups that was."""
    steps = [_step(f) for f in followups_of(booking)]
    unseen = [step.followup for step in steps if step.unseen]
    now = utcnow()
    for followup in unseen:
        followup.flags_seen_at = now
    if unseen:
        audit(
            "followup_flags_seen",
            f"booking_request:{booking.id}",
            followups=[f.number for f in unseen],
        )
    return len(unseen)
