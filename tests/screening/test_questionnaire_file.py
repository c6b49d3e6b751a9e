"""questionnaire.yaml: the shipped file loads as the questionnaire, and each kind of mistake in
such a file is refused with a message naming the step and question."""

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from intake.screening import answers, facts, questionnaire
from intake.screening.questionnaire import QuestionnaireFileError, load_questionnaire
from tests.answers import patient

TEXT = resources.files("intake.screening").joinpath("questionnaire.yaml").read_text("utf-8")


def shipped() -> dict:
    """A fresh copy of the shipped file's data, without YAML aliases shared between questions."""
    import yaml

    return json.loads(json.dumps(yaml.safe_load(TEXT)))


def step(data: dict, step_id: str) -> dict:
    return next(s for s in data["steps"] if s["id"] == step_id)


def question(data: dict, question_id: str) -> dict:
    return next(q for s in data["steps"] for q in s["questions"] if q["id"] == question_id)


# --- The shipped file ------------------------------------------------------------------------


def test_the_shipped_file_is_the_questionnaire() -> None:
    loaded = load_questionnaire(TEXT)
    assert loaded == questionnaire.QUESTIONNAIRE
    assert load_questionnaire(shipped()) == loaded  # parsed data loads the same as text
    assert questionnaire.VERSION == loaded.version == "2026-11-1"
    assert [s.id for s in questionnaire.STEPS] == [
        "about_you", "your_pain", "pain_impact", "back_warning_signs", "back_pain_outlook",
        "sports_injury", "widespread_pain", "medication", "needling_safety", "goals",
    ]  # fmt: skip
    assert len(questionnaire.QUESTIONS) == 46
    assert len(questionnaire.ASKED_BY) == sum(
        len(q.item_ids) for q in questionnaire.QUESTIONS.values()
    )
    assert questionnaire.data_dictionary() == loaded.dictionary
    assert questionnaire.data_dictionary() is not loaded.dictionary  # callers may add to it


def test_choice_values_keep_their_types() -> None:
    levels = questionnaire.QUESTIONS["sss_fatigue"].choices
    assert [c.value for c in levels] == [0, 1, 2, 3]
    assert levels[1].hint == "Generally mild or comes and goes"
    assert [c.value for c in questionnaire.QUESTIONS["pregnancy_trimester"].choices] == [1, 2, 3]
    days = questionnaire.QUESTIONS["pain_medication_days"].choices
    assert [c.value for c in days] == ["0", "1_2", "3_5", "6_7"]
    assert questionnaire.QUESTIONS["previous_needling"].choices[0].value == "no"
    assert questionnaire.QUESTIONS["nprs_now"].anchors == ("No pain", "Worst pain you can imagine")


def test_repeated_choice_lists_are_the_same_choices() -> None:
    agree = questionnaire.QUESTIONS["sb1_leg_pain"].choices
    assert [(c.value, c.label) for c in agree] == [("agree", "Agree"), ("disagree", "Disagree")]
    for qid in ("sb2_shoulder_neck", "sb5_not_safe_active", "sb8_not_enjoyed"):
        assert questionnaire.QUESTIONS[qid].choices == agree
    assert (
        questionnaire.QUESTIONS["sss_cognitive"].choices
        == questionnaire.QUESTIONS["sss_fatigue"].choices
    )


def test_derived_facts_have_their_words_in_the_file() -> None:
    assert set(questionnaire.DERIVED) == facts.WORKED_OUT
    spec = questionnaire.DERIVED["axspa_additional_criteria_count"]
    assert (spec.label, spec.type, spec.maximum) == (
        "Number of spondyloarthritis features",
        "number",
        9,
    )
    assert spec.section == "Back pain red flags" and spec.origin == "derived"
    answers_ = patient(pain_regions=["lower_back"], age=15, pregnant=True, pregnancy_trimester=1)
    derived = facts.derive(answers_)
    assert set(derived) - set(answers_) <= set(questionnaire.DERIVED) | set(questionnaire.ASKED_BY)


