"""Conditions in the words staff read: what is wrong with one, and what one says. Pure.

``validate_condition`` checks a condition against the data dictionary and returns each problem
in words a clinician can act on ("Rule 'x' refers to question 'blood_thiners', which does not
exist. Did you mean 'blood_thinners'?"); ``describe`` reads a condition aloud ("Takes blood
thinners is Yes and Age is at least 50"); ``evidence_words`` reads the facts that made a rule
fire (a fired rule's ``evidence``) with the same labels: "You have had cancer: Yes". What each
operator accepts and how it reads come from ``conditions.OPERATORS``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening.conditions import (
    BOOLEAN,
    CHOICE,
    CHOICES,
    DATE,
    NUMBER,
    OPERATORS,
    TEXT,
    FactSpec,
    Operator,
    is_number,
    strict_equal,
)


def validate_condition(
    cond: Any, dictionary: Mapping[str, FactSpec], where: str = "The condition"
) -> list[str]:
    """Every problem with a condition, each in words a clinician can act on."""
    if not isinstance(cond, Mapping):
        return [f"{where} is not a condition (expected all/any/not or a comparison)."]
    groups = [key for key in ("all", "any", "not") if key in cond]
    if len(groups) > 1 or (groups and "fact" in cond):
        return [f"{where} mixes {', '.join(groups + (['fact'] if 'fact' in cond else []))}."]
    if groups:
        key = groups[0]
        if key == "not":
            return validate_condition(cond["not"], dictionary, where)
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            return [f"{where} has an empty '{key}' group."]
        problems: list[str] = []
        for part in parts:
            problems.extend(validate_condition(part, dictionary, where))
        return problems
    return _validate_comparison(cond, dictionary, where)


def _validate_comparison(
    cond: Mapping[str, Any], dictionary: Mapping[str, FactSpec], where: str
) -> list[str]:
    name, op_name = cond.get("fact"), cond.get("op")
    if not isinstance(name, str) or not name:
        return [f"{where} has a comparison without a question."]
    spec = dictionary.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, list(dictionary), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return [f"{where} refers to question '{name}', which does not exist.{hint}"]
    op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        return [f"{where} uses the unknown comparison {op_name!r} on '{spec.label}'."]
    if spec.type not in op.fact_types:
        return [
            f"{where} uses '{op.words}' on '{spec.label}', which is {_a(spec.type)}; "
            f"that comparison works on {' or '.join(sorted(op.fact_types))} questions."
        ]
    value = cond.get("value")
    if not op.takes_value:
        return [] if "value" not in cond else [f"{where}: '{op.words}' takes no value."]
    if op.takes_list and (not isinstance(value, list) or not value):
        return [f"{where}: '{op.words}' on '{spec.label}' needs a list of values."]
    values = value if op.takes_list else [value]
    problems = []
    for item in values:
        problem = _value_problem(spec, item, op, where)
        if problem:
            problems.append(problem)
    return problems


def _value_problem(spec: FactSpec, value: Any, op: Operator, where: str) -> str | None:
    if spec.type in (CHOICE, CHOICES):
        if not any(strict_equal(value, choice) for choice in spec.choices):
            offered = ", ".join(repr(c) for c in spec.choices)
            return (
                f"{where} compares '{spec.label}' with {value!r}, which is not one of its "
                f"choices ({offered})."
            )
        return None
    expected = {BOOLEAN: bool, NUMBER: "number", TEXT: str, DATE: str}[spec.type]
    if expected == "number":
        if not is_number(value):
            return f"{where} compares the number '{spec.label}' with {_describe_value(value)}."
        return None
    if type(value) is not expected:
        return f"{where} compares '{spec.label}' ({_a(spec.type)}) with {_describe_value(value)}."
    return None


def _a(fact_type: str) -> str:
    return {
        BOOLEAN: "a yes/no question",
        NUMBER: "a number",
        TEXT: "text",
        CHOICE: "a single choice",
        CHOICES: "a multiple choice",
        DATE: "a date",
    }.get(fact_type, fact_type)


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {value}"
    if is_number(value):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{value!r}"


def describe(cond: Any, dictionary: Mapping[str, FactSpec]) -> str:
    """A condition in readable words: "Takes blood thinners is Yes and Age is at least 50"."""
    if not isinstance(cond, Mapping):
        return "(invalid condition)"
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in cond and isinstance(cond[key], list):
            parts = [
                f"({describe(part, dictionary)})"
                if isinstance(part, Mapping) and ("all" in part or "any" in part)
                else describe(part, dictionary)
                for part in cond[key]
            ]
            return joiner.join(parts)
    if "not" in cond:
        return f"not ({describe(cond['not'], dictionary)})"
    name = cond.get("fact")
    spec = dictionary.get(name) if isinstance(name, str) else None
    label = spec.label if spec else str(name)
    op = OPERATORS.get(cond.get("op")) if isinstance(cond.get("op"), str) else None
    if op is None:
        return f"{label} (unknown comparison)"
    if not op.takes_value:
        return f"{label} {op.words}"
    value = cond.get("value")
    values = value if isinstance(value, list) else [value]
    shown = [spec.choice_label(v) if spec else str(v) for v in values]
    return f"{label} {op.words} {' or '.join(shown) if op.takes_list else shown[0]}"


@dataclass(frozen=True)
class FactWords:
    """One fact behind a fired rule, in words: the dictionary's label and the value."""

    label: str
    value: str

    @property
    def text(self) -> str:
        """ "You have had cancer: Yes"; after a question, no colon: "How old are you? 62"."""
        return (
            f"{self.label} {self.value}"
            if self.label.endswith("?")
            else f"{self.label}: {self.value}"
        )


#: After the value of a question the patient was not asked, its value worked out instead.
NOT_ASKED = "(not asked: worked out from other answers)"


def evidence_words(
    evidence: Any, dictionary: Mapping[str, FactSpec], answers: Mapping[str, Any] | None = None
) -> list[FactWords]:
    """The facts that made a rule fire (its stored ``evidence``: fact id -> value), in words,
    labelled as the rules list and the rule editor label them. Given the patient's `answers`,
    a question they were not asked, its value worked out from other answers (onset of back
    pain before 45, from an age under 45), says so after the value."""
    if not isinstance(evidence, Mapping):
        return []
    words = []
    for name, value in evidence.items():
        said = fact_words(str(name), value, dictionary)
        spec = dictionary.get(str(name))
        asked = spec is None or spec.origin != "question" or value is None
        if answers is not None and not asked and name not in answers:
            said = FactWords(said.label, f"{said.value} {NOT_ASKED}")
        words.append(said)
    return words


def fact_words(name: str, value: Any, dictionary: Mapping[str, FactSpec]) -> FactWords:
    """One fact in words. A fact the dictionary no longer has (the questionnaire changed since
    the screening) keeps its id, with its underscores as spaces."""
    spec = dictionary.get(name)
    label = spec.label if spec else name.replace("_", " ").replace(".", " ").capitalize()
    return FactWords(label, _fact_value(spec, value))


def _fact_value(spec: FactSpec | None, value: Any) -> str:
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        shown = [_fact_value(spec, item) for item in value]
        return "; ".join(shown) if shown else "none"
    if spec is not None and spec.type in (CHOICE, CHOICES):
        return spec.choice_label(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if spec is not None and spec.type == DATE and isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day:%a} {day.day} {day:%b %Y}"  # as staff pages show dates: "Fri 4 Dec 2026"
    return str(value)
