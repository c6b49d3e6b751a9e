"""QuestionnaireResponses: an intake (a Submission, with the PSFS activities from booking) and
an answered follow-up, laid out as the Questionnaires of questionnaires.py. Pure.

Answers are typed as their items are: yes/no as valueBoolean, choices as valueCoding (several
for a multi-choice question, "None of these" as its exclusive code), numbers as valueInteger,
text as valueString, dates as valueDate; a checklist is a group of valueBoolean items, false
for an unticked one. Unanswered questions, and pages with nothing answered, are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from intake.fhir.naming import FOLLOWUP_VERSION, Naming, instant
from intake.fhir.questionnaires import FOLLOWUP_QUESTIONS, PSFS, coding, none_coding
from intake.followup import measures
from intake.screening import questionnaire as intake
from intake.screening.questionnaire import (
    CHECKLIST,
    DATE_KIND,
    INTEGER,
    MULTI,
    SCALE,
    SINGLE,
    TEXT_KIND,
    YES_NO,
    Question,
)

if TYPE_CHECKING:  # the records it reads; this module never imports the database layer
    from intake.followup.models import FollowUp
    from intake.models import Submission

#: [(activity, rating or None)], as measures.Baseline.psfs_activities
Activities = Sequence[tuple[str, int | None]]


def psfs_activities(psfs_baseline: Any) -> Activities:
    """The PSFS activities named at booking (as the follow-up re-rates them, in that order)."""
    return measures.baseline_of(
        {}, psfs_baseline if isinstance(psfs_baseline, list) else None
    ).psfs_activities


def _is_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def answers_of(naming: Naming, question: Question, value: Any) -> list[dict]:
    """The `answer` list of one (non-checklist) question's stored value; empty if it is not a
    value the question could have produced."""
    kind = question.kind
    if kind == YES_NO and isinstance(value, bool):
        return [{"valueBoolean": value}]
    if kind in (INTEGER, SCALE) and type(value) is int:
        return [{"valueInteger": value}]
    if kind == TEXT_KIND and isinstance(value, str) and value.strip():
        return [{"valueString": value}]
    if kind == DATE_KIND and _is_date(value):
        return [{"valueDate": value}]
    if kind == SINGLE and (found := coding(naming, question, value)):
        return [{"valueCoding": found}]
    if kind == MULTI and isinstance(value, list):
        if not value:
            return [{"valueCoding": none_coding(naming, question)}] if question.none_label else []
        if value == ["none"] and question.none_label:  # the follow-up form keeps "None" so
            return [{"valueCoding": none_coding(naming, question)}]
        codings = [coding(naming, question, v) for v in value]
        return [] if None in codings else [{"valueCoding": c} for c in codings]
    return []


def question_response(naming: Naming, question: Question, answers: Mapping) -> dict | None:
    """One question's response item, or None when it was not answered."""
    item: dict[str, Any] = {"linkId": question.id, "text": question.label}
    if question.kind == CHECKLIST:
        ticked = [
            {"linkId": choice.value, "text": choice.label, "answer": [{"valueBoolean": tick}]}
            for choice in question.choices
            if isinstance(tick := answers.get(choice.value), bool)
        ]
        if not ticked:
            return None
        item["item"] = ticked
        return item
    found = answers_of(naming, question, answers.get(question.id))
    if not found:
        return None
    item["answer"] = found
    return item


def psfs_responses(activities: Activities, ratings: Sequence[Any] | None = None) -> list[dict]:
    """One PSFS group per activity: its name and rating (at booking, or `ratings` re-rated)."""
    items = []
    for position, (activity, at_booking) in enumerate(activities):
        rating = at_booking if ratings is None else _nth(ratings, position)
        parts = [{"linkId": f"{PSFS}.activity", "answer": [{"valueString": activity}]}]
        if type(rating) is int and 0 <= rating <= 10:
            parts.append({"linkId": f"{PSFS}.score", "answer": [{"valueInteger": rating}]})
        items.append({"linkId": PSFS, "item": parts})
    return items


def _nth(values: Sequence[Any], position: int) -> Any:
    return values[position] if position < len(values) else None


def _response(naming: Naming, rid: str, name: str, version: str, patient: str,
              authored: dt.datetime, items: list) -> dict:  # fmt: skip
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "questionnaire": f"{naming.canonical(name)}|{version}",
        "status": "completed",
        "subject": {"reference": patient},
        "authored": instant(authored),
        "item": items,
    }


def intake_response(
    naming: Naming, submission: Submission, patient: str, activities: Activities = ()
) -> dict:
    """The intake: its answers page by page, then the PSFS activities given at booking.

    It names the questionnaire version the patient answered. Pages and questions are laid out
    as the questionnaire is now; answer ids are never reused, so an answer to a question that
    has since been removed is the only thing an older intake could lose here (the staff page
    and the CSV keep every stored answer)."""
    answers = submission.answers if isinstance(submission.answers, Mapping) else {}
    items = []
    for step in intake.STEPS:
        found = [q for q in (question_response(naming, q, answers) for q in step.questions) if q]
        if found:
            items.append({"linkId": step.id, "text": step.title, "item": found})
    items += psfs_responses(activities)
    resource = _response(
        naming,
        f"intake-{submission.id}",
        "intake",
        submission.questionnaire_version,
        patient,
        submission.created_at,
        items,
    )
    resource["identifier"] = {"system": naming.identifier("intake"), "value": submission.reference}
    return resource


def followup_response(
    naming: Naming, followup: FollowUp, patient: str, reference: str, activities: Activities
) -> dict:
    """An answered follow-up: its answers, with the PSFS activities re-rated by name."""
    answers = followup.answers if isinstance(followup.answers, Mapping) else {}
    found = [question_response(naming, q, answers) for q in FOLLOWUP_QUESTIONS]
    ratings = answers.get(measures.PSFS)
    rated = isinstance(ratings, list) and any(type(r) is int for r in ratings)
    psfs = psfs_responses(activities, ratings) if rated else []
    peg_end = 1 + len(measures.PEG_ITEMS)
    items = [item for item in (*found[:peg_end], *psfs, *found[peg_end:]) if item]
    resource = _response(
        naming,
        f"followup-{followup.id}",
        "followup",
        FOLLOWUP_VERSION,
        patient,
        followup.answered_at or followup.due_at,
        items,
    )
    resource["identifier"] = {
        "system": naming.identifier("followup"),
        "value": f"{reference}-{followup.number}",
    }
    # the time point it reports at: weeks after the first appointment (FOLLOWUP_SCHEDULE)
    resource["extension"] = [
        {"url": f"{naming.root}/StructureDefinition/followup-weeks", "valueInteger": followup.weeks}
    ]
    return resource
