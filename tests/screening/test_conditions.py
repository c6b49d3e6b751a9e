"""The condition language: operators, strict typing, short-circuiting, validation, words."""

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from intake.screening.condition_words import describe, validate_condition
from intake.screening.conditions import (
    BOOLEAN,
    CHOICE,
    CHOICES,
    DATE,
    NO_CONSTRAINT,
    NUMBER,
    OPERATORS,
    TEXT,
    ConditionError,
    Constraint,
    compile_condition,
    explain,
    referenced_facts,
)
from tests.dictionary import DICTIONARY


def holds(cond: dict, facts: Mapping[str, Any]) -> bool:
    return compile_condition(cond)(facts)


# --- One row per operator ----------------------------------------------------------------

OPERATOR_ROWS = [
    # (operator, condition, facts, expected)
    ("eq", {"fact": "pain_onset", "op": "eq", "value": "sport"}, {"pain_onset": "sport"}, True),
    ("eq", {"fact": "pain_onset", "op": "eq", "value": "sport"}, {"pain_onset": "work"}, False),
    ("ne", {"fact": "pain_onset", "op": "ne", "value": "sport"}, {"pain_onset": "work"}, True),
    ("ne", {"fact": "pain_onset", "op": "ne", "value": "sport"}, {"pain_onset": "sport"}, False),
    (
        "in",
        {"fact": "pain_onset", "op": "in", "value": ["sport", "work"]},
        {"pain_onset": "work"},
        True,
    ),
    (
        "in",
        {"fact": "pain_onset", "op": "in", "value": ["sport", "work"]},
        {"pain_onset": "gradual"},
        False,
    ),
    (
        "contains",
        {"fact": "medication_classes", "op": "contains", "value": "nsaid"},
        {"medication_classes": ["opioid", "nsaid"]},
        True,
    ),
    (
        "contains",
        {"fact": "medication_classes", "op": "contains", "value": "nsaid"},
        {"medication_classes": ["opioid"]},
        False,
    ),
    ("ge", {"fact": "age", "op": "ge", "value": 50}, {"age": 50}, True),
    ("ge", {"fact": "age", "op": "ge", "value": 50}, {"age": 49}, False),
    ("le", {"fact": "age", "op": "le", "value": 50}, {"age": 50}, True),
    ("le", {"fact": "age", "op": "le", "value": 50}, {"age": 51}, False),
    ("gt", {"fact": "age", "op": "gt", "value": 50}, {"age": 51}, True),
    ("gt", {"fact": "age", "op": "gt", "value": 50}, {"age": 50}, False),
    ("lt", {"fact": "age", "op": "lt", "value": 20}, {"age": 19}, True),
    ("lt", {"fact": "age", "op": "lt", "value": 20}, {"age": 20}, False),
    ("is_true", {"fact": "anticoagulant", "op": "is_true"}, {"anticoagulant": True}, True),
    ("is_true", {"fact": "anticoagulant", "op": "is_true"}, {"anticoagulant": False}, False),
    ("is_false", {"fact": "anticoagulant", "op": "is_false"}, {"anticoagulant": False}, True),
    ("is_false", {"fact": "anticoagulant", "op": "is_false"}, {"anticoagulant": True}, False),
    ("is_answered", {"fact": "age", "op": "is_answered"}, {"age": 0}, True),
    ("is_answered", {"fact": "age", "op": "is_answered"}, {"age": None}, False),
]


@pytest.mark.parametrize(
    ("operator", "cond", "facts", "expected"),
    OPERATOR_ROWS,
    ids=[f"{row[0]}-{'fires' if row[3] else 'quiet'}" for row in OPERATOR_ROWS],
)
def test_operator(operator: str, cond: dict, facts: dict, expected: bool) -> None:
    assert cond["op"] == operator
    assert holds(cond, facts) is expected


def test_every_operator_has_a_firing_and_a_quiet_row() -> None:
    fires = {row[0] for row in OPERATOR_ROWS if row[3]}
    quiet = {row[0] for row in OPERATOR_ROWS if not row[3]}
    assert fires == set(OPERATORS) == quiet


