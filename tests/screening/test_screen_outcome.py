"""Outcome-only screening gives what full screening gives; compiled explanations and the quick
FiredRule equal what they replace (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.screening import rules, scoring
from intake.screening.conditions import (
    compile_condition,
    compile_explainer,
    explain,
    referenced_facts,
)
from intake.screening.facts import derive
from tests.answers import patient
from tests.screening.generated import answer_sets, any_answers, rule_changes

SOME = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CUTS = st.sampled_from([(4, 6), (3, 7), (0, 10), [5, 5]])


@SOME
@given(any_answers, CUTS)
def test_outcome_only_equals_full_screening_with_the_default_rules(answers: Any, cuts) -> None:
    full = rules.screen(answers, pain_band_cuts=cuts)
    assert rules.screen_outcome(answers, pain_band_cuts=cuts) == full.outcome


@FEWER
@given(rule_changes(), st.lists(answer_sets(), min_size=1, max_size=5), CUTS)
def test_outcome_only_equals_full_screening_with_changed_rules(
    ruleset: rules.RuleSet, answer_list: list[dict], cuts
) -> None:
    for answers in answer_list:
        full = rules.screen(answers, ruleset, pain_band_cuts=cuts)
        assert rules.screen_outcome(answers, ruleset, pain_band_cuts=cuts) == full.outcome


def _on_scores(rules_too: bool) -> rules.RuleSet:
    """Default rules with an indication on a score, and rules on scores at every tier."""
    data = rules.default_data()
    template = next(r for r in data["rules"] if r["id"] == "diabetes")
    for outcome, condition in (
        ("see_doctor", {"fact": "startback.risk", "op": "eq", "value": "high"}),
        ("review", {"fact": "pain_band", "op": "eq", "value": "severe"}),
        ("not_advised", {"fact": "peg.score", "op": "ge", "value": 8}),
    )[: 3 if rules_too else 0]:
        data["rules"].append(
            dict(template, id=f"score_{outcome}", outcome=outcome, condition=condition)
        )
    data["indication"]["condition"] = {"fact": "startback.total", "op": "ge", "value": 4}
    return rules.compile_ruleset(data)


SCORE_RULES, SCORE_INDICATION = _on_scores(rules_too=True), _on_scores(rules_too=False)


@SOME
@given(any_answers, CUTS, st.sampled_from([SCORE_RULES, SCORE_INDICATION]))
def test_outcome_only_equals_full_screening_when_rules_read_scores(
    answers: Any, cuts, ruleset: rules.RuleSet
) -> None:
    full = rules.screen(answers, ruleset, pain_band_cuts=cuts)
    assert rules.screen_outcome(answers, ruleset, pain_band_cuts=cuts) == full.outcome


def _grouped() -> rules.RuleSet:
    """Default rules plus rules whose conditions group yes/no facts with other comparisons,
    in any order, at several outcomes (outcome-only screening splits and guards them)."""
    data = rules.default_data()
    template = next(r for r in data["rules"] if r["id"] == "diabetes")
    old, young = {"fact": "age", "op": "ge", "value": 50}, {"fact": "age", "op": "lt", "value": 30}
    for i, (outcome, condition) in enumerate(
        (
            ("see_doctor", {"all": [old, {"fact": "diabetes", "op": "is_true"}]}),
            ("see_doctor", {"any": [{"fact": "epilepsy", "op": "is_true"}, {"all": [young]}]}),
            (
                "not_advised",
                {
                    "all": [
                        {"not": {"fact": "diabetes", "op": "is_true"}},
                        young,
                        {"fact": "back_pain", "op": "is_true"},
                    ]
                },
            ),
            ("not_advised", {"any": [{"any": [old, {"fact": "frail", "op": "is_true"}]}]}),
            ("review", {"all": [{"fact": "pregnant", "op": "is_false"}, {"any": [old, young]}]}),
        )
    ):
        data["rules"].append(
            dict(template, id=f"grouped_{i}", outcome=outcome, condition=condition)
        )
    return rules.compile_ruleset(data)


GROUPED = _grouped()


@SOME
@given(any_answers, CUTS)
def test_outcome_only_equals_full_screening_with_grouped_conditions(answers: Any, cuts) -> None:
    full = rules.screen(answers, GROUPED, pain_band_cuts=cuts)
    assert rules.screen_outcome(answers, GROUPED, pain_band_cuts=cuts) == full.outcome


def test_scores_are_worked_out_only_when_a_rule_reads_them(monkeypatch) -> None:
    calls = []
    expected = rules.screen(patient(), SCORE_RULES).outcome
    compute = scoring.compute_scores
    monkeypatch.setattr(
        scoring, "compute_scores", lambda *a, **k: calls.append(1) or compute(*a, **k)
    )
    assert rules.screen_outcome(patient()) == "suitable"
    assert calls == []  # no default rule reads a score
    assert rules.screen_outcome(patient(), SCORE_RULES) == expected
    assert calls == [1]


class _Reading(dict):
    """Facts that note each one looked up."""

    def __init__(self, facts: dict) -> None:
        super().__init__(facts)
        self.read: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


def test_an_outcome_that_fires_ends_outcome_only_screening() -> None:
    ruleset = rules.compile_ruleset(rules.default_data())
    facts_of = {  # the facts each outcome's deciding rules (and the indication) read
        outcome: {
            fact
            for rule in ruleset.deciding
            if rule.outcome == outcome
            for fact in referenced_facts(rule.condition)
        }
        for outcome in rules.OUTCOMES
    }
    facts = _Reading(derive(patient(rf_bladder=True), ruleset.min_age_self_consent))
    assert rules.outcome_of(facts, ruleset) == "emergency"
    assert "rf_bladder" in facts.read and set(facts.read) <= facts_of["emergency"]
    facts = _Reading(derive(patient(), ruleset.min_age_self_consent))
    assert rules.outcome_of(facts, ruleset) == "suitable"
    for rule in ruleset.deciding:  # every deciding rule was tried
        assert set(referenced_facts(rule.condition)) & set(facts.read), rule.id
    assert "info" not in [level.outcome for level in ruleset.levels]  # no info rule


@SOME
@given(
    st.lists(
        st.sampled_from(["rf_bladder", "diabetes", "frail", "needle_phobia", "rf_fever"]),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([True, 1, 1.0, "true", "yes", [True], None, False, 0]),
    CUTS,
)
def test_only_the_value_true_is_yes_in_outcome_only_screening(
    names: list[str], value: Any, cuts
) -> None:
    """Outcome-only screening finds an outcome's yes/no facts by equality first (1 and 1.0
    equal True), then checks identity: a rule fires only on a real Yes."""
    answers = patient(**dict.fromkeys(names, value))
    full = rules.screen(answers, pain_band_cuts=cuts)
    assert rules.screen_outcome(answers, pain_band_cuts=cuts) == full.outcome
    assert (full.outcome == "suitable") == (value is not True)


def test_bad_pain_band_cuts_fail_as_in_full_screening() -> None:
    with pytest.raises(ValueError):
        rules.screen(patient(), pain_band_cuts=(7, 3))
    with pytest.raises(ValueError):
        rules.screen_outcome(patient(), pain_band_cuts=(7, 3))


@SOME
@given(any_answers)
def test_fired_rules_are_the_same_as_built_field_by_field(answers: Any) -> None:
    screening = rules.screen(answers)
    facts, _ = rules.facts_for(
        answers if isinstance(answers, dict) else {}, rules.default_ruleset()
    )
    for fired in screening.fired:
        rule = next(r for r in rules.default_ruleset().rules if r.id == fired.id)
        assert fired == rules.FiredRule(
            rule.id,
            rule.title,
            rule.outcome,
            rule.patient_message,
            rule.staff_note,
            rule.source,
            rule.safety,
            explain(rule.condition, facts),
        )
        assert repr(fired).startswith("FiredRule(id=")


def _old_explain(cond: dict, facts: dict) -> dict:
    """explain as it was before issue 16 (compiling `any` groups on every call)."""
    if "all" in cond:
        found: dict = {}
        for part in cond["all"]:
            found.update(_old_explain(part, facts))
        return found
    if "any" in cond:
        for part in cond["any"]:
            if compile_condition(part)(facts):
                return _old_explain(part, facts)
        return {}
    if "not" in cond:
        return {name: facts.get(name) for name in referenced_facts(cond["not"])}
    return {cond["fact"]: facts.get(cond["fact"])}


@FEWER
@given(rule_changes(), answer_sets())
def test_compiled_explanations_equal_the_old_ones(ruleset: rules.RuleSet, answers: dict) -> None:
    facts, _ = rules.facts_for(answers, ruleset)
    for rule in ruleset.rules:
        expected = _old_explain(rule.condition, facts)
        assert compile_explainer(rule.condition)(facts) == expected
        assert rule.explainer(facts) == expected
