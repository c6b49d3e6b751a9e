"""The two Questionnaires: the intake (read from questionnaire.yaml, so it follows every change
to the questions) and the follow-up (the follow-up form's own questions, followup/forms.py,
under the answer ids of followup/measures.py).

Layout of the intake: one group per step (page), holding its questions, with the page's intro
and notice (the STarT Back copyright) as display items. Each question's linkId is its answer
id, so a QuestionnaireResponse reads like the stored answers. A checklist is a group of
yes/no items, one per ticked-or-not answer id (how the rules read it); a multi-choice question
is one repeating choice item, "None of these" being an exclusive option. The PSFS activities
asked when booking (of patients who agree to follow-up) are one repeating group at the end.

Show-if conditions become enableWhen where FHIR can say the same thing: conditions on answers
with =, one-of, at least / at most, yes/no and "is answered", joined by one "any" or "all". A
condition on a derived fact (``back_pain``, ``pain_region_count``, a consent age), or on an
answer the app also works out from other answers when it is not asked
(``axspa_onset_before_45``, from the age under 45), cannot be said with enableWhen, which only
reads answers; such a page or question is exported without enableWhen and without
``required`` (FHIR requires an enabled required item to be answered, and these are rightly
unanswered for many patients).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from intake.fhir.naming import (
    FHIR_VERSION,
    FOLLOWUP_VERSION,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    Naming,
    measure_code,
    safe_id,
)
from intake.followup import forms, measures
from intake.screening import questionnaire as intake
from intake.screening.facts import worked_out_from_others
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

FHIR_TYPE = {
    YES_NO: "boolean",
    SINGLE: "choice",
    MULTI: "choice",
    INTEGER: "integer",
    SCALE: "integer",
    TEXT_KIND: "string",
    DATE_KIND: "date",
    CHECKLIST: "group",
}
#: the app's condition operators on numbers and dates -> FHIR's
_ORDER = {"eq": "=", "ge": ">=", "le": "<=", "gt": ">", "lt": "<"}
#: items that carry a code, so a receiver can find the NPRS answers by LOINC too
_ITEM_CODES = {measures.NPRS_NOW: "nprs-now", measures.NPRS_AVG: "nprs-average-week"}
PSFS = measures.PSFS


def _followup_questions() -> tuple[Question, ...]:
    """The follow-up form's questions, in the form's order and words (followup/forms.py),
    with the sport questions a patient sees only after a sport injury."""
    everyone = measures.Baseline(values={}, sport_injury=True)
    asked = [question for page in forms.PAGES for question in forms.questions(page, everyone)]
    # The sport question is asked after a sport injury only, which the follow-up's own answers
    # cannot show (enableWhen), so it is not "required" here.
    return tuple(
        dataclasses.replace(q, required=False) if q.id == measures.SPORT_RETURN else q
        for q in asked
    )


#: The follow-up questions, PSFS aside (re-rated per activity; one repeating group here).
FOLLOWUP_QUESTIONS: tuple[Question, ...] = _followup_questions()
FOLLOWUP_ASKED: dict[str, Question] = {q.id: q for q in FOLLOWUP_QUESTIONS}


def coding(naming: Naming, question: Question, value: Any) -> dict | None:
    """The Coding of one choice of a choice question (None when it is not one of them)."""
    for choice in question.choices:
        if _same_value(choice.value, value):
            return {
                "system": naming.answers(question.id),
                "code": str(value),
                "display": choice.label,
            }
    return None


def none_coding(naming: Naming, question: Question) -> dict:
    """The Coding of a multi-choice question's "None of these"."""
    return {"system": naming.answers(question.id), "code": "none", "display": question.none_label}


def _same_value(a: Any, b: Any) -> bool:
    """Equality without coercion, as the condition language compares (True is not 1)."""
    return type(a) is type(b) and a == b


# --- enableWhen ---------------------------------------------------------------------------------


