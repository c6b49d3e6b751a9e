"""The rule-set format: a rule's fields, the facts its conditions may use, validation, YAML.

A rule set is plain data (the shipped one is ``default_rules.yaml``)::

    settings:   {min_age_self_consent: 18}
    indication: {title: ..., condition: <condition>}   # the complaint dry needling treats
    rules:
      - id: anticoagulant            # stable, unique
        title: Takes blood thinners
        outcome: review              # emergency | see_doctor | not_advised | review | info
        condition: {fact: anticoagulant, op: is_true}
        patient_message: ...         # plain words; may use {emergency_number}, {clinic_name}
        staff_note: ...
        source: ...
        safety: false                # red-flag rules: only an admin may change them
        enabled: true
        reviewed: 2026-11-23

Conditions are described in ``intake.screening.conditions``. ``validate`` names every problem in
words a clinician can act on; ``rules`` compiles a valid rule set and screens with it. Pure: no
Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from intake.screening import questionnaire
from intake.screening.condition_words import validate_condition
from intake.screening.conditions import BOOLEAN, CHOICE, NUMBER, FactSpec

#: Rule outcomes, most severe first. `info` never decides the outcome.
RULE_OUTCOMES = ("emergency", "see_doctor", "not_advised", "review", "info")

#: Placeholders a patient message may use; filled in from configuration when shown.
MESSAGE_PLACEHOLDERS = frozenset({"emergency_number", "clinic_name"})
RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
#: The fields of a rule besides its id, in the order people read them.
RULE_FIELDS = (
    "title",
    "outcome",
    "condition",
    "patient_message",
    "staff_note",
    "source",
    "safety",
    "enabled",
    "reviewed",
)
_RULE_KEYS = frozenset({"id", *RULE_FIELDS})

#: Scores usable in conditions, as "<score>.<key>" facts (see scoring.compute_scores).
SCORE_FACTS: dict[str, FactSpec] = {
    spec.id: spec
    for spec in (
        FactSpec(
            "startback.total",
            "STarT Back total score",
            NUMBER,
            minimum=0,
            maximum=9,
            origin="score",
        ),
        FactSpec(
            "startback.psychosocial_subscale",
            "STarT Back psychosocial subscale",
            NUMBER,
            minimum=0,
            maximum=5,
            origin="score",
        ),
        FactSpec(
            "startback.risk",
            "STarT Back risk",
            CHOICE,
            ("low", "medium", "high"),
            ("Low", "Medium", "High"),
            origin="score",
        ),
        FactSpec(
            "acr2016.wpi", "Widespread Pain Index", NUMBER, minimum=0, maximum=19, origin="score"
        ),
        FactSpec(
            "acr2016.sss", "Symptom Severity Scale", NUMBER, minimum=0, maximum=12, origin="score"
        ),
        FactSpec(
            "acr2016.fs_psd",
            "Polysymptomatic distress score",
            NUMBER,
            minimum=0,
            maximum=31,
            origin="score",
        ),
        FactSpec(
            "acr2016.generalized_pain", "Generalised pain (4 of 5 regions)", BOOLEAN, origin="score"
        ),
        FactSpec(
            "acr2016.criteria_met", "ACR 2016 fibromyalgia criteria met", BOOLEAN, origin="score"
        ),
        FactSpec(
            "pain_band",
            "Pain now (band)",
            CHOICE,
            ("none", "mild", "moderate", "severe"),
            ("None", "Mild", "Moderate", "Severe"),
            origin="score",
        ),
        FactSpec(
            "peg.score",
            "PEG score (pain and interference)",
            NUMBER,
            minimum=0,
            maximum=10,
            origin="score",
        ),
        FactSpec(
            "duration_class",
            "Pain duration",
            CHOICE,
            ("acute", "subacute", "chronic"),
            ("Acute (under 6 weeks)", "Subacute (6 to 12 weeks)", "Chronic (over 12 weeks)"),
            origin="score",
        ),
    )
}


@cache
def dictionary() -> dict[str, FactSpec]:
    """Every fact a condition may use: answers, derived facts and scores."""
    return {**questionnaire.data_dictionary(), **SCORE_FACTS}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a rule set, in words a clinician can act on."""

    message: str
    rule_id: str | None = None
    field: str | None = None


# --- Validation -----------------------------------------------------------------------------


def validate(ruleset: Any, facts: Mapping[str, FactSpec] | None = None) -> list[Problem]:
    """Every problem with a rule set's data, each with a message a clinician can act on."""
    facts = dictionary() if facts is None else facts
    if not isinstance(ruleset, Mapping):
        return [
            Problem("The rule set must be a mapping with 'rules', 'indication' and 'settings'.")
        ]
    problems = _validate_settings(ruleset.get("settings", {}))
    indication = ruleset.get("indication")
    if not isinstance(indication, Mapping) or "condition" not in indication:
        problems.append(
            Problem(
                "The rule set needs an indication: the condition that "
                "describes the pain dry needling treats.",
                field="indication",
            )
        )
    else:
        problems += [
            Problem(message, field="indication")
            for message in validate_condition(indication["condition"], facts, "The indication")
        ]
    rules = ruleset.get("rules")
    if not isinstance(rules, list):
        return [*problems, Problem("The rule set needs a list of rules.", field="rules")]
    seen: set[str] = set()
    for position, rule in enumerate(rules, start=1):
        problems += _validate_rule(rule, position, seen, facts)
    return problems


