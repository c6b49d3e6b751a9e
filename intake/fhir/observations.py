"""Scores and measures as Observations, each derived from the QuestionnaireResponse it was
worked out from. Pure.

Every Observation is final, in category "survey", about the Patient and reported by them
(performer), at the time the answers were given (effectiveDateTime). Codes: the app's code
system (naming.MEASURE_CODES), with LOINC 72514-3 on both NPRS items (see
naming.measure_code for why both). Values: whole numbers as valueInteger; means (PEG, PSFS) as
valueQuantity in UCUM's dimensionless "{score}"; categories as valueCodeableConcept with the
same Coding as the answer; "criteria met" as valueBoolean.

From an intake: pain now and on average, PEG, PSFS at booking, pain-medicine days in a
typical week, STarT Back (total, with the psychosocial subscale and risk group as components)
and ACR 2016 (criteria met, with WPI, SSS and their sum as components), as stored when the
answers were screened. From a follow-up: pain now and on average, PEG, PSFS, PGIC,
pain-medicine days in the past 7, and return to sport.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from intake.fhir.naming import (
    OBSERVATION_CATEGORY,
    STARTBACK_RISKS,
    UCUM,
    Naming,
    instant,
    measure_code,
)
from intake.fhir.questionnaires import FOLLOWUP_ASKED, coding
from intake.fhir.responses import Activities
from intake.followup import measures
from intake.screening import questionnaire as intake

if TYPE_CHECKING:
    from intake.followup.models import FollowUp
    from intake.models import Submission

_SURVEY = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]
_NPRS = {"nprs-now": measures.NPRS_NOW, "nprs-average-week": measures.NPRS_AVG}


def integer(value: Any, low: int, high: int) -> dict | None:
    """valueInteger of a whole number in range, else None."""
    return {"valueInteger": value} if type(value) is int and low <= value <= high else None


def score(value: Any) -> dict | None:
    """valueQuantity of a mean score, else None."""
    if type(value) not in (int, float):
        return None
    return {"valueQuantity": {"value": value, "unit": "score", "system": UCUM, "code": "{score}"}}


def concept(found: dict | None) -> dict | None:
    """valueCodeableConcept of one Coding, else None."""
    return (
        {"valueCodeableConcept": {"coding": [found], "text": found["display"]}} if found else None
    )


class Source:
    """What the Observations of one QuestionnaireResponse share: ids, subject, time."""

    def __init__(self, naming: Naming, prefix: str, patient: str, response: str, at: dt.datetime):
        self.naming, self.prefix = naming, prefix
        self.patient, self.response, self.at = patient, response, instant(at)

    def observation(self, code: str, value: dict | None, components: list | None = None):
        """One Observation, or None when there is no value."""
        if value is None:
            return None
        resource = {
            "resourceType": "Observation",
            "id": f"{self.prefix}-{code}",
            "status": "final",
            "category": _SURVEY,
            "code": measure_code(self.naming, code, loinc=code in _NPRS),
            "subject": {"reference": self.patient},
            "effectiveDateTime": self.at,
            "performer": [{"reference": self.patient}],
            **value,
            "derivedFrom": [{"reference": self.response}],
        }
        if components := [c for c in components or () if c]:
            resource["component"] = components
        return resource

    def component(self, code: str, value: dict | None, text: str = "") -> dict | None:
        """One component, or None when there is no value."""
        if value is None:
            return None
        found = measure_code(self.naming, code)
        if text:
            found["text"] = text
        return {"code": found, **value}


def _psfs(source: Source, activities: Activities, ratings: list) -> dict | None:
    rated = [
        (activity, rating)
        for (activity, _), rating in zip(activities, ratings, strict=False)
        if type(rating) is int and 0 <= rating <= 10
    ]
    if not rated:
        return None
    mean = round(sum(rating for _, rating in rated) / len(rated), 2)
    parts = [
        source.component("psfs-activity", {"valueInteger": rating}, f"PSFS activity: {activity}")
        for activity, rating in rated
    ]
    return source.observation("psfs-mean", score(mean), parts)


def _startback(source: Source, found: Any) -> dict | None:
    if not isinstance(found, Mapping):
        return None
    risk = found.get("risk")
    risk_coding = (
        {"system": source.naming.startback_risk, "code": risk, "display": STARTBACK_RISKS[risk]}
        if risk in STARTBACK_RISKS
        else None
    )
    parts = [
        source.component(
            "startback-psychosocial", integer(found.get("psychosocial_subscale"), 0, 5)
        ),
        source.component("startback-risk", concept(risk_coding)),
    ]
    return source.observation("startback-total", integer(found.get("total"), 0, 9), parts)


def _acr2016(source: Source, found: Any) -> dict | None:
    if not isinstance(found, Mapping) or not isinstance(found.get("criteria_met"), bool):
        return None
    parts = [
        source.component("acr2016-wpi", integer(found.get("wpi"), 0, 19)),
        source.component("acr2016-sss", integer(found.get("sss"), 0, 12)),
        source.component("acr2016-fs", integer(found.get("fs_psd"), 0, 31)),
    ]
    return source.observation("acr2016-criteria", {"valueBoolean": found["criteria_met"]}, parts)


def _peg(found: Any) -> dict | None:
    return score(found.get("score")) if isinstance(found, Mapping) else None


def intake_observations(
    naming: Naming, submission: Submission, patient: str, response: str, activities: Activities
) -> list[dict]:
    """The intake's scores, derived from its QuestionnaireResponse (`response`)."""
    answers = submission.answers if isinstance(submission.answers, Mapping) else {}
    scores = submission.scores if isinstance(submission.scores, Mapping) else {}
    source = Source(naming, f"intake-{submission.id}", patient, response, submission.created_at)
    medicine = intake.QUESTIONS["pain_medication_days"]
    found = [
        *(source.observation(code, integer(answers.get(a), 0, 10)) for code, a in _NPRS.items()),
        source.observation("peg", _peg(scores.get("peg"))),
        _psfs(source, activities, [rating for _, rating in activities]),
        source.observation(
            "pain-medicine-typical-week",
            concept(coding(naming, medicine, answers.get(medicine.id))),
        ),
        _startback(source, scores.get("startback")),
        _acr2016(source, scores.get("acr2016")),
    ]
    return [resource for resource in found if resource]


def followup_observations(
    naming: Naming, followup: FollowUp, patient: str, response: str, activities: Activities
) -> list[dict]:
    """A follow-up's measures (followup/measures.py), derived from its QuestionnaireResponse."""
    answers = followup.answers if isinstance(followup.answers, Mapping) else {}
    values = measures.measure_values(answers)
    at = followup.answered_at or followup.due_at
    source = Source(naming, f"followup-{followup.id}", patient, response, at)
    ratings = answers.get(measures.PSFS)
    sport = FOLLOWUP_ASKED[measures.SPORT_RETURN]
    found = [
        source.observation("nprs-now", integer(values["nprs_now"], 0, 10)),
        source.observation("nprs-average-week", integer(values["nprs_avg"], 0, 10)),
        source.observation("peg", score(values["peg"])),
        _psfs(source, activities, ratings if isinstance(ratings, list) else []),
        source.observation("pgic", integer(values["pgic"], 1, 7)),
        source.observation("pain-medicine-days", integer(values["medicine_days"], 0, 7)),
        source.observation("sport-return", concept(coding(naming, sport, values["sport_return"]))),
    ]
    return [resource for resource in found if resource]
