"""The follow-up form's two pages as questions: what each asks, how its answers are read and
how it is shown. Pain items are the intake's own questions (the same words, scale and anchors),
so a follow-up answers what the baseline did; the rest follow clinical.md §11.

Questions are questionnaire `Question`s: the questionnaire's parser reads them (with its
messages) and the patient pages' `question_field` renders them through the field macro."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from intake.followup import measures as m
from intake.forms import FieldView
from intake.patient.forms import question_field
from intake.screening import questionnaire as q
from intake.screening.answers import AnswerError, parse_value

#: The form's pages, in order: how things are now, then since treatment.
PAGES = ("now", "since")
PAGE_TITLES = {"now": "How you are now", "since": "Since your treatment"}
#: a scale's hint when none is given, and the PSFS rating's anchors
PSFS_ANCHORS = ("Unable to do it", "Able to do it as well as before the problem")
#: words for the "something else" after-effect
OTHER_MAX = 200


def _intake_question(answer_id: str) -> q.Question:
    """The intake's question, always required here."""
    return dataclasses.replace(q.QUESTIONS[answer_id], required=True, show_if=None)


def _psfs_question(number: int, activity: str) -> q.Question:
    return q.Question(
        id=f"psfs_{number}",
        kind=q.SCALE,
        label=f"How well can you do this now: {activity}?",
        minimum=0,
        maximum=10,
        anchors=PSFS_ANCHORS,
        error=f"Select a number from 0 to 10 for how well you can do “{activity}”",
    )


_PGIC = q.Question(
    id=m.PGIC,
    kind=q.SINGLE,
    label=m.PGIC_QUESTION,
    choices=tuple(q.Choice(value, label) for value, label in m.PGIC_CHOICES.items()),
    error="Select how your condition has changed",
)
_MEDICINE_DAYS = q.Question(
    id=m.MEDICINE_DAYS,
    kind=q.SCALE,
    label="On how many of the past 7 days did you take medicine for this pain?",
    hint="Choose 0 if you took none.",
    minimum=0,
    maximum=7,
    error="Select a number from 0 to 7 for the days you took pain medicine",
)
_MEDICINE_KINDS = q.Question(
    id=m.MEDICINE_KINDS,
    kind=q.MULTI,
    label="Which kinds of pain medicine?",
    hint="Select all that apply.",
    choices=tuple(q.Choice(value, label) for value, label in m.MEDICINE_KIND_CHOICES.items()),
    required=False,
)
_SPORT = q.Question(
    id=m.SPORT_RETURN,
    kind=q.SINGLE,
    label="Are you back to your sport?",
    choices=tuple(q.Choice(value, label) for value, label in m.SPORT_RETURN_CHOICES.items()),
    error="Select whether you are back to your sport",
)
_SPORT_DATE = q.Question(
    id=m.SPORT_RETURN_DATE,
    kind=q.DATE_KIND,
    label="If you are fully back, since when?",
    hint="For example, 27 3 2026.",
    required=False,
)
_AFTER_EFFECTS = q.Question(
    id=m.AFTER_EFFECTS,
    kind=q.MULTI,
    label="Since your treatment, have you had any after-effects?",
    hint="Soreness or a small bruise where the needles went are common and pass within a day "
    "or two. Select all that apply.",
    choices=tuple(
        q.Choice(value, label) for value, label in m.AFTER_EFFECT_CHOICES.items() if value != "none"
    ),
    none_label=m.AFTER_EFFECT_CHOICES["none"],
    error="Select the after-effects you had, or 'None'",
)
_OTHER = q.Question(
    id=m.AFTER_EFFECTS_OTHER,
    kind=q.TEXT_KIND,
    label="If something else, what was it?",
    max_length=OTHER_MAX,
    required=False,
)


def questions(page: str, baseline: m.Baseline) -> list[q.Question]:
    """The questions of one page for this patient: their own PSFS activities, sport only
    after a sport injury."""
    if page == "now":
        pain = [_intake_question(answer_id) for answer_id in (m.NPRS_NOW, *m.PEG_ITEMS)]
        activities = [
            _psfs_question(n, activity)
            for n, (activity, _) in enumerate(baseline.psfs_activities, 1)
        ]
        return pain + activities
    sport = [_SPORT, _SPORT_DATE] if baseline.sport_injury else []
    return [_PGIC, _MEDICINE_DAYS, _MEDICINE_KINDS, *sport, _AFTER_EFFECTS, _OTHER]


def _required_message(question: q.Question) -> str:
    if question.error:
        return question.error
    return q.MESSAGES["scale_number"].format(minimum=question.minimum, maximum=question.maximum)


