"""The patient questionnaire's content: ``questionnaire.yaml``, loaded and checked once at import.

A file with a mistake is refused with a QuestionnaireFileError naming the step and question
(``questionnaire_file``); what it is made of is ``questionnaire_model``. The behaviour lives
beside it: ``facts`` (derived facts), ``branching`` (which steps and questions are shown),
``answers`` (parsing and validating) and ``summary`` (answers in words). Pure.
"""

from __future__ import annotations

from importlib import resources

from intake.screening.conditions import FactSpec
from intake.screening.questionnaire_file import load_questionnaire
from intake.screening.questionnaire_model import (  # noqa: F401 - the questionnaire's vocabulary
    CHECKLIST,
    DATE_KIND,
    INTEGER,
    MESSAGE_PLACEHOLDERS,
    MIN_AGE_SELF_CONSENT,
    MULTI,
    SCALE,
    SINGLE,
    TEXT_KIND,
    YES_NO,
    Choice,
    Part,
    Question,
    Questionnaire,
    QuestionnaireFileError,
    Step,
)


def _load_shipped() -> Questionnaire:
    text = resources.files("intake.screening").joinpath("questionnaire.yaml").read_text("utf-8")
    try:
        return load_questionnaire(text)
    except QuestionnaireFileError as error:
        raise QuestionnaireFileError(f"questionnaire.yaml: {error}") from None


#: The shipped questionnaire, loaded and checked once.
QUESTIONNAIRE = _load_shipped()
#: Questionnaire version, stored with each submission. Bumped when questions change meaning.
VERSION = QUESTIONNAIRE.version
PARTS: tuple[Part, ...] = QUESTIONNAIRE.parts
STEPS: tuple[Step, ...] = QUESTIONNAIRE.steps
STEPS_BY_ID: dict[str, Step] = {step.id: step for step in STEPS}
QUESTIONS: dict[str, Question] = {q.id: q for step in STEPS for q in step.questions}
#: answer id -> the question that asks it (a checklist asks several)
ASKED_BY: dict[str, Question] = {
    item: q for step in STEPS for q in step.questions for item in q.item_ids
}
SECTION_OF: dict[str, str] = {
    item: step.section for step in STEPS for q in step.questions for item in q.item_ids
}
#: Facts derived from the answers (never asked), usable in rules and show-if conditions.
DERIVED: dict[str, FactSpec] = QUESTIONNAIRE.derived
#: Every message the questionnaire's behaviour shows, by name (see MESSAGE_PLACEHOLDERS).
MESSAGES: dict[str, str] = QUESTIONNAIRE.messages


def data_dictionary() -> dict[str, FactSpec]:
    """Every answer id with its type, choices, range, section and label, then derived facts."""
    return dict(QUESTIONNAIRE.dictionary)
