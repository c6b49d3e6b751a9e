"""The rule editor's form model, called directly: a condition as groups of rows and back,
typed values from what staff typed, and the add/remove buttons."""

from __future__ import annotations

from typing import Any

import pytest

from intake.screening import rule_editor, ruleset_format
from intake.screening.rule_editor import MAX_GROUPS, MAX_ROWS, ConditionForm, Group, Row
from tests.dictionary import DICTIONARY

YES = {"fact": "anticoagulant", "op": "is_true"}
OLD = {"fact": "age", "op": "ge", "value": 50}
YOUNG = {"fact": "age", "op": "lt", "value": 20}
SPORT = {"fact": "pain_onset", "op": "in", "value": ["sport", "work"]}

# --- to_form --------------------------------------------------------------------------------

TO_FORM_ROWS = [
    ("one-comparison", OLD, ConditionForm("all", [Group("all", [Row("age", "ge", "50")])])),
    (
        "no-value",
        YES,
        ConditionForm("all", [Group("all", [Row("anticoagulant", "is_true", "")])]),
    ),
    (
        "negated",
        {"not": YES},
        ConditionForm("all", [Group("all", [Row("anticoagulant", "is_true", "", True)])]),
    ),
    (
        "value-list-and-booleans-as-text",
        {"all": [SPORT, {"fact": "anticoagulant", "op": "eq", "value": False}]},
        ConditionForm(
            "all",
            [
                Group(
                    "all",
                    [Row("pain_onset", "in", "sport, work"), Row("anticoagulant", "eq", "no")],
                )
            ],
        ),
    ),
    (
        "flat-any-is-one-group",
        {"any": [OLD, YOUNG]},
        ConditionForm("all", [Group("any", [Row("age", "ge", "50"), Row("age", "lt", "20")])]),
    ),
    (
        "groups-of-rows",
        {"all": [YES, {"any": [OLD, {"not": YOUNG}]}]},
        ConditionForm(
            "all",
            [
                Group("all", [Row("anticoagulant", "is_true", "")]),
                Group("any", [Row("age", "ge", "50"), Row("age", "lt", "20", True)]),
            ],
        ),
    ),
    (
        "any-of-groups",
        {"any": [{"all": [YES, OLD]}, {"all": [YES, YOUNG]}]},
        ConditionForm(
            "any",
            [
                Group("all", [Row("anticoagulant", "is_true", ""), Row("age", "ge", "50")]),
                Group("all", [Row("anticoagulant", "is_true", ""), Row("age", "lt", "20")]),
            ],
        ),
    ),
    ("three-levels", {"all": [YES, {"any": [OLD, {"all": [YES, YOUNG]}]}]}, None),
    ("negated-group", {"not": {"all": [YES, OLD]}}, None),
    ("group-in-a-negation", {"all": [YES, {"not": {"any": [OLD, YOUNG]}}]}, None),
    ("not-a-mapping", "age > 50", None),
    ("not-of-garbage", {"not": "age"}, None),
    ("group-of-garbage", {"all": ["age"]}, None),
]


@pytest.mark.parametrize(
    ("cond", "form"), [row[1:] for row in TO_FORM_ROWS], ids=[row[0] for row in TO_FORM_ROWS]
)
def test_to_form(cond: Any, form: ConditionForm | None) -> None:
    assert rule_editor.to_form(cond) == form


# --- parse_value ----------------------------------------------------------------------------

PARSE_ROWS = [
    # (id, text, operator, fact, value)
    ("whole-number", " 50 ", "ge", "age", 50),
    ("decimal", "2.5", "ge", "age", 2.5),
    ("number-kept-as-typed", "fifty", "ge", "age", "fifty"),
    ("choice-by-value", "work", "eq", "pain_onset", "work"),
    ("choice-by-label", "At work", "eq", "pain_onset", "work"),
    ("choice-kept-as-typed", "car", "eq", "pain_onset", "car"),
    ("number-choice-by-value", "2", "eq", "pregnancy_trimester", 2),
    ("number-choice-by-label", "27 weeks or more", "eq", "pregnancy_trimester", 3),
    ("includes-a-choice", "Opioid painkillers", "contains", "medication_classes", "opioid"),
    ("yes", "Yes", "eq", "anticoagulant", True),
    ("no", "no", "eq", "anticoagulant", False),
    ("true", "TRUE", "eq", "anticoagulant", True),
    ("false", "false", "ne", "anticoagulant", False),
    ("yes-no-kept-as-typed", "maybe", "eq", "anticoagulant", "maybe"),
    ("text", " Football ", "eq", "sport_name", "Football"),
    ("date", "2026-01-01", "eq", "sport_injury_date", "2026-01-01"),
    ("unknown-fact", " 50 ", "ge", "mystery", "50"),
    (
        "one-of-is-a-list",
        "sport, At work ,gradual",
        "in",
        "pain_onset",
        ["sport", "work", "gradual"],
    ),
    ("one-of-numbers", "1, 3", "in", "age", [1, 3]),
    ("one-of-skips-empty-parts", "sport,, ,work,", "in", "pain_onset", ["sport", "work"]),
    ("one-of-nothing", "", "in", "pain_onset", []),
    ("one-of-unknown-fact", "a, b", "in", "mystery", ["a", "b"]),
    ("commas-are-text-for-eq", "sport, work", "eq", "sport_name", "sport, work"),
    ("unknown-operator", " 50 ", "about", "age", 50),
]