def _leaf(naming: Naming, cond: Mapping, asked: Mapping[str, Question]) -> list[dict] | None:
    """The enableWhen entries of one comparison (several mean "any"); None if FHIR can't say it."""
    fact, op, value = cond.get("fact"), cond.get("op"), cond.get("value")
    question = asked.get(fact) if isinstance(fact, str) else None
    if question is None:
        return None  # a derived fact or a score: enableWhen reads answers only
    if worked_out_from_others(fact):
        return None  # an answer the app may also work out from others (onset age from age)
    if op == "is_answered":
        return [{"question": fact, "operator": "exists", "answerBoolean": True}]
    if question.kind in (YES_NO, CHECKLIST):  # a checklist's facts are its yes/no items
        if op in ("is_true", "is_false"):
            return [{"question": fact, "operator": "=", "answerBoolean": op == "is_true"}]
        return None
    if question.kind in (SINGLE, MULTI) and op in ("eq", "in", "contains"):
        if (op == "contains") != (question.kind == MULTI):
            return None
        values = value if op == "in" and isinstance(value, list) else [value]
        codings = [coding(naming, question, v) for v in values]
        if not codings or None in codings:
            return None
        return [{"question": fact, "operator": "=", "answerCoding": c} for c in codings]
    answer_type = {INTEGER: "answerInteger", SCALE: "answerInteger", DATE_KIND: "answerDate"}
    if question.kind in answer_type and op in _ORDER:
        if question.kind == DATE_KIND and not isinstance(value, str):
            return None
        if question.kind != DATE_KIND and type(value) is not int:
            return None
        return [{"question": fact, "operator": _ORDER[op], answer_type[question.kind]: value}]
    if question.kind == TEXT_KIND and op == "eq" and isinstance(value, str):
        return [{"question": fact, "operator": "=", "answerString": value}]
    return None


def enable_when(
    naming: Naming, cond: Any, asked: Mapping[str, Question]
) -> tuple[list[dict], str | None] | None:
    """(enableWhen entries, enableBehavior or None for one entry) saying exactly what a show-if
    condition says, or None when FHIR's enableWhen cannot."""
    if not isinstance(cond, Mapping):
        return None
    if "fact" in cond:
        entries = _leaf(naming, cond, asked)
        if entries is None:
            return None
        return entries, ("any" if len(entries) > 1 else None)
    key = "any" if "any" in cond else "all" if "all" in cond else None
    if key is None or not isinstance(cond[key], list):
        return None  # "not" has no enableWhen form
    entries: list[dict] = []
    for part in cond[key]:
        said = enable_when(naming, part, asked)
        # A part of several entries joined the other way ("in" inside "all") needs nesting,
        # which enableWhen does not have.
        if said is None or (said[1] is not None and said[1] != key):
            return None
        entries += said[0]
    return entries, (key if len(entries) > 1 else None)


def _conditional(item: dict, said: tuple[list[dict], str | None] | None) -> dict:
    if said is not None:
        item["enableWhen"] = said[0]
        if said[1]:
            item["enableBehavior"] = said[1]
    return item


# --- items --------------------------------------------------------------------------------------


def _display(link_id: str, text: str) -> dict:
    return {"linkId": link_id, "text": text, "type": "display"}


def _bounds(minimum: int | None, maximum: int | None) -> list[dict]:
    found = [(MIN_VALUE, minimum), (MAX_VALUE, maximum)]
    return [{"url": url, "valueInteger": value} for url, value in found if value is not None]


def question_item(naming: Naming, question: Question, asked: Mapping[str, Question], *,
                  required: bool) -> dict:  # fmt: skip
    """The Questionnaire item of one question (a group of yes/no items for a checklist)."""
    item: dict[str, Any] = {
        "linkId": question.id,
        "text": question.label,
        "type": FHIR_TYPE[question.kind],
    }
    if question.id in _ITEM_CODES:
        item["code"] = measure_code(naming, _ITEM_CODES[question.id], loinc=True)["coding"]
    said = enable_when(naming, question.show_if, asked) if question.show_if else None
    _conditional(item, said)
    if required and question.required and (question.show_if is None or said is not None):
        item["required"] = True
    if question.kind == MULTI:
        item["repeats"] = True
    if question.kind in (SINGLE, MULTI):
        item["answerOption"] = [
            {"valueCoding": coding(naming, question, choice.value)} for choice in question.choices
        ]
        if question.none_label:
            exclusive = [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}]
            item["answerOption"].append(
                {"extension": exclusive, "valueCoding": none_coding(naming, question)}
            )
    if question.kind in (INTEGER, SCALE) and (
        bounds := _bounds(question.minimum, question.maximum)
    ):
        item["extension"] = bounds
    if question.kind == TEXT_KIND:
        item["maxLength"] = question.max_length
    children = [_display(f"{question.id}.hint", question.hint)] if question.hint else []
    if question.kind == SCALE and any(question.anchors):
        low, high = question.anchors
        words = intake.MESSAGES["scale_hint"].format(
            minimum=question.minimum, maximum=question.maximum, low=low, high=high
        )
        children.append(_display(f"{question.id}.scale", words))
    if question.kind == CHECKLIST:
        children += [
            {"linkId": choice.value, "text": choice.label, "type": "boolean"}
            for choice in question.choices
        ]
    if children:
        item["item"] = children
    return item


