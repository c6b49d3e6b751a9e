"""questionnaire.yaml: the shipped file loads as the questionnaire, and each kind of mistake in
such a file is refused with a message naming the step and question."""

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from intake.screening import answers, branching, facts, questionnaire
from intake.screening.questionnaire import (
    Choice,
    Question,
    QuestionnaireFileError,
    Step,
    load_questionnaire,
)
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
    assert questionnaire.VERSION == loaded.version == "2026-12-2"
    assert [(p.id, p.title) for p in questionnaire.PARTS] == [
        ("about_you", "About you"), ("your_pain", "Your pain"), ("medicines", "Your medicines"),
        ("safety", "Needling safety"),
    ]  # fmt: skip
    assert [(s.id, s.part) for s in questionnaire.STEPS] == [
        ("about_you", "about_you"), ("consent", "about_you"), ("pain_areas", "your_pain"),
        ("your_pain", "your_pain"),
        ("pain_impact", "your_pain"), ("back_warning_signs", "your_pain"),
        ("back_pain_pattern", "your_pain"), ("back_pain_outlook", "your_pain"),
        ("sports_injury", "your_pain"), ("widespread_pain", "your_pain"),
        ("other_symptoms", "your_pain"), ("medication", "medicines"),
        ("needling_safety", "safety"),
    ]  # fmt: skip
    assert len(questionnaire.QUESTIONS) == 44
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
    answers_ = patient(age=15, pregnant=True, pregnancy_trimester=1)
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
    notes = next(q for s in loaded.steps for q in s.questions if q.id == "goal_notes")
    assert notes.show_if == {
        "fact": "pain_region_count",
        "op": "ge",
        "value": 2,
    }


# --- Mistakes, each refused with a message naming where it is --------------------------------


#: the two checklists whose page asks "Do any of these apply to you?"
CHECKLISTS = ("rf_other_checklist", "safety_checklist")


def _set(question_id: str, key: str, value: Any) -> Callable[[dict], None]:
    return lambda data: question(data, question_id).__setitem__(key, value)


def _append_question(step_id: str, new: dict) -> Callable[[dict], None]:
    return lambda data: step(data, step_id)["questions"].append(new)


def _duplicate_step(data: dict) -> None:
    again = dict(step(data, "needling_safety"), questions=[question(data, "previous_needling")])
    data["steps"].append(again)


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


def _swap_steps(first: str, second: str) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        steps = data["steps"]
        a, b = steps.index(step(data, first)), steps.index(step(data, second))
        steps[a], steps[b] = steps[b], steps[a]

    return change


