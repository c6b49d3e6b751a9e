"""The questionnaire as data: dictionary, branching, parsing, validation and derived facts."""

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.screening import questionnaire as q
from intake.screening import rules
from intake.screening.answers import (
    AnswerError,
    _value_problem,
    first_unanswered_step,
    form_values,
    missing_message,
    parse_step,
    parse_value,
    validate_answers,
)
from intake.screening.branching import (
    follow_up_page,
    next_step,
    pending_follow_ups,
    previous_step,
    prune,
    visible_questions,
    visible_steps,
)
from intake.screening.conditions import BOOLEAN, CHOICE, CHOICES, NUMBER
from intake.screening.facts import derive
from tests.answers import none_of, pain_map, patient

CHECKLIST_ITEMS = {
    qid: q.QUESTIONS[qid].item_ids
    for qid in (
        "rf_urgent_checklist",
        "rf_other_checklist",
        "axspa_checklist",
        "pain_map",
        "sss_6m_checklist",
        "safety_checklist",
    )
}


def step_ids(answers: dict, min_age: int = q.MIN_AGE_SELF_CONSENT) -> list[str]:
    return [step.id for step in visible_steps(answers, min_age)]


def shown(question_id: str, answers: dict, min_age: int = q.MIN_AGE_SELF_CONSENT) -> bool:
    question = q.QUESTIONS[question_id]
    step = next(s for s in q.STEPS if question in s.questions)
    return question in visible_questions(step, answers, min_age)


def test_the_helper_patient_is_valid() -> None:
    assert validate_answers(patient()) == {}
    assert rules.screen(patient()).outcome == "suitable"


# --- Data dictionary -----------------------------------------------------------------------

AGREE = ("agree", "disagree")
WPI_IDS = [
    "wpi_jaw_l", "wpi_shoulder_l", "wpi_upper_arm_l", "wpi_lower_arm_l",
    "wpi_jaw_r", "wpi_shoulder_r", "wpi_upper_arm_r", "wpi_lower_arm_r",
    "wpi_hip_l", "wpi_upper_leg_l", "wpi_lower_leg_l",
    "wpi_hip_r", "wpi_upper_leg_r", "wpi_lower_leg_r",
    "wpi_neck", "wpi_upper_back", "wpi_lower_back", "wpi_chest", "wpi_abdomen",
]  # fmt: skip
RF_IDS = [
    "rf_bladder", "rf_bowel", "rf_saddle", "rf_sexual", "rf_bilateral_leg",
    "rf_progressive_weakness", "rf_major_trauma", "rf_fever", "rf_ivdu", "rf_cancer_history",
    "rf_weight_loss", "rf_night_pain", "rf_new_onset", "rf_osteoporosis",
    "rf_minor_trauma_or_sudden",
]  # fmt: skip
DN_BOOLEANS = [
    "needle_phobia", "unwilling", "unable_to_consent", "acute_medical_condition",
    "lymphoedema_in_area", "bleeding_disorder", "immunocompromised", "pregnant", "diabetes",
    "epilepsy", "metal_allergy", "vascular_disease_in_area", "recent_surgery_in_area",
    "local_infection_or_lesion_at_site", "implanted_electrical_device", "frail",
    "guardian_consent_given",
]  # fmt: skip
MEDICATION_CLASSES = (
    "anticoagulant", "antiplatelet", "nsaid", "opioid", "gabapentinoid", "muscle_relaxant",
    "oral_corticosteroid_long_term", "immunosuppressant",
)  # fmt: skip

# (§0 answer id, fact type, choices or None, origin)
DICTIONARY_ROWS = (
    [
        (qid, CHOICE, AGREE, "question")
        for qid in (
            "sb1_leg_pain",
            "sb2_shoulder_neck",
            "sb3_walk_short",
            "sb4_dress_slow",
            "sb5_not_safe_active",
            "sb6_worrying",
            "sb7_terrible_never_better",
            "sb8_not_enjoyed",
        )
    ]
    + [
        (
            "sb9_bothersome",
            CHOICE,
            ("not_at_all", "slightly", "moderately", "very_much", "extremely"),
            "question",
        )
    ]
    + [(qid, BOOLEAN, None, "question") for qid in WPI_IDS]
    + [
        (qid, CHOICE, (0, 1, 2, 3), "question")
        for qid in ("sss_fatigue", "sss_waking_unrefreshed", "sss_cognitive")
    ]
    + [
        (qid, BOOLEAN, None, "question")
        for qid in (
            "sss_headaches_6m",
            "sss_lower_abdominal_pain_6m",
            "sss_depression_6m",
            "symptoms_3_months",
        )
    ]
    + [
        (qid, NUMBER, None, "question")
        for qid in (
            "nprs_now",
            "peg_pain_avg_week",
            "peg_enjoyment_interference",
            "peg_activity_interference",
            "age",
        )
    ]
    + [(qid, BOOLEAN, None, "question") for qid in RF_IDS]
    + [
        ("rf_immunosuppressed", BOOLEAN, None, "derived"),
        ("rf_steroid_long_term", BOOLEAN, None, "derived"),
        ("axspa_onset_before_45", BOOLEAN, None, "question"),
        ("axspa_duration_over_3m", BOOLEAN, None, "derived"),
        ("axspa_additional_criteria_count", NUMBER, None, "derived"),
    ]
    + [(qid, BOOLEAN, None, "question") for qid in DN_BOOLEANS]
    + [
        ("anticoagulant", BOOLEAN, None, "derived"),
        ("antiplatelet", BOOLEAN, None, "derived"),
        ("pregnancy_trimester", CHOICE, (1, 2, 3), "question"),
        ("medication_classes", CHOICES, MEDICATION_CLASSES, "question"),
    ]
)


@pytest.mark.parametrize(
    ("fact_id", "fact_type", "choices", "origin"),
    DICTIONARY_ROWS,
    ids=[row[0] for row in DICTIONARY_ROWS],
)
def test_data_dictionary_covers_clinical_answer_ids(
    fact_id: str, fact_type: str, choices: tuple | None, origin: str
) -> None:
    spec = q.data_dictionary()[fact_id]
    assert spec.id == fact_id
    assert spec.type == fact_type
    assert spec.origin == origin
    assert spec.label
    if choices is not None:
        assert spec.choices == choices
        assert len(spec.choice_labels) == len(choices)
        assert all(spec.choice_labels)


def test_data_dictionary_ranges_and_sections() -> None:
    dictionary = q.data_dictionary()
    assert (dictionary["age"].minimum, dictionary["age"].maximum) == (1, 120)
    assert (dictionary["nprs_now"].minimum, dictionary["nprs_now"].maximum) == (0, 10)
    assert dictionary["axspa_additional_criteria_count"].maximum == 9
    assert dictionary["rf_bladder"].section == "Back pain red flags"
    assert dictionary["sb1_leg_pain"].section == "Back pain prognosis"
    assert dictionary["wpi_neck"].section == "Your pain"
    assert dictionary["pain_head"].section == "Your pain"
    assert dictionary["axspa_psoriasis"].section == "Back pain red flags"
    assert dictionary["sss_fatigue"].section == "Widespread pain"
    assert dictionary["pregnant"].section == "About you"
    assert len([k for k in dictionary if k.startswith("wpi_")]) == 19


def test_every_asked_answer_is_in_the_dictionary() -> None:
    assert set(q.ASKED_BY) <= set(q.data_dictionary())


def test_ids_are_unique_and_snake_case() -> None:
    step_list = [step.id for step in q.STEPS]
    question_list = [question.id for step in q.STEPS for question in step.questions]
    answer_list = [item for step in q.STEPS for qu in step.questions for item in qu.item_ids]
    derived = list(q.DERIVED)
    assert len(step_list) == len(set(step_list))
    assert len(question_list) == len(set(question_list))
    assert len(answer_list) == len(set(answer_list))
    assert not set(derived) & set(answer_list)
    checklist_ids = {qu.id for step in q.STEPS for qu in step.questions if qu.kind == q.CHECKLIST}
    assert not checklist_ids & set(answer_list)
    for name in step_list + question_list + answer_list + derived:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name


