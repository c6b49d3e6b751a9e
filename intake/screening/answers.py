"""Answers in and out of forms: parsing form strings, filling pages back in, validating answers.

Every message a patient reads here is wording from questionnaire.yaml (``messages:``). Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from typing import Any

from intake.screening.branching import question_is_shown, visible_steps
from intake.screening.facts import derive
from intake.screening.invisible import strip_invisible
from intake.screening.questionnaire import (
    ASKED_BY,
    CHECKLIST,
    DATE_KIND,
    INTEGER,
    MESSAGES,
    MIN_AGE_SELF_CONSENT,
    MULTI,
    SCALE,
    SINGLE,
    TEXT_KIND,
    YES_NO,
    Question,
    Step,
)


class AnswerError(ValueError):
    """A value that cannot be an answer to its question; the message is for the patient."""


def _say(name: str, question: Question | None = None) -> str:
    """The message `name`, its placeholders (if it has any) filled in from the question."""
    if question is None:
        return MESSAGES[name]
    return MESSAGES[name].format(
        none_label=question.none_label,
        max_length=question.max_length,
        minimum=question.minimum,
        maximum=question.maximum,
    )


def parse_value(question: Question, raw: list[str]) -> Any:
    """Turn submitted form strings into the typed answer; None when left blank.

    For a checklist, returns a dict of item id -> bool. Raises AnswerError with a message
    for the patient.
    """
    if isinstance(raw, str):  # a single value given bare rather than as a list
        raw = [raw]
    elif not isinstance(raw, list | tuple):
        raw = []
    values = [strip_invisible(v).strip() for v in raw if isinstance(v, str)]
    values = [v for v in values if v]
    kind = question.kind
    if kind in (CHECKLIST, MULTI):
        if not values:
            return None
        offered = {str(c.value): c.value for c in question.choices}
        none_chosen = "none" in values
        chosen = [v for v in values if v != "none"]
        unknown = [v for v in chosen if v not in offered]
        if unknown or (none_chosen and not question.none_label):
            raise AnswerError(_say("select_from_options"))
        if none_chosen and chosen:
            raise AnswerError(_say("none_on_its_own", question))
        if kind == MULTI:
            return [offered[v] for v in dict.fromkeys(chosen)]
        return {item: item in chosen for item in question.item_ids}
    if not values:
        return None
    if len(values) > 1:
        raise AnswerError(_say("one_answer"))
    value = values[0]
    if kind == YES_NO:
        if value not in ("yes", "no"):
            raise AnswerError(_say("yes_or_no"))
        return value == "yes"
    if kind == SINGLE:
        for choice in question.choices:
            if str(choice.value) == value:
                return choice.value
        raise AnswerError(_say("one_of_the_options"))
    if kind in (INTEGER, SCALE):
        if not (value.isascii() and value.isdigit()) or len(value) > 6:
            raise AnswerError(_say("whole_number" if kind == INTEGER else "scale_number", question))
        number = int(value)
        if not _in_range(question, number):
            raise AnswerError(_say("number_in_range", question))
        return number
    if kind == TEXT_KIND:
        if len(value) > question.max_length:
            raise AnswerError(_say("too_long", question))
        return value
    if kind == DATE_KIND:
        return _parse_date(value)
    raise AnswerError(_say("cannot_be_answered"))  # pragma: no cover


def _in_range(question: Question, number: int) -> bool:
    low, high = question.minimum, question.maximum
    return (low is None or number >= low) and (high is None or number <= high)


def _parse_date(value: str) -> str:
    """Day, month, year ("27 3 2026", "27/03/2026", "27 Mar 2026", "27 march 2026") or
    year, month, day ("2026-03-27"); the month as a number, a name or its first 3+ letters."""
    months = "january february march april may june july august september october november"
    months += " december"

    def month(text: str) -> int:
        if text.isdigit():
            return int(text)
        name = text.lower()
        found = [
            n for n, m in enumerate(months.split(), 1) if len(name) >= 3 and m.startswith(name)
        ]
        if len(found) != 1:
            raise ValueError
        return found[0]

    parts = [part for part in re.split(r"[\s/.,-]+", value.strip()) if part]
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            day = dt.date(int(parts[0]), month(parts[1]), int(parts[2]))
        elif len(parts) == 3:
            day = dt.date(int(parts[2]), month(parts[1]), int(parts[0]))
        else:
            raise ValueError
    except (ValueError, OverflowError):  # a year too big for a C long overflows
        raise AnswerError(_say("real_date")) from None
    if day > dt.date.today():
        raise AnswerError(_say("date_in_future"))
    if day.year < 1900:
        raise AnswerError(_say("date_before_1900"))
    return day.isoformat()


def parse_step(
    step: Step,
    form: Mapping[str, list[str]],
    answers: Mapping[str, Any],
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
    deferred: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Read one step's form: (the answers with this step's applied, errors by question id).

    Questions hidden by a show-if (for example trimester when not pregnant) are dropped, and
    only questions still shown need an answer, except `deferred` ones (follow-ups the patient
    could not see: they are asked on the next page, and what they held is kept, since a form
    without them says nothing about them).
    """
    updated = {
        k: v
        for k, v in answers.items()
        if (asker := ASKED_BY.get(k)) not in step.questions or asker.id in deferred
    }
    errors: dict[str, str] = {}
    for question in step.questions:
        try:
            value = parse_value(question, form.get(question.id, []))
        except AnswerError as error:
            errors[question.id] = str(error)
            continue
        if value is None:
            continue
        if question.kind == CHECKLIST:
            updated.update(value)
        else:
            updated[question.id] = value
    facts = derive(updated, min_age_self_consent)
    for question in step.questions:  # in page order: a follow-up comes after its parent
        if not question_is_shown(question, facts):
            errors.pop(question.id, None)
            for item in question.item_ids:
                updated.pop(item, None)
            facts = derive(updated, min_age_self_consent)  # its own follow-ups hide too
        elif question.id in errors or question.id in deferred or not question.required:
            continue
        elif not question.is_answered(updated):
            errors[question.id] = missing_message(question)
    return updated, errors


