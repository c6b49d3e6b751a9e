"""The shipped rule set: its content, its wording and every rule at its boundary."""

import datetime as dt
import re
from typing import Any

import pytest

from intake.screening import rules, ruleset_format
from intake.screening.answers import missing_message, validate_answers
from intake.screening.branching import prune
from intake.screening.questionnaire import QUESTIONS
from tests.answers import none_of, pain_map
from tests.answers import patient as base_answers

DEFAULT = rules.default_ruleset()
RULES = {rule.id: rule for rule in DEFAULT.rules}


def neck_answers(**overrides: Any) -> dict[str, Any]:
    """The same patient with neck pain only: no back-pain pages, so no red flags."""
    answers = base_answers(**{**pain_map("wpi_neck"), **overrides})
    return prune(answers)


def long_back_pain(**overrides: Any) -> dict[str, Any]:
    """Back pain for more than 12 weeks, with the axSpA questions answered "no"."""
    answers = {"axspa_onset_before_45": False, **none_of("axspa_checklist"), **overrides}
    return base_answers(pain_duration="over_12_weeks", **answers)


def ruleset_with_consent_age(age: int) -> rules.RuleSet:
    data = ruleset_format.default_data()
    data["settings"]["min_age_self_consent"] = age
    return rules.compile_ruleset(data)


def test_base_answers_are_valid_indicated_and_suitable() -> None:
    for answers in (base_answers(), neck_answers(), long_back_pain()):
        assert validate_answers(answers) == {}
        screening = rules.screen(answers)
        assert (screening.outcome, screening.fired_ids, screening.indicated) == (
            "suitable",
            [],
            True,
        )


# --- The rule set as a whole ---------------------------------------------------------------


def test_default_rules_validate_with_no_problems() -> None:
    assert ruleset_format.validate(ruleset_format.default_data()) == []
    assert DEFAULT.min_age_self_consent == 18


@pytest.mark.parametrize("rule", DEFAULT.rules, ids=[rule.id for rule in DEFAULT.rules])
def test_every_rule_has_a_source_a_review_date_and_words(rule: rules.Rule) -> None:
    assert len(rule.source) > 5
    assert rule.reviewed is not None
    assert dt.date.fromisoformat(rule.reviewed) <= dt.date.today()
    assert rule.title
    assert rule.staff_note
    assert rule.enabled is True
    if rule.outcome != "info":
        assert rule.patient_message
    if rule.outcome in ("emergency", "see_doctor"):
        assert rule.safety is True


@pytest.mark.parametrize(
    "rule", [r for r in DEFAULT.rules if r.outcome == "emergency"], ids=lambda r: r.id
)
def test_every_emergency_message_names_the_emergency_number(rule: rules.Rule) -> None:
    assert "{emergency_number}" in rule.patient_message
    shown = rules.render_message(rule.patient_message, {"emergency_number": "999"})
    assert "call 999" in shown


#: Telling someone to stop, change or reduce a medicine; "do not change" is allowed.
STOP_OR_CHANGE = re.compile(
    r"(?<!not )(?<!n't )(?<!never )\b(stop|stopping|quit|change|changing|reduce|cut down on|"
    r"come off|switch|skip|lower)\b(\s+taking)?\s+((your|the|any|all|this|these|those)\s+)?"
    r"(medicines?|medications?|tablets|pills|blood thinners|painkillers|dose|drugs)",
    re.IGNORECASE,
)
#: Telling someone they have a condition (a diagnosis), rather than repeating what they told us.
DIAGNOSES = (
    r"fibromyalgia|cancer|tumou?r|cauda equina|spinal (infection|fracture|cord compression)|"
    r"a fracture|a broken|osteoporosis|(axial )?spondyloarthritis|ankylosing|an infection|"
    r"sciatica|arthritis"
)
DIAGNOSING = re.compile(
    r"(?<!told us )(?<!told us that )\byou\s+(have|have got|are suffering from|probably have|"
    r"may have|might have|likely have|could have)\s+(" + DIAGNOSES + r")\b"
    r"|\b(this|it) (is|means) (" + DIAGNOSES + r")\b"
    r"|\bdiagnos",
    re.IGNORECASE,
)