# --- Branching -----------------------------------------------------------------------------

ALWAYS = [
    "about_you", "pain_areas", "your_pain", "pain_impact", "medication", "needling_safety",
]  # fmt: skip
PAIN, AFTER = ALWAYS[:4], ALWAYS[4:]  # the pages before and after the extra pain pages
BACK = [*PAIN, "back_warning_signs", "back_pain_outlook"]
LONG_BACK = [*PAIN, "back_warning_signs", "back_pain_pattern", "back_pain_outlook"]
OVER_12 = {"pain_duration": "over_12_weeks"}

SIX_AREAS_IN_THREE_REGIONS = (
    "wpi_shoulder_l", "wpi_shoulder_r", "wpi_upper_arm_l", "wpi_lower_arm_r",
    "wpi_hip_l", "wpi_hip_r",
)  # fmt: skip

STEP_ROWS = [
    ("nothing-answered", {}, ALWAYS),
    ("back-pain", pain_map("wpi_lower_back"), [*BACK, *AFTER]),
    ("back-pain-over-12-weeks", {**pain_map("wpi_lower_back"), **OVER_12}, [*LONG_BACK, *AFTER]),
    (
        "back-pain-6-to-12-weeks",
        {**pain_map("wpi_lower_back"), "pain_duration": "6_to_12_weeks"},
        [*BACK, *AFTER],
    ),
    ("neck-pain-over-12-weeks", {**pain_map("wpi_neck"), **OVER_12}, ALWAYS),
    ("neck-pain-only", pain_map("wpi_neck"), ALWAYS),
    ("upper-back-is-not-lower-back", pain_map("wpi_upper_back", "wpi_neck"), ALWAYS),
    ("no-pain-ticked", pain_map(), ALWAYS),
    (
        "sport-onset",
        {**pain_map("wpi_shoulder_l"), "pain_onset": "sport"},
        [*PAIN, "sports_injury", *AFTER],
    ),
    ("work-onset", {**pain_map("wpi_shoulder_l"), "pain_onset": "work"}, ALWAYS),
    (
        "fibromyalgia-diagnosed",
        {**pain_map("wpi_neck"), "fibromyalgia_diagnosed": True},
        [*PAIN, "widespread_pain", "other_symptoms", *AFTER],
    ),
    ("fibromyalgia-no", {**pain_map("wpi_neck"), "fibromyalgia_diagnosed": False}, ALWAYS),
    (
        "four-regions",
        pain_map("wpi_neck", "wpi_shoulder_r", "wpi_lower_arm_l", "wpi_lower_leg_r"),
        [*PAIN, "widespread_pain", "other_symptoms", *AFTER],
    ),
    (
        "head-hand-and-foot-are-regions",
        pain_map("pain_head", "pain_hand", "pain_foot", "wpi_chest"),
        [*PAIN, "widespread_pain", "other_symptoms", *AFTER],
    ),
    ("three-regions", pain_map("wpi_neck", "wpi_shoulder_l", "wpi_upper_arm_r"), ALWAYS),
    (
        "six-areas-in-three-regions",
        pain_map(*SIX_AREAS_IN_THREE_REGIONS),
        ALWAYS,
    ),
    (
        "everything",
        {
            **pain_map("wpi_lower_back", "wpi_neck", "wpi_shoulder_l", "wpi_hip_r"),
            "pain_onset": "sport",
            **OVER_12,
        },
        [*LONG_BACK, "sports_injury", "widespread_pain", "other_symptoms", *AFTER],
    ),
    # Answers stored before the pain map name the body regions themselves.
    ("stored-regions-back-pain", {"pain_regions": ["lower_back"]}, [*BACK, *AFTER]),
    (
        "stored-regions-four",
        {"pain_regions": ["neck", "shoulder", "arm_hand", "leg_knee_foot"]},
        [*PAIN, "widespread_pain", "other_symptoms", *AFTER],
    ),
]


@pytest.mark.parametrize(
    ("answers", "expected"), [row[1:] for row in STEP_ROWS], ids=[row[0] for row in STEP_ROWS]
)
def test_visible_steps(answers: dict, expected: list[str]) -> None:
    assert step_ids(answers) == expected


QUESTION_ROWS = [
    ("pregnant-female", "pregnant", {"sex": "female"}, True),
    ("pregnant-intersex", "pregnant", {"sex": "intersex"}, True),
    ("pregnant-prefer-not", "pregnant", {"sex": "prefer_not_to_say"}, True),
    ("pregnant-male", "pregnant", {"sex": "male"}, False),
    ("trimester-pregnant", "pregnancy_trimester", {"sex": "female", "pregnant": True}, True),
    ("trimester-not-pregnant", "pregnancy_trimester", {"sex": "female", "pregnant": False}, False),
    ("trimester-unanswered", "pregnancy_trimester", {"sex": "female"}, False),
    ("guardian-17", "guardian_consent_given", {"age": 17}, True),
    ("guardian-18", "guardian_consent_given", {"age": 18}, False),
    ("guardian-5", "guardian_consent_given", {"age": 5}, True),
    ("guardian-no-age", "guardian_consent_given", {}, False),
    ("unable-someone-else", "unable_to_consent", {"respondent": "someone_else"}, True),
    ("unable-self", "unable_to_consent", {"respondent": "self"}, False),
    ("reaction-yes", "previous_needling_reaction", {"previous_needling": "yes_reaction"}, True),
    ("reaction-fine", "previous_needling_reaction", {"previous_needling": "yes_fine"}, False),
]


@pytest.mark.parametrize(
    ("question_id", "answers", "expected"),
    [row[1:] for row in QUESTION_ROWS],
    ids=[row[0] for row in QUESTION_ROWS],
)
def test_conditional_questions(question_id: str, answers: dict, expected: bool) -> None:
    assert shown(question_id, answers) is expected


@pytest.mark.parametrize(
    ("age", "min_age", "expected"),
    [(15, 16, True), (16, 16, False), (17, 16, False), (17, 18, True), (18, 18, False)],
    ids=["15-of-16", "16-of-16", "17-of-16", "17-of-18", "18-of-18"],
)
def test_guardian_question_follows_the_self_consent_age(
    age: int, min_age: int, expected: bool
) -> None:
    assert shown("guardian_consent_given", {"age": age}, min_age) is expected


def test_next_and_previous_step_with_back_pain() -> None:
    answers = patient()
    assert next_step(answers, None).id == "about_you"
    assert next_step(answers, "about_you").id == "pain_areas"
    assert next_step(answers, "pain_areas").id == "your_pain"
    assert next_step(answers, "pain_impact").id == "back_warning_signs"
    assert next_step(answers, "back_warning_signs").id == "back_pain_outlook"
    assert next_step(answers, "back_pain_outlook").id == "medication"
    assert next_step(answers, "needling_safety") is None
    assert previous_step(answers, "medication").id == "back_pain_outlook"
    assert previous_step(answers, "back_warning_signs").id == "pain_impact"
    assert previous_step(answers, "your_pain").id == "pain_areas"
    assert previous_step(answers, "about_you") is None


def test_next_and_previous_step_with_back_pain_over_12_weeks() -> None:
    answers = patient(pain_duration="over_12_weeks")
    assert next_step(answers, "back_warning_signs").id == "back_pain_pattern"
    assert next_step(answers, "back_pain_pattern").id == "back_pain_outlook"
    assert previous_step(answers, "back_pain_outlook").id == "back_pain_pattern"
    assert previous_step(answers, "back_pain_pattern").id == "back_warning_signs"


def test_next_and_previous_step_without_back_pain() -> None:
    answers = patient(**pain_map("wpi_neck"))
    assert next_step(answers, "pain_impact").id == "medication"
    assert previous_step(answers, "medication").id == "pain_impact"
    # A page that has just become hidden still leads on to the next shown page.
    assert next_step(answers, "back_warning_signs").id == "medication"


