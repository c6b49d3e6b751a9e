"""The rule engine: rule-set validation, compiling, screening, YAML round trip."""

import copy
from typing import Any

import pytest

from intake.screening import rules, ruleset_format
from intake.screening.rules import RuleSetInvalid
from intake.screening.ruleset_format import Problem, dump_yaml, load_yaml

EMERGENCY_MESSAGE = "Please get urgent help now: call {emergency_number}."


def rule(rule_id: str, outcome: str, condition: dict, **extra: Any) -> dict[str, Any]:
    """A valid rule; keyword arguments add or replace fields."""
    data = {
        "id": rule_id,
        "title": f"Title of {rule_id}",
        "outcome": outcome,
        "condition": condition,
        "patient_message": EMERGENCY_MESSAGE if outcome == "emergency" else f"Message {rule_id}.",
        "staff_note": f"Note {rule_id}.",
        "source": "clinical.md",
        "reviewed": "2026-11-23",
    }
    data.update(extra)
    return data


def is_true(fact: str) -> dict[str, str]:
    return {"fact": fact, "op": "is_true"}


def small_ruleset() -> dict[str, Any]:
    """A valid rule set, deliberately listed out of severity order."""
    return {
        "settings": {"min_age_self_consent": 18},
        "indication": {
            "title": "Pain somewhere",
            "condition": {"fact": "pain_region_count", "op": "ge", "value": 1},
        },
        "rules": [
            rule("rev", "review", is_true("diabetes")),
            rule(
                "note",
                "info",
                {"fact": "medication_classes", "op": "contains", "value": "opioid"},
                patient_message="",
            ),
            rule("no", "not_advised", is_true("needle_phobia")),
            rule("doc", "see_doctor", is_true("rf_cancer_history")),
            rule("urgent", "emergency", is_true("rf_bladder")),
            rule("off", "review", is_true("epilepsy"), enabled=False),
            rule(
                "age_new",
                "see_doctor",
                {
                    "all": [
                        is_true("rf_new_onset"),
                        {
                            "any": [
                                {"fact": "age", "op": "ge", "value": 50},
                                {"fact": "age", "op": "lt", "value": 20},
                            ]
                        },
                    ]
                },
            ),
        ],
    }


def test_the_small_ruleset_is_valid() -> None:
    assert ruleset_format.validate(small_ruleset()) == []


# --- validate ------------------------------------------------------------------------------


def change_rule(index: int, **fields: Any):
    def apply(data: dict) -> None:
        data["rules"][index].update(fields)

    return apply


def drop_rule_field(index: int, name: str):
    def apply(data: dict) -> None:
        del data["rules"][index][name]

    return apply


def set_key(key: str, value: Any):
    def apply(data: dict) -> None:
        data[key] = value

    return apply


def drop_key(key: str):
    def apply(data: dict) -> None:
        del data[key]

    return apply


def add_rule(new: dict):
    def apply(data: dict) -> None:
        data["rules"].append(new)

    return apply


ANY_CHOICES = "('sport', 'work', 'accident', 'gradual', 'other')"