#: What each operator says about its fact's possible values (rule_analysis combines these).
CONSTRAINT_ROWS = [
    # (operator, value, fact, constraint)
    ("eq", 50, "age", Constraint(bounds=(50, 50))),
    ("eq", "sport", "pain_onset", Constraint(allowed=frozenset({("str", "sport")}))),
    (
        "eq",
        "car",
        "pain_onset",
        Constraint(allowed=frozenset({("str", "car")}), impossible=True),
    ),
    ("eq", 1, "mystery", Constraint(allowed=frozenset({("int", 1)}))),
    ("ne", "sport", "pain_onset", Constraint(excluded=frozenset({("str", "sport")}))),
    (
        "in",
        ["sport", 1],
        "pain_onset",
        Constraint(allowed=frozenset({("str", "sport"), ("int", 1)})),
    ),
    ("in", "sport", "pain_onset", Constraint(allowed=frozenset())),
    ("contains", "nsaid", "medication_classes", NO_CONSTRAINT),
    ("ge", 50, "age", Constraint(bounds=(50, float("inf")))),
    ("ge", "50", "age", NO_CONSTRAINT),
    ("ge", 50, "mystery", NO_CONSTRAINT),
    ("le", 50, "age", Constraint(bounds=(float("-inf"), 50))),
    ("gt", 50, "age", Constraint(bounds=(51, float("inf")))),  # ages are whole numbers
    ("gt", 5, "peg.score", Constraint(bounds=(5 + 1e-9, float("inf")))),  # scores need not be
    ("lt", 20, "age", Constraint(bounds=(float("-inf"), 19))),
    ("lt", 5, "peg.score", Constraint(bounds=(float("-inf"), 5 - 1e-9))),
    ("is_true", None, "anticoagulant", Constraint(allowed=frozenset({("bool", True)}))),
    ("is_false", None, "anticoagulant", Constraint(allowed=frozenset({("bool", False)}))),
    ("is_answered", None, "age", NO_CONSTRAINT),
]


@pytest.mark.parametrize(
    ("operator", "value", "fact", "constraint"),
    CONSTRAINT_ROWS,
    ids=[f"{row[0]}-{row[2]}-{row[1]}" for row in CONSTRAINT_ROWS],
)
def test_operator_constraint(operator: str, value: Any, fact: str, constraint: Constraint) -> None:
    assert OPERATORS[operator].constrain(value, DICTIONARY.get(fact)) == constraint


def test_every_operator_has_a_constraint_row() -> None:
    assert {row[0] for row in CONSTRAINT_ROWS} == set(OPERATORS)


VALUE_KIND_ROWS = [
    # (operator, takes a value, takes a list)
    ("eq", True, False),
    ("ne", True, False),
    ("in", True, True),
    ("contains", True, False),
    ("ge", True, False),
    ("le", True, False),
    ("gt", True, False),
    ("lt", True, False),
    ("is_true", False, False),
    ("is_false", False, False),
    ("is_answered", False, False),
]


@pytest.mark.parametrize(("operator", "takes_value", "takes_list"), VALUE_KIND_ROWS)
def test_operator_value_kind(operator: str, takes_value: bool, takes_list: bool) -> None:
    op = OPERATORS[operator]
    assert (op.takes_value, op.takes_list) == (takes_value, takes_list)


def test_operator_table_is_complete() -> None:
    """Every entry says everything an operator needs: words, value kind, types, meaning."""
    assert [row[0] for row in VALUE_KIND_ROWS] == list(OPERATORS)
    types = {BOOLEAN, NUMBER, TEXT, CHOICE, CHOICES, DATE}
    for name, op in OPERATORS.items():
        assert op.name == name and op.words
        assert op.value in ("none", "scalar", "list", "number")
        assert op.fact_types and op.fact_types <= types
        assert callable(op.build) and callable(op.constrain)


# --- Strict typing -------------------------------------------------------------------------