WORDING_SAMPLES = [
    (STOP_OR_CHANGE, "Stop taking your blood thinners before you come.", True),
    (STOP_OR_CHANGE, "Please reduce your painkillers.", True),
    (STOP_OR_CHANGE, "You could come off the tablets.", True),
    (STOP_OR_CHANGE, "Change your medication before needling.", True),
    (STOP_OR_CHANGE, "Do not change your medicines because of this result.", False),
    (STOP_OR_CHANGE, "Don't stop taking your medicines.", False),
    (STOP_OR_CHANGE, "Your doctor or pharmacist can answer questions about them.", False),
    (DIAGNOSING, "You have fibromyalgia.", True),
    (DIAGNOSING, "Your answers show you probably have cancer.", True),
    (DIAGNOSING, "You may have cauda equina syndrome.", True),
    (DIAGNOSING, "This means spondyloarthritis.", True),
    (DIAGNOSING, "Our diagnosis is a strain.", True),
    (DIAGNOSING, "You told us you have had cancer.", False),
    (DIAGNOSING, "You told us you have an infection, wound or skin problem where it hurts.", False),
    (DIAGNOSING, "This can be a sign of a serious problem that needs checking today.", False),
]


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    WORDING_SAMPLES,
    ids=[
        f"{'stop' if p is STOP_OR_CHANGE else 'diagnose'}-{i}"
        for i, (p, _, _) in enumerate(WORDING_SAMPLES)
    ],
)
def test_wording_checks_catch_what_they_should(
    pattern: re.Pattern, text: str, matches: bool
) -> None:
    assert bool(pattern.search(text)) is matches


@pytest.mark.parametrize("rule", DEFAULT.rules, ids=[rule.id for rule in DEFAULT.rules])
def test_patient_messages_never_advise_on_medicines_or_diagnose(rule: rules.Rule) -> None:
    message = " ".join(rule.patient_message.split())
    assert STOP_OR_CHANGE.search(message) is None
    assert DIAGNOSING.search(message) is None


# --- Rule ids and outcomes of clinical.md ------------------------------------------------

EXPECTED_OUTCOMES = {
    # §2.4 red flags
    **dict.fromkeys(
        [
            "E1_bladder",
            "E2_bowel",
            "E3_saddle",
            "E4_sexual",
            "E5_bilateral_leg",
            "E6_progressive_weakness",
            "E7_major_trauma",
            "E8_fever_unwell",
        ],
        "emergency",
    ),
    **dict.fromkeys(
        [
            "G1_cancer_history",
            "G2_weight_loss",
            "G3_night_pain",
            "G4_age_new_onset",
            "G5_fragility_fracture",
            "G6_infection_risk",
            "G7_axial_spa",
        ],
        "see_doctor",
    ),
    # §1.5 absolute contraindications
    **dict.fromkeys(
        [
            "needle_phobia",
            "unwilling",
            "unable_to_consent",
            "acute_medical_condition",
            "lymphoedema_in_area",
        ],
        "not_advised",
    ),
    # §1.5 precautions
    **dict.fromkeys(
        [
            "bleeding_disorder",
            "anticoagulant",
            "antiplatelet",
            "immunocompromised",
            "pregnancy_first_trimester",
            "pregnancy",
            "diabetes",
            "epilepsy",
            "metal_allergy",
            "vascular_disease",
            "recent_surgery_in_area",
            "local_infection_or_lesion_avoid_site",
            "implanted_device_no_electrical_stimulation",
            "frail",
            "minor",
        ],
        "review",
    ),
    # §7.2 medication rules (bleeding_risk_* are the anticoagulant/antiplatelet rules)
    "interaction_nsaid_plus_anticoagulant": "review",
    "opioid_use_review_with_prescriber": "info",
    "gabapentinoid_use_review_with_prescriber": "info",
    "fracture_risk_if_sudden_or_minor_trauma": "info",
    "infection_risk": "info",
}


@pytest.mark.parametrize(
    ("rule_id", "outcome"), EXPECTED_OUTCOMES.items(), ids=list(EXPECTED_OUTCOMES)
)
def test_clinical_rule_exists_with_its_outcome(rule_id: str, outcome: str) -> None:
    assert RULES[rule_id].outcome == outcome


def test_no_rules_beyond_the_clinical_reference() -> None:
    assert set(RULES) == set(EXPECTED_OUTCOMES)


def test_medication_bleeding_risk_rules_are_the_dn_precautions() -> None:
    assert "bleeding_risk_anticoagulant" in RULES["anticoagulant"].staff_note
    assert "bleeding_risk_antiplatelet" in RULES["antiplatelet"].staff_note