ABOUT_AGE = "Step 'about_you', question 'age'"
MISTAKES = [
    # unknown keys
    ("question-key", _set("age", "hnit", "x"), f"{ABOUT_AGE} has an unknown key 'hnit'"),
    (
        "step-key",
        _step_key("needling_safety", "titel", "x"),
        "Step 'needling_safety' has an unknown key 'titel'",
    ),
    (
        "choice-key",
        _set_in("sex", "choices", 1, "lable", "x"),
        "Step 'about_you', question 'sex', choice 2 has an unknown key 'lable'",
    ),
    (
        "item-key",
        _set_in("pain_map", "items", 0, "value", "x"),
        "Step 'pain_areas', question 'pain_map', item 1 has an unknown key 'value'",
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
    ("step-id", _duplicate_step, "Step 'needling_safety' appears twice"),
    (
        "question-id",
        _append_question("needling_safety", {"id": "age", "kind": "yes_no", "label": "Again?"}),
        "Step 'needling_safety', question 'age': the id 'age' is already used by "
        "step 'about_you', question 'age'",
    ),
    (
        "item-id-across-checklists",
        _add_item("pain_map", "diabetes"),
        "Step 'needling_safety', question 'safety_checklist': the id 'diabetes' is already used "
        "by step 'pain_areas', question 'pain_map'",
    ),
    (
        "item-id-is-a-question-id",
        _add_item("safety_checklist", "goals"),
        "Step 'needling_safety', question 'safety_checklist': the id 'goals' is already used by "
        "step 'pain_impact', question 'goals'",
    ),
    (
        "item-id-is-its-checklists-id",
        _add_item("pain_map", "pain_map"),
        "Step 'pain_areas', question 'pain_map': the id 'pain_map' is already used "
        "by step 'pain_areas', question 'pain_map'",
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
        "Step 'about_you', question 'pregnancy_trimester': the show-if refers to question "
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
        _show_if("goal_notes", "pain_map", "is_answered"),
        "Step 'pain_impact', question 'goal_notes': the show-if refers to question 'pain_map'",
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
        _append_question(
            "sports_injury",
            {
                "id": "sport_injury_date",
                "kind": "date",
                "label": "When?",
                "choices": [{"value": "today", "label": "Today"}],
            },
        ),
        "Step 'sports_injury', question 'sport_injury_date': date questions have no choices",
    ),
    (
        "choices-on-checklist",
        _set("pain_map", "choices", [{"value": "x", "label": "X"}]),
        "Step 'pain_areas', question 'pain_map': a checklist question lists 'items', not 'choices'",
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
        "Step 'pain_impact', question 'goal_notes': 'required' must be true or false, not 'no'",
    ),
    (
        "max-length-zero",
        _set("sport_name", "max_length", 0),
        "Step 'sports_injury', question 'sport_name': 'max_length' must be a whole number above 0",
    ),
    (
        "question-not-a-mapping",
        _append_question("needling_safety", "Anything else?"),
        "Step 'needling_safety', a question must be a mapping of keys to values, "
        "not 'Anything else?'",
    ),
    # parts
    (
        "step-unknown-part",
        _step_key("needling_safety", "part", "goal"),
        "Step 'needling_safety' names the unknown part 'goal' "
        "(parts: about_you, your_pain, medicines, safety)",
    ),
    (
        "step-without-part",
        lambda data: step(data, "needling_safety").pop("part"),
        "Step 'needling_safety' needs 'part'",
    ),
    (
        "part-listed-twice",
        lambda data: data["parts"].append({"id": "safety", "title": "Safety again"}),
        "Part 'safety' is listed twice",
    ),
    (
        "part-key",
        lambda data: data["parts"][0].__setitem__("titel", "x"),
        "Part 1 has an unknown key 'titel'",
    ),
    (
        "parts-empty",
        lambda data: data.__setitem__("parts", []),
        "The questionnaire: 'parts' must be a non-empty list, not []",
    ),
    (
        "part-steps-not-together",
        _step_key("pain_impact", "part", "medicines"),
        "Step 'back_warning_signs': the steps of part 'your_pain' must come together, "
        "in the order the parts are listed",
    ),
    (
        "parts-out-of-order",
        _swap_steps("medication", "needling_safety"),
        "Step 'medication': the steps of part 'medicines' must come together, "
        "in the order the parts are listed",
    ),
    (
        "part-shown-to-some",
        _step_key("needling_safety", "show_if", {"fact": "age", "op": "ge", "value": 18}),
        "Part 'safety' has no step shown to everyone",
    ),
    (
        "part-without-steps",
        lambda data: data["parts"].append({"id": "extra", "title": "Extra"}),
        "Part 'extra' has no step shown to everyone",
    ),
    # a question's own error message and summary
    (
        "error-empty",
        _set("age", "error", " "),
        f"{ABOUT_AGE}: 'error' must be non-empty text, not ' '",
    ),
    (
        "error-not-text",
        _set("age", "error", 3),
        f"{ABOUT_AGE}: 'error' must be non-empty text, not 3",
    ),
    (
        "summary-without-answer",
        _set("age", "summary", "Aged {age}"),
        f"{ABOUT_AGE}: 'summary' must be text with \"{{answer}}\" in it, not 'Aged {{age}}'",
    ),
    (
        "summary-not-text",
        _set("age", "summary", ["{answer}"]),
        f"{ABOUT_AGE}: 'summary' must be text with \"{{answer}}\" in it, not ['{{answer}}']",
    ),
    # the answers: two questions that would read the same among them
    (
        "same-words-among-the-answers",
        lambda data: [question(data, q).pop("answers_label") for q in CHECKLISTS],
        "Step 'needling_safety', question 'safety_checklist' reads 'Do any of these apply to "
        "you?' among the answers, as 'rf_other_checklist' does: give one an answers_label",
    ),
    (
        "answers-label-empty",
        _set("rf_other_checklist", "answers_label", " "),
        "'answers_label' must be non-empty text",
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
        TEXT.replace("    title: Your pain\n", "    title: Your pain\n    title: Pain\n", 1),
        "The key 'title' appears twice in the mapping at line",
    ),
    (
        "not-yaml",
        TEXT.replace("kind: integer", "kind: [integer"),
        "The questionnaire is not valid YAML",
    ),
    (
        "version-a-date",
        TEXT.replace('version: "2026-12-2"', "version: 2026-12-02"),
        "The questionnaire: 'version' must be non-empty text, not datetime.date(2026, 12, 2)",
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


def test_a_question_may_have_its_own_error_and_summary() -> None:
    data = shipped()
    question(data, "age")["error"] = "Tell us your age in years"
    question(data, "age")["summary"] = "Aged {answer}"
    question(data, "sex").pop("error", None)
    question(data, "sex").pop("summary", None)
    loaded = load_questionnaire(data)
    found = {q.id: q for s in loaded.steps for q in s.questions}
    age, sex = found["age"], found["sex"]
    assert (age.error, age.summary) == ("Tell us your age in years", "Aged {answer}")
    assert answers.missing_message(age) == "Tell us your age in years"
    # Without one, a blank required question gets the message for its kind.
    assert (sex.error, sex.summary) == ("", "")
    assert answers.missing_message(sex) == "Select an answer"


def test_answers_name_a_checklist_by_its_answers_label() -> None:
    """On its page "Do any of these apply to you?" sits above its list; among the answers (check
    your answers, the clinic email, the request page) the list is not there to tell two apart."""
    from intake.screening.summary import iter_answer_rows

    rows = {
        label: answer
        for _, label, answer in iter_answer_rows(
            {"rf_cancer_history": True, "rf_new_onset": False, "needle_phobia": False}
        )
    }
    assert rows["Do any of these other warning signs apply to you?"] == "You have had cancer"
    assert rows["Do any of these safety questions apply to you?"] == "None of these"
    assert "Do any of these apply to you?" not in rows
    assert question(shipped(), "safety_checklist")["label"] == "Do any of these apply to you?"


def test_a_date_question_may_still_be_added() -> None:
    data = shipped()
    step(data, "sports_injury")["questions"].append(
        {"id": "sport_injury_date", "kind": "date", "label": "When did it happen?"}
    )
    loaded = load_questionnaire(data)
    assert loaded.dictionary["sport_injury_date"].type == "date"
    assert loaded.dictionary["sport_injury_date"].section == "Sports injury"


# --- Follow-ups: a show-if naming a question on its own page -----------------------------------


def _page(*questions: Question) -> Step:
    return Step(id="page", title="Page", section="About you", part="about_you", questions=questions)


SMOKER = Question(id="smoker", kind="yes_no", label="Do you smoke?")
SPORT = Question(
    id="sport",
    kind="single",
    label="Sport?",
    choices=(Choice("run", "Running"), Choice("swim", "Swimming"), Choice(3, "Three")),
)
AGE = Question(id="age", kind="integer", label="Age?", minimum=1, maximum=120)


def _asks(show_if: dict | None) -> Question:
    return Question(id="more", kind="text", label="Tell us more", show_if=show_if)


FOLLOW_UP_ROWS = [
    ("is-true", {"fact": "smoker", "op": "is_true"}, ("smoker", ("yes",))),
    ("eq", {"fact": "sport", "op": "eq", "value": "swim"}, ("sport", ("swim",))),
    ("eq-number", {"fact": "sport", "op": "eq", "value": 3}, ("sport", ("3",))),
    ("in", {"fact": "sport", "op": "in", "value": ["run", 3]}, ("sport", ("run", "3"))),
    ("another-page", {"fact": "respondent", "op": "eq", "value": "self"}, None),
    ("no-show-if", None, None),
]


@pytest.mark.parametrize(
    ("show_if", "expected"),
    [row[1:] for row in FOLLOW_UP_ROWS],
    ids=[row[0] for row in FOLLOW_UP_ROWS],
)
def test_a_follow_up_names_the_answer_that_calls_for_it(show_if: Any, expected: Any) -> None:
    follow = _asks(show_if)
    assert branching._follow_up(follow, _page(SMOKER, SPORT, AGE, follow)) == expected


UNREVEALABLE_ROWS = [
    ("ge", {"fact": "age", "op": "ge", "value": 18}),
    ("is-true-of-a-choice", {"fact": "sport", "op": "is_true"}),
    ("is-false", {"fact": "smoker", "op": "is_false"}),
    ("ne", {"fact": "sport", "op": "ne", "value": "run"}),
    (
        "combined",
        {"all": [{"fact": "smoker", "op": "is_true"}, {"fact": "age", "op": "ge", "value": 18}]},
    ),
    ("in-not-a-list", {"fact": "sport", "op": "in", "value": "run"}),
]


@pytest.mark.parametrize(
    "show_if", [row[1] for row in UNREVEALABLE_ROWS], ids=[row[0] for row in UNREVEALABLE_ROWS]
)
def test_a_follow_up_its_page_cannot_reveal_is_refused(show_if: dict) -> None:
    follow = _asks(show_if)
    with pytest.raises(QuestionnaireFileError) as caught:
        branching._follow_up(follow, _page(SMOKER, SPORT, AGE, follow))
    assert str(caught.value) == (
        "questionnaire.yaml: step 'page', question 'more' follows an answer on its own page, "
        "so its show-if must be one fact of that page with is_true, eq or in"
    )


def test_the_shipped_follow_ups() -> None:
    assert branching.FOLLOW_UPS == {
        "pregnant": ("sex", ("female", "intersex", "prefer_not_to_say")),
        "pregnancy_trimester": ("pregnant", ("yes",)),
        "axspa_checklist": ("axspa_onset_before_45", ("yes",)),
        "previous_needling_reaction": ("previous_needling", ("yes_reaction",)),
    }


def test_every_required_question_has_its_own_error_message() -> None:
    """Issue 11: an error message written for each question ("Enter your age")."""
    required = [q for q in questionnaire.QUESTIONS.values() if q.required]
    assert required
    assert [q.id for q in required if not q.error] == []
    assert all(q.error != q.label for q in required)