STRICT_ROWS = [
    ("int-never-equals-text", {"fact": "x", "op": "eq", "value": 1}, {"x": "1"}, False),
    ("int-never-equals-true", {"fact": "x", "op": "eq", "value": 1}, {"x": True}, False),
    ("true-never-equals-int", {"fact": "x", "op": "eq", "value": True}, {"x": 1}, False),
    ("false-never-equals-zero", {"fact": "x", "op": "eq", "value": False}, {"x": 0}, False),
    ("text-never-equals-int", {"fact": "x", "op": "eq", "value": "1"}, {"x": 1}, False),
    ("float-equals-int", {"fact": "x", "op": "eq", "value": 1.0}, {"x": 1}, True),
    ("int-equals-float", {"fact": "x", "op": "eq", "value": 1}, {"x": 1.0}, True),
    ("true-equals-true", {"fact": "x", "op": "eq", "value": True}, {"x": True}, True),
    ("in-int-vs-text", {"fact": "x", "op": "in", "value": [1, 2]}, {"x": "1"}, False),
    ("in-int-vs-true", {"fact": "x", "op": "in", "value": [1, 2]}, {"x": True}, False),
    ("in-float-vs-int", {"fact": "x", "op": "in", "value": [1.0, 2]}, {"x": 1}, True),
    ("in-text-vs-int", {"fact": "x", "op": "in", "value": ["1"]}, {"x": 1}, False),
    ("contains-int-vs-true", {"fact": "x", "op": "contains", "value": 1}, {"x": [True]}, False),
    ("contains-text-in-text", {"fact": "x", "op": "contains", "value": "a"}, {"x": "abc"}, False),
    ("ge-text-number", {"fact": "x", "op": "ge", "value": 1}, {"x": "5"}, False),
    ("ge-bool", {"fact": "x", "op": "ge", "value": 1}, {"x": True}, False),
    ("ge-float", {"fact": "x", "op": "ge", "value": 1}, {"x": 1.5}, True),
    ("is_true-one", {"fact": "x", "op": "is_true"}, {"x": 1}, False),
    ("is_true-text", {"fact": "x", "op": "is_true"}, {"x": "yes"}, False),
    ("is_false-zero", {"fact": "x", "op": "is_false"}, {"x": 0}, False),
    ("is_false-empty", {"fact": "x", "op": "is_false"}, {"x": ""}, False),
    ("ne-int-vs-text", {"fact": "x", "op": "ne", "value": 1}, {"x": "1"}, True),
]


@pytest.mark.parametrize(
    ("cond", "facts", "expected"),
    [row[1:] for row in STRICT_ROWS],
    ids=[row[0] for row in STRICT_ROWS],
)
def test_strict_typing(cond: dict, facts: dict, expected: bool) -> None:
    assert holds(cond, facts) is expected


# --- Unanswered facts ----------------------------------------------------------------------

UNANSWERED_ROWS = [
    {"fact": "x", "op": "eq", "value": 1},
    {"fact": "x", "op": "ne", "value": 1},
    {"fact": "x", "op": "in", "value": ["a", "b"]},
    {"fact": "x", "op": "in", "value": [1, "b"]},
    {"fact": "x", "op": "contains", "value": "a"},
    {"fact": "x", "op": "ge", "value": 0},
    {"fact": "x", "op": "le", "value": 0},
    {"fact": "x", "op": "gt", "value": 0},
    {"fact": "x", "op": "lt", "value": 0},
    {"fact": "x", "op": "is_true"},
    {"fact": "x", "op": "is_false"},
    {"fact": "x", "op": "is_answered"},
]


@pytest.mark.parametrize("cond", UNANSWERED_ROWS, ids=[row["op"] for row in UNANSWERED_ROWS])
@pytest.mark.parametrize("facts", [{}, {"x": None}], ids=["missing", "none"])
def test_unanswered_fact_makes_comparison_false_and_not_true(cond: dict, facts: dict) -> None:
    assert holds(cond, facts) is False
    assert holds({"not": cond}, facts) is True


# --- all / any short-circuit ---------------------------------------------------------------