# --- Each rule at its boundary -------------------------------------------------------------

MEDS = "medication_classes"
CHILD = {"age": 15, "guardian_consent_given": True}

BOUNDARY_ROWS: list[tuple[str, str, dict, bool, str]] = [
    # (row id, rule id, answers, fires, screening outcome)
    *[
        row
        for rule_id, fact in [
            ("E1_bladder", "rf_bladder"),
            ("E2_bowel", "rf_bowel"),
            ("E3_saddle", "rf_saddle"),
            ("E4_sexual", "rf_sexual"),
            ("E5_bilateral_leg", "rf_bilateral_leg"),
            ("E6_progressive_weakness", "rf_progressive_weakness"),
            ("E7_major_trauma", "rf_major_trauma"),
            ("E8_fever_unwell", "rf_fever"),
        ]
        for row in (
            (f"{rule_id}-yes", rule_id, base_answers(**{fact: True}), True, "emergency"),
            (f"{rule_id}-no", rule_id, base_answers(**{fact: False}), False, "suitable"),
        )
    ],
    ("G1-yes", "G1_cancer_history", base_answers(rf_cancer_history=True), True, "see_doctor"),
    ("G1-no", "G1_cancer_history", base_answers(), False, "suitable"),
    ("G2-yes", "G2_weight_loss", base_answers(rf_weight_loss=True), True, "see_doctor"),
    ("G2-no", "G2_weight_loss", base_answers(), False, "suitable"),
    ("G3-yes", "G3_night_pain", base_answers(rf_night_pain=True), True, "see_doctor"),
    ("G3-no", "G3_night_pain", base_answers(), False, "suitable"),
    ("G4-age-50", "G4_age_new_onset", base_answers(rf_new_onset=True, age=50), True, "see_doctor"),
    ("G4-age-49", "G4_age_new_onset", base_answers(rf_new_onset=True, age=49), False, "suitable"),
    ("G4-age-19", "G4_age_new_onset", base_answers(rf_new_onset=True, age=19), True, "see_doctor"),
    ("G4-age-20", "G4_age_new_onset", base_answers(rf_new_onset=True, age=20), False, "suitable"),
    ("G4-age-80-not-new", "G4_age_new_onset", base_answers(age=80), False, "suitable"),
    ("G4-age-19-not-new", "G4_age_new_onset", base_answers(age=19), False, "suitable"),
    (
        "G5-osteoporosis-sudden",
        "G5_fragility_fracture",
        base_answers(rf_osteoporosis=True, rf_minor_trauma_or_sudden=True),
        True,
        "see_doctor",
    ),
    (
        "G5-steroids-sudden",
        "G5_fragility_fracture",
        base_answers(rf_minor_trauma_or_sudden=True, **{MEDS: ["oral_corticosteroid_long_term"]}),
        True,
        "see_doctor",
    ),
    (
        "G5-osteoporosis-only",
        "G5_fragility_fracture",
        base_answers(rf_osteoporosis=True),
        False,
        "suitable",
    ),
    (
        "G5-sudden-only",
        "G5_fragility_fracture",
        base_answers(rf_minor_trauma_or_sudden=True),
        False,
        "suitable",
    ),
    ("G6-ivdu", "G6_infection_risk", base_answers(rf_ivdu=True), True, "see_doctor"),
    (
        "G6-immunocompromised-back",
        "G6_infection_risk",
        base_answers(immunocompromised=True),
        True,
        "see_doctor",
    ),
    (
        "G6-immunosuppressant-back",
        "G6_infection_risk",
        base_answers(**{MEDS: ["immunosuppressant"]}),
        True,
        "see_doctor",
    ),
    (
        "G6-immunocompromised-neck",
        "G6_infection_risk",
        neck_answers(immunocompromised=True),
        False,
        "review",
    ),
    ("G6-no", "G6_infection_risk", base_answers(), False, "suitable"),
    (
        "G7-count-3",
        "G7_axial_spa",
        long_back_pain(
            axspa_onset_before_45=True,
            axspa_buttock_pain=True,
            axspa_improves_with_movement=True,
            axspa_psoriasis=True,
        ),
        True,
        "see_doctor",
    ),
    (
        "G7-count-2",
        "G7_axial_spa",
        long_back_pain(axspa_onset_before_45=True, axspa_buttock_pain=True, axspa_psoriasis=True),
        False,
        "suitable",
    ),
    (
        "G7-count-4-onset-after-45",
        "G7_axial_spa",
        long_back_pain(
            axspa_onset_before_45=False,
            axspa_buttock_pain=True,
            axspa_psoriasis=True,
            axspa_arthritis=True,
            axspa_enthesitis=True,
        ),
        False,
        "suitable",
    ),
    ("needle_phobia-yes", "needle_phobia", base_answers(needle_phobia=True), True, "not_advised"),
    ("needle_phobia-no", "needle_phobia", base_answers(), False, "suitable"),
    ("unwilling-yes", "unwilling", base_answers(unwilling=True), True, "not_advised"),
    ("unwilling-no", "unwilling", base_answers(), False, "suitable"),
    (
        "acute-yes",
        "acute_medical_condition",
        base_answers(acute_medical_condition=True),
        True,
        "not_advised",
    ),
    ("acute-no", "acute_medical_condition", base_answers(), False, "suitable"),
    (
        "lymphoedema-yes",
        "lymphoedema_in_area",
        base_answers(lymphoedema_in_area=True),
        True,
        "not_advised",
    ),
    ("lymphoedema-no", "lymphoedema_in_area", base_answers(), False, "suitable"),
    (
        "unable-to-consent-yes",
        "unable_to_consent",
        base_answers(respondent="someone_else", unable_to_consent=True),
        True,
        "not_advised",
    ),
    (
        "unable-to-consent-no",
        "unable_to_consent",
        base_answers(respondent="someone_else", unable_to_consent=False),
        False,
        "suitable",
    ),
    (
        "unable-to-consent-minor-no-guardian",
        "unable_to_consent",
        base_answers(age=17, guardian_consent_given=False),
        True,
        "not_advised",
    ),
    (
        "unable-to-consent-minor-guardian",
        "unable_to_consent",
        base_answers(age=17, guardian_consent_given=True),
        False,
        "review",
    ),
    ("unable-to-consent-adult", "unable_to_consent", base_answers(age=18), False, "suitable"),
    ("minor-17", "minor", base_answers(age=17, guardian_consent_given=True), True, "review"),
    ("minor-18", "minor", base_answers(age=18), False, "suitable"),
    *[
        row
        for rule_id, fact in [
            ("bleeding_disorder", "bleeding_disorder"),
            ("diabetes", "diabetes"),
            ("epilepsy", "epilepsy"),
            ("metal_allergy", "metal_allergy"),
            ("vascular_disease", "vascular_disease_in_area"),
            ("recent_surgery_in_area", "recent_surgery_in_area"),
            ("local_infection_or_lesion_avoid_site", "local_infection_or_lesion_at_site"),
            ("implanted_device_no_electrical_stimulation", "implanted_electrical_device"),
            ("frail", "frail"),
        ]
        for row in (
            (f"{rule_id}-yes", rule_id, base_answers(**{fact: True}), True, "review"),
            (f"{rule_id}-no", rule_id, base_answers(**{fact: False}), False, "suitable"),
        )
    ],
    (
        "immunocompromised-yes",
        "immunocompromised",
        neck_answers(immunocompromised=True),
        True,
        "review",
    ),
    (
        "immunocompromised-steroids",
        "immunocompromised",
        neck_answers(**{MEDS: ["oral_corticosteroid_long_term"]}),
        True,
        "review",
    ),
    (
        "immunocompromised-no",
        "immunocompromised",
        neck_answers(**{MEDS: ["nsaid"]}),
        False,
        "suitable",
    ),
    (
        "anticoagulant-yes",
        "anticoagulant",
        base_answers(**{MEDS: ["anticoagulant"]}),
        True,
        "review",
    ),
    (
        "anticoagulant-no",
        "anticoagulant",
        base_answers(**{MEDS: ["antiplatelet"]}),
        False,
        "review",
    ),
    ("antiplatelet-yes", "antiplatelet", base_answers(**{MEDS: ["antiplatelet"]}), True, "review"),
    ("antiplatelet-no", "antiplatelet", base_answers(**{MEDS: ["nsaid"]}), False, "suitable"),
    (
        "interaction-yes",
        "interaction_nsaid_plus_anticoagulant",
        base_answers(**{MEDS: ["nsaid", "anticoagulant"]}),
        True,
        "review",
    ),
    (
        "interaction-anticoagulant-only",
        "interaction_nsaid_plus_anticoagulant",
        base_answers(**{MEDS: ["anticoagulant"]}),
        False,
        "review",
    ),
    (
        "interaction-nsaid-antiplatelet",
        "interaction_nsaid_plus_anticoagulant",
        base_answers(**{MEDS: ["nsaid", "antiplatelet"]}),
        False,
        "review",
    ),
    (
        "first-trimester-1",
        "pregnancy_first_trimester",
        base_answers(pregnant=True, pregnancy_trimester=1),
        True,
        "review",
    ),
    (
        "first-trimester-2",
        "pregnancy_first_trimester",
        base_answers(pregnant=True, pregnancy_trimester=2),
        False,
        "review",
    ),
    (
        "pregnancy-2",
        "pregnancy",
        base_answers(pregnant=True, pregnancy_trimester=2),
        True,
        "review",
    ),
    (
        "pregnancy-3",
        "pregnancy",
        base_answers(pregnant=True, pregnancy_trimester=3),
        True,
        "review",
    ),
    (
        "pregnancy-1",
        "pregnancy",
        base_answers(pregnant=True, pregnancy_trimester=1),
        False,
        "review",
    ),
    ("pregnancy-no", "pregnancy", base_answers(pregnant=False), False, "suitable"),
    (
        "opioid-yes",
        "opioid_use_review_with_prescriber",
        base_answers(**{MEDS: ["opioid"]}),
        True,
        "suitable",
    ),
    (
        "opioid-no",
        "opioid_use_review_with_prescriber",
        base_answers(**{MEDS: ["nsaid"]}),
        False,
        "suitable",
    ),
    (
        "gabapentinoid-yes",
        "gabapentinoid_use_review_with_prescriber",
        base_answers(**{MEDS: ["gabapentinoid"]}),
        True,
        "suitable",
    ),
    (
        "gabapentinoid-no",
        "gabapentinoid_use_review_with_prescriber",
        base_answers(**{MEDS: ["muscle_relaxant"]}),
        False,
        "suitable",
    ),
    (
        "fracture-risk-yes",
        "fracture_risk_if_sudden_or_minor_trauma",
        neck_answers(**{MEDS: ["oral_corticosteroid_long_term"]}),
        True,
        "review",
    ),
    (
        "fracture-risk-no",
        "fracture_risk_if_sudden_or_minor_trauma",
        neck_answers(**{MEDS: ["immunosuppressant"]}),
        False,
        "review",
    ),
    (
        "infection-risk-yes",
        "infection_risk",
        neck_answers(**{MEDS: ["immunosuppressant"]}),
        True,
        "review",
    ),
    (
        "infection-risk-no",
        "infection_risk",
        neck_answers(**{MEDS: ["oral_corticosteroid_long_term"]}),
        False,
        "review",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "answers", "fires", "outcome"),
    [row[1:] for row in BOUNDARY_ROWS],
    ids=[row[0] for row in BOUNDARY_ROWS],
)
def test_rule_at_its_boundary(rule_id: str, answers: dict, fires: bool, outcome: str) -> None:
    assert validate_answers(answers) == {}, "the answers must be ones a patient could give"
    screening = rules.screen(answers)
    assert (rule_id in screening.fired_ids) is fires
    assert screening.outcome == outcome