def parse(
    page: str, raw: Mapping[str, list[str]], baseline: m.Baseline
) -> tuple[dict[str, Any], dict[str, str]]:
    """A page's answers under the measures' answer ids, and its errors by field."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions(page, baseline):
        try:
            value = parse_value(question, list(raw.get(question.id, [])))
        except AnswerError as error:
            errors[question.id] = str(error)
            continue
        if value is None and question.required and question is not _AFTER_EFFECTS:
            errors[question.id] = _required_message(question)
        values[question.id] = value
    _check_together(values, raw, errors)
    return _answers(page, values, baseline), errors


def _check_together(
    values: dict[str, Any], raw: Mapping[str, list[str]], errors: dict[str, str]
) -> None:
    """Answers that depend on one another: 'None' stands alone (words about something else
    count as it), 'something else' needs words; a date only when fully back, kinds of
    medicine only when some was taken."""
    if m.AFTER_EFFECTS in values and m.AFTER_EFFECTS not in errors:
        chosen = list(values[m.AFTER_EFFECTS] or [])
        none = "none" in (raw.get(m.AFTER_EFFECTS) or [])
        if values.get(m.AFTER_EFFECTS_OTHER) and "other" not in chosen:
            chosen.append("other")  # words typed without ticking the box still count
        if none and chosen:
            errors[m.AFTER_EFFECTS] = "Select 'None' on its own, or the after-effects you had"
        elif not none and not chosen:
            errors[m.AFTER_EFFECTS] = _required_message(_AFTER_EFFECTS)
        elif "other" in chosen and not values.get(m.AFTER_EFFECTS_OTHER):
            errors.setdefault(m.AFTER_EFFECTS_OTHER, "Tell us what else you noticed")
        values[m.AFTER_EFFECTS] = ["none"] if none and not chosen else chosen
    # the page's script hides these (with what was chosen in them) when the answer changes
    if values.get(m.SPORT_RETURN) != "fully":
        values[m.SPORT_RETURN_DATE] = None
        errors.pop(m.SPORT_RETURN_DATE, None)
    if values.get(m.MEDICINE_DAYS) == 0:
        values[m.MEDICINE_KINDS] = []
        errors.pop(m.MEDICINE_KINDS, None)


def _answers(page: str, values: Mapping[str, Any], baseline: m.Baseline) -> dict[str, Any]:
    """The answers as stored: the PSFS ratings as one list, in the baseline's order."""
    if page == "now":
        answers = {key: values.get(key) for key in (m.NPRS_NOW, *m.PEG_ITEMS)}
        count = len(baseline.psfs_activities)
        if count:
            answers[m.PSFS] = [values.get(f"psfs_{n}") for n in range(1, count + 1)]
        return answers
    answers = {
        key: values.get(key) for key in (m.PGIC, m.MEDICINE_DAYS, m.MEDICINE_KINDS, m.AFTER_EFFECTS)
    }
    answers[m.MEDICINE_KINDS] = answers[m.MEDICINE_KINDS] or []
    answers[m.AFTER_EFFECTS_OTHER] = values.get(m.AFTER_EFFECTS_OTHER) or None
    if baseline.sport_injury:
        answers[m.SPORT_RETURN] = values.get(m.SPORT_RETURN)
        answers[m.SPORT_RETURN_DATE] = values.get(m.SPORT_RETURN_DATE)
    return answers


def _saved_values(question: q.Question, saved: Mapping[str, Any]) -> list[str]:
    """A question's saved answer as form strings (to show a page again)."""
    if question.id.startswith("psfs_"):
        ratings = saved.get(m.PSFS) or []
        index = int(question.id.removeprefix("psfs_")) - 1
        value = ratings[index] if index < len(ratings) else None
    else:
        value = saved.get(question.id)
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]


def fields(
    page: str,
    baseline: m.Baseline,
    raw: Mapping[str, list[str]] | None,
    errors: Mapping[str, str],
    saved: Mapping[str, Any] | None = None,
) -> list[FieldView]:
    """The page's fields: what was sent (with its errors) or else the saved answers."""
    views = []
    for question in questions(page, baseline):
        if raw is not None:
            values = [str(v) for v in raw.get(question.id, [])]
        else:
            values = _saved_values(question, saved or {})
        view = question_field(question, values, errors.get(question.id, ""))
        _lay_out(view)
        views.append(view)
    return views


#: Questions shown under the answers that call for them (with the page's script; without it
#: they are always on the page): their parent's id and those answers.
_FOLLOW_UPS = {
    m.MEDICINE_KINDS: (m.MEDICINE_DAYS, tuple(str(days) for days in range(1, 8))),
    m.SPORT_RETURN_DATE: (m.SPORT_RETURN, ("fully",)),
}


def _lay_out(view: FieldView) -> None:
    """Keep the pages short on a phone: numbers in their circles, and questions that only some
    answers call for under those answers."""
    if view.kind == "scale":
        view.layout = "numbers"
    view.follow_up = _FOLLOW_UPS.get(view.name)