class RecordingFacts(Mapping[str, Any]):
    """A facts mapping that records every key read, to prove short-circuiting."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.read: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return self.data.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


THREE = [{"fact": name, "op": "is_true"} for name in ("a", "b", "c")]

SHORT_CIRCUIT_ROWS = [
    (
        "all-stops-at-first-false",
        {"all": THREE},
        {"a": True, "b": False, "c": True},
        False,
        ["a", "b"],
    ),
    (
        "all-reads-all-when-true",
        {"all": THREE},
        {"a": True, "b": True, "c": True},
        True,
        ["a", "b", "c"],
    ),
    ("all-first-false", {"all": THREE}, {"a": False, "b": True, "c": True}, False, ["a"]),
    (
        "any-stops-at-first-true",
        {"any": THREE},
        {"a": False, "b": True, "c": False},
        True,
        ["a", "b"],
    ),
    ("any-first-true", {"any": THREE}, {"a": True, "b": True, "c": True}, True, ["a"]),
    (
        "any-reads-all-when-false",
        {"any": THREE},
        {"a": False, "b": False, "c": False},
        False,
        ["a", "b", "c"],
    ),
    (
        "nested-any-skipped",
        {"all": [THREE[0], {"any": THREE[1:]}]},
        {"a": False, "b": True, "c": True},
        False,
        ["a"],
    ),
]


@pytest.mark.parametrize(
    ("cond", "data", "expected", "read"),
    [row[1:] for row in SHORT_CIRCUIT_ROWS],
    ids=[row[0] for row in SHORT_CIRCUIT_ROWS],
)
def test_all_and_any_short_circuit(cond: dict, data: dict, expected: bool, read: list) -> None:
    facts = RecordingFacts(data)
    assert compile_condition(cond)(facts) is expected
    assert facts.read == read


def test_single_item_group_behaves_like_its_item() -> None:
    for key in ("all", "any"):
        cond = {key: [{"fact": "a", "op": "is_true"}]}
        assert holds(cond, {"a": True}) is True
        assert holds(cond, {"a": False}) is False


def test_not_inverts() -> None:
    cond = {"not": {"fact": "age", "op": "ge", "value": 18}}
    assert holds(cond, {"age": 17}) is True
    assert holds(cond, {"age": 18}) is False


# --- Compile errors ------------------------------------------------------------------------

MALFORMED_ROWS = [
    ("not-a-mapping", ["fact", "age"], "must be a mapping"),
    ("none", None, "must be a mapping"),
    ("empty-all", {"all": []}, "non-empty list"),
    ("any-not-a-list", {"any": {"fact": "a", "op": "is_true"}}, "non-empty list"),
    ("no-fact", {"op": "is_true"}, "needs a 'fact'"),
    ("empty-fact", {"fact": "", "op": "is_true"}, "needs a 'fact'"),
    ("unknown-operator", {"fact": "a", "op": "equals", "value": 1}, "unknown operator"),
    ("missing-operator", {"fact": "a"}, "unknown operator"),
    ("ge-text", {"fact": "age", "op": "ge", "value": "50"}, "needs a number"),
    ("ge-bool", {"fact": "age", "op": "ge", "value": True}, "needs a number"),
    ("ge-missing", {"fact": "age", "op": "ge"}, "needs a number"),
    ("in-scalar", {"fact": "a", "op": "in", "value": "x"}, "non-empty list"),
    ("in-empty", {"fact": "a", "op": "in", "value": []}, "non-empty list"),
    ("eq-list", {"fact": "a", "op": "eq", "value": [1]}, "single value"),
    ("eq-missing", {"fact": "a", "op": "eq"}, "single value"),
    ("contains-dict", {"fact": "a", "op": "contains", "value": {}}, "single value"),
    (
        "nested-bad",
        {"all": [{"fact": "a", "op": "is_true"}, {"fact": "b", "op": "nope"}]},
        "unknown operator",
    ),
    ("not-bad", {"not": "a"}, "must be a mapping"),
    (
        "mixed-all-fact",
        {"all": [{"fact": "a", "op": "is_true"}], "fact": "b", "op": "is_true"},
        "mixes",
    ),
    (
        "mixed-all-any",
        {"all": [{"fact": "a", "op": "is_true"}], "any": [{"fact": "b", "op": "is_true"}]},
        "mixes",
    ),
]


@pytest.mark.parametrize(
    ("cond", "message"), [row[1:] for row in MALFORMED_ROWS], ids=[row[0] for row in MALFORMED_ROWS]
)
def test_compile_refuses_malformed_conditions(cond: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        compile_condition(cond)


# --- validate_condition messages -----------------------------------------------------------

VALIDATION_ROWS = [
    (
        "unknown-fact-with-suggestion",
        {"fact": "anticoagulent", "op": "is_true"},
        [
            "Rule 'x' refers to question 'anticoagulent', which does not exist. "
            "Did you mean 'anticoagulant'?"
        ],
    ),
    (
        "unknown-fact-without-suggestion",
        {"fact": "zzzz", "op": "is_true"},
        ["Rule 'x' refers to question 'zzzz', which does not exist."],
    ),
    (
        "value-not-among-choices",
        {"fact": "pain_onset", "op": "eq", "value": "football"},
        [
            "Rule 'x' compares 'How the pain started' with 'football', which is not one of its "
            "choices ('sport', 'work', 'gradual')."
        ],
    ),
    (
        "in-value-not-among-choices",
        {"fact": "pain_onset", "op": "in", "value": ["sport", "car"]},
        [
            "Rule 'x' compares 'How the pain started' with 'car', which is not one of its "
            "choices ('sport', 'work', 'gradual')."
        ],
    ),
    (
        "number-choice-compared-with-text",
        {"fact": "pregnancy_trimester", "op": "eq", "value": "1"},
        ["Rule 'x' compares 'Trimester' with '1', which is not one of its choices (1, 2, 3)."],
    ),
    (
        "number-compared-with-text",
        {"fact": "age", "op": "eq", "value": "50"},
        ["Rule 'x' compares the number 'Age' with the text '50'."],
    ),
    (
        "number-compared-with-bool",
        {"fact": "age", "op": "in", "value": [True]},
        ["Rule 'x' compares the number 'Age' with the yes/no value True."],
    ),
    (
        "yes-no-compared-with-number",
        {"fact": "anticoagulant", "op": "eq", "value": 1},
        ["Rule 'x' compares 'Takes blood thinners' (a yes/no question) with the number 1."],
    ),
    (
        "text-compared-with-number",
        {"fact": "sport_name", "op": "eq", "value": 3},
        ["Rule 'x' compares 'Sport' (text) with the number 3."],
    ),
    (
        "is-true-on-number",
        {"fact": "age", "op": "is_true"},
        [
            "Rule 'x' uses 'is Yes' on 'Age', which is a number; that comparison works on "
            "boolean questions."
        ],
    ),
    (
        "is-true-on-choice",
        {"fact": "pain_onset", "op": "is_true"},
        [
            "Rule 'x' uses 'is Yes' on 'How the pain started', which is a single choice; that "
            "comparison works on boolean questions."
        ],
    ),
    (
        "contains-on-single-choice",
        {"fact": "pain_onset", "op": "contains", "value": "sport"},
        [
            "Rule 'x' uses 'includes' on 'How the pain started', which is a single choice; that "
            "comparison works on choices questions."
        ],
    ),
    (
        "ge-on-yes-no",
        {"fact": "anticoagulant", "op": "ge", "value": 1},
        [
            "Rule 'x' uses 'is at least' on 'Takes blood thinners', which is a yes/no question; "
            "that comparison works on number questions."
        ],
    ),
    ("empty-all-group", {"all": []}, ["Rule 'x' has an empty 'all' group."]),
    ("empty-any-group", {"any": []}, ["Rule 'x' has an empty 'any' group."]),
    (
        "mixed-keys-all-fact",
        {"all": [{"fact": "age", "op": "is_answered"}], "fact": "age", "op": "is_answered"},
        ["Rule 'x' mixes all, fact."],
    ),
    (
        "mixed-keys-any-not",
        {
            "any": [{"fact": "age", "op": "is_answered"}],
            "not": {"fact": "age", "op": "is_answered"},
        },
        ["Rule 'x' mixes any, not."],
    ),
    (
        "not-a-condition",
        "age >= 50",
        ["Rule 'x' is not a condition (expected all/any/not or a comparison)."],
    ),
    ("no-question", {"op": "is_true"}, ["Rule 'x' has a comparison without a question."]),
    (
        "unknown-comparison",
        {"fact": "age", "op": "equals", "value": 3},
        ["Rule 'x' uses the unknown comparison 'equals' on 'Age'."],
    ),
    (
        "value-on-no-value-operator",
        {"fact": "anticoagulant", "op": "is_true", "value": True},
        ["Rule 'x': 'is Yes' takes no value."],
    ),
    (
        "in-without-list",
        {"fact": "pain_onset", "op": "in", "value": "sport"},
        ["Rule 'x': 'is one of' on 'How the pain started' needs a list of values."],
    ),
    (
        "problems-in-nested-groups-all-reported",
        {
            "all": [
                {"fact": "agee", "op": "ge", "value": 50},
                {"not": {"any": [{"fact": "pain_onset", "op": "eq", "value": "car"}]}},
            ]
        },
        [
            "Rule 'x' refers to question 'agee', which does not exist. Did you mean 'age'?",
            "Rule 'x' compares 'How the pain started' with 'car', which is not one of its "
            "choices ('sport', 'work', 'gradual').",
        ],
    ),
]


@pytest.mark.parametrize(
    ("cond", "messages"),
    [row[1:] for row in VALIDATION_ROWS],
    ids=[row[0] for row in VALIDATION_ROWS],
)
def test_validate_condition_messages(cond: Any, messages: list[str]) -> None:
    assert validate_condition(cond, DICTIONARY, "Rule 'x'") == messages


VALID_ROWS = [
    {"fact": "age", "op": "ge", "value": 50},
    {"fact": "age", "op": "eq", "value": 50.0},
    {"fact": "pregnancy_trimester", "op": "eq", "value": 1},
    {"fact": "pain_onset", "op": "in", "value": ["sport", "work"]},
    {"fact": "medication_classes", "op": "contains", "value": "opioid"},
    {"fact": "medication_classes", "op": "is_answered"},
    {"fact": "sport_injury_date", "op": "eq", "value": "2026-01-01"},
    {
        "not": {
            "all": [{"fact": "pregnant", "op": "is_true"}, {"fact": "age", "op": "lt", "value": 18}]
        }
    },
]


@pytest.mark.parametrize("cond", VALID_ROWS, ids=[str(i) for i in range(len(VALID_ROWS))])
def test_valid_conditions_have_no_problems_and_compile(cond: dict) -> None:
    assert validate_condition(cond, DICTIONARY) == []
    assert callable(compile_condition(cond))


def test_default_where_is_the_condition() -> None:
    assert validate_condition({"fact": "nope", "op": "is_true"}, DICTIONARY) == [
        "The condition refers to question 'nope', which does not exist."
    ]


# --- explain -------------------------------------------------------------------------------

G4 = {
    "all": [
        {"fact": "rf_new_onset", "op": "is_true"},
        {
            "any": [
                {"fact": "age", "op": "ge", "value": 50},
                {"fact": "age", "op": "lt", "value": 20},
            ]
        },
    ]
}

EXPLAIN_ROWS = [
    ("comparison", {"fact": "age", "op": "ge", "value": 50}, {"age": 60, "x": 1}, {"age": 60}),
    (
        "all-is-the-union",
        {"all": [{"fact": "a", "op": "is_true"}, {"fact": "b", "op": "eq", "value": 2}]},
        {"a": True, "b": 2, "c": 3},
        {"a": True, "b": 2},
    ),
    (
        "any-is-the-first-true-branch",
        {
            "any": [
                {"fact": "a", "op": "is_true"},
                {"fact": "b", "op": "is_true"},
                {"fact": "c", "op": "is_true"},
            ]
        },
        {"a": False, "b": True, "c": True},
        {"b": True},
    ),
    ("nested", G4, {"rf_new_onset": True, "age": 17}, {"rf_new_onset": True, "age": 17}),
    (
        "not-reports-the-facts-it-looked-at",
        {"all": [{"fact": "g", "op": "is_true"}, {"not": {"fact": "h", "op": "is_true"}}]},
        {"g": True},
        {"g": True, "h": None},
    ),
]


@pytest.mark.parametrize(
    ("cond", "facts", "expected"),
    [row[1:] for row in EXPLAIN_ROWS],
    ids=[row[0] for row in EXPLAIN_ROWS],
)
def test_explain_returns_the_facts_that_made_it_true(
    cond: dict, facts: dict, expected: dict
) -> None:
    assert holds(cond, facts) is True
    assert explain(cond, facts) == expected


def test_referenced_facts_in_order_without_repeats() -> None:
    assert referenced_facts(G4) == ["rf_new_onset", "age"]
    assert referenced_facts({"not": {"fact": "x", "op": "is_true"}}) == ["x"]
    assert referenced_facts("garbage") == []


# --- describe ------------------------------------------------------------------------------

DESCRIBE_ROWS = [
    ("is-yes", {"fact": "anticoagulant", "op": "is_true"}, "Takes blood thinners is Yes"),
    ("is-no", {"fact": "anticoagulant", "op": "is_false"}, "Takes blood thinners is No"),
    ("at-least", {"fact": "age", "op": "ge", "value": 50}, "Age is at least 50"),
    ("at-most", {"fact": "age", "op": "le", "value": 50}, "Age is at most 50"),
    ("more-than", {"fact": "age", "op": "gt", "value": 50}, "Age is more than 50"),
    ("under", {"fact": "age", "op": "lt", "value": 20}, "Age is under 20"),
    (
        "is-not",
        {"fact": "pain_onset", "op": "ne", "value": "work"},
        "How the pain started is not At work",
    ),
    (
        "choice-label",
        {"fact": "pain_onset", "op": "eq", "value": "sport"},
        "How the pain started is During sport",
    ),
    (
        "one-of",
        {"fact": "pain_onset", "op": "in", "value": ["sport", "work"]},
        "How the pain started is one of During sport or At work",
    ),
    (
        "includes",
        {"fact": "medication_classes", "op": "contains", "value": "opioid"},
        "Medicines includes Opioid painkillers",
    ),
    ("answered", {"fact": "age", "op": "is_answered"}, "Age is answered"),
    ("unknown-fact-shown-by-id", {"fact": "mystery", "op": "is_true"}, "mystery is Yes"),
    (
        "flat-all-has-no-parentheses",
        {
            "all": [
                {"fact": "anticoagulant", "op": "is_true"},
                {"fact": "age", "op": "ge", "value": 50},
            ]
        },
        "Takes blood thinners is Yes and Age is at least 50",
    ),
    (
        "flat-any",
        {
            "any": [
                {"fact": "anticoagulant", "op": "is_true"},
                {"fact": "pregnant", "op": "is_true"},
            ]
        },
        "Takes blood thinners is Yes or Pregnant is Yes",
    ),
    (
        "nested-group-in-parentheses",
        {
            "all": [
                {"fact": "pregnant", "op": "is_true"},
                {
                    "any": [
                        {"fact": "age", "op": "ge", "value": 50},
                        {"fact": "age", "op": "lt", "value": 20},
                    ]
                },
            ]
        },
        "Pregnant is Yes and (Age is at least 50 or Age is under 20)",
    ),
    ("not", {"not": {"fact": "pregnant", "op": "is_true"}}, "not (Pregnant is Yes)"),
    (
        "not-inside-all",
        {
            "all": [
                {"fact": "age", "op": "lt", "value": 18},
                {"not": {"fact": "pregnant", "op": "is_true"}},
            ]
        },
        "Age is under 18 and not (Pregnant is Yes)",
    ),
    ("invalid", "age > 3", "(invalid condition)"),
    ("unknown-comparison", {"fact": "age", "op": "bigger"}, "Age (unknown comparison)"),
]


@pytest.mark.parametrize(
    ("cond", "words"), [row[1:] for row in DESCRIBE_ROWS], ids=[row[0] for row in DESCRIBE_ROWS]
)
def test_describe(cond: Any, words: str) -> None:
    assert describe(cond, DICTIONARY) == words


def test_every_operator_is_described() -> None:
    described = {row[1].get("op") for row in DESCRIBE_ROWS if isinstance(row[1], dict)}
    assert set(OPERATORS) <= described


def test_choice_label_of_unknown_value_is_the_value() -> None:
    spec = DICTIONARY["pregnancy_trimester"]
    assert spec.choice_label(2) == "13 to 26 weeks"
    assert spec.choice_label(True) == "True"
    assert spec.choice_label("2") == "2"
