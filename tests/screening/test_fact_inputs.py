"""facts.INPUTS names every answer each derived fact is worked out from: the impact preview
leaves submissions unread on the strength of it (issue 16)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.screening import facts
from tests.screening.generated import ODD_VALUES, answer_sets

SOME = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AGES = st.sampled_from([16, 18])
#: Answer sets made of the inputs alone, so that they meet in every combination.
INPUT_KEYS = sorted({key for inputs in facts.INPUTS.values() for key in inputs})
ANSWERS = st.one_of(
    answer_sets(),
    st.dictionaries(st.sampled_from(INPUT_KEYS), ODD_VALUES, max_size=12),
)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True is not 1, 1 is not 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@SOME
@given(ANSWERS, AGES)
def test_a_derived_fact_depends_on_its_inputs_alone(answers: dict, min_age: int) -> None:
    derived = facts.derive(answers, min_age)
    for fact, inputs in facts.INPUTS.items():
        only = {key: value for key, value in answers.items() if key in inputs}
        from_inputs = facts.derive(only, min_age)
        assert (fact in derived) == (fact in from_inputs), fact
        assert same(derived.get(fact), from_inputs.get(fact)), fact


@SOME
@given(ANSWERS, AGES)
def test_derive_changes_no_answer_but_those_listed(answers: dict, min_age: int) -> None:
    derived = facts.derive(answers, min_age)
    for key, value in derived.items():
        if key not in facts.INPUTS:
            assert key in answers and same(value, answers[key]), key


def test_every_derived_fact_is_listed_and_a_plain_answer_is_its_own_input() -> None:
    assert set(facts.INPUTS) >= facts.WORKED_OUT
    assert facts.inputs_of("diabetes") == {"diabetes"}
    assert "medication_classes" in facts.inputs_of("anticoagulant")
    assert "wpi_lower_back" in facts.inputs_of("back_pain")