def test_next_step_through_sports_and_widespread_pages() -> None:
    answers = patient(
        **pain_map("wpi_lower_back", "wpi_neck", "wpi_shoulder_l", "wpi_hip_r"),
        pain_onset="sport",
    )
    assert next_step(answers, "back_pain_outlook").id == "sports_injury"
    assert next_step(answers, "sports_injury").id == "widespread_pain"
    assert previous_step(answers, "medication").id == "other_symptoms"


def test_a_typical_back_pain_patient_sees_at_most_10_pages_and_40_questions() -> None:
    """design.md: at most ~40 questions. Issue 11 split long pages (the pain map, the back pain
    pattern) so that no page is too tall: 9 pages and 29 questions for back pain up to 12 weeks,
    10 pages and 31 questions beyond, always in the same 5 parts."""
    for answers in (patient(), patient(pain_duration="over_12_weeks")):
        steps = visible_steps(answers)
        questions = [qu for step in steps for qu in visible_questions(step, answers)]
        assert len(steps) <= 10
        assert len(questions) <= 40
        assert [part.id for part in q.PARTS] == list(dict.fromkeys(s.part for s in steps))


def test_first_unanswered_step() -> None:
    assert first_unanswered_step({}).id == "about_you"
    assert first_unanswered_step(patient()) is None
    assert first_unanswered_step(patient(sb3_walk_short=None)).id == "back_pain_outlook"
    assert first_unanswered_step(patient(pain_onset="sport")).id == "sports_injury"


# --- prune ---------------------------------------------------------------------------------

SPORT = {
    "sport_name": "Running",
    "sport_injury_kind": "muscle",
    "sport_level": "recreational",
}


def test_prune_keeps_a_consistent_answer_set() -> None:
    answers = patient(pain_onset="sport", **SPORT)
    assert prune(answers) == answers


PRUNE_ROWS = [
    ("onset-no-longer-sport", patient(pain_onset="work", **SPORT), list(SPORT)),
    (
        "no-longer-back-pain",
        patient(**pain_map("wpi_neck")),
        [*CHECKLIST_ITEMS["rf_urgent_checklist"], *CHECKLIST_ITEMS["rf_other_checklist"]]
        + [k for k in patient() if k.startswith("sb")],
    ),
    (
        "no-longer-pregnant",
        patient(pregnant=False, pregnancy_trimester=1),
        ["pregnancy_trimester"],
    ),
    (
        "male-drops-pregnancy-chain",
        patient(sex="male", pregnant=True, pregnancy_trimester=2),
        ["pregnant", "pregnancy_trimester"],
    ),
    (
        "adult-drops-guardian",
        patient(age=30, guardian_consent_given=True),
        ["guardian_consent_given"],
    ),
    (
        "self-drops-unable-to-consent",
        patient(unable_to_consent=False),
        ["unable_to_consent"],
    ),
    (
        "lower-back-unticked-drops-axspa",
        patient(
            **pain_map("wpi_neck"),
            pain_duration="over_12_weeks",
            axspa_onset_before_45=True,
            **none_of("axspa_checklist"),
        ),
        [
            "axspa_onset_before_45",
            *CHECKLIST_ITEMS["axspa_checklist"],
            *CHECKLIST_ITEMS["rf_urgent_checklist"],
            *CHECKLIST_ITEMS["rf_other_checklist"],
            *[k for k in patient() if k.startswith("sb")],
        ],
    ),
    (
        "shorter-duration-drops-axspa",
        patient(axspa_onset_before_45=True, **none_of("axspa_checklist")),
        ["axspa_onset_before_45", *CHECKLIST_ITEMS["axspa_checklist"]],
    ),
    (
        "unknown-ids",
        patient(blood_thiners=True, anticoagulant=True),
        ["blood_thiners", "anticoagulant"],
    ),
]


@pytest.mark.parametrize(
    ("answers", "dropped"), [row[1:] for row in PRUNE_ROWS], ids=[row[0] for row in PRUNE_ROWS]
)
def test_prune_drops_answers_of_hidden_pages_and_questions(answers: dict, dropped: list) -> None:
    pruned = prune(answers)
    assert set(answers) - set(pruned) == set(dropped)
    assert all(pruned[key] == answers[key] for key in pruned)


# --- parse_step ----------------------------------------------------------------------------


def step_of(question_id: str) -> q.Step:
    return next(s for s in q.STEPS if any(qu.id == question_id for qu in s.questions))


# Context answers that make each question shown.
CONTEXT = {
    "sport_name": {"pain_onset": "sport"},
    "pregnancy_trimester": {"sex": "female", "pregnant": True},
}


def blank(question_id: str, kind_message: str) -> str:
    """What a required question left blank says: its own message if questionnaire.yaml gives
    one (`error:`), else the message for its kind."""
    return q.QUESTIONS[question_id].error or kind_message


ERROR_ROWS = [
    # (id, question, raw form values, expected error)
    (
        "missing-yes-no",
        "fibromyalgia_diagnosed",
        [],
        blank("fibromyalgia_diagnosed", "Select an answer"),
    ),
    ("missing-single", "pain_duration", [], blank("pain_duration", "Select an answer")),
    ("missing-multi", "goals", [], blank("goals", "Select at least one option")),
    (
        "missing-multi-with-none",
        "medication_classes",
        [],
        blank("medication_classes", "Select all that apply, or 'None of these'"),
    ),
    (
        "missing-checklist",
        "safety_checklist",
        [],
        blank("safety_checklist", "Select all that apply, or 'None of these'"),
    ),
    ("missing-integer", "age", [], blank("age", "Enter an answer")),
    ("missing-integer-blank", "age", ["   "], blank("age", "Enter an answer")),
    ("missing-scale", "nprs_now", [], blank("nprs_now", "Select a number from 0 to 10")),
    ("missing-text", "sport_name", [""], blank("sport_name", "Enter an answer")),
    ("unknown-choice", "pain_duration", ["forever"], "Select one of the options"),
    ("unknown-yes-no", "fibromyalgia_diagnosed", ["maybe"], "Select yes or no"),
    ("unknown-multi-choice", "goals", ["less_pain", "fly"], "Select from the options given"),
    (
        "unknown-pain-map-area",
        "pain_map",
        ["wpi_neck", "pain_tail"],
        "Select from the options given",
    ),
    (
        "pain-map-none-with-an-area",
        "pain_map",
        ["none", "wpi_neck"],
        "Select 'I have not had pain in the past week' on its own, or the options that apply",
    ),
    (
        "missing-pain-map",
        "pain_map",
        [],
        blank("pain_map", "Select all that apply, or 'I have not had pain in the past week'"),
    ),
    ("unknown-checklist-item", "safety_checklist", ["rf_bladder"], "Select from the options given"),
    ("none-without-none-option", "goals", ["none"], "Select from the options given"),
    ("not-a-number", "age", ["forty"], "Enter a whole number, like 42"),
    ("negative-number", "age", ["-3"], "Enter a whole number, like 42"),
    ("decimal-number", "age", ["4.5"], "Enter a whole number, like 42"),
    ("too-many-digits", "age", ["0000042"], "Enter a whole number, like 42"),
    ("scale-not-a-number", "nprs_now", ["lots"], "Select a number from 0 to 10"),
    ("age-too-low", "age", ["0"], "Enter a number from 1 to 120"),
    ("age-too-high", "age", ["121"], "Enter a number from 1 to 120"),
    ("scale-too-high", "nprs_now", ["11"], "Enter a number from 0 to 10"),
    ("text-too-long", "sport_name", ["x" * 81], "Use 80 characters or fewer"),
    (
        "none-with-an-item",
        "safety_checklist",
        ["none", "diabetes"],
        "Select 'None of these' on its own, or the options that apply",
    ),
    (
        "none-with-a-medicine",
        "medication_classes",
        ["nsaid", "none"],
        "Select 'None of these' on its own, or the options that apply",
    ),
    ("two-values-single", "pain_onset", ["sport", "work"], "Give one answer"),
    ("two-values-yes-no", "fibromyalgia_diagnosed", ["yes", "no"], "Give one answer"),
    ("two-values-number", "age", ["30", "31"], "Give one answer"),
]