def test_the_wording_patients_read_comes_from_the_file(monkeypatch) -> None:
    yes_no = questionnaire.QUESTIONS["fibromyalgia_diagnosed"]
    with pytest.raises(answers.AnswerError, match=r"^Select yes or no$"):
        answers.parse_value(yes_no, ["maybe"])
    monkeypatch.setitem(questionnaire.MESSAGES, "yes_or_no", "Choose yes or no")
    with pytest.raises(answers.AnswerError, match=r"^Choose yes or no$"):
        answers.parse_value(yes_no, ["maybe"])
    monkeypatch.setitem(questionnaire.MESSAGES, "too_long", "At most {max_length}, please")
    with pytest.raises(answers.AnswerError, match=r"^At most 80, please$"):
        answers.parse_value(questionnaire.QUESTIONS["sport_name"], ["x" * 81])


def test_a_message_without_placeholders_reads_double_braces_as_one() -> None:
    data = shipped()
    data["messages"]["one_answer"] = "Give one answer {{only}}"
    assert load_questionnaire(data).messages["one_answer"] == "Give one answer {only}"


def test_a_show_if_may_name_a_derived_fact() -> None:
    data = shipped()
    question(data, "goal_notes")["show_if"] = {"fact": "pain_region_count", "op": "ge", "value": 2}
    loaded = load_questionnaire(data)
    assert loaded.steps[-1].questions[-1].show_if == {
        "fact": "pain_region_count",
        "op": "ge",
        "value": 2,
    }


# --- Mistakes, each refused with a message naming where it is --------------------------------


def _set(question_id: str, key: str, value: Any) -> Callable[[dict], None]:
    return lambda data: question(data, question_id).__setitem__(key, value)


def _append_question(step_id: str, new: dict) -> Callable[[dict], None]:
    return lambda data: step(data, step_id)["questions"].append(new)


def _duplicate_step(data: dict) -> None:
    data["steps"].append(dict(step(data, "goals"), questions=[question(data, "goal_notes")]))


def _set_in(question_id: str, key: str, number: int, field: str, value: Any):
    return lambda data: question(data, question_id)[key][number].__setitem__(field, value)


def _show_if(question_id: str, fact: str, op: str, *value: Any) -> Callable[[dict], None]:
    condition = {"fact": fact, "op": op, **({"value": value[0]} if value else {})}
    return _set(question_id, "show_if", condition)


def _add(key: str, name: str, value: Any) -> Callable[[dict], None]:
    return lambda data: data[key].__setitem__(name, value)


def _drop(question_id: str, key: str) -> Callable[[dict], None]:
    return lambda data: question(data, question_id).pop(key)


def _add_item(question_id: str, item_id: str) -> Callable[[dict], None]:
    return lambda data: question(data, question_id)["items"].append({"id": item_id, "label": "X"})


def _step_key(step_id: str, key: str, value: Any) -> Callable[[dict], None]:
    return lambda data: step(data, step_id).__setitem__(key, value)


