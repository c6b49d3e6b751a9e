"""What a rule change can change (impact.Impact), and re-screening stored rows (issue 16).

The preview leaves a submission unread when Impact says the change cannot alter its outcome,
so the properties here are the proof that doing so gives what screening it would give.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.screening import rules
from intake.screening.impact import Impact, Rescreen, chunk_of
from tests.answers import patient
from tests.screening.generated import any_answers, rule_changes

SOME = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEFAULT = rules.default_ruleset()


def edited(change) -> rules.RuleSet:
    data = rules.default_data()
    change(data)
    return rules.compile_ruleset(data)


def rule_of(data: dict, rule_id: str) -> dict:
    return next(rule for rule in data["rules"] if rule["id"] == rule_id)


@SOME
@given(rule_changes(), st.lists(any_answers, min_size=1, max_size=6))
def test_what_impact_keeps_keeps_its_outcome(after: rules.RuleSet, answer_list: list) -> None:
    change = Impact(DEFAULT, after)
    for answers in answer_list:
        before = rules.screen(answers, DEFAULT).outcome
        now = rules.screen(answers, after).outcome
        if before in change.kept_outcomes:
            assert now == before
        if change.inputs is not None:
            mapping = answers if isinstance(answers, dict) else {}
            only = {key: value for key, value in mapping.items() if key in change.inputs}
            assert change.may_change(only) == change.may_change(answers)
            if not change.may_change(only):
                assert now == before


def test_a_change_of_words_changes_nothing() -> None:
    change = Impact(DEFAULT, edited(lambda d: rule_of(d, "diabetes").update(title="Sugar")))
    assert change.kept_outcomes == set(rules.OUTCOMES)
    assert change.inputs == ()
    assert not change.may_change(patient(diabetes=True))


def test_an_info_rule_changes_no_outcome() -> None:
    after = edited(lambda d: rule_of(d, "infection_risk").update(enabled=False))
    assert Impact(DEFAULT, after).kept_outcomes == set(rules.OUTCOMES)


def test_more_severe_outcomes_than_the_change_are_kept() -> None:
    change = Impact(
        DEFAULT, edited(lambda d: rule_of(d, "anticoagulant").update(outcome="not_advised"))
    )
    assert change.kept_outcomes == {"emergency", "see_doctor"}
    assert set(change.inputs) == {"medication_classes", "anticoagulant", "antiplatelet"}
    assert change.may_change({"medication_classes": ["anticoagulant"]})
    assert change.may_change({"anticoagulant": True})
    assert not change.may_change({"medication_classes": ["nsaid"], "anticoagulant": False})


def test_a_new_rule_that_fires_on_nothing_answered_may_change_anything() -> None:
    def add(data: dict) -> None:
        new = dict(rule_of(data, "diabetes"), id="not_pregnant")
        new["condition"] = {"not": {"fact": "pregnant", "op": "is_true"}}
        data["rules"].append(new)

    change = Impact(DEFAULT, edited(add))
    assert change.inputs == ("pregnant",)
    assert change.may_change({})
    assert not change.may_change({"pregnant": True})


def test_rules_on_scores_and_a_new_minimum_age_turn_the_answer_check_off() -> None:
    def on_scores(data: dict) -> None:
        rule_of(data, "diabetes")["condition"] = {"fact": "pain_band", "op": "eq", "value": "mild"}

    assert Impact(DEFAULT, edited(on_scores)).inputs is None
    age = Impact(DEFAULT, edited(lambda d: d["settings"].update(min_age_self_consent=16)))
    assert age.inputs is None and age.kept_outcomes == set()


def test_a_changed_indication_keeps_every_rule_outcome() -> None:
    def indication(data: dict) -> None:
        data["indication"]["condition"] = {"fact": "pain_region_count", "op": "ge", "value": 2}

    change = Impact(DEFAULT, edited(indication))
    assert change.kept_outcomes == {"emergency", "see_doctor", "not_advised", "review"}
    assert {"pain_regions", "nprs_now", "peg_pain_avg_week"} <= set(change.inputs)
    assert change.may_change({"pain_regions": ["neck"], "nprs_now": 5})
    assert not change.may_change({"pain_regions": ["neck", "lower_back"], "nprs_now": 5})


def test_stored_inputs_are_read_as_json_and_remembered() -> None:
    change = Impact(
        DEFAULT, edited(lambda d: rule_of(d, "anticoagulant").update(outcome="not_advised"))
    )
    names = change.inputs  # anticoagulant, antiplatelet, medication_classes
    assert change.may_change_stored((None, None, '["anticoagulant"]'))
    assert not change.may_change_stored(("false", None, '["nsaid"]'))
    assert not change.may_change_stored(("1", None, None))  # the number 1 is not Yes
    assert len(change._known) == 3 and names == tuple(sorted(names))


def _straightforward(rows, before: rules.RuleSet, after: rules.RuleSet, current_id: int):
    """Today's preview arithmetic: screen with both, the stored outcome standing for the
    rules in force when they gave it."""
    counts_before, counts_after, changed = Counter(), Counter(), []
    for submission_id, text, stored, version_id in rows:
        answers = json.loads(text) if text is not None else None
        trusted = version_id == current_id and stored in rules.OUTCOMES
        old = stored if trusted else rules.screen(answers, before).outcome
        new = rules.screen(answers, after).outcome
        counts_before[old] += 1
        counts_after[new] += 1
        if old != new:
            changed.append((submission_id, old, new))
    return counts_before, counts_after, changed


@SOME
@given(
    st.one_of(st.just(DEFAULT), rule_changes()),
    rule_changes(),
    st.lists(any_answers, min_size=1, max_size=8),
    st.randoms(),
)
def test_rescreen_gives_what_screening_both_gives(
    before: rules.RuleSet, after: rules.RuleSet, answer_list: list[Any], rng
) -> None:
    """Also with rules in force other than the default ones: reading scores, or with another
    minimum age, where the facts worked out for them cannot serve the draft."""
    rows = []
    for i, answers in enumerate(answer_list):
        version = rng.choice((1, 2))  # 2 is in force; 1 an older version
        outcome = rules.screen(answers, before).outcome if version == 2 else "review"
        text = rng.choice((json.dumps(answers), f" {json.dumps(answers, indent=1)}\n"))
        rows.append((i, text, rng.choice((outcome, outcome, "odd")), version))
    tally = Rescreen(before, after, 2, (4, 6))(chunk_of(copy.deepcopy(rows)))
    assert (tally.before, tally.after, tally.changed) == _straightforward(rows, before, after, 2)


def test_rescreen_reads_each_stored_text_as_one_answer_set() -> None:
    rows = [(1, None, "odd", 1), (2, "[1, 2]", "odd", 1), (3, '"x"', "odd", 1), (4, "{}", "x", 1)]
    rows.append((5, json.dumps(patient(anticoagulant=True)), "odd", 1))
    after = edited(lambda d: rule_of(d, "anticoagulant").update(outcome="not_advised"))
    tally = Rescreen(DEFAULT, after, 2, (4, 6))(chunk_of(rows))
    assert (tally.before, tally.after, tally.changed) == _straightforward(rows, DEFAULT, after, 2)
    assert tally.changed == [(5, "review", "not_advised")]
    for texts in (["[1", "2]"], ["1, 2", '"x"'], ["{", "}"]):  # not JSON each: refused
        bad = chunk_of([(i, text, "odd", 1) for i, text in enumerate(texts)])
        with pytest.raises(ValueError):
            Rescreen(DEFAULT, after, 2, (4, 6))(bad)