@pytest.mark.parametrize(
    ("question_id", "raw", "message"),
    [row[1:] for row in ERROR_ROWS],
    ids=[row[0] for row in ERROR_ROWS],
)
def test_parse_step_error_messages(question_id: str, raw: list[str], message: str) -> None:
    step = step_of(question_id)
    answers = CONTEXT.get(question_id, {})
    _, errors = parse_step(step, {question_id: raw}, answers)
    assert errors[question_id] == message


#: The shipped questionnaire has no date question now; the kind stays, so it is tested alone.
DATE = q.Question(id="injury_date", kind=q.DATE_KIND, label="When did it happen?")

DATE_ERROR_ROWS = [
    ("date-impossible", ["31 2 2026"], "Enter a real date, for example 27 3 2026"),
    ("date-month-13", ["2026-13-01"], "Enter a real date, for example 27 3 2026"),
    ("date-words", ["last week"], "Enter a real date, for example 27 3 2026"),
    ("date-two-parts", ["3 2026"], "Enter a real date, for example 27 3 2026"),
    ("date-huge-year", ["1-1-99999999999"], "Enter a real date, for example 27 3 2026"),
    ("date-future", ["1 1 2999"], "The date must be today or in the past"),
    ("date-before-1900", ["1 1 1850"], "Enter a date after 1900"),
    ("date-two-values", ["1 1 2020", "2 2 2020"], "Give one answer"),
]