ABOUT_AGE = "Step 'about_you', question 'age'"
MISTAKES = [
    # unknown keys
    ("question-key", _set("age", "hnit", "x"), f"{ABOUT_AGE} has an unknown key 'hnit'"),
    ("step-key", _step_key("goals", "titel", "x"), "Step 'goals' has an unknown key 'titel'"),
    (
        "choice-key",
        _set_in("sex", "choices", 1, "lable", "x"),
        "Step 'about_you', question 'sex', choice 2 has an unknown key 'lable'",
    ),
    (
        "item-key",
        _set_in("wpi_checklist", "items", 0, "value", "x"),
        "Step 'widespread_pain', question 'wpi_checklist', item 1 has an unknown key 'value'",
    ),
    (
        "top-level-key",
        lambda data: data.__setitem__("stpes", []),
        "The questionnaire has an unknown key 'stpes'",
    ),
    (
        "key-of-another-kind",
        _set("age", "anchors", ["young", "old"]),
        f"{ABOUT_AGE}: 'anchors' does not apply to integer questions",
    ),
    # duplicate ids
    ("step-id", _duplicate_step, "Step 'goals' appears twice"),
    (
        "question-id",
        _append_question("goals", {"id": "age", "kind": "yes_no", "label": "Again?"}),
        "Step 'goals', question 'age': the id 'age' is already used by "
        "step 'about_you', question 'age'",
    ),
    (
        "item-id-across-checklists",
        _add_item("wpi_checklist", "diabetes"),
        "Step 'needling_safety', question 'safety_checklist': the id 'diabetes' is already used "
        "by step 'widespread_pain', question 'wpi_checklist'",
    ),
    (
        "item-id-is-a-question-id",
        _add_item("safety_checklist", "goals"),
        "Step 'goals', question 'goals': the id 'goals' is already used by "
        "step 'needling_safety', question 'safety_checklist'",
    ),
    (
        "item-id-is-its-checklists-id",
        _add_item("wpi_checklist", "wpi_checklist"),
        "Step 'widespread_pain', question 'wpi_checklist': the id 'wpi_checklist' is already used "
        "by step 'widespread_pain', question 'wpi_checklist'",
    ),
    (
        "choice-value-twice",
        lambda data: question(data, "sex")["choices"].append({"value": "male", "label": "Man"}),
        "Step 'about_you', question 'sex': the choice 'male' appears twice",
    ),
    (
        "derived-fact-is-an-answer",
        lambda data: data["derived"].append({"id": "diabetes", "label": "X", "type": "boolean"}),
        "Derived fact 'diabetes' has the id of an answer "
        "(step 'needling_safety', question 'safety_checklist')",
    ),
    (
        "id-not-snake-case",
        _set("age", "id", "Age"),
        "Step 'about_you', question 'Age': the id 'Age' is not snake_case",
    ),
    # show-if
    (
        "show-if-unknown-question",
        _show_if("pregnancy_trimester", "pregnnat", "is_true"),
        "Step 'needling_safety', question 'pregnancy_trimester': the show-if refers to question "
        "'pregnnat', which does not exist. Did you mean 'pregnant'?",
    ),
    (
        "show-if-unknown-choice",
        _show_if("previous_needling_reaction", "previous_needling", "eq", "yes_reactoin"),
        "Step 'needling_safety', question 'previous_needling_reaction': the show-if compares "
        "'Have you had dry needling or acupuncture before?' with 'yes_reactoin', which is not "
        "one of its choices",
    ),
    (
        "step-show-if-unknown-question",
        _step_key("sports_injury", "show_if", {"fact": "pain_onsett", "op": "eq", "value": "x"}),
        "Step 'sports_injury': the show-if refers to question 'pain_onsett', which does not exist",
    ),
    (
        "show-if-names-a-checklist",
        _show_if("goal_notes", "wpi_checklist", "is_answered"),
        "Step 'goals', question 'goal_notes': the show-if refers to question 'wpi_checklist'",
    ),
    # choices on a question that has none
    (
        "choices-on-yes-no",
        _set("fibromyalgia_diagnosed", "choices", [{"value": "yes", "label": "Yes"}]),
        "Step 'your_pain', question 'fibromyalgia_diagnosed': yes_no questions have no choices",
    ),
    (
        "choices-on-integer",
        _set("age", "choices", [{"value": 1, "label": "One"}]),
        f"{ABOUT_AGE}: integer questions have no choices",
    ),
    (
        "choices-on-scale",
        _set("nprs_now", "choices", [{"value": 1, "label": "One"}]),
        "Step 'pain_impact', question 'nprs_now': scale questions have no choices",
    ),
    (
        "choices-on-text",
        _set("sport_name", "choices", [{"value": "run", "label": "Running"}]),
        "Step 'sports_injury', question 'sport_name': text questions have no choices",
    ),
    (
        "choices-on-date",
        _set("sport_injury_date", "choices", [{"value": "today", "label": "Today"}]),
        "Step 'sports_injury', question 'sport_injury_date': date questions have no choices",
    ),
    (
        "choices-on-checklist",
        _set("wpi_checklist", "choices", [{"value": "x", "label": "X"}]),
        "Step 'widespread_pain', question 'wpi_checklist': a checklist question lists 'items', "
        "not 'choices'",
    ),
    (
        "single-without-choices",
        _drop("sex", "choices"),
        "Step 'about_you', question 'sex': a single question needs 'choices'",
    ),
    # ranges
    (
        "integer-min-above-max",
        _set("age", "minimum", 121),
        f"{ABOUT_AGE}: the minimum 121 is more than the maximum 120",
    ),
    (
        "scale-min-above-max",
        _set("nprs_now", "maximum", -1),
        "Step 'pain_impact', question 'nprs_now': the minimum 0 is more than the maximum -1",
    ),
    (
        "scale-without-maximum",
        _drop("nprs_now", "maximum"),
        "Step 'pain_impact', question 'nprs_now': a scale needs a minimum and a maximum",
    ),
    (
        "derived-min-above-max",
        lambda data: data["derived"][1].__setitem__("minimum", 10),
        "Derived fact 'pain_region_count': the minimum 10 is more than the maximum 9",
    ),
    # kinds and values
    (
        "unknown-kind",
        _set("age", "kind", "number"),
        f"{ABOUT_AGE} has the unknown kind 'number' (kinds: yes_no, single, multi",
    ),
    (
        "unquoted-no",
        _set_in("previous_needling", "choices", 0, "value", False),
        "Step 'needling_safety', question 'previous_needling', choice 1: 'value' must be text "
        "or a whole number",
    ),
    ("label-missing", _drop("age", "label"), f"{ABOUT_AGE} needs 'label'"),
    (
        "required-not-boolean",
        _set("goal_notes", "required", "no"),
        "Step 'goals', question 'goal_notes': 'required' must be true or false, not 'no'",
    ),
    (
        "max-length-zero",
        _set("sport_name", "max_length", 0),
        "Step 'sports_injury', question 'sport_name': 'max_length' must be a whole number above 0",
    ),
    (
        "question-not-a-mapping",
        _append_question("goals", "Anything else?"),
        "Step 'goals', a question must be a mapping of keys to values, not 'Anything else?'",
    ),
    # messages
    (
        "unknown-message",
        _add("messages", "say_yes", "Yes!"),
        "The messages have an unknown message 'say_yes'",
    ),
    (
        "missing-message",
        lambda data: data["messages"].pop("yes_or_no"),
        "The messages have no message 'yes_or_no'",
    ),
    (
        "message-placeholder",
        _add("messages", "too_long", "Use {max_len} characters"),
        "The message 'too_long' has a placeholder it cannot use ('max_len'); "
        "it may use {max_length}",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [row[1:] for row in MISTAKES], ids=[row[0] for row in MISTAKES]
)
def test_a_mistake_is_refused_naming_where_it_is(change: Callable[[dict], None], message: str):
    data = shipped()
    change(data)
    with pytest.raises(QuestionnaireFileError) as caught:
        load_questionnaire(data)
    assert message in str(caught.value)


TEXT_MISTAKES = [
    (
        "key-twice",
        TEXT.replace("    title: Your goals\n", "    title: Your goals\n    title: Goals\n"),
        "The key 'title' appears twice in the mapping at line",
    ),
    (
        "not-yaml",
        TEXT.replace("kind: integer", "kind: [integer"),
        "The questionnaire is not valid YAML",
    ),
    (
        "version-a-date",
        TEXT.replace('version: "2026-11-1"', "version: 2026-11-01"),
        "The questionnaire: 'version' must be non-empty text, not datetime.date(2026, 11, 1)",
    ),
    ("not-a-mapping", "- just a list", "The questionnaire must be a mapping of keys to values"),
]


@pytest.mark.parametrize(
    ("text", "message"), [row[1:] for row in TEXT_MISTAKES], ids=[row[0] for row in TEXT_MISTAKES]
)
def test_a_mistake_in_the_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(QuestionnaireFileError) as caught:
        load_questionnaire(text)
    assert str(caught.value).startswith(message)


def test_an_unchanged_copy_is_accepted() -> None:
    """The mistakes above are mistakes: the same data without the change loads."""
    assert load_questionnaire(shipped()).steps == questionnaire.STEPS
