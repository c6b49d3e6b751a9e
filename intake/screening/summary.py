"""Answers in words, as the patient chose them: by section (emails, staff), by step, and by
part with a one-line summary (the check page).

The words are the questionnaire's own labels and messages (questionnaire.yaml). Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening.branching import prune, visible_steps
from intake.screening.questionnaire import (
    ASKED_BY,
    CHECKLIST,
    DATE_KIND,
    MESSAGES,
    MIN_AGE_SELF_CONSENT,
    MULTI,
    PARTS,
    SCALE,
    SINGLE,
    STEPS,
    YES_NO,
    Part,
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
                yield step.section, q.label_in_answers, "; ".join(ticked) or q.none_label
                continue
            if q.id not in answers or answers[q.id] is None:
                continue
            yield step.section, q.label_in_answers, answer_text(q, answers[q.id])


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
    if question.kind == SCALE and isinstance(value, int) and not isinstance(value, bool):
        return MESSAGES["scale_answer"].format(answer=value, maximum=question.maximum)
    if question.kind == DATE_KIND and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime(MESSAGES["date_shown"])
        except ValueError:
            return value
    return str(value)


#: A row of the check page's detail: (section, question label, answer in words).
Row = tuple[str, str, str]


@dataclass(frozen=True)
class PartSummary:
    """One part of the journey on the check page: its one-line summary and, per visible step,
    the answers in words (the detail behind "See your answers")."""

    part: Part
    line: str
    steps: list[tuple[Step, list[Row]]]

    @property
    def first_step(self) -> Step:
        """Where the part's one Change link goes."""
        return self.steps[0][0]

    @property
    def about(self) -> str:
        """The part's title as the end of "Change your answers about ...": "your pain"."""
        title = self.part.title
        if title.lower().startswith("about "):
            title = title[len("about ") :]
        return title[:1].lower() + title[1:]


def summary_piece(question: Question, answers: Mapping[str, Any]) -> str | None:
    """The question's `summary` text with "{answer}" as the answer in words; None when it has
    no summary text or no answer. A checklist's or multi's answer is its ticked labels joined
    with commas, or its none_label."""
    if not question.summary or not question.is_answered(answers):
        return None
    if question.kind == CHECKLIST:
        ticked = [c.label for c in question.choices if answers.get(c.value) is True]
        words = ", ".join(ticked) or question.none_label
    elif question.kind == MULTI and isinstance(answers[question.id], list):
        labels = {str(c.value): c.label for c in question.choices}
        chosen = [labels.get(str(v), str(v)) for v in answers[question.id]]
        words = ", ".join(chosen) or question.none_label
    else:
        words = answer_text(question, answers[question.id])
    return question.summary.replace("{answer}", words) if words else None


def summary_line(steps: Iterable[Step], answers: Mapping[str, Any], count: int) -> str:
    """The summary pieces of these steps' answered questions joined with "; ", or, when none
    of their questions has a summary text, a count of the answers ("12 answers")."""
    pieces = [
        piece
        for step in steps
        for question in step.questions
        if (piece := summary_piece(question, answers)) is not None
    ]
    if pieces:
        return "; ".join(pieces)
    return f"{count} answer" if count == 1 else f"{count} answers"


def part_summaries(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[PartSummary]:
    """Each part with a visible step, in order: its summary line and its steps' answers in
    words. Answers to questions no longer shown (a change hid them) are left out."""
    answers = prune(answers, min_age_self_consent)
    by_step = answers_by_step(answers, min_age_self_consent)
    parts = []
    for part in PARTS:
        steps = [(step, rows) for step, rows in by_step if step.part == part.id]
        if not steps:
            continue
        count = sum(len(rows) for _, rows in steps)
        line = summary_line((step for step, _ in steps), answers, count)
        parts.append(PartSummary(part, line, steps))
    return parts