@pytest.mark.parametrize(
    ("raw", "message"),
    [row[1:] for row in DATE_ERROR_ROWS],
    ids=[row[0] for row in DATE_ERROR_ROWS],
)
def test_date_error_messages(raw: list[str], message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_value(DATE, raw)
    assert str(caught.value) == message


KIND_MESSAGE_ROWS = [
    # A question without its own `error:` gets the message for its kind when left blank.
    (q.Question(id="x", kind=q.YES_NO, label="X?"), "Select an answer"),
    (q.Question(id="x", kind=q.SINGLE, label="X?"), "Select an answer"),
    (q.Question(id="x", kind=q.MULTI, label="X?"), "Select at least one option"),
    (
        q.Question(id="x", kind=q.MULTI, label="X?", none_label="None of these"),
        "Select all that apply, or 'None of these'",
    ),
    (
        q.Question(id="x", kind=q.CHECKLIST, label="X?", none_label="Neither"),
        "Select all that apply, or 'Neither'",
    ),
    (q.Question(id="x", kind=q.INTEGER, label="X?"), "Enter an answer"),
    (
        q.Question(id="x", kind=q.SCALE, label="X?", minimum=0, maximum=10),
        "Select a number from 0 to 10",
    ),
    (q.Question(id="x", kind=q.TEXT_KIND, label="X?"), "Enter an answer"),
    (DATE, "Enter a date"),
    (q.Question(id="x", kind=q.INTEGER, label="X?", error="Enter your age"), "Enter your age"),
]


@pytest.mark.parametrize(
    ("question", "message"),
    KIND_MESSAGE_ROWS,
    ids=[f"{row[0].kind}{'-own' if row[0].error else ''}" for row in KIND_MESSAGE_ROWS],
)
def test_the_message_for_a_blank_question(question: q.Question, message: str) -> None:
    assert missing_message(question) == message


def test_a_date_left_blank() -> None:
    assert parse_value(DATE, ["  "]) is None
    assert missing_message(DATE) == "Enter a date"


VALUE_ROWS = [
    ("yes", "fibromyalgia_diagnosed", ["yes"], True),
    ("no", "fibromyalgia_diagnosed", [" no "], False),
    ("single", "pain_onset", ["sport"], "sport"),
    ("single-int-choice", "sss_fatigue", ["2"], 2),
    ("single-text-zero", "pain_medication_days", ["0"], "0"),
    (
        "multi-deduplicated",
        "goals",
        ["more_movement", "less_pain", "more_movement"],
        ["more_movement", "less_pain"],
    ),
    ("multi-none", "medication_classes", ["none"], []),
    ("integer", "age", ["42"], 42),
    ("integer-bounds", "age", ["120"], 120),
    ("scale-zero", "nprs_now", ["0"], 0),
    ("text-stripped", "goal_notes", ["  walk the dog  "], "walk the dog"),
    ("blank-optional-is-none", "goal_notes", [""], None),
    ("bare-string", "age", "42", 42),
]


@pytest.mark.parametrize(
    ("question_id", "raw", "value"),
    [row[1:] for row in VALUE_ROWS],
    ids=[row[0] for row in VALUE_ROWS],
)
def test_parse_value(question_id: str, raw: Any, value: Any) -> None:
    parsed = parse_value(q.QUESTIONS[question_id], raw)
    assert parsed == value
    assert type(parsed) is type(value)


DATE_VALUE_ROWS = [
    ("date-iso", ["2026-03-27"], "2026-03-27"),
    ("date-dmy-spaces", ["27 3 2026"], "2026-03-27"),
    ("date-dmy-slashes", ["27/03/2026"], "2026-03-27"),
    ("date-dmy-dots", ["1.2.2024"], "2024-02-01"),
    ("date-month-name", ["11 Nov 2025"], "2025-11-11"),
    ("date-month-full-name", ["2 february 2024"], "2024-02-02"),
    ("date-bare-string", " 29/2/2024 ", "2024-02-29"),
]


@pytest.mark.parametrize(
    ("raw", "value"), [row[1:] for row in DATE_VALUE_ROWS], ids=[row[0] for row in DATE_VALUE_ROWS]
)
def test_parse_date_value(raw: Any, value: str) -> None:
    assert parse_value(DATE, raw) == value


def test_parse_step_turns_a_checklist_into_booleans() -> None:
    step = q.STEPS_BY_ID["back_warning_signs"]
    form = {
        "rf_urgent_checklist": ["rf_bladder", "rf_fever"],
        "rf_other_checklist": ["none"],
        "axspa_checklist": ["axspa_psoriasis"],  # a question of another page is not read
    }
    updated, errors = parse_step(step, form, {"wpi_lower_back": True})
    assert errors == {}
    assert {item: updated[item] for item in CHECKLIST_ITEMS["rf_urgent_checklist"]} == {
        item: item in ("rf_bladder", "rf_fever") for item in CHECKLIST_ITEMS["rf_urgent_checklist"]
    }
    assert all(updated[item] is False for item in CHECKLIST_ITEMS["rf_other_checklist"])
    assert not any(item in updated for item in CHECKLIST_ITEMS["axspa_checklist"])


def test_parse_step_stores_the_whole_pain_map() -> None:
    step = q.STEPS_BY_ID["pain_areas"]
    updated, errors = parse_step(step, {"pain_map": ["wpi_lower_back", "pain_foot"]}, {})
    assert errors == {}
    assert updated == pain_map("wpi_lower_back", "pain_foot")
    updated, errors = parse_step(step, {"pain_map": ["none"]}, updated)
    assert errors == {}
    assert updated == pain_map()


ABOUT_FEMALE = {"respondent": ["self"], "age": ["35"], "sex": ["female"]}


def test_parse_step_drops_hidden_conditional_questions() -> None:
    step = q.STEPS_BY_ID["about_you"]
    form = {**ABOUT_FEMALE, "pregnant": ["no"], "pregnancy_trimester": ["1"]}
    before = patient(pregnant=True, pregnancy_trimester=1)
    updated, errors = parse_step(step, form, before)
    assert errors == {}
    assert updated["pregnant"] is False
    assert "pregnancy_trimester" not in updated

    form = {**ABOUT_FEMALE, "sex": ["male"], "pregnant": ["no"]}
    updated, errors = parse_step(step, form, before)
    assert errors == {}
    assert "pregnant" not in updated and "pregnancy_trimester" not in updated

    step = q.STEPS_BY_ID["needling_safety"]
    form = {
        "safety_checklist": ["none"],
        "previous_needling": ["no"],
        "previous_needling_reaction": ["I fainted"],
        "guardian_consent_given": ["maybe"],
        "unable_to_consent": ["nonsense"],
    }
    updated, errors = parse_step(step, form, patient())
    assert errors == {}
    for hidden in ("previous_needling_reaction", "guardian_consent_given", "unable_to_consent"):
        assert hidden not in updated


def test_parse_step_requires_questions_shown_by_this_page() -> None:
    step = q.STEPS_BY_ID["about_you"]
    updated, errors = parse_step(step, {**ABOUT_FEMALE, "pregnant": ["yes"]}, {})
    assert updated["pregnant"] is True
    assert errors == {"pregnancy_trimester": blank("pregnancy_trimester", "Select an answer")}
    _, errors = parse_step(step, ABOUT_FEMALE, {})
    assert errors == {"pregnant": blank("pregnant", "Select an answer")}

    step = q.STEPS_BY_ID["needling_safety"]
    form = {"safety_checklist": ["none"], "previous_needling": ["yes_reaction"]}
    _, errors = parse_step(step, form, {"sex": "female", "age": 16})
    assert errors == {
        "previous_needling_reaction": blank("previous_needling_reaction", "Enter an answer")
    }
    step = q.STEPS_BY_ID["consent"]
    _, errors = parse_step(step, {}, {"respondent": "self", "age": 16})
    assert errors == {"guardian_consent_given": blank("guardian_consent_given", "Select an answer")}


PREGNANCY = ("pregnant", "pregnancy_trimester")


def test_parse_step_does_not_require_deferred_follow_ups() -> None:
    """Without JavaScript a follow-up the patient could not see is asked on the next page."""
    step = q.STEPS_BY_ID["about_you"]
    updated, errors = parse_step(step, ABOUT_FEMALE, {}, deferred=PREGNANCY)
    assert errors == {}
    assert updated == {"respondent": "self", "age": 35, "sex": "female"}
    # Deferring one question does not excuse the others.
    _, errors = parse_step(step, {**ABOUT_FEMALE, "age": [""]}, {}, deferred=PREGNANCY)
    assert errors == {"age": blank("age", "Enter an answer")}


def test_parse_step_stores_an_answered_deferred_follow_up() -> None:
    step = q.STEPS_BY_ID["about_you"]
    form = {**ABOUT_FEMALE, "pregnant": ["yes"], "pregnancy_trimester": ["2"]}
    updated, errors = parse_step(step, form, {}, deferred=PREGNANCY)
    assert errors == {}
    assert (updated["pregnant"], updated["pregnancy_trimester"]) == (True, 2)
    # An answer that cannot be read is still an error, deferred or not.
    form = {**ABOUT_FEMALE, "pregnant": ["maybe"]}
    _, errors = parse_step(step, form, {}, deferred=PREGNANCY)
    assert errors == {"pregnant": "Select yes or no"}
    # A deferred follow-up that its answer no longer calls for is dropped.
    form = {**ABOUT_FEMALE, "sex": ["male"], "pregnant": ["yes"]}
    updated, errors = parse_step(step, form, {}, deferred=PREGNANCY)
    assert errors == {} and "pregnant" not in updated


def test_parse_step_hides_a_follow_up_of_a_hidden_follow_up() -> None:
    """A woman answers "pregnant: yes", then changes sex to male: the revealed radio is still
    ticked, so the form sends pregnant=yes. Neither pregnancy question applies to him."""
    form = {**ABOUT_FEMALE, "sex": ["male"], "pregnant": ["yes"]}
    updated, errors = parse_step(q.STEPS_BY_ID["about_you"], form, {})
    assert errors == {}
    form["pregnancy_trimester"] = ["2"]
    updated, errors = parse_step(q.STEPS_BY_ID["about_you"], form, {})
    assert "pregnancy_trimester" not in updated


# --- Follow-ups ------------------------------------------------------------------------------

ABOUT_YOU = q.STEPS_BY_ID["about_you"]
SAFETY = q.STEPS_BY_ID["needling_safety"]
ADULT = {"respondent": "self", "age": 35}

FOLLOW_UP_ROWS = [
    # (id, step, saved answers, pending follow-ups, questions of the follow-up page)
    ("female", ABOUT_YOU, {**ADULT, "sex": "female"}, ["pregnant"], [*PREGNANCY]),
    ("intersex", ABOUT_YOU, {**ADULT, "sex": "intersex"}, ["pregnant"], [*PREGNANCY]),
    (
        "prefer-not-to-say",
        ABOUT_YOU,
        {**ADULT, "sex": "prefer_not_to_say"},
        ["pregnant"],
        [*PREGNANCY],
    ),
    ("male", ABOUT_YOU, {**ADULT, "sex": "male"}, [], None),
    (
        "pregnant",
        ABOUT_YOU,
        {**ADULT, "sex": "female", "pregnant": True},
        ["pregnancy_trimester"],
        ["pregnancy_trimester"],
    ),
    ("not-pregnant", ABOUT_YOU, {**ADULT, "sex": "female", "pregnant": False}, [], None),
    (
        "trimester-answered",
        ABOUT_YOU,
        {**ADULT, "sex": "female", "pregnant": True, "pregnancy_trimester": 1},
        [],
        None,
    ),
    ("sex-not-yet-answered", ABOUT_YOU, ADULT, [], None),
    (
        "needling-reaction",
        SAFETY,
        {**none_of("safety_checklist"), "previous_needling": "yes_reaction"},
        ["previous_needling_reaction"],
        ["previous_needling_reaction"],
    ),
    (
        "needling-fine",
        SAFETY,
        {**none_of("safety_checklist"), "previous_needling": "yes_fine"},
        [],
        None,
    ),
]


@pytest.mark.parametrize(
    ("step", "answers", "pending", "asked"),
    [row[1:] for row in FOLLOW_UP_ROWS],
    ids=[row[0] for row in FOLLOW_UP_ROWS],
)
def test_follow_ups_called_for_by_saved_answers(
    step: q.Step, answers: dict, pending: list[str], asked: list[str] | None
) -> None:
    assert [qu.id for qu in pending_follow_ups(step, answers)] == pending
    shown = follow_up_page(step, answers)
    if asked is None:
        assert shown is None
    else:
        assert [qu.id for qu in shown.questions] == asked
        assert (shown.id, shown.title, shown.part) == (step.id, step.title, step.part)
        assert (shown.intro, shown.notice) == ("", "")


def test_the_follow_up_page_asks_only_what_applies_once_answered() -> None:
    """The pregnancy page asks both questions, but trimester only after "yes"."""
    answers = {**ADULT, "sex": "female"}
    page = follow_up_page(ABOUT_YOU, answers)
    assert [qu.id for qu in visible_questions(page, answers)] == ["pregnant"]
    updated, errors = parse_step(page, {"pregnant": ["yes"]}, answers)
    assert errors == {"pregnancy_trimester": blank("pregnancy_trimester", "Select an answer")}
    updated, errors = parse_step(page, {"pregnant": ["yes"], "pregnancy_trimester": ["3"]}, answers)
    assert errors == {}
    assert updated == {**answers, "pregnant": True, "pregnancy_trimester": 3}
    assert follow_up_page(ABOUT_YOU, updated) is None


def test_a_man_is_never_asked_about_pregnancy() -> None:
    for answers in ({**ADULT, "sex": "male"}, patient(sex="male", pregnant=None)):
        assert "pregnant" not in [qu.id for qu in visible_questions(ABOUT_YOU, answers)]
        assert follow_up_page(ABOUT_YOU, answers) is None
        assert validate_answers(answers).get("pregnant") is None


def test_parse_step_blank_answer_clears_the_earlier_one() -> None:
    step = q.STEPS_BY_ID["pain_impact"]
    before = patient(goal_notes="old")
    sent = {question.id: [str(before[question.id])] for question in step.questions[:4]}
    updated, errors = parse_step(step, sent | {"goals": ["less_pain"], "goal_notes": [""]}, before)
    assert errors == {}
    assert "goal_notes" not in updated
    assert updated["age"] == 35  # other pages untouched


def test_parse_step_with_min_age_self_consent() -> None:
    step = q.STEPS_BY_ID["consent"]
    form = {"unable_to_consent": ["no"]}
    _, errors_16 = parse_step(step, form, {"respondent": "self", "age": 17}, 16)
    _, errors_18 = parse_step(step, form, {"respondent": "self", "age": 17}, 18)
    assert errors_16 == {}
    assert errors_18 == {
        "guardian_consent_given": blank("guardian_consent_given", "Select an answer")
    }


# --- form_values round trip ----------------------------------------------------------------


def sample_answers(question: q.Question) -> dict[str, Any]:
    """One valid answer for any question, in stored form."""
    kind = question.kind
    if kind == q.CHECKLIST:
        first = question.item_ids[0]
        return {item: item == first for item in question.item_ids}
    value: Any = {
        q.YES_NO: True,
        q.SINGLE: question.choices[-1].value if question.choices else None,
        q.MULTI: [c.value for c in question.choices[:2]],
        q.INTEGER: question.maximum,
        q.SCALE: question.minimum,
        q.TEXT_KIND: "Some words, with punctuation!",
        q.DATE_KIND: "2024-02-29",
    }[kind]
    return {question.id: value}


ALL_QUESTIONS = [qu for step in q.STEPS for qu in step.questions]


@pytest.mark.parametrize(
    "question", [*ALL_QUESTIONS, DATE], ids=[*(qu.id for qu in ALL_QUESTIONS), "a-date"]
)
def test_form_values_round_trip(question: q.Question) -> None:
    stored = sample_answers(question)
    raw = form_values(question, stored)
    assert raw
    parsed = parse_value(question, raw)
    if question.kind == q.CHECKLIST:
        assert parsed == stored
    else:
        assert parsed == stored[question.id]
        assert type(parsed) is type(stored[question.id])


@pytest.mark.parametrize(
    ("question_id", "stored"),
    [
        ("safety_checklist", none_of("safety_checklist")),
        ("medication_classes", {"medication_classes": []}),
        ("fibromyalgia_diagnosed", {"fibromyalgia_diagnosed": False}),
        ("sss_fatigue", {"sss_fatigue": 0}),
    ],
    ids=["checklist-none", "multi-none", "no", "zero-choice"],
)
def test_form_values_round_trip_for_none_and_falsy(question_id: str, stored: dict) -> None:
    question = q.QUESTIONS[question_id]
    raw = form_values(question, stored)
    parsed = parse_value(question, raw)
    assert (parsed if question.kind == q.CHECKLIST else {question_id: parsed}) == stored


@pytest.mark.parametrize("kind", sorted({qu.kind for qu in ALL_QUESTIONS}))
def test_round_trip_through_parse_step_for_every_kind(kind: str) -> None:
    answers = patient(
        **pain_map("wpi_lower_back", "pain_hand"),
        pain_onset="sport",
        **SPORT,
        goal_notes="Garden again",
        medication_classes=["nsaid"],
    )
    checked = 0
    for step in visible_steps(answers):
        questions = [qu for qu in visible_questions(step, answers) if qu.kind == kind]
        if not questions:
            continue
        form = {qu.id: form_values(qu, answers) for qu in visible_questions(step, answers)}
        updated, errors = parse_step(step, form, answers)
        assert errors == {}
        assert updated == answers
        checked += len(questions)
    assert checked >= 1


def test_form_values_of_unanswered_or_wrong_values_is_empty() -> None:
    assert form_values(q.QUESTIONS["age"], {}) == []
    assert form_values(q.QUESTIONS["safety_checklist"], {}) == []
    assert form_values(q.QUESTIONS["fibromyalgia_diagnosed"], {"fibromyalgia_diagnosed": 1}) == []
    assert form_values(q.QUESTIONS["goals"], {"goals": "less_pain"}) == []


# --- validate_answers ----------------------------------------------------------------------

VALIDATE_ROWS = [
    (
        "unknown-id",
        {"blood_thiners": True},
        {"blood_thiners": "is not a question of this questionnaire"},
    ),
    (
        "derived-id-is-not-asked",
        {"back_pain": True},
        {"back_pain": "is not a question of this questionnaire"},
    ),
    ("age-as-text", {"age": "35"}, {"age": "must be a whole number"}),
    ("age-fraction", {"age": 35.5}, {"age": "must be a whole number"}),
    ("age-bool", {"age": True}, {"age": "must be a whole number"}),
    ("age-nan", {"age": float("nan")}, {"age": "must be a whole number"}),
    ("age-inf", {"age": float("inf")}, {"age": "must be a whole number"}),
    ("age-huge", {"age": 10**400}, {"age": "must be a number from 1 to 120"}),
    ("age-zero", {"age": 0}, {"age": "must be a number from 1 to 120"}),
    ("age-121", {"age": 121}, {"age": "must be a number from 1 to 120"}),
    ("scale-11", {"nprs_now": 11}, {"nprs_now": "must be a number from 0 to 10"}),
    ("scale-negative", {"nprs_now": -1}, {"nprs_now": "must be a number from 0 to 10"}),
    (
        "yes-no-as-text",
        {"fibromyalgia_diagnosed": "yes"},
        {"fibromyalgia_diagnosed": "must be yes or no"},
    ),
    ("checklist-item-as-int", {"rf_bladder": 1}, {"rf_bladder": "must be yes or no"}),
    ("unknown-choice", {"pain_onset": "car"}, {"pain_onset": "is not one of the choices"}),
    (
        "int-choice-as-text",
        {"pregnancy_trimester": "1"},
        {"pregnancy_trimester": "is not one of the choices"},
    ),
    (
        "int-choice-as-bool",
        {"pregnancy_trimester": True},
        {"pregnancy_trimester": "is not one of the choices"},
    ),
    ("multi-not-a-list", {"goals": "less_pain"}, {"goals": "must be a list of choices"}),
    (
        "multi-unknown-choice",
        {"goals": ["less_pain", "fly"]},
        {"goals": "includes a value that is not one of the choices"},
    ),
    ("pain-map-area-as-text", {"wpi_neck": "yes"}, {"wpi_neck": "must be yes or no"}),
    (
        "stored-regions-are-not-a-question-now",
        {"pain_regions": ["lower_back"]},
        {"pain_regions": "is not a question of this questionnaire"},
    ),
    ("text-as-number", {"goal_notes": 3}, {"goal_notes": "must be text"}),
    ("text-too-long", {"goal_notes": "x" * 501}, {"goal_notes": "is too long"}),
    ("missing-integer", {"age": None}, {"age": blank("age", "Enter an answer")}),
    (
        "missing-single",
        {"sb1_leg_pain": None},
        {"sb1_leg_pain": blank("sb1_leg_pain", "Select an answer")},
    ),
    (
        "missing-scale",
        {"nprs_now": None},
        {"nprs_now": blank("nprs_now", "Select a number from 0 to 10")},
    ),
    (
        "missing-checklist",
        dict.fromkeys(CHECKLIST_ITEMS["rf_urgent_checklist"], None),
        {
            "rf_urgent_checklist": blank(
                "rf_urgent_checklist", "Select all that apply, or 'None of these'"
            )
        },
    ),
    (
        "missing-pain-map",
        {"wpi_lower_back": None},
        {
            "pain_map": blank(
                "pain_map", "Select all that apply, or 'I have not had pain in the past week'"
            )
        },
    ),
    (
        "missing-shown-follow-up",
        {"pregnant": True},
        {"pregnancy_trimester": blank("pregnancy_trimester", "Select an answer")},
    ),
    (
        "missing-follow-up-of-sex",
        {"pregnant": None, "sex": "intersex"},
        {"pregnant": blank("pregnant", "Select an answer")},
    ),
    (
        "missing-guardian",
        {"age": 16},
        {"guardian_consent_given": blank("guardian_consent_given", "Select an answer")},
    ),
    (
        "missing-sports-page",
        {"pain_onset": "sport"},
        {
            "sport_name": blank("sport_name", "Enter an answer"),
            "sport_injury_kind": blank("sport_injury_kind", "Select an answer"),
            "sport_level": blank("sport_level", "Select an answer"),
        },
    ),
    (  # under 45 the onset question is not asked (it holds): the features are
        "missing-back-pain-pattern",
        {"pain_duration": "over_12_weeks"},
        {
            "axspa_checklist": blank(
                "axspa_checklist", "Select all that apply, or 'None of these'"
            ),
        },
    ),
    (  # from 45 the onset question first; the features follow a "Yes"
        "missing-back-pain-pattern-from-45",
        {"pain_duration": "over_12_weeks", "age": 45},
        {"axspa_onset_before_45": blank("axspa_onset_before_45", "Select an answer")},
    ),
    (
        "missing-axspa-features-after-yes",
        {"pain_duration": "over_12_weeks", "age": 60, "axspa_onset_before_45": True},
        {
            "axspa_checklist": blank(
                "axspa_checklist", "Select all that apply, or 'None of these'"
            ),
        },
    ),
]


@pytest.mark.parametrize(
    ("changes", "errors"), [row[1:] for row in VALIDATE_ROWS], ids=[row[0] for row in VALIDATE_ROWS]
)
def test_validate_answers(changes: dict, errors: dict) -> None:
    answers = patient()
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    assert validate_answers(answers) == errors


@pytest.mark.parametrize("garbage", [None, 3, "age=3", ["age"], (("age", 3),)], ids=repr)
def test_validate_answers_of_a_non_mapping(garbage: Any) -> None:
    assert validate_answers(garbage) == {"": "Answers must be a mapping of question ids to values"}


def test_validate_answers_of_an_empty_set_lists_the_first_pages() -> None:
    errors = validate_answers({})
    assert errors["age"] == blank("age", "Enter an answer")
    assert errors["pain_map"] == blank(
        "pain_map", "Select all that apply, or 'I have not had pain in the past week'"
    )
    assert errors["safety_checklist"] == blank(
        "safety_checklist", "Select all that apply, or 'None of these'"
    )
    assert "sb1_leg_pain" not in errors  # no back pain known yet
    assert "pregnant" not in errors  # nor any sex that calls for it


#: A date's stored form is checked like any other answer's.
DATE_STORED_ROWS = [
    ("date-as-number", 20260101, "must be a date"),
    ("date-not-iso", "27/3/2026", "must be a date like 2026-03-27"),
    ("date-impossible", "2026-02-30", "must be a date like 2026-03-27"),
    ("date-iso", "2026-03-27", None),
]


@pytest.mark.parametrize(
    ("value", "problem"),
    [row[1:] for row in DATE_STORED_ROWS],
    ids=[row[0] for row in DATE_STORED_ROWS],
)
def test_a_stored_date_is_checked(value: Any, problem: str | None) -> None:
    assert _value_problem(DATE, value) == problem


def test_validate_answers_refuses_floats_duplicates_and_non_key_mappings() -> None:
    # Scoring counts only ints, so a float must not pass validation either.
    assert validate_answers(patient(age=35.0)) == {"age": "must be a whole number"}
    assert validate_answers(patient(goals=["less_pain", "less_pain"])) == {
        "goals": "lists a choice more than once"
    }
    assert validate_answers({1: 2}).get("1") == "is not a question of this questionnaire"


# --- derive --------------------------------------------------------------------------------

DERIVE_ROWS = [
    (
        "flag-to-list",
        {"anticoagulant": True},
        {"anticoagulant": True, "medication_classes": ["anticoagulant"]},
    ),
    (
        "list-to-flag",
        {"medication_classes": ["anticoagulant"]},
        {"anticoagulant": True, "antiplatelet": False},
    ),
    (
        "antiplatelet-list",
        {"medication_classes": ["antiplatelet"]},
        {"anticoagulant": False, "antiplatelet": True},
    ),
    ("antiplatelet-flag", {"antiplatelet": True}, {"medication_classes": ["antiplatelet"]}),
    (
        "both-flags",
        {"anticoagulant": True, "antiplatelet": True},
        {"medication_classes": ["anticoagulant", "antiplatelet"]},
    ),
    ("flag-false", {"anticoagulant": False}, {"anticoagulant": False, "medication_classes": []}),
    ("list-empty", {"medication_classes": []}, {"anticoagulant": False, "antiplatelet": False}),
    (
        "flag-added-to-list",
        {"anticoagulant": True, "medication_classes": ["nsaid"]},
        {"medication_classes": ["nsaid", "anticoagulant"], "anticoagulant": True},
    ),
    (
        "list-wins-over-false-flag",
        {"anticoagulant": False, "medication_classes": ["anticoagulant"]},
        {"anticoagulant": True},
    ),
    (
        "junk-in-list-ignored",
        {"medication_classes": ["nsaid", 3, None]},
        {"medication_classes": ["nsaid"], "anticoagulant": False},
    ),
    (
        "steroids-immunocompromised",
        {"medication_classes": ["oral_corticosteroid_long_term"]},
        {"immunocompromised": True},
    ),
    (
        "immunosuppressant-immunocompromised",
        {"medication_classes": ["immunosuppressant"]},
        {"immunocompromised": True},
    ),
    (
        "steroids-with-back-pain",
        {"wpi_lower_back": True, "medication_classes": ["oral_corticosteroid_long_term"]},
        {"rf_steroid_long_term": True, "rf_immunosuppressed": True, "back_pain": True},
    ),
    (
        "immune-answer-with-back-pain",
        {"wpi_lower_back": True, "immunocompromised": True},
        {"rf_immunosuppressed": True},
    ),
    (
        "axspa-count",
        {
            **pain_map("wpi_lower_back"),
            "pain_duration": "over_12_weeks",
            "axspa_buttock_pain": True,
            "axspa_psoriasis": True,
            "axspa_arthritis": True,
            "axspa_enthesitis": False,
        },
        {"axspa_additional_criteria_count": 3, "axspa_duration_over_3m": True},
    ),
    (
        "axspa-none-of-these",
        {
            **pain_map("wpi_lower_back"),
            "pain_duration": "over_12_weeks",
            **none_of("axspa_checklist"),
        },
        {"axspa_additional_criteria_count": 0},
    ),
    (
        "axspa-short-duration",
        {"wpi_lower_back": True, "pain_duration": "6_to_12_weeks"},
        {"axspa_duration_over_3m": False},
    ),
    # back_pain and pain_region_count (of 9 body regions) come from the pain map ...
    (
        "map-region-count",
        pain_map("wpi_neck", "wpi_shoulder_l", "wpi_shoulder_r", "wpi_lower_back"),
        {"pain_region_count": 3, "back_pain": True},
    ),
    (
        "map-both-sides-are-one-region",
        pain_map("wpi_hip_l", "wpi_hip_r"),
        {"pain_region_count": 1, "back_pain": False},
    ),
    (
        "map-head-hand-and-foot",
        pain_map("pain_head", "pain_hand", "pain_foot"),
        {"pain_region_count": 3, "back_pain": False},
    ),
    (
        "map-areas-of-one-region",
        pain_map("wpi_jaw_l", "pain_head"),
        {"pain_region_count": 1},
    ),
    (
        "map-upper-back-is-not-back-pain",
        pain_map("wpi_upper_back"),
        {"pain_region_count": 1, "back_pain": False},
    ),
    (
        "map-everything",
        pain_map(*q.QUESTIONS["pain_map"].item_ids),
        {"pain_region_count": 9, "back_pain": True},
    ),
    ("map-nothing", pain_map(), {"pain_region_count": 0, "back_pain": False}),
    ("map-lower-back-only", {"wpi_lower_back": True}, {"pain_region_count": 1, "back_pain": True}),
    ("map-not-true-is-not-ticked", {"wpi_lower_back": "yes"}, {"back_pain": False}),
    ("no-regions", {}, {"pain_region_count": 0, "back_pain": False}),
    # ... and still from answers stored before the map, which name the regions.
    (
        "stored-region-count",
        {"pain_regions": ["neck", "shoulder", "lower_back"]},
        {"pain_region_count": 3, "back_pain": True},
    ),
    (
        "stored-regions-without-back",
        {"pain_regions": ["neck", "upper_back"]},
        {"pain_region_count": 2, "back_pain": False},
    ),
    ("stored-regions-empty", {"pain_regions": []}, {"pain_region_count": 0, "back_pain": False}),
    (
        "stored-regions-junk-ignored",
        {"pain_regions": ["neck", 3, None, "neck"]},
        {"pain_region_count": 1},
    ),
    (
        # Old answers also held the WPI areas (asked on the widespread pain page); the regions
        # they named stay the ones their facts are worked out from.
        "stored-regions-win-over-old-wpi-areas",
        {"pain_regions": ["neck"], "wpi_lower_back": True, "wpi_hip_l": True},
        {"pain_region_count": 1, "back_pain": False},
    ),
    (
        "stored-back-pain-red-flag-facts",
        {"pain_regions": ["lower_back"], "medication_classes": ["oral_corticosteroid_long_term"]},
        {"rf_steroid_long_term": True, "back_pain": True},
    ),
    ("minor", {"age": 17}, {"guardian_consent_required": True}),
    ("adult", {"age": 18}, {"guardian_consent_required": False}),
    (
        "first-trimester",
        {"pregnant": True, "pregnancy_trimester": 1},
        {"pregnancy_first_trimester": True},
    ),
    (
        "second-trimester",
        {"pregnant": True, "pregnancy_trimester": 2},
        {"pregnancy_first_trimester": False},
    ),
    ("trimester-unknown", {"pregnant": True}, {"pregnancy_first_trimester": False}),
]


@pytest.mark.parametrize(
    ("answers", "expected"), [row[1:] for row in DERIVE_ROWS], ids=[row[0] for row in DERIVE_ROWS]
)
def test_derive(answers: dict, expected: dict) -> None:
    before = repr(answers)
    facts = derive(answers)
    assert {key: facts.get(key) for key in expected} == expected
    assert repr(answers) == before  # the answers themselves are never changed


ABSENT_ROWS = [
    (
        "no-back-pain-no-rf-steroid",
        {"wpi_neck": True, "medication_classes": ["oral_corticosteroid_long_term"]},
        ["rf_steroid_long_term", "rf_immunosuppressed"],
    ),
    (
        "no-back-pain-no-rf-immune",
        {"wpi_neck": True, "immunocompromised": True},
        ["rf_immunosuppressed"],
    ),
    (
        "no-back-pain-no-axspa",
        {"wpi_neck": True, "pain_duration": "over_12_weeks", "axspa_psoriasis": True},
        ["axspa_duration_over_3m", "axspa_additional_criteria_count"],
    ),
    (
        "no-axspa-answers-no-count",
        {"wpi_lower_back": True, "pain_duration": "over_12_weeks"},
        ["axspa_additional_criteria_count"],
    ),
    ("nsaid-not-immune", {"medication_classes": ["nsaid"]}, ["immunocompromised"]),
    ("no-medicines-answered", {}, ["anticoagulant", "antiplatelet", "medication_classes"]),
    ("no-age", {}, ["guardian_consent_required"]),
    ("not-pregnant", {"pregnant": False, "pregnancy_trimester": 1}, ["pregnancy_first_trimester"]),
]


@pytest.mark.parametrize(
    ("answers", "absent"), [row[1:] for row in ABSENT_ROWS], ids=[row[0] for row in ABSENT_ROWS]
)
def test_derive_leaves_facts_unknown(answers: dict, absent: list[str]) -> None:
    facts = derive(answers)
    assert [key for key in absent if key in facts] == []


def test_derive_with_another_self_consent_age() -> None:
    assert derive({"age": 17}, 16)["guardian_consent_required"] is False
    assert derive({"age": 15}, 16)["guardian_consent_required"] is True


@pytest.mark.parametrize(
    ("flag_form", "list_form"),
    [
        ({"anticoagulant": True}, {"medication_classes": ["anticoagulant"]}),
        ({"antiplatelet": True}, {"medication_classes": ["antiplatelet"]}),
        (
            {"anticoagulant": True, "antiplatelet": True},
            {"medication_classes": ["antiplatelet", "anticoagulant"]},
        ),
        (
            {"anticoagulant": True, "medication_classes": ["nsaid"]},
            {"medication_classes": ["nsaid", "anticoagulant"]},
        ),
        ({"anticoagulant": False, "antiplatelet": False}, {"medication_classes": []}),
    ],
    ids=["anticoagulant", "antiplatelet", "both", "with-nsaid", "neither"],
)
def test_either_form_of_the_medicine_fact_screens_the_same(
    flag_form: dict, list_form: dict
) -> None:
    base = patient(medication_classes=None)
    by_flag = rules.screen({**base, **flag_form})
    by_list = rules.screen({**base, **list_form})
    assert by_flag.outcome == by_list.outcome
    assert by_flag.fired_ids == by_list.fired_ids
    assert by_flag.explanations == by_list.explanations


def test_medicine_flag_forms_reach_the_rules() -> None:
    screening = rules.screen(
        {**patient(medication_classes=None), "anticoagulant": True, "medication_classes": ["nsaid"]}
    )
    assert screening.outcome == "review"
    assert screening.fired_ids == ["anticoagulant", "interaction_nsaid_plus_anticoagulant"]


# --- Never raises on garbage ---------------------------------------------------------------

REAL_IDS = sorted(q.data_dictionary())
CHOICE_VALUES = sorted(
    {repr(c.value): c.value for qu in ALL_QUESTIONS for c in qu.choices}.values(), key=repr
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-5, max_value=130),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(CHOICE_VALUES),
    st.sampled_from(["2026-01-01", "1899-12-31", "not-a-date", "lower_back", "over_12_weeks"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from(REAL_IDS), st.text(max_size=10))
answer_sets = st.dictionaries(keys, values, max_size=25)
non_dicts = st.one_of(
    st.none(), st.integers(), st.text(max_size=10), st.lists(scalars, max_size=3), st.booleans()
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(answer_sets, non_dicts))
def test_validate_answers_never_raises(answers: Any) -> None:
    errors = validate_answers(answers)
    assert isinstance(errors, dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())


@FAST
@given(st.one_of(answer_sets, non_dicts))
def test_screen_never_raises(answers: Any) -> None:
    screening = rules.screen(answers)
    assert screening.outcome in rules.OUTCOMES
    assert len(screening.explanations) == len([f for f in screening.fired if f.outcome != "info"])


@settings(max_examples=150, deadline=None)
@given(answer_sets)
def test_derive_and_prune_never_raise(answers: dict) -> None:
    assert isinstance(derive(answers), dict)
    pruned = prune(answers)
    assert set(pruned) <= set(answers)
    assert prune(pruned) == pruned


QUESTION_IDS = [qu.id for qu in ALL_QUESTIONS]
form_strings = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        [
            "yes",
            "no",
            "none",
            "0",
            "10",
            "121",
            "-1",
            "27 3 2026",
            "2026-02-30",
            "1-1-99999999999",
            "99999999999-1-1",
            " ",
        ]
    ),
    st.sampled_from([str(v) for v in CHOICE_VALUES] + list(q.ASKED_BY)),
)
form_values_strategy = st.one_of(
    st.lists(form_strings, max_size=4), form_strings, st.none(), st.integers()
)
forms = st.dictionaries(
    st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=8)), form_values_strategy, max_size=12
)


@FAST
@given(st.sampled_from(q.STEPS), forms, st.one_of(answer_sets, st.just(patient())))
def test_parse_step_never_raises(step: q.Step, form: dict, answers: dict) -> None:
    updated, errors = parse_step(step, form, answers)
    assert isinstance(updated, dict)
    assert set(errors) <= {qu.id for qu in step.questions}
    assert all(isinstance(message, str) and message for message in errors.values())


def test_today_is_accepted_as_a_date() -> None:
    today = dt.date.today()
    assert parse_value(DATE, [today.isoformat()]) == today.isoformat()
