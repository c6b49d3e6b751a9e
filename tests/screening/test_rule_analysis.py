"""Rule analysis, called directly: conditions that can never be true, rules that repeat
another, answers never asked together, diffs between versions, rules overdue for review."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from intake.screening import rule_analysis, ruleset_format
from intake.screening.rule_analysis import RuleChange, Warning
from tests.dictionary import DICTIONARY


def when(fact: str, op: str, *value: Any) -> dict[str, Any]:
    """A comparison; the value is left out when none is given."""
    return {"fact": fact, "op": op, **({"value": value[0]} if value else {})}


def every(*parts: dict) -> dict:
    return {"all": list(parts)}


NEVER = "as well as the rest of the condition (or the question's range)"
AT_ONCE = "cannot have all the answers the condition needs at once"

CONTRADICTION_ROWS = [
    # (id, condition, why it can never be true or None)
    (
        "range-at-least-and-under",
        every(when("age", "ge", 60), when("age", "lt", 20)),
        f"'Age' cannot be under 20 {NEVER}",
    ),
    (
        "range-at-most-and-more-than",
        every(when("age", "le", 20), when("age", "gt", 60)),
        f"'Age' cannot be more than 60 {NEVER}",
    ),
    ("range-above-the-question", when("age", "ge", 121), f"'Age' cannot be at least 121 {NEVER}"),
    (
        "range-below-the-question",
        when("nprs_now", "lt", 0),
        f"'Pain now' cannot be under 0 {NEVER}",
    ),
    ("equal-outside-the-question", when("age", "eq", 150), f"'Age' cannot be 150 {NEVER}"),
    (
        "equal-and-another-bound",
        every(when("age", "eq", 50), when("age", "ge", 60)),
        f"'Age' cannot be at least 60 {NEVER}",
    ),
    ("range-meeting-at-one-value", every(when("age", "ge", 50), when("age", "le", 50)), None),
    ("range-with-room", every(when("age", "ge", 18), when("age", "lt", 65)), None),
    # Answers are whole numbers: nothing lies strictly between 50 and 51.
    (
        "whole-numbers-between-neighbours",
        every(when("age", "gt", 50), when("age", "lt", 51)),
        f"'Age' cannot be under 51 {NEVER}",
    ),
    (
        "derived-facts-are-whole-numbers",
        every(when("pain_region_count", "gt", 2), when("pain_region_count", "lt", 3)),
        f"'Painful areas' cannot be under 3 {NEVER}",
    ),
    # Scores may be fractions (the PEG score is a mean).
    (
        "fraction-between-neighbours",
        every(when("peg.score", "gt", 5), when("peg.score", "lt", 6)),
        None,
    ),
    ("a-bound-on-another-fact", every(when("age", "ge", 60), when("nprs_now", "lt", 5)), None),
    (
        "yes-and-no",
        every(when("anticoagulant", "is_true"), when("anticoagulant", "is_false")),
        f"'Takes blood thinners' {AT_ONCE}",
    ),
    ("yes-twice", every(when("anticoagulant", "is_true"), when("anticoagulant", "is_true")), None),
    (
        "yes-and-equal-false",
        every(when("anticoagulant", "is_true"), when("anticoagulant", "eq", False)),
        f"'Takes blood thinners' {AT_ONCE}",
    ),
    (
        "two-different-answers",
        every(when("pain_onset", "eq", "sport"), when("pain_onset", "eq", "work")),
        f"'How the pain started' {AT_ONCE}",
    ),
    (
        "equal-and-not-equal",
        every(when("pain_onset", "eq", "sport"), when("pain_onset", "ne", "sport")),
        f"'How the pain started' {AT_ONCE}",
    ),
    (
        "not-equal-first",
        every(when("pain_onset", "ne", "sport"), when("pain_onset", "eq", "sport")),
        f"'How the pain started' {AT_ONCE}",
    ),
    (
        "one-of-and-equal-inside",
        every(when("pain_onset", "in", ["sport", "work"]), when("pain_onset", "eq", "work")),
        None,
    ),
    (
        "one-of-and-equal-outside",
        every(when("pain_onset", "in", ["sport", "work"]), when("pain_onset", "eq", "gradual")),
        f"'How the pain started' {AT_ONCE}",
    ),
    (
        "one-of-all-excluded",
        every(
            when("pain_onset", "in", ["sport", "work"]),
            when("pain_onset", "ne", "sport"),
            when("pain_onset", "ne", "work"),
        ),
        f"'How the pain started' {AT_ONCE}",
    ),
    (
        "one-of-one-left",
        every(when("pain_onset", "in", ["sport", "work"]), when("pain_onset", "ne", "sport")),
        None,
    ),
    ("one-of-nothing", when("pain_onset", "in", []), f"'How the pain started' {AT_ONCE}"),
    ("not-equal-alone", when("pain_onset", "ne", "sport"), None),
    (
        "never-a-choice",
        when("pain_onset", "eq", "car"),
        "'How the pain started' never has the answer 'car'",
    ),
    (
        "strict-choice-types",
        when("pregnancy_trimester", "eq", "1"),
        "'Trimester' never has the answer '1'",
    ),
    ("a-choice", when("pain_onset", "eq", "sport"), None),
    # An unknown fact has no range, so a number is an answer like any other.
    (
        "unknown-fact-two-numbers",
        every(when("mystery", "eq", 1), when("mystery", "eq", 2)),
        f"'mystery' {AT_ONCE}",
    ),
    (
        "unknown-fact-bounds-say-nothing",
        every(when("mystery", "ge", 5), when("mystery", "lt", 1)),
        None,
    ),
    (
        "true-is-not-one",
        every(when("mystery", "eq", True), when("mystery", "eq", 1)),
        f"'mystery' {AT_ONCE}",
    ),
    # Only what must hold counts: `all`s nest, a one-part `any` is its part, the rest is skipped.
    (
        "nested-all",
        every(when("age", "ge", 60), every(when("age", "lt", 20))),
        f"'Age' cannot be under 20 {NEVER}",
    ),
    (
        "any-of-one",
        every(when("age", "ge", 60), {"any": [when("age", "lt", 20)]}),
        f"'Age' cannot be under 20 {NEVER}",
    ),
    (
        "any-of-two-is-skipped",
        every(
            when("age", "ge", 60),
            {"any": [when("age", "lt", 20), when("anticoagulant", "is_true")]},
        ),
        None,
    ),
    ("not-is-skipped", every(when("age", "ge", 60), {"not": when("age", "ge", 20)}), None),
    ("unknown-operator-is-skipped", every(when("age", "ge", 60), when("age", "below", 20)), None),
    ("includes-says-nothing", when("pain_onset", "contains", "car"), None),
    ("answered-says-nothing", when("age", "is_answered"), None),
    ("garbage", "age > 3", None),
    # The first impossibility found is the one reported.
    (
        "first-found-wins",
        every(when("pain_onset", "eq", "car"), when("age", "ge", 60), when("age", "lt", 20)),
        "'How the pain started' never has the answer 'car'",
    ),
]


@pytest.mark.parametrize(
    ("cond", "why"),
    [row[1:] for row in CONTRADICTION_ROWS],
    ids=[row[0] for row in CONTRADICTION_ROWS],
)
def test_contradiction(cond: Any, why: str | None) -> None:
    assert rule_analysis.contradiction(cond, DICTIONARY) == why


# --- never shown together (the shipped questionnaire's show-if conditions) -----------------


def test_answers_never_asked_of_the_same_patient() -> None:
    cond = every(when("sex", "eq", "male"), when("pregnant", "is_true"))
    assert rule_analysis.never_shown_together(cond, ruleset_format.dictionary()) == (
        "it needs answers that are never asked of the same patient ('Are you pregnant?'), "
        "so it can never fire"
    )


@pytest.mark.parametrize(
    "cond",
    [
        every(when("sex", "eq", "female"), when("pregnant", "is_true")),
        when("pregnant", "is_true"),
        every(when("diabetes", "is_true"), when("age", "ge", 60)),
    ],
    ids=["asked-together", "one-answer", "always-asked"],
)
def test_answers_that_can_be_asked_together(cond: dict) -> None:
    assert rule_analysis.never_shown_together(cond, ruleset_format.dictionary()) is None


# --- warnings -------------------------------------------------------------------------------


def rule(rule_id: str, cond: Any, **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "outcome": "review", "condition": cond, **extra}


def test_warnings_name_each_rule_that_looks_wrong() -> None:
    ruleset = {
        "rules": [
            rule("never", every(when("age", "ge", 60), when("age", "lt", 20))),
            rule("apart", every(when("sex", "eq", "male"), when("pregnant", "is_true"))),
            rule("diabetes", when("diabetes", "is_true")),
            rule("again", when("diabetes", "is_true"), outcome="info"),
            rule("fine", when("age", "ge", 60)),
            "not a rule",
        ]
    }
    assert rule_analysis.warnings(ruleset, ruleset_format.dictionary()) == [
        Warning(
            "never",
            f"Rule 'never' can never fire: 'How old are you?' cannot be under 20 {NEVER}.",
        ),
        Warning(
            "apart",
            "Rule 'apart': it needs answers that are never asked of the same patient "
            "('Are you pregnant?'), so it can never fire.",
        ),
        Warning(
            "again",
            "Rule 'again' has the same condition as rule 'diabetes': one of them may be "
            "unnecessary.",
        ),
    ]


def test_a_rule_that_can_never_fire_is_not_also_reported_as_never_shown() -> None:
    cond = every(
        when("sex", "eq", "male"), when("pregnant", "is_true"), when("pregnant", "is_false")
    )
    messages = [
        w.message
        for w in rule_analysis.warnings({"rules": [rule("r", cond)]}, ruleset_format.dictionary())
    ]
    assert messages == [f"Rule 'r' can never fire: 'Are you pregnant?' {AT_ONCE}."]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (
            every(when("a", "is_true"), when("b", "is_true")),
            every(when("b", "is_true"), when("a", "is_true")),
            True,
        ),
        (
            {"any": [when("a", "is_true"), every(when("b", "eq", 1), when("c", "is_true"))]},
            {"any": [every(when("c", "is_true"), when("b", "eq", 1)), when("a", "is_true")]},
            True,
        ),
        (
            when("a", "in", [1, 2]),
            when("a", "in", [2, 1]),
            False,  # the order of a value list is kept
        ),
        (
            every(when("a", "is_true"), when("b", "is_true")),
            {"any": [when("a", "is_true"), when("b", "is_true")]},
            False,
        ),
        (when("a", "eq", 1), when("a", "eq", True), False),
    ],
    ids=["all-order", "nested-order", "value-list-order", "all-is-not-any", "one-is-not-true"],
)
def test_duplicate_conditions_ignore_group_order(first: dict, second: dict, same: bool) -> None:
    found = rule_analysis.warnings({"rules": [rule("x", first), rule("y", second)]}, DICTIONARY)
    assert [w.rule_id for w in found if "same condition" in w.message] == (["y"] if same else [])


def test_no_warnings_for_a_clean_rule_set() -> None:
    assert rule_analysis.warnings(ruleset_format.default_data(), ruleset_format.dictionary()) == []
    assert rule_analysis.warnings({}, DICTIONARY) == []


# --- diff -----------------------------------------------------------------------------------


def test_diff_lists_added_removed_and_changed_rules_field_by_field() -> None:
    before = {
        "settings": {"min_age_self_consent": 18},
        "indication": {"condition": when("age", "is_answered")},
        "rules": [
            rule("kept", when("a", "is_true"), title="Kept"),
            rule("changed", when("a", "is_true"), title="Old", enabled=True),
            rule("gone", when("a", "is_true")),
            {"title": "no id"},
        ],
    }
    after = {
        "settings": {"min_age_self_consent": 16},
        "indication": {"condition": when("age", "is_answered")},
        "rules": [
            rule("new", when("b", "is_true")),
            rule("changed", when("b", "is_true"), title="New", outcome="info", enabled=True),
            rule("kept", when("a", "is_true"), title="Kept"),
        ],
    }
    difference = rule_analysis.diff(before, after)
    assert [r["id"] for r in difference.added] == ["new"]
    assert [r["id"] for r in difference.removed] == ["gone"]
    assert difference.changed == {
        "changed": [  # in the order people read a rule's fields
            RuleChange("title", "Old", "New"),
            RuleChange("outcome", "review", "info"),
            RuleChange("condition", when("a", "is_true"), when("b", "is_true")),
        ]
    }
    assert difference.settings == [
        RuleChange("settings", {"min_age_self_consent": 18}, {"min_age_self_consent": 16})
    ]
    assert not difference.empty


def test_diff_of_a_field_added_and_of_the_indication() -> None:
    before = {"indication": {"condition": when("age", "is_answered")}, "rules": [rule("r", 1)]}
    after = {
        "indication": {"condition": when("age", "ge", 1)},
        "rules": [rule("r", 1, reviewed="2026-11-23")],
    }
    difference = rule_analysis.diff(before, after)
    assert difference.changed == {"r": [RuleChange("reviewed", None, "2026-11-23")]}
    assert [change.field for change in difference.settings] == ["indication"]


def test_diff_of_the_same_rules_is_empty() -> None:
    data = ruleset_format.default_data()
    difference = rule_analysis.diff(data, ruleset_format.default_data())
    assert difference.empty
    assert (difference.added, difference.removed, difference.changed, difference.settings) == (
        [],
        [],
        {},
        [],
    )
    assert rule_analysis.diff({}, {}).empty


def test_changed_rules_are_listed_by_id() -> None:
    before = {"rules": [rule(name, 1) for name in ("c", "a", "b")]}
    after = {"rules": [rule(name, 2) for name in ("b", "c", "a")]}
    assert list(rule_analysis.diff(before, after).changed) == ["a", "b", "c"]


# --- overdue for review ---------------------------------------------------------------------

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("reviewed", "overdue"),
    [
        ("2026-11-23", False),
        ("2025-11-23", False),  # exactly 365 days ago
        ("2025-11-22", True),
        (dt.date(2025, 11, 22), True),
        (None, True),
        ("", True),
        ("last spring", True),
    ],
    ids=["today", "at-the-limit", "a-day-over", "a-date", "never", "empty", "not-a-date"],
)
def test_overdue_for_review(reviewed: Any, overdue: bool) -> None:
    ruleset = {"rules": [rule("r", 1, reviewed=reviewed)]}
    found = rule_analysis.overdue_for_review(ruleset, TODAY, 365)
    assert [r["id"] for r in found] == (["r"] if overdue else [])


def test_a_rule_without_a_review_date_is_overdue() -> None:
    assert rule_analysis.overdue_for_review({"rules": [{"id": "r"}]}, TODAY, 365) == [{"id": "r"}]