def missing_message(question: Question) -> str:
    """The message for a required question left blank: its own, else one for its kind."""
    if question.error:
        return question.error
    if question.kind in (YES_NO, SINGLE):
        return _say("select_an_answer")
    if question.kind in (MULTI, CHECKLIST):
        if question.none_label:
            return _say("select_all_or_none", question)
        return _say("select_at_least_one")
    if question.kind == SCALE:
        return _say("scale_number", question)
    if question.kind == DATE_KIND:
        return _say("enter_a_date")
    return _say("enter_an_answer")


def form_values(question: Question, answers: Mapping[str, Any]) -> list[str]:
    """The answer(s) as form strings, to fill a page back in."""
    if question.kind == CHECKLIST:
        if not question.is_answered(answers):
            return []
        ticked = [item for item in question.item_ids if answers.get(item) is True]
        return ticked or ["none"]
    value = answers.get(question.id)
    if value is None:
        return []
    if question.kind == YES_NO:
        return ["yes" if value else "no"] if isinstance(value, bool) else []
    if question.kind == MULTI:
        if not isinstance(value, list):
            return []
        return [str(v) for v in value] or (["none"] if question.none_label else [])
    return [str(value)]


def step_errors(
    step: Step,
    answers: Mapping[str, Any],
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
    *,
    only_missing: bool = False,
) -> dict[str, str]:
    """Errors of one step's stored answers (missing required ones, or invalid values)."""
    facts = derive(answers, min_age_self_consent)
    errors: dict[str, str] = {}
    for question in step.questions:
        if not question_is_shown(question, facts):
            continue
        if question.required and not question.is_answered(answers):
            errors[question.id] = missing_message(question)
        elif not only_missing:
            for item in question.item_ids:
                if item in answers:
                    problem = _value_problem(question, answers[item])
                    if problem:
                        errors[item] = problem
    return errors


def first_unanswered_step(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> Step | None:
    """The first visible step with a required question still unanswered, or None when done."""
    for step in visible_steps(answers, min_age_self_consent):
        if step_errors(step, answers, min_age_self_consent, only_missing=True):
            return step
    return None


def _value_problem(question: Question, value: Any) -> str | None:
    kind = question.kind
    if kind in (YES_NO, CHECKLIST):
        return None if isinstance(value, bool) else _say("must_be_yes_or_no")
    if kind == SINGLE:
        if any(_same(value, c.value) for c in question.choices):
            return None
        return _say("not_a_choice")
    if kind == MULTI:
        if not isinstance(value, list):
            return _say("must_be_a_list")
        if len(set(map(repr, value))) != len(value):
            return _say("choice_repeated")
        if not all(any(_same(v, c.value) for c in question.choices) for v in value):
            return _say("includes_unknown_choice")
        return None
    if kind in (INTEGER, SCALE):
        # Strictly int: scoring counts only ints, so 5.0 must not pass validation either.
        if type(value) is not int:
            return _say("must_be_whole_number")
        return None if _in_range(question, value) else _say("must_be_in_range", question)
    if kind == TEXT_KIND:
        if not isinstance(value, str):
            return _say("must_be_text")
        return None if len(value) <= question.max_length else _say("text_too_long")
    if kind == DATE_KIND:
        if not isinstance(value, str):
            return _say("must_be_a_date")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return _say("must_be_iso_date")
        return None
    return None  # pragma: no cover


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def validate_answers(
    answers: Any, min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> dict[str, str]:
    """Field errors of a whole answer set: unknown id, wrong type, choice, range, missing.

    Never raises, whatever it is given.
    """
    if not isinstance(answers, Mapping):
        return {"": _say("not_a_mapping")}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in answers.items():
        if not isinstance(key, str) or key not in ASKED_BY:
            errors[str(key)] = _say("not_a_question")
            continue
        if value is None:
            continue
        problem = _value_problem(ASKED_BY[key], value)
        if problem:
            errors[key] = problem
        else:
            clean[key] = value
    for step in visible_steps(clean, min_age_self_consent):
        for qid, message in step_errors(
            step, clean, min_age_self_consent, only_missing=True
        ).items():
            errors.setdefault(qid, message)
    return errors