@pytest.mark.parametrize(
    ("text", "operator", "fact", "value"),
    [row[1:] for row in PARSE_ROWS],
    ids=[row[0] for row in PARSE_ROWS],
)
def test_parse_value(text: str, operator: str, fact: str, value: Any) -> None:
    parsed = rule_editor.parse_value(text, operator, DICTIONARY.get(fact))
    assert parsed == value
    assert type(parsed) is type(value)


# --- to_condition ---------------------------------------------------------------------------

TO_CONDITION_ROWS = [
    ("one-row-unwrapped", ConditionForm("all", [Group("all", [Row("age", "ge", "50")])]), OLD),
    (
        "no-value-for-is-yes",
        ConditionForm("all", [Group("all", [Row("anticoagulant", "is_true", "ignored")])]),
        YES,
    ),
    (
        "negated-row",
        ConditionForm("all", [Group("all", [Row("age", "lt", "20", True)])]),
        {"not": YOUNG},
    ),
    (
        "one-group",
        ConditionForm("any", [Group("any", [Row("age", "ge", "50"), Row("age", "lt", "20")])]),
        {"any": [OLD, YOUNG]},
    ),
    (
        "groups",
        ConditionForm(
            "all",
            [
                Group("all", [Row("anticoagulant", "is_true")]),
                Group("any", [Row("age", "ge", "50"), Row("age", "lt", "20")]),
            ],
        ),
        {"all": [YES, {"any": [OLD, YOUNG]}]},
    ),
    (
        "one-of-as-a-list",
        ConditionForm("all", [Group("all", [Row("pain_onset", "in", "During sport, work")])]),
        SPORT,
    ),
    (
        "unknown-operator-keeps-its-value",
        ConditionForm("all", [Group("all", [Row("age", "about", "50")])]),
        {"fact": "age", "op": "about", "value": 50},
    ),
]


@pytest.mark.parametrize(
    ("form", "cond"),
    [row[1:] for row in TO_CONDITION_ROWS],
    ids=[row[0] for row in TO_CONDITION_ROWS],
)
def test_to_condition(form: ConditionForm, cond: dict) -> None:
    assert rule_editor.to_condition(form, DICTIONARY) == cond


def test_every_default_condition_that_fits_the_editor_comes_back_unchanged() -> None:
    data = ruleset_format.default_data()
    conditions = [rule["condition"] for rule in data["rules"]]
    facts = ruleset_format.dictionary()
    edited = [c for c in conditions if rule_editor.to_form(c) is not None]
    assert len(edited) == len(conditions)  # the editor covers every shipped rule
    for cond in edited:
        assert rule_editor.to_condition(rule_editor.to_form(cond), facts) == cond


# --- operators and rows ---------------------------------------------------------------------

OPERATORS_FOR_ROWS = [
    ("age", ["eq", "ne", "in", "ge", "le", "gt", "lt", "is_answered"]),
    ("anticoagulant", ["eq", "ne", "in", "is_true", "is_false", "is_answered"]),
    ("pain_onset", ["eq", "ne", "in", "is_answered"]),
    ("medication_classes", ["contains", "is_answered"]),
    ("sport_name", ["eq", "ne", "in", "is_answered"]),
    (
        None,
        [
            "eq",
            "ne",
            "in",
            "contains",
            "ge",
            "le",
            "gt",
            "lt",
            "is_true",
            "is_false",
            "is_answered",
        ],
    ),
]


@pytest.mark.parametrize(
    ("fact", "operators"), OPERATORS_FOR_ROWS, ids=[str(row[0]) for row in OPERATORS_FOR_ROWS]
)
def test_operators_for(fact: str | None, operators: list[str]) -> None:
    found = rule_editor.operators_for(DICTIONARY[fact] if fact else None)
    assert [name for name, _ in found] == operators


def test_operators_come_with_their_words() -> None:
    assert rule_editor.operators_for(DICTIONARY["anticoagulant"])[3:5] == [
        ("is_true", "is Yes"),
        ("is_false", "is No"),
    ]


