"""Which steps and questions a patient sees, given their answers: branching lives here only.

The show-if conditions are data (questionnaire.yaml), compiled once; ``next_step`` and
``previous_step`` walk the visible steps in questionnaire order. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from intake.screening.conditions import Predicate, compile_condition, referenced_facts
from intake.screening.facts import derive
from intake.screening.questionnaire import (
    MIN_AGE_SELF_CONSENT,
    QUESTIONS,
    STEPS,
    YES_NO,
    Question,
    QuestionnaireFileError,
    Step,
)

_STEP_SHOWN: dict[str, Predicate | None] = {
    s.id: compile_condition(s.show_if) if s.show_if else None for s in STEPS
}
_QUESTION_SHOWN: dict[str, Predicate | None] = {
    q.id: compile_condition(q.show_if) if q.show_if else None for q in QUESTIONS.values()
}
_POSITION = {step.id: position for position, step in enumerate(STEPS)}


def _follow_up(question: Question, step: Step) -> tuple[str, tuple[str, ...]] | None:
    """(the question it follows, the form values of that question that call for it) when its
    show-if names a question on the same page; None for other questions."""
    if question.show_if is None:
        return None
    own = {q.id: q for q in step.questions if q is not question}
    named = [fact for fact in referenced_facts(question.show_if) if fact in own]
    if not named:
        return None
    condition = question.show_if
    parent = own.get(condition.get("fact", ""))
    op, value = condition.get("op"), condition.get("value")
    values: tuple[str, ...] = ()
    if parent is not None and parent.kind == YES_NO and op == "is_true":
        values = ("yes",)
    elif parent is not None and op == "eq":
        values = (str(value),)
    elif parent is not None and op == "in" and isinstance(value, list):
        values = tuple(str(v) for v in value)
    if not values:
        raise QuestionnaireFileError(
            f"questionnaire.yaml: step '{step.id}', question '{question.id}' follows an answer "
            "on its own page, so its show-if must be one fact of that page with is_true, eq or in"
        )
    return parent.id, values


#: Follow-up questions by id: (the question on the same page they follow, its calling values).
FOLLOW_UPS: dict[str, tuple[str, tuple[str, ...]]] = {
    q.id: spec for step in STEPS for q in step.questions if (spec := _follow_up(q, step))
}


def step_is_shown(step: Step, facts: Mapping[str, Any]) -> bool:
    """Whether a step's show-if holds for these facts (answers plus derived facts)."""
    shown = _STEP_SHOWN[step.id]
    return shown is None or shown(facts)


def question_is_shown(question: Question, facts: Mapping[str, Any]) -> bool:
    """Whether a question's show-if holds for these facts."""
    shown = _QUESTION_SHOWN[question.id]
    return shown is None or shown(facts)


def visible_steps(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[Step]:
    """The steps this patient sees, in order, given what they have answered so far."""
    facts = derive(answers, min_age_self_consent)
    return [step for step in STEPS if step_is_shown(step, facts)]


def visible_questions(
    step: Step, answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[Question]:
    """The questions of a step that apply, given the answers (including this step's own)."""
    facts = derive(answers, min_age_self_consent)
    return [q for q in step.questions if question_is_shown(q, facts)]


def next_step(
    answers: Mapping[str, Any],
    current: str | None,
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
) -> Step | None:
    """The step after `current` (the first step for None); None when the questionnaire ends."""
    steps = visible_steps(answers, min_age_self_consent)
    if current is None:
        return steps[0] if steps else None
    position = _POSITION.get(current, -1)
    for step in steps:
        if _POSITION[step.id] > position:
            return step
    return None


def previous_step(
    answers: Mapping[str, Any], current: str, min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> Step | None:
    """The visible step before `current`, or None on the first step."""
    position = _POSITION.get(current, len(STEPS))
    before = [s for s in visible_steps(answers, min_age_self_consent) if _POSITION[s.id] < position]
    return before[-1] if before else None


def pending_follow_ups(
    step: Step, answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[Question]:
    """The step's required follow-ups that its saved answers call for but that are unanswered."""
    shown = visible_questions(step, answers, min_age_self_consent)
    return [q for q in shown if q.id in FOLLOW_UPS and q.required and not q.is_answered(answers)]


def follow_up_page(
    step: Step, answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> Step | None:
    """The page that asks a step's pending follow-ups on their own (how they are asked without
    JavaScript): the pending ones and any follow-ups of theirs, or None when none are pending."""
    pending = pending_follow_ups(step, answers, min_age_self_consent)
    if not pending:
        return None
    asked = {q.id for q in pending}
    for question in step.questions:  # in page order, so a follow-up's parent comes first
        if FOLLOW_UPS.get(question.id, ("",))[0] in asked:
            asked.add(question.id)
    questions = tuple(q for q in step.questions if q.id in asked)
    return replace(step, questions=questions, intro="", notice="")


def prune(
    answers: Mapping[str, Any],
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
    *,
    keep_waiting: bool = False,
) -> dict:
    """Only the answers to questions that are still shown: a change can hide earlier pages.

    `keep_waiting` (a draft being filled in): also keep a follow-up's answers while the
    required question it follows is shown but unanswered, because a change asks that question
    afresh (a new age of 45 or more asks when back pain started, which under 45 was worked out).
    Given the calling answer again, the follow-up is there as it was; any other answer drops
    it. A finished questionnaire has every shown required question answered, so its screening
    (which never keeps waiting answers) sees the same answers either way."""
    kept: dict[str, Any] = {}
    # Visibility can depend on other answers; repeat until nothing more is dropped.
    current = dict(answers)
    while True:
        kept = {}
        for step in visible_steps(current, min_age_self_consent):
            shown = visible_questions(step, current, min_age_self_consent)
            waiting = _waiting_follow_ups(step, shown, current) if keep_waiting else []
            for question in (*shown, *waiting):
                for item in question.item_ids:
                    if item in current:
                        kept[item] = current[item]
        if kept == current:
            return kept
        current = kept


def _waiting_follow_ups(
    step: Step, shown: list[Question], answers: Mapping[str, Any]
) -> list[Question]:
    """The step's hidden follow-ups whose question is shown, required and not yet answered."""
    unanswered = {q.id for q in shown if q.required and not q.is_answered(answers)}
    return [
        q for q in step.questions if q not in shown and FOLLOW_UPS.get(q.id, ("",))[0] in unanswered
    ]