def test_every_rule_has_a_firing_and_a_quiet_boundary_row() -> None:
    fires = {row[1] for row in BOUNDARY_ROWS if row[3]}
    quiet = {row[1] for row in BOUNDARY_ROWS if not row[3]}
    assert fires == set(RULES) == quiet
    assert len({row[0] for row in BOUNDARY_ROWS}) == len(BOUNDARY_ROWS)


EVIDENCE_ROWS = [
    ("E1_bladder", base_answers(rf_bladder=True), {"rf_bladder": True}),
    (
        "G4_age_new_onset",
        base_answers(rf_new_onset=True, age=62),
        {"rf_new_onset": True, "age": 62},
    ),
    (
        "G5_fragility_fracture",
        base_answers(rf_minor_trauma_or_sudden=True, **{MEDS: ["oral_corticosteroid_long_term"]}),
        {"rf_steroid_long_term": True, "rf_minor_trauma_or_sudden": True},
    ),
    (
        "G7_axial_spa",
        long_back_pain(
            axspa_onset_before_45=True,
            axspa_buttock_pain=True,
            axspa_improves_with_movement=True,
            axspa_psoriasis=True,
        ),
        {
            "axspa_onset_before_45": True,
            "axspa_duration_over_3m": True,
            "axspa_additional_criteria_count": 3,
        },
    ),
    (
        "unable_to_consent",
        base_answers(age=16, guardian_consent_given=False),
        {"guardian_consent_required": True, "guardian_consent_given": False},
    ),
    (
        "interaction_nsaid_plus_anticoagulant",
        base_answers(**{MEDS: ["anticoagulant", "nsaid"]}),
        {"anticoagulant": True, "medication_classes": ["anticoagulant", "nsaid"]},
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "answers", "evidence"), EVIDENCE_ROWS, ids=[row[0] for row in EVIDENCE_ROWS]
)
def test_default_rules_report_their_evidence(rule_id: str, answers: dict, evidence: dict) -> None:
    fired = {f.id: f for f in rules.screen(answers).fired}
    assert fired[rule_id].evidence == evidence


