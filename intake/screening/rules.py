"""Screening rules: the rule-set format, its validation, and screening a patient's answers.

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

Conditions are described in ``intake.conditions``. The most severe fired outcome wins; with
none fired the outcome is ``suitable`` when the indication holds and ``not_indicated`` when not.
``info`` rules only add a note for staff. Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from intake.screening import questionnaire, scoring
from intake.screening.conditions import (
    BOOLEAN,
    CHOICE,
    NUMBER,
    FactSpec,
    Predicate,
    compile_condition,
    describe,
    explain,
    validate_condition,
)

#: Rule outcomes, most severe first. `info` never decides the outcome.
RULE_OUTCOMES = ("emergency", "see_doctor", "not_advised", "review", "info")
#: Screening outcomes, most severe first.
OUTCOMES = ("emergency", "see_doctor", "not_advised", "review", "suitable", "not_indicated")
SEVERITY = {outcome: rank for rank, outcome in enumerate(RULE_OUTCOMES)}

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


class RuleSetInvalid(ValueError):
    """A rule set with problems cannot be used for screening."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    """One screening rule, compiled."""

    id: str
    title: str
    outcome: str
    condition: dict
    patient_message: str
    staff_note: str = ""
    source: str = ""
    safety: bool = False
    enabled: bool = True
    reviewed: str | None = None
    predicate: Predicate = field(default=lambda facts: False, repr=False, compare=False)


@dataclass(frozen=True)
class RuleSet:
    """A validated, compiled rule set ready to screen with."""

    rules: tuple[Rule, ...]
    indication: dict
    indication_title: str
    settings: dict
    data: dict = field(repr=False, compare=False)
    active: tuple[Rule, ...] = field(default=(), repr=False, compare=False)
    indicated: Predicate = field(default=lambda facts: False, repr=False, compare=False)

    @property
    def min_age_self_consent(self) -> int:
        """Under this age a guardian must consent (clinical.md §8)."""
        return self.settings.get("min_age_self_consent", questionnaire.MIN_AGE_SELF_CONSENT)

    def describe(self, rule: Rule) -> str:
        """A rule's condition in readable words."""
        return describe(rule.condition, dictionary())


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired, with the facts that made it fire."""

    id: str
    title: str
    outcome: str
    patient_message: str
    staff_note: str
    source: str
    safety: bool
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, stored with the submission."""
        return {
            "id": self.id,
            "title": self.title,
            "outcome": self.outcome,
            "patient_message": self.patient_message,
            "staff_note": self.staff_note,
            "source": self.source,
            "safety": self.safety,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Screening:
    """The result of screening one answer set."""

    outcome: str
    fired: tuple[FiredRule, ...]
    scores: dict[str, Any]
    explanations: tuple[str, ...]
    indicated: bool

    @property
    def fired_ids(self) -> list[str]:
        """Ids of the rules that fired, most severe first."""
        return [rule.id for rule in self.fired]


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


# --- Compiling and screening ----------------------------------------------------------------


def compile_ruleset(
    data: Mapping[str, Any], facts: Mapping[str, FactSpec] | None = None
) -> RuleSet:
    """Validate rule-set data and compile it for screening; raises RuleSetInvalid."""
    problems = validate(data, facts)
    if problems:
        raise RuleSetInvalid(problems)
    rules = tuple(
        Rule(
            id=raw["id"],
            title=raw["title"].strip(),
            outcome=raw["outcome"],
            condition=raw["condition"],
            patient_message=(raw.get("patient_message") or "").strip(),
            staff_note=(raw.get("staff_note") or "").strip(),
            source=(raw.get("source") or "").strip(),
            safety=raw.get("safety", False),
            enabled=raw.get("enabled", True),
            reviewed=str(raw["reviewed"]) if raw.get("reviewed") is not None else None,
            predicate=compile_condition(raw["condition"]),
        )
        for raw in data["rules"]
    )
    # Checked most severe first, so `fired` comes out in the order patients should read it.
    active = tuple(sorted((r for r in rules if r.enabled), key=lambda r: SEVERITY[r.outcome]))
    indication = data["indication"]
    return RuleSet(
        rules=rules,
        indication=indication["condition"],
        indication_title=str(indication.get("title", "")),
        settings=dict(data.get("settings") or {}),
        data=dict(data),
        active=active,
        indicated=compile_condition(indication["condition"]),
    )


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


@cache
def default_ruleset() -> RuleSet:
    """The shipped rule set, validated and compiled once."""
    return compile_ruleset(default_data())


def facts_for(answers: Mapping[str, Any], ruleset: RuleSet, pain_band_cuts=(4, 6)):
    """(facts, scores): answers with derived facts and flattened scores, as rules see them."""
    facts = questionnaire.derive(answers, ruleset.min_age_self_consent)
    scores = scoring.compute_scores(facts, pain_band_cuts=pain_band_cuts)
    for name, value in scores.items():
        if isinstance(value, dict):
            for key, item in value.items():
                facts[f"{name}.{key}"] = item
        else:
            facts[name] = value
    return facts, scores


def screen(
    answers: Any, ruleset: RuleSet | None = None, *, pain_band_cuts: tuple[int, int] = (4, 6)
) -> Screening:
    """Screen one answer set; the most severe fired rule decides. Never raises on bad input."""
    ruleset = default_ruleset() if ruleset is None else ruleset
    if not isinstance(answers, Mapping):
        answers = {}
    facts, scores = facts_for(answers, ruleset, pain_band_cuts)
    fired = [rule for rule in ruleset.active if rule.predicate(facts)]
    indicated = ruleset.indicated(facts)
    deciding = [rule for rule in fired if rule.outcome != "info"]
    if deciding:
        outcome = deciding[0].outcome
    else:
        outcome = "suitable" if indicated else "not_indicated"
    return Screening(
        outcome=outcome,
        fired=tuple(
            FiredRule(
                id=rule.id,
                title=rule.title,
                outcome=rule.outcome,
                patient_message=rule.patient_message,
                staff_note=rule.staff_note,
                source=rule.source,
                safety=rule.safety,
                evidence=explain(rule.condition, facts),
            )
            for rule in fired
        ),
        scores=scores,
        explanations=tuple(rule.patient_message for rule in deciding),
        indicated=indicated,
    )


def render_message(message: str, context: Mapping[str, str]) -> str:
    """A patient message with its placeholders filled in; unknown ones are left as written."""

    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return message.format_map(Keep(context))
    except (ValueError, IndexError, AttributeError):
        return message