def psfs_item(*, at_booking: bool) -> dict:
    """The PSFS: one repeating group per activity, its name and its 0-10 rating."""
    if at_booking:
        text = (
            "Activities the problem makes hard, each rated 0 (unable) to 10 (able as before); "
            "asked when booking, of patients who agree to follow-up questions"
        )
    else:
        text = "How well can you do each of your activities now? 0 = {}, 10 = {}".format(
            *forms.PSFS_ANCHORS
        )
    return {
        "linkId": PSFS,
        "text": text,
        "type": "group",
        "repeats": True,
        "item": [
            {"linkId": f"{PSFS}.activity", "text": "Activity", "type": "string", "maxLength": 200,
             **({} if at_booking else {"readOnly": True})},  # named at booking, shown later
            {"linkId": f"{PSFS}.score", "text": "Rating, 0 (unable) to 10 (able as before)",
             "type": "integer", "extension": _bounds(0, 10)},
        ],
    }  # fmt: skip


def _step_item(naming: Naming, step: intake.Step) -> dict:
    said = enable_when(naming, step.show_if, intake.ASKED_BY) if step.show_if else None
    # Questions of a page FHIR cannot show or hide as the app does are never "required".
    required = step.show_if is None or said is not None
    items = [_display(f"{step.id}.intro", step.intro)] if step.intro else []
    items += [question_item(naming, q, intake.ASKED_BY, required=required) for q in step.questions]
    if step.notice:
        items.append(_display(f"{step.id}.notice", step.notice))
    return _conditional(
        {"linkId": step.id, "text": step.title, "type": "group", "item": items}, said
    )


def _questionnaire(naming: Naming, name: str, version: str, title: str, items: list) -> dict:
    return {
        "resourceType": "Questionnaire",
        "id": safe_id(f"{name}-questionnaire-{version}"),
        "url": naming.canonical(name),
        "version": version,
        "name": f"{name.capitalize()}Questionnaire",  # computer-friendly: [A-Z][A-Za-z0-9_]*
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def intake_questionnaire(naming: Naming) -> dict:
    """The intake questionnaire as it is now (questionnaire.yaml, its version)."""
    items = [_step_item(naming, step) for step in intake.STEPS]
    items.append(psfs_item(at_booking=True))
    resource = _questionnaire(naming, "intake", intake.VERSION, "Intake questionnaire", items)
    resource["description"] = (
        f"Patient intake and triage before dry needling (FHIR {FHIR_VERSION} export). Each "
        "question's linkId is its answer id in the app's data dictionary."
    )
    return resource


def followup_questionnaire(naming: Naming) -> dict:
    """The follow-up questionnaire sent after treatment (outcome measures, clinical.md §11)."""
    asked = [question_item(naming, q, FOLLOWUP_ASKED, required=True) for q in FOLLOWUP_QUESTIONS]
    peg_end = 1 + len(measures.PEG_ITEMS)  # the PSFS comes after pain now and the PEG items
    items = [*asked[:peg_end], psfs_item(at_booking=False), *asked[peg_end:]]
    resource = _questionnaire(
        naming, "followup", FOLLOWUP_VERSION, "Follow-up after treatment", items
    )
    resource["description"] = (
        "Outcome measures after treatment: pain now and on average (NPRS), the PEG items, the "
        "patient's own activities (PSFS), PGIC, pain-medicine days and kinds, return to sport "
        "and after-effects."
    )
    return resource
