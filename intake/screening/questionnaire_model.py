"""What a questionnaire is made of: parts, steps (pages), questions, choices, and the kinds of
question and messages it may use. Loaded from YAML by ``questionnaire_file``; the shipped one is
``questionnaire``. Pure. Answers are plain JSON-able values:

    yes_no -> bool      single -> the choice value      multi -> list of choice values
    integer/scale -> int     text -> str      date -> "YYYY-MM-DD"
    checklist -> one bool per item id (an unticked item is False; "None of these" = all False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening.conditions import FactSpec

#: Default age from which patients consent for themselves (clinical.md §8); rule sets override.
MIN_AGE_SELF_CONSENT = 18

#: The kinds of question (how each is answered: see the module docstring).
YES_NO, SINGLE, MULTI, INTEGER, SCALE = "yes_no", "single", "multi", "integer", "scale"
TEXT_KIND, DATE_KIND, CHECKLIST = "text", "date", "checklist"

#: Every message of the questionnaire's behaviour, with the {placeholders} its wording may use.
MESSAGE_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys((
        "select_from_options", "one_answer", "yes_or_no", "one_of_the_options", "whole_number",
        "real_date", "date_in_future", "date_before_1900", "cannot_be_answered",
        "select_an_answer", "select_at_least_one", "enter_a_date", "enter_an_answer",
        "not_a_mapping", "not_a_question", "must_be_yes_or_no", "not_a_choice", "must_be_a_list",
        "choice_repeated", "includes_unknown_choice", "must_be_whole_number", "must_be_text",
        "text_too_long", "must_be_a_date", "must_be_iso_date", "yes", "no", "not_answered",
        "date_shown"), ()),
    "none_on_its_own": ("none_label",), "select_all_or_none": ("none_label",),
    "too_long": ("max_length",), "number_in_range": ("minimum", "maximum"),
    "scale_number": ("minimum", "maximum"), "must_be_in_range": ("minimum", "maximum"),
    "scale_hint": ("minimum", "maximum", "low", "high"), "scale_answer": ("answer", "maximum"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a choice question, or one item of a checklist (value = boolean answer id)."""

    value: Any
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Question:
    """One question: what is asked, how it is answered, and when it is shown."""

    id: str
    kind: str
    label: str
    hint: str = ""
    choices: tuple[Choice, ...] = ()
    required: bool = True
    show_if: dict | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    none_label: str = ""  # checklist / multi: the exclusive "None of these" option
    anchors: tuple[str, str] = ("", "")  # scale: words for the lowest and highest value
    error: str = ""  # what to say when a required question is left blank ("Enter your age")
    summary: str = ""  # its words in the part's one-line summary: "{answer}" is the answer
    #: its words among the answers (check your answers, the clinic email, the request page),
    #: where what the page asks ("Do any of these apply to you?") would read the same as
    #: another question's once its list is not beside it
    answers_label: str = ""

    @property
    def label_in_answers(self) -> str:
        """The question as the answers name it: `answers_label`, else what the page asks."""
        return self.answers_label or self.label

    @property
    def item_ids(self) -> tuple[str, ...]:
        """A checklist's boolean answer ids; other questions answer under their own id."""
        if self.kind == CHECKLIST:
            return tuple(choice.value for choice in self.choices)
        return (self.id,)

    def is_answered(self, answers: Mapping[str, Any]) -> bool:
        """Whether the answers hold an answer to this question (any item, for a checklist)."""
        if self.kind == CHECKLIST:
            return any(item in answers for item in self.item_ids)
        return answers.get(self.id) is not None


@dataclass(frozen=True)
class Step:
    """One page of the questionnaire."""

    id: str
    title: str
    section: str  # groups answers for staff and emails ("Back pain red flags")
    part: str  # the part of the journey it belongs to, as patients see it (a Part id)
    questions: tuple[Question, ...]
    intro: str = ""
    show_if: dict | None = None
    notice: str = ""  # e.g. a copyright statement shown under the questions


@dataclass(frozen=True)
class Part:
    """A part of the journey as patients see it ("Your pain"): progress counts parts, which
    every patient goes through, so the total never grows when an answer adds a page."""

    id: str
    title: str


@dataclass(frozen=True)
class Questionnaire:
    """A loaded and checked questionnaire: version, steps, derived facts, messages, facts."""

    version: str
    parts: tuple[Part, ...]
    steps: tuple[Step, ...]
    derived: dict[str, FactSpec]
    messages: dict[str, str]
    dictionary: dict[str, FactSpec]  # every answer id, then every derived fact


class QuestionnaireFileError(ValueError):
    """The questionnaire file has a mistake; the message says where and what."""
