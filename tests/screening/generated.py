"""Generated answer sets and rule changes for property tests of screening and the preview.

`walk` answers the questionnaire as a patient would (only the questions shown, branching
included), with red flags and checklists ticked rarely so that every outcome turns up;
`odd_answers` adds what stored data can hold besides: answers naming derived facts or scores,
old forms (`pain_regions`), wrong types. `rule_changes` edits the default rules the way the
rules desk can (outcomes, enabled, values, new rules, the indication, the minimum age).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

from hypothesis import strategies as st

from intake.screening import branching, facts, rules
from intake.screening import questionnaire as q

MIN_AGE = q.MIN_AGE_SELF_CONSENT
TODAY = dt.date(2026, 12, 2)


def _value(question: q.Question, rng: random.Random) -> Any:
    """One valid answer to a question, in stored form (a checklist is a dict of its items)."""
    kind = question.kind
    if kind == q.CHECKLIST:
        return {item: rng.random() < 0.03 for item in question.item_ids}
    if kind == q.YES_NO:
        return rng.random() < 0.15
    if kind == q.SINGLE:
        return rng.choice(question.choices).value
    if kind == q.MULTI:
        values = [choice.value for choice in question.choices]
        if question.none_label and rng.random() < 0.5:
            return []
        return rng.sample(values, rng.randint(1, min(3, len(values))))
    if kind == q.INTEGER:
        if question.id == "age":
            return rng.choice((rng.randint(10, 95), MIN_AGE - 1, MIN_AGE, 19, 20, 49, 50))
        return rng.randint(question.minimum or 0, question.maximum or 100)
    if kind == q.SCALE:
        return rng.randint(question.minimum or 0, question.maximum or 10)
    if kind == q.TEXT_KIND:
        return rng.choice(("", "running", "José's knee", "2 weeks"))
    return (TODAY - dt.timedelta(days=rng.randint(0, 700))).isoformat()


def walk(rng: random.Random) -> dict[str, Any]:
    """A complete answer set, walking the pages a patient would see."""
    answers: dict[str, Any] = {}
    step = branching.next_step(answers, None, MIN_AGE)
    while step is not None:
        for question in step.questions:
            if not branching.question_is_shown(question, facts.derive(answers, MIN_AGE)):
                continue
            if not question.required and rng.random() < 0.4:
                continue
            value = _value(question, rng)
            if question.kind == q.CHECKLIST:
                answers.update(value)
            else:
                answers[question.id] = value
        step = branching.next_step(answers, step.id, MIN_AGE)
    return answers


#: Keys stored answers may hold besides the questions asked: derived facts, scores, old forms.
ODD_KEYS = sorted(
    {
        *facts.INPUTS,
        "pain_regions",
        "immunocompromised",
        "guardian_consent_given",
        "pregnancy_trimester",
        "startback.risk",
        "pain_band",
        "age",
        "medication_classes",
        "nprs_now",
    }
)
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 100),
    st.sampled_from([1.0, 0.0, 50.0, "1", "true", "lower_back", "over_12_weeks", "nsaid"]),
    st.lists(
        st.sampled_from(
            ["lower_back", "neck", "anticoagulant", "antiplatelet", "nsaid", "immunosuppressant",
             "oral_corticosteroid_long_term", 1, True]
        ),
        max_size=3,
    ),
)  # fmt: skip


@st.composite
def answer_sets(draw) -> dict[str, Any]:
    """A walked answer set, sometimes with odd extra or replaced answers."""
    answers = walk(random.Random(draw(st.integers(0, 2**32))))  # hypothesis's randoms are too plain
    if draw(st.integers(0, 3)) == 0:
        answers.update(draw(st.dictionaries(st.sampled_from(ODD_KEYS), ODD_VALUES, max_size=4)))
    return answers


any_answers = st.one_of(
    answer_sets(),
    st.dictionaries(st.sampled_from(ODD_KEYS), ODD_VALUES, max_size=8),
    st.sampled_from([None, [], "answers", 3, ["rf_bladder"]]),
)

# --- Rule changes -----------------------------------------------------------------------------

#: Conditions a new or edited rule may have, on answers, derived facts and scores.
CONDITIONS = [
    {"fact": "age", "op": "ge", "value": 70},
    {"fact": "age", "op": "lt", "value": 30},
    {"fact": "diabetes", "op": "is_true"},
    {"fact": "anticoagulant", "op": "is_true"},
    {"fact": "medication_classes", "op": "contains", "value": "nsaid"},
    {"fact": "back_pain", "op": "is_true"},
    {"fact": "pain_region_count", "op": "ge", "value": 3},
    {"fact": "guardian_consent_required", "op": "is_true"},
    {"fact": "rf_immunosuppressed", "op": "is_true"},
    {"not": {"fact": "pregnant", "op": "is_true"}},
    {"fact": "startback.risk", "op": "eq", "value": "high"},
    {"fact": "pain_band", "op": "eq", "value": "severe"},
    {"any": [{"fact": "frail", "op": "is_true"}, {"fact": "age", "op": "ge", "value": 85}]},
]
DECIDING = ("emergency", "see_doctor", "not_advised", "review")
_DEFAULT_DATA = rules.default_data()  # parsing the YAML each time would take most of a test


def _edit(data: dict, kind: str, rng: random.Random) -> None:
    """One change, as the rules desk could make it."""
    rule = rng.choice(data["rules"])
    if kind == "outcome":
        rule["outcome"] = rng.choice((*DECIDING, "info"))
    elif kind == "enabled":
        rule["enabled"] = not rule.get("enabled", True)
    elif kind == "condition":
        rule["condition"] = copy.deepcopy(rng.choice(CONDITIONS))
    elif kind == "negate":
        rule["condition"] = {"not": rule["condition"]}
    elif kind == "message":
        rule["patient_message"] = "Reworded."
    elif kind == "new":
        taken = {r["id"] for r in data["rules"]}
        data["rules"].append(
            dict(
                copy.deepcopy(rule),
                id=next(f"new_{n}" for n in range(99) if f"new_{n}" not in taken),
                outcome=rng.choice(DECIDING),
                condition=copy.deepcopy(rng.choice(CONDITIONS)),
            )
        )
    elif kind == "remove":
        data["rules"].remove(rule)
    elif kind == "indication":
        data["indication"]["condition"] = copy.deepcopy(rng.choice(CONDITIONS))
    elif kind == "min_age":
        data.setdefault("settings", {})["min_age_self_consent"] = rng.choice((16, 18))


EDITS = ("outcome", "enabled", "condition", "negate", "message", "new", "remove", "indication")


@st.composite
def rule_changes(draw) -> rules.RuleSet:
    """The default rules with one to three changes, compiled."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    data = copy.deepcopy(_DEFAULT_DATA)
    for kind in draw(st.lists(st.sampled_from((*EDITS, "min_age")), min_size=1, max_size=3)):
        _edit(data, kind, rng)
    for rule in data["rules"]:  # what validation asks of the messages of the new outcomes
        if rule["outcome"] == "emergency" and "{emergency_number}" not in rule["patient_message"]:
            rule["patient_message"] = "Call {emergency_number} now."
        elif rule["outcome"] != "info" and not rule.get("patient_message"):
            rule["patient_message"] = "Message."
    return rules.compile_ruleset(data)