@pytest.mark.parametrize(
    ("op", "takes_value", "takes_list"),
    [("ge", True, False), ("in", True, True), ("is_true", False, False), ("about", True, False)],
)
def test_a_row_knows_what_value_it_takes(op: str, takes_value: bool, takes_list: bool) -> None:
    row = Row("age", op, "50")
    assert (row.takes_value, row.takes_list) == (takes_value, takes_list)


# --- from_request ---------------------------------------------------------------------------


def test_from_request_reads_groups_and_rows_in_order() -> None:
    values = {
        "match": "any",
        "g1_match": "any",
        "g1_r1_fact": "age",
        "g1_r1_op": "lt",
        "g1_r1_value": "20",
        "g1_r0_fact": "age",
        "g1_r0_op": "ge",
        "g1_r0_value": "50",
        "g1_r0_not": "y",
        "g0_r0_fact": "anticoagulant",
        "g0_r0_op": "is_true",
        "g0_match": "sometimes",
        "g0_r0_unknown": "ignored",
        "title": "ignored",
    }
    assert rule_editor.from_request(values) == ConditionForm(
        "any",
        [
            Group("all", [Row("anticoagulant", "is_true", "")]),
            Group("any", [Row("age", "ge", "50", True), Row("age", "lt", "20")]),
        ],
    )


@pytest.mark.parametrize(
    ("checked", "negate"), [("y", True), ("on", True), ("1", True), ("true", True), ("n", False)]
)
def test_from_request_reads_the_not_box(checked: str, negate: bool) -> None:
    form = rule_editor.from_request({"g0_r0_fact": "age", "g0_r0_not": checked})
    assert form.groups[0].rows[0].negate is negate


def test_from_request_with_nothing_gives_one_empty_row() -> None:
    assert rule_editor.from_request({}) == ConditionForm("all", [Group("all", [Row()])])
    assert rule_editor.from_request({"match": "none"}).match == "all"
    assert rule_editor.from_request({"g0_match": "any"}).groups == [Group()]


def test_from_request_keeps_long_values_short() -> None:
    form = rule_editor.from_request({"g0_r0_fact": "age", "g0_r0_value": "9" * 600})
    assert form.groups[0].rows[0].value == "9" * 500


def request(groups: int, rows: int) -> dict[str, str]:
    """Submitted values for `groups` groups of `rows` rows, numbered fact ids f<g><r>."""
    return {f"g{g}_r{r}_fact": f"f{g}{r}" for g in range(groups) for r in range(rows)}


def shape(form: ConditionForm) -> list[list[str]]:
    return [[row.fact for row in group.rows] for group in form.groups]


ACTION_ROWS = [
    # (id, groups, rows per group, action, facts after)
    ("add-row", 1, 1, "add_row:0", [["f00", ""]]),
    ("add-row-second-group", 2, 1, "add_row:1", [["f00"], ["f10", ""]]),
    ("add-row-no-such-group", 1, 1, "add_row:3", [["f00"]]),
    ("add-row-at-the-limit", 1, MAX_ROWS, "add_row:0", [[f"f0{r}" for r in range(MAX_ROWS)]]),
    ("remove-row", 1, 2, "remove_row:0:0", [["f01"]]),
    ("remove-row-no-such-row", 1, 2, "remove_row:0:5", [["f00", "f01"]]),
    ("remove-last-row-removes-its-group", 2, 1, "remove_row:1:0", [["f00"]]),
    ("remove-only-row-is-kept", 1, 1, "remove_row:0:0", [["f00"]]),
    ("remove-row-needs-two-numbers", 1, 2, "remove_row:0", [["f00", "f01"]]),
    ("add-group", 1, 1, "add_group", [["f00"], [""]]),
    ("add-group-at-the-limit", MAX_GROUPS, 1, "add_group", [[f"f{g}0"] for g in range(MAX_GROUPS)]),
    ("remove-group", 2, 1, "remove_group:0", [["f10"]]),
    ("remove-only-group-is-kept", 1, 1, "remove_group:0", [["f00"]]),
    ("remove-group-no-such-group", 2, 1, "remove_group:2", [["f00"], ["f10"]]),
    ("not-a-number", 1, 1, "add_row:x", [["f00"]]),
    ("unknown-action", 1, 1, "save", [["f00"]]),
]


@pytest.mark.parametrize(
    ("groups", "rows", "action", "after"),
    [row[1:] for row in ACTION_ROWS],
    ids=[row[0] for row in ACTION_ROWS],
)
def test_add_and_remove_buttons(groups: int, rows: int, action: str, after: list) -> None:
    assert shape(rule_editor.from_request(request(groups, rows), action)) == after


def test_a_new_row_asks_whether_something_is_yes() -> None:
    form = rule_editor.from_request(request(1, 1), "add_row:0")
    assert form.groups[0].rows[1] == Row("", "is_true", "", False)