VALIDATE_ROWS = [
    (
        "unknown-question-id-with-suggestion",
        change_rule(0, condition=is_true("diabetis")),
        [
            Problem(
                "Rule 'rev' refers to question 'diabetis', which does not exist. "
                "Did you mean 'diabetes'?",
                "rev",
                "condition",
            )
        ],
    ),
    (
        "unknown-question-id",
        change_rule(0, condition=is_true("blood_thiners_xyz")),
        [
            Problem(
                "Rule 'rev' refers to question 'blood_thiners_xyz', which does not exist.",
                "rev",
                "condition",
            )
        ],
    ),
    (
        "value-not-among-choices",
        change_rule(0, condition={"fact": "pain_onset", "op": "eq", "value": "football"}),
        [
            Problem(
                f"Rule 'rev' compares 'How did the pain start?' with 'football', which is not "
                f"one of its choices {ANY_CHOICES}.",
                "rev",
                "condition",
            )
        ],
    ),
    (
        "number-compared-with-text",
        change_rule(0, condition={"fact": "age", "op": "eq", "value": "50"}),
        [
            Problem(
                "Rule 'rev' compares the number 'How old are you?' with the text '50'.",
                "rev",
                "condition",
            )
        ],
    ),
    (
        "score-choice-not-among-choices",
        change_rule(0, condition={"fact": "startback.risk", "op": "eq", "value": "severe"}),
        [
            Problem(
                "Rule 'rev' compares 'STarT Back risk' with 'severe', which is not one of its "
                "choices ('low', 'medium', 'high').",
                "rev",
                "condition",
            )
        ],
    ),
    (
        "duplicate-rule-id",
        add_rule(rule("rev", "review", is_true("frail"))),
        [Problem("Rule 'rev' appears more than once; rule ids must be unique.", "rev", "id")],
    ),
    (
        "missing-patient-message",
        change_rule(0, patient_message="  "),
        [
            Problem(
                "Rule 'rev' needs a patient message: the words the patient sees when it fires.",
                "rev",
                "patient_message",
            )
        ],
    ),
    (
        "absent-patient-message",
        drop_rule_field(2, "patient_message"),
        [
            Problem(
                "Rule 'no' needs a patient message: the words the patient sees when it fires.",
                "no",
                "patient_message",
            )
        ],
    ),
    (
        "unknown-outcome",
        change_rule(0, outcome="refer"),
        [
            Problem(
                "Rule 'rev' has the unknown outcome 'refer'; use one of emergency, see_doctor, "
                "not_advised, review, info.",
                "rev",
                "outcome",
            )
        ],
    ),
    (
        "emergency-without-number",
        change_rule(4, patient_message="Go to the emergency department now."),
        [
            Problem(
                "Rule 'urgent' leads to urgent care, so its patient message must name the "
                "emergency number: add {emergency_number}.",
                "urgent",
                "patient_message",
            )
        ],
    ),
    (
        "emergency-with-escaped-number",
        change_rule(4, patient_message="Call {{emergency_number}} now."),
        [
            Problem(
                "Rule 'urgent' leads to urgent care, so its patient message must name the "
                "emergency number: add {emergency_number}.",
                "urgent",
                "patient_message",
            )
        ],
    ),
    (
        "unknown-placeholder",
        change_rule(0, patient_message="Call us on {phone}."),
        [
            Problem(
                "Rule 'rev': the patient message uses {phone}, which is not known; use "
                "{clinic_name} or {emergency_number}.",
                "rev",
                "patient_message",
            )
        ],
    ),
    (
        "unbalanced-braces",
        change_rule(0, patient_message="Call us {soon."),
        [
            Problem(
                "Rule 'rev': the patient message has a { or } without its partner; placeholders "
                "are written like {emergency_number}.",
                "rev",
                "patient_message",
            )
        ],
    ),
    (
        "settings-age-zero",
        set_key("settings", {"min_age_self_consent": 0}),
        [
            Problem(
                "The self-consent age must be a whole number of years from 1 to 120.",
                None,
                "settings.min_age_self_consent",
            )
        ],
    ),
    (
        "settings-age-text",
        set_key("settings", {"min_age_self_consent": "16"}),
        [
            Problem(
                "The self-consent age must be a whole number of years from 1 to 120.",
                None,
                "settings.min_age_self_consent",
            )
        ],
    ),
    (
        "settings-age-bool",
        set_key("settings", {"min_age_self_consent": True}),
        [
            Problem(
                "The self-consent age must be a whole number of years from 1 to 120.",
                None,
                "settings.min_age_self_consent",
            )
        ],
    ),
    (
        "settings-unknown-key",
        set_key("settings", {"min_age_self_consent": 16, "min_age_dn": 12}),
        [Problem("Unknown setting 'min_age_dn'.", None, "settings.min_age_dn")],
    ),
    (
        "settings-not-a-mapping",
        set_key("settings", [16]),
        [Problem("Settings must be a mapping.", None, "settings")],
    ),
    (
        "missing-indication",
        drop_key("indication"),
        [
            Problem(
                "The rule set needs an indication: the condition that describes the pain dry "
                "needling treats.",
                None,
                "indication",
            )
        ],
    ),
    (
        "indication-without-condition",
        set_key("indication", {"title": "Pain"}),
        [
            Problem(
                "The rule set needs an indication: the condition that describes the pain dry "
                "needling treats.",
                None,
                "indication",
            )
        ],
    ),
    (
        "indication-with-unknown-question",
        set_key("indication", {"condition": {"fact": "pain_duraton", "op": "is_answered"}}),
        [
            Problem(
                "The indication refers to question 'pain_duraton', which does not exist. "
                "Did you mean 'pain_duration'?",
                None,
                "indication",
            )
        ],
    ),
    (
        "rules-not-a-list",
        set_key("rules", {"rev": {}}),
        [Problem("The rule set needs a list of rules.", None, "rules")],
    ),
    (
        "rule-not-a-mapping",
        add_rule("frail"),
        [Problem("Rule number 8 is not a rule.")],
    ),
    (
        "rule-bad-id",
        change_rule(0, id="2 fast"),
        [
            Problem(
                "Rule number 1 needs an id: a letter, then letters, digits or underscores (for "
                "example 'anticoagulant').",
                None,
                "id",
            )
        ],
    ),
    (
        "rule-unknown-field",
        change_rule(0, severity="high"),
        [Problem("Rule 'rev' has an unknown field 'severity'.", "rev", "severity")],
    ),
    (
        "rule-no-title",
        change_rule(0, title=""),
        [Problem("Rule 'rev' needs a title.", "rev", "title")],
    ),
    (
        "rule-enabled-not-bool",
        change_rule(0, enabled="yes"),
        [Problem("Rule 'rev': 'enabled' must be true or false.", "rev", "enabled")],
    ),
    (
        "rule-source-not-text",
        change_rule(0, source=["APTA"]),
        [Problem("Rule 'rev': 'source' must be text.", "rev", "source")],
    ),
    (
        "rule-bad-reviewed-date",
        change_rule(0, reviewed="last year"),
        [Problem("Rule 'rev': 'reviewed' must be a date like 2026-11-23.", "rev", "reviewed")],
    ),
    (
        "rule-without-condition",
        drop_rule_field(0, "condition"),
        [Problem("Rule 'rev' needs a condition.", "rev", "condition")],
    ),
    (
        "several-problems-in-one-rule",
        change_rule(0, outcome="maybe", condition={"fact": "age", "op": "ge", "value": "fifty"}),
        [
            Problem(
                "Rule 'rev' has the unknown outcome 'maybe'; use one of emergency, "
                "see_doctor, not_advised, review, info.",
                "rev",
                "outcome",
            ),
            Problem(
                "Rule 'rev' compares the number 'How old are you?' with the text 'fifty'.",
                "rev",
                "condition",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    ("change", "problems"),
    [row[1:] for row in VALIDATE_ROWS],
    ids=[row[0] for row in VALIDATE_ROWS],
)
def test_validate_reports_each_problem(change, problems: list[Problem]) -> None:
    data = small_ruleset()
    change(data)
    assert ruleset_format.validate(data) == problems
    with pytest.raises(RuleSetInvalid) as raised:
        rules.compile_ruleset(data)
    assert raised.value.problems == problems
    assert str(raised.value) == "; ".join(p.message for p in problems)


@pytest.mark.parametrize("garbage", [None, [], "rules", 3], ids=repr)
def test_validate_a_non_mapping(garbage: Any) -> None:
    assert ruleset_format.validate(garbage) == [
        Problem("The rule set must be a mapping with 'rules', 'indication' and 'settings'.")
    ]


VALID_CHANGES = [
    ("info-needs-no-message", change_rule(1, patient_message="")),
    ("info-message-absent", drop_rule_field(1, "patient_message")),
    ("no-settings-uses-default", drop_key("settings")),
    ("uk-consent-age", set_key("settings", {"min_age_self_consent": 16})),
    ("clinic-name-placeholder", change_rule(0, patient_message="{clinic_name} will call you.")),
    ("reviewed-as-date", change_rule(0, reviewed=__import__("datetime").date(2026, 1, 2))),
    (
        "score-fact",
        change_rule(0, condition={"fact": "startback.risk", "op": "eq", "value": "high"}),
    ),
    ("derived-fact", change_rule(0, condition=is_true("guardian_consent_required"))),
]


@pytest.mark.parametrize(
    "change", [row[1] for row in VALID_CHANGES], ids=[r[0] for r in VALID_CHANGES]
)
def test_valid_variations_have_no_problems(change) -> None:
    data = small_ruleset()
    change(data)
    assert ruleset_format.validate(data) == []
    assert isinstance(rules.compile_ruleset(data), rules.RuleSet)


def test_validate_against_another_dictionary() -> None:
    data = small_ruleset()
    messages = [p.message for p in ruleset_format.validate(data, {})]
    assert "Rule 'rev' refers to question 'diabetes', which does not exist." in messages


# --- screen --------------------------------------------------------------------------------

RULESET = rules.compile_ruleset(small_ruleset())
PAIN = {"wpi_neck": True}

SCREEN_ROWS = [
    # (id, answers, outcome, fired rule ids)
    ("nothing", {}, "not_indicated", []),
    ("indicated", PAIN, "suitable", []),
    ("review-even-without-indication", {"diabetes": True}, "review", ["rev"]),
    ("review", {**PAIN, "diabetes": True}, "review", ["rev"]),
    (
        "not-advised-beats-review",
        {**PAIN, "diabetes": True, "needle_phobia": True},
        "not_advised",
        ["no", "rev"],
    ),
    (
        "see-doctor-beats-not-advised",
        {**PAIN, "needle_phobia": True, "rf_cancer_history": True},
        "see_doctor",
        ["doc", "no"],
    ),
    (
        "emergency-beats-all",
        {
            **PAIN,
            "diabetes": True,
            "needle_phobia": True,
            "rf_cancer_history": True,
            "rf_bladder": True,
            "medication_classes": ["opioid"],
        },
        "emergency",
        ["urgent", "doc", "no", "rev", "note"],
    ),
    ("info-never-decides", {**PAIN, "medication_classes": ["opioid"]}, "suitable", ["note"]),
    (
        "info-never-decides-not-indicated",
        {"medication_classes": ["opioid"]},
        "not_indicated",
        ["note"],
    ),
    ("disabled-rule-never-fires", {**PAIN, "epilepsy": True}, "suitable", []),
    (
        "false-answers-fire-nothing",
        {**PAIN, "diabetes": False, "rf_bladder": False},
        "suitable",
        [],
    ),
    ("compound-rule", {**PAIN, "rf_new_onset": True, "age": 19}, "see_doctor", ["age_new"]),
    ("compound-rule-quiet", {**PAIN, "rf_new_onset": True, "age": 20}, "suitable", []),
]


@pytest.mark.parametrize(
    ("answers", "outcome", "fired"),
    [row[1:] for row in SCREEN_ROWS],
    ids=[row[0] for row in SCREEN_ROWS],
)
def test_screen_outcome_and_fired_rules(answers: dict, outcome: str, fired: list[str]) -> None:
    screening = rules.screen(answers, RULESET)
    assert screening.outcome == outcome
    assert screening.fired_ids == fired
    # explanations: the patient messages of the deciding rules, most severe first
    assert screening.explanations == tuple(
        f"Message {rid}." if rid != "urgent" else EMERGENCY_MESSAGE
        for rid in fired
        if rid != "note"
    )


def test_screen_reports_indication_and_scores() -> None:
    screening = rules.screen(PAIN, RULESET)
    assert screening.indicated is True
    assert rules.screen({"diabetes": True}, RULESET).indicated is False
    assert set(screening.scores) >= {"startback", "acr2016", "pain_band", "peg", "duration_class"}


EVIDENCE_ROWS = [
    ("single", {**PAIN, "diabetes": True, "epilepsy": True}, "rev", {"diabetes": True}),
    (
        "all-and-first-true-any",
        {**PAIN, "rf_new_onset": True, "age": 70},
        "age_new",
        {"rf_new_onset": True, "age": 70},
    ),
    (
        "contains",
        {**PAIN, "medication_classes": ["nsaid", "opioid"]},
        "note",
        {"medication_classes": ["nsaid", "opioid"]},
    ),
]


@pytest.mark.parametrize(
    ("answers", "rule_id", "evidence"),
    [row[1:] for row in EVIDENCE_ROWS],
    ids=[r[0] for r in EVIDENCE_ROWS],
)
def test_fired_rules_report_the_answers_that_made_them_fire(
    answers: dict, rule_id: str, evidence: dict
) -> None:
    fired = {f.id: f for f in rules.screen(answers, RULESET).fired}
    assert fired[rule_id].evidence == evidence


def test_fired_rule_carries_the_rule_and_is_json_able() -> None:
    fired = rules.screen({**PAIN, "rf_bladder": True}, RULESET).fired[0]
    assert fired.to_dict() == {
        "id": "urgent",
        "title": "Title of urgent",
        "outcome": "emergency",
        "patient_message": EMERGENCY_MESSAGE,
        "staff_note": "Note urgent.",
        "source": "clinical.md",
        "safety": False,
        "evidence": {"rf_bladder": True},
    }


def test_screen_uses_derived_facts_and_the_rulesets_consent_age() -> None:
    data = small_ruleset()
    data["rules"].append(rule("minor", "review", is_true("guardian_consent_required")))
    at_18 = rules.compile_ruleset(data)
    data["settings"]["min_age_self_consent"] = 16
    at_16 = rules.compile_ruleset(data)
    assert at_18.min_age_self_consent == 18
    assert at_16.min_age_self_consent == 16
    assert rules.screen({**PAIN, "age": 17}, at_18).fired_ids == ["minor"]
    assert rules.screen({**PAIN, "age": 17}, at_16).fired_ids == []
    assert rules.screen({**PAIN, "age": 15}, at_16).fired_ids == ["minor"]


def test_rules_can_use_scores() -> None:
    data = small_ruleset()
    data["rules"] = [
        rule("high_risk", "review", {"fact": "startback.risk", "op": "eq", "value": "high"}),
        rule("severe", "review", {"fact": "pain_band", "op": "eq", "value": "severe"}),
    ]
    ruleset = rules.compile_ruleset(data)
    agree_all = dict.fromkeys(
        (
            "sb1_leg_pain",
            "sb2_shoulder_neck",
            "sb3_walk_short",
            "sb4_dress_slow",
            "sb5_not_safe_active",
            "sb6_worrying",
            "sb7_terrible_never_better",
            "sb8_not_enjoyed",
        ),
        "agree",
    )
    high = {**PAIN, **agree_all, "sb9_bothersome": "extremely"}
    assert rules.screen(high, ruleset).fired_ids == ["high_risk"]
    assert rules.screen({**PAIN, "nprs_now": 7}, ruleset).fired_ids == ["severe"]
    assert rules.screen({**PAIN, "nprs_now": 6}, ruleset).fired_ids == []


def test_screen_with_no_ruleset_uses_the_default() -> None:
    assert rules.screen({}).outcome == "not_indicated"
    assert rules.screen({"rf_bladder": True}).fired_ids == ["E1_bladder"]
    assert rules.default_ruleset() is rules.default_ruleset()


@pytest.mark.parametrize("garbage", [None, 3, "answers", ["rf_bladder"]], ids=repr)
def test_screen_of_a_non_mapping_is_an_empty_answer_set(garbage: Any) -> None:
    screening = rules.screen(garbage, RULESET)
    assert (screening.outcome, screening.fired_ids) == ("not_indicated", [])


def test_compiled_ruleset_keeps_every_rule_but_screens_only_enabled_ones() -> None:
    assert [r.id for r in RULESET.rules] == ["rev", "note", "no", "doc", "urgent", "off", "age_new"]
    assert [r.id for r in RULESET.active] == ["urgent", "doc", "age_new", "no", "rev", "note"]
    assert RULESET.indication_title == "Pain somewhere"


def test_describe_a_rule() -> None:
    age_new = next(r for r in RULESET.rules if r.id == "age_new")
    assert RULESET.describe(age_new) == (
        "This is the first time you have had back pain is Yes and "
        "(How old are you? is at least 50 or How old are you? is under 20)"
    )


# --- YAML ----------------------------------------------------------------------------------


def test_yaml_round_trip_of_the_default_rules() -> None:
    data = ruleset_format.default_data()
    text = dump_yaml(data)
    again = load_yaml(text)
    assert again == data
    assert dump_yaml(again) == text
    assert rules.compile_ruleset(again).rules == rules.default_ruleset().rules


def test_yaml_round_trip_of_a_small_ruleset() -> None:
    data = small_ruleset()
    assert load_yaml(dump_yaml(data)) == data


def test_load_yaml_keeps_dates_as_iso_text() -> None:
    data = load_yaml(
        "rules:\n  - id: a\n    reviewed: 2026-11-23\n  - id: b\n    reviewed: '2026-01-02'\n"
    )
    assert [r["reviewed"] for r in data["rules"]] == ["2026-11-23", "2026-01-02"]


def test_load_yaml_is_safe() -> None:
    import yaml

    with pytest.raises(yaml.YAMLError):
        load_yaml("!!python/object/apply:os.system ['true']")


def test_default_data_is_fresh_each_time() -> None:
    first = ruleset_format.default_data()
    first["rules"].clear()
    assert ruleset_format.default_data()["rules"]


def test_compile_does_not_depend_on_later_changes_to_the_data() -> None:
    data = small_ruleset()
    ruleset = rules.compile_ruleset(copy.deepcopy(data))
    data["rules"][0]["condition"] = is_true("frail")
    assert rules.screen({**PAIN, "diabetes": True}, ruleset).fired_ids == ["rev"]


# --- messages ------------------------------------------------------------------------------

RENDER_ROWS = [
    ("both", "Call {emergency_number} or {clinic_name}.", "Call 999 or Clinic A."),
    ("unknown-left", "Call {phone}.", "Call {phone}."),
    ("escaped", "Braces {{x}} and {emergency_number}", "Braces {x} and 999"),
    ("broken", "Call {emergency_number", "Call {emergency_number"),
    ("index", "Call {0}", "Call {0}"),
]


@pytest.mark.parametrize(
    ("message", "shown"), [row[1:] for row in RENDER_ROWS], ids=[row[0] for row in RENDER_ROWS]
)
def test_render_message(message: str, shown: str) -> None:
    assert (
        rules.render_message(message, {"emergency_number": "999", "clinic_name": "Clinic A"})
        == shown
    )
