"""Answers in words, as the patient chose them: by section (emails, staff) and by step (check).

The words are the questionnaire's own labels and messages (questionnaire.yaml). Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from intake.screening.branching import visible_steps
from intake.screening.questionnaire import (
    ASKED_BY,
    CHECKLIST,
    DATE_KIND,
    MESSAGES,
    MIN_AGE_SELF_CONSENT,
    MULTI,
    SINGLE,
    STEPS,
    YES_NO,
    Question,
    Step,
)


def iter_answer_rows(answers: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(section, question label, answer in words) for every answer, in questionnaire order."""
    for step in STEPS:
        for q in step.questions:
            if q.kind == CHECKLIST:
                if not q.is_answered(answers):
                    continue
                ticked = [c.label for c in q.choices if answers.get(c.value) is True]
                yield step.section, q.label, "; ".join(ticked) or q.none_label
                continue
            if q.id not in answers or answers[q.id] is None:
                continue
            yield step.section, q.label, answer_text(q, answers[q.id])


def answer_sections(answers: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The answers in words grouped by section: [(section, [(question label, answer)])]."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for section, label, answer in iter_answer_rows(answers):
        if not sections or sections[-1][0] != section:
            sections.append((section, []))
        sections[-1][1].append((label, answer))
    return sections


def answers_by_step(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[tuple[Step, list[tuple[str, str, str]]]]:
    """Each visible step with its answers in words, for "check your answers"."""
    return [
        (
            step,
            list(
                iter_answer_rows(
                    {k: v for k, v in answers.items() if ASKED_BY.get(k) in step.questions}
                )
            ),
        )
        for step in visible_steps(answers, min_age_self_consent)
    ]


def answer_text(question: Question, value: Any) -> str:
    """One answer in words, as the patient chose it."""
    if question.kind == YES_NO:
        if isinstance(value, bool):
            return MESSAGES["yes"] if value else MESSAGES["no"]
        return str(value)
    if question.kind == SINGLE:
        for choice in question.choices:
            if type(choice.value) is type(value) and choice.value == value:
                return choice.label
        return str(value)
    if question.kind == MULTI and isinstance(value, list):
        labels = {str(c.value): c.label for c in question.choices}
        words = "; ".join(labels.get(str(v), str(v)) for v in value)
        return words or question.none_label or MESSAGES["not_answered"]
    if question.kind == DATE_KIND and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime(MESSAGES["date_shown"])
        except ValueError:
            return value
    return str(value)