# --- Consent and age (clinical.md §8) ------------------------------------------------------

CONSENT_ROWS = [
    # (case, min_age_self_consent, answers, outcome, fired)
    ("dn_screen_09", 18, base_answers(age=15, guardian_consent_given=True), "review", ["minor"]),
    (
        "dn_screen_10",
        18,
        base_answers(age=15, guardian_consent_given=False),
        "not_advised",
        ["unable_to_consent", "minor"],
    ),
    ("dn_screen_11", 18, base_answers(age=17, guardian_consent_given=True), "review", ["minor"]),
    ("dn_screen_12", 18, base_answers(age=18), "suitable", []),
    (
        "guardian-17-at-18",
        18,
        base_answers(age=17, guardian_consent_given=False),
        "not_advised",
        ["unable_to_consent", "minor"],
    ),
    ("uk-16-at-16", 16, base_answers(age=16), "suitable", []),
    ("uk-17-at-16", 16, base_answers(age=17), "suitable", []),
    (
        "uk-15-at-16",
        16,
        base_answers(age=15, guardian_consent_given=False),
        "not_advised",
        ["unable_to_consent", "minor"],
    ),
    (
        "uk-15-guardian-at-16",
        16,
        base_answers(age=15, guardian_consent_given=True),
        "review",
        ["minor"],
    ),
]