def _validate_settings(settings: Any) -> list[Problem]:
    if not isinstance(settings, Mapping):
        return [Problem("Settings must be a mapping.", field="settings")]
    problems = []
    age = settings.get("min_age_self_consent", questionnaire.MIN_AGE_SELF_CONSENT)
    if type(age) is not int or not 1 <= age <= 120:
        problems.append(
            Problem(
                "The self-consent age must be a whole number of years from 1 to 120.",
                field="settings.min_age_self_consent",
            )
        )
    for key in settings:
        if key != "min_age_self_consent":
            problems.append(Problem(f"Unknown setting '{key}'.", field=f"settings.{key}"))
    return problems


def _validate_rule(
    rule: Any, position: int, seen: set[str], facts: Mapping[str, FactSpec]
) -> list[Problem]:
    if not isinstance(rule, Mapping):
        return [Problem(f"Rule number {position} is not a rule.")]
    rule_id = rule.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        return [
            Problem(
                f"Rule number {position} needs an id: a letter, then letters, digits "
                "or underscores (for example 'anticoagulant').",
                field="id",
            )
        ]
    name = f"Rule '{rule_id}'"
    problems: list[Problem] = []

    def add(message: str, field_name: str) -> None:
        problems.append(Problem(message, rule_id, field_name))

    if rule_id in seen:
        add(f"{name} appears more than once; rule ids must be unique.", "id")
    seen.add(rule_id)
    for key in rule:
        if key not in _RULE_KEYS:
            add(f"{name} has an unknown field '{key}'.", str(key))
    if not _text(rule.get("title")):
        add(f"{name} needs a title.", "title")
    outcome = rule.get("outcome")
    if outcome not in RULE_OUTCOMES:
        add(
            f"{name} has the unknown outcome {outcome!r}; use one of {', '.join(RULE_OUTCOMES)}.",
            "outcome",
        )
    message = rule.get("patient_message")
    if outcome != "info":
        if not _text(message):
            add(
                f"{name} needs a patient message: the words the patient sees when it fires.",
                "patient_message",
            )
        # A real placeholder, not the escaped text "{{emergency_number}}".
        elif outcome == "emergency" and "emergency_number" not in _placeholders(message):
            add(
                f"{name} leads to urgent care, so its patient message must name the emergency "
                "number: add {emergency_number}.",
                "patient_message",
            )
    if _text(message):
        for placeholder in _placeholders(message):
            if placeholder == _UNBALANCED:
                add(
                    f"{name}: the patient message has a {{ or }} without its partner; placeholders "
                    "are written like {emergency_number}.",
                    "patient_message",
                )
            elif placeholder not in MESSAGE_PLACEHOLDERS:
                add(
                    f"{name}: the patient message uses {{{placeholder}}}, which is not known; use "
                    f"{' or '.join('{' + p + '}' for p in sorted(MESSAGE_PLACEHOLDERS))}.",
                    "patient_message",
                )
    for flag in ("safety", "enabled"):
        if flag in rule and not isinstance(rule[flag], bool):
            add(f"{name}: '{flag}' must be true or false.", flag)
    for text_field in ("staff_note", "source"):
        if rule.get(text_field) is not None and not isinstance(rule[text_field], str):
            add(f"{name}: '{text_field}' must be text.", text_field)
    reviewed = rule.get("reviewed")
    if reviewed is not None and not _is_date(reviewed):
        add(f"{name}: 'reviewed' must be a date like 2026-11-23.", "reviewed")
    if "condition" not in rule:
        add(f"{name} needs a condition.", "condition")
    else:
        problems += [
            Problem(m, rule_id, "condition")
            for m in validate_condition(rule["condition"], facts, name)
        ]
    return problems


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _placeholders(message: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(message) if name is not None]
    except ValueError:
        return [_UNBALANCED]


_UNBALANCED = "{ or } without its partner"

# --- YAML -----------------------------------------------------------------------------------


def load_yaml(text: str) -> dict:
    """Parse rule-set YAML (safe loader); dates stay ISO text so the data is JSON-able."""
    data = yaml.safe_load(text)
    if isinstance(data, dict) and isinstance(data.get("rules"), list):
        for rule in data["rules"]:
            if isinstance(rule, dict) and isinstance(rule.get("reviewed"), dt.date):
                rule["reviewed"] = rule["reviewed"].isoformat()
    return data


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Rule-set data as YAML for version control."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


def default_data() -> dict:
    """The shipped rule set's data, freshly parsed."""
    text = resources.files("intake.screening").joinpath("default_rules.yaml").read_text("utf-8")
    return load_yaml(text)