@pytest.mark.parametrize(
    ("min_age", "answers", "outcome", "fired"),
    [row[1:] for row in CONSENT_ROWS],
    ids=[row[0] for row in CONSENT_ROWS],
)
def test_consent_and_age(min_age: int, answers: dict, outcome: str, fired: list[str]) -> None:
    ruleset = DEFAULT if min_age == 18 else ruleset_with_consent_age(min_age)
    assert validate_answers(answers, min_age) == {}
    screening = rules.screen(answers, ruleset)
    assert screening.outcome == outcome
    assert screening.fired_ids == fired


def test_minor_without_the_guardian_answer_is_not_advised() -> None:
    answers = base_answers(age=16)
    guardian = QUESTIONS["guardian_consent_given"]
    assert validate_answers(answers) == {"guardian_consent_given": missing_message(guardian)}
    assert rules.screen(answers).outcome == "not_advised"


# --- Medication rules (clinical.md §7.2) --------------------------------------------------

MEDICATION_ROWS = [
    # (case, answers, outcome, fired)
    ("nsaid-alone", base_answers(**{MEDS: ["nsaid"]}), "suitable", []),
    ("muscle-relaxant", base_answers(**{MEDS: ["muscle_relaxant"]}), "suitable", []),
    (
        "nsaid-plus-anticoagulant",
        base_answers(**{MEDS: ["nsaid", "anticoagulant"]}),
        "review",
        ["anticoagulant", "interaction_nsaid_plus_anticoagulant"],
    ),
    ("anticoagulant", base_answers(**{MEDS: ["anticoagulant"]}), "review", ["anticoagulant"]),
    ("antiplatelet", base_answers(**{MEDS: ["antiplatelet"]}), "review", ["antiplatelet"]),
    (
        "opioid-info-only",
        base_answers(**{MEDS: ["opioid"]}),
        "suitable",
        ["opioid_use_review_with_prescriber"],
    ),
    (
        "gabapentinoid-info-only",
        base_answers(**{MEDS: ["gabapentinoid"]}),
        "suitable",
        ["gabapentinoid_use_review_with_prescriber"],
    ),
    (
        "opioid-with-precaution",
        base_answers(diabetes=True, **{MEDS: ["opioid", "gabapentinoid"]}),
        "review",
        [
            "diabetes",
            "opioid_use_review_with_prescriber",
            "gabapentinoid_use_review_with_prescriber",
        ],
    ),
    (
        "steroids-neck",
        neck_answers(**{MEDS: ["oral_corticosteroid_long_term"]}),
        "review",
        ["immunocompromised", "fracture_risk_if_sudden_or_minor_trauma"],
    ),
    (
        "steroids-back",
        base_answers(**{MEDS: ["oral_corticosteroid_long_term"]}),
        "see_doctor",
        ["G6_infection_risk", "immunocompromised", "fracture_risk_if_sudden_or_minor_trauma"],
    ),
    (
        "immunosuppressant-neck",
        neck_answers(**{MEDS: ["immunosuppressant"]}),
        "review",
        ["immunocompromised", "infection_risk"],
    ),
    (
        "immunosuppressant-and-steroids-once",
        neck_answers(
            immunocompromised=True, **{MEDS: ["immunosuppressant", "oral_corticosteroid_long_term"]}
        ),
        "review",
        ["immunocompromised", "fracture_risk_if_sudden_or_minor_trauma", "infection_risk"],
    ),
]


@pytest.mark.parametrize(
    ("answers", "outcome", "fired"),
    [row[1:] for row in MEDICATION_ROWS],
    ids=[row[0] for row in MEDICATION_ROWS],
)
def test_medication_rules(answers: dict, outcome: str, fired: list[str]) -> None:
    assert validate_answers(answers) == {}
    screening = rules.screen(answers)
    assert screening.outcome == outcome
    assert screening.fired_ids == fired
    assert screening.explanations == tuple(
        RULES[rule_id].patient_message for rule_id in fired if RULES[rule_id].outcome != "info"
    )


def test_info_rules_leave_the_outcome_unchanged() -> None:
    for medicines in (["opioid"], ["gabapentinoid"], ["opioid", "gabapentinoid"]):
        with_info = rules.screen(base_answers(**{MEDS: medicines}))
        without = rules.screen(base_answers())
        assert with_info.outcome == without.outcome == "suitable"
        assert with_info.explanations == ()


# --- Pregnancy and combinations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("trimester", "fired"),
    [(1, ["pregnancy_first_trimester"]), (2, ["pregnancy"]), (3, ["pregnancy"])],
    ids=["trimester-1", "trimester-2", "trimester-3"],
)
def test_pregnancy_trimester(trimester: int, fired: list[str]) -> None:
    screening = rules.screen(base_answers(pregnant=True, pregnancy_trimester=trimester))
    assert (screening.outcome, screening.fired_ids) == ("review", fired)


def test_red_flags_with_needling_precautions_emergency_wins() -> None:
    answers = base_answers(
        rf_bladder=True,
        rf_cancer_history=True,
        needle_phobia=True,
        diabetes=True,
        pregnant=True,
        pregnancy_trimester=1,
        **{MEDS: ["anticoagulant", "nsaid", "opioid"]},
    )
    assert validate_answers(answers) == {}
    screening = rules.screen(answers)
    assert screening.outcome == "emergency"
    assert screening.fired_ids == [
        "E1_bladder",
        "G1_cancer_history",
        "needle_phobia",
        "anticoagulant",
        "interaction_nsaid_plus_anticoagulant",
        "pregnancy_first_trimester",
        "diabetes",
        "opioid_use_review_with_prescriber",
    ]
    assert screening.explanations[0] == RULES["E1_bladder"].patient_message
    assert len(screening.explanations) == 7


def test_see_doctor_beats_absolute_contraindications() -> None:
    screening = rules.screen(base_answers(rf_weight_loss=True, unwilling=True, frail=True))
    assert screening.outcome == "see_doctor"
    assert screening.fired_ids == ["G2_weight_loss", "unwilling", "frail"]


def test_not_indicated_without_pain() -> None:
    answers = base_answers(nprs_now=0, peg_pain_avg_week=0)
    assert validate_answers(answers) == {}
    screening = rules.screen(answers)
    assert (screening.outcome, screening.indicated) == ("not_indicated", False)
    assert rules.screen(base_answers(nprs_now=0, peg_pain_avg_week=1)).outcome == "suitable"
