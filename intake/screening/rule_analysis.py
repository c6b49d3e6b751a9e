"""Checks a clinician can act on before publishing rules, and diffs between versions. Pure.

Warnings are about rules that are valid but look wrong:

- a condition that can never be true (age at least 60 and under 20; a value outside the
  question's range; a yes/no question both Yes and No);
- a rule that repeats another (same condition, or same condition and outcome);
- a rule that needs two answers that are never shown together (for example a question of the
  sports page, shown only when pain started in sport, with one shown only when it started at
  work);
- a title or patient message mentioning a number its condition does not use ("at 50 or over"
  after the age changed to 55).

The diff compares rules as they work (`effective`): a field left out and its default are the
same, so saving a rule unchanged is no change. `change_words` says a diff in words.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening import questionnaire
from intake.screening.conditions import OPERATORS, FactSpec, Operator
from intake.screening.facts import worked_out_from_others
from intake.screening.ruleset_format import RULE_FIELDS


@dataclass(frozen=True)
class Warning:
    """Something that looks wrong with a rule, in staff language."""

    rule_id: str
    message: str


# --- "can never be true" -------------------------------------------------------------------


def _conjuncts(cond: Any) -> list[Mapping]:
    """The comparisons that must all hold for `cond` to hold (nested `all`s flattened).

    `any` and `not` groups are skipped: they add no certain constraint.
    """
    if not isinstance(cond, Mapping):
        return []
    if isinstance(cond.get("all"), list):
        found: list[Mapping] = []
        for part in cond["all"]:
            found.extend(_conjuncts(part))
        return found
    if isinstance(cond.get("any"), list) and len(cond["any"]) == 1:
        return _conjuncts(cond["any"][0])
    if "fact" in cond:
        return [cond]
    return []


def contradiction(cond: Any, facts: Mapping[str, FactSpec]) -> str | None:
    """Why a condition can never be true, or None when it might be.

    Each comparison's operator says what it allows (``Operator.constrain``); here they are
    combined per fact: number ranges narrow, allowed answers intersect, excluded ones subtract.
    """
    bounds: dict[str, tuple[float, float]] = {}
    allowed: dict[str, frozenset] = {}
    excluded: dict[str, frozenset] = {}
    labels: dict[str, str] = {}
    for comparison in _conjuncts(cond):
        name, op_name, value = comparison.get("fact"), comparison.get("op"), comparison.get("value")
        op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
        if op is None:
            continue
        spec = facts.get(name) if isinstance(name, str) else None
        label = spec.label if spec else str(name)
        constraint = op.constrain(value, spec)
        if constraint.bounds is not None:
            low, high = bounds.get(name) or _question_range(spec)
            low, high = max(low, constraint.bounds[0]), min(high, constraint.bounds[1])
            bounds[name] = (low, high)
            if low > high:
                return (
                    f"'{label}' cannot be {_range_words(op, value)} as well as the rest "
                    f"of the condition (or the question's range)"
                )
        if constraint.impossible:
            return f"'{label}' never has the answer {value!r}"
        if constraint.allowed is not None:
            allowed[name] = allowed.get(name, constraint.allowed) & constraint.allowed
            labels[name] = label
        if constraint.excluded:
            excluded[name] = excluded.get(name, frozenset()) | constraint.excluded
            labels[name] = label
    for name, options in allowed.items():
        if not options - excluded.get(name, frozenset()):
            return f"'{labels[name]}' cannot have all the answers the condition needs at once"
    return None


def _question_range(spec: FactSpec | None) -> tuple[float, float]:
    """The values a number question accepts, unbounded where it sets no limit."""
    low = spec.minimum if spec is not None and spec.minimum is not None else -math.inf
    high = spec.maximum if spec is not None and spec.maximum is not None else math.inf
    return low, high


def _range_words(op: Operator, value: Any) -> str:
    """The operator's words after "is", with the value: "under 20", "at least 60", "50"."""
    return f"{op.words.removeprefix('is').strip()} {value}".strip()


# --- "never shown together" ----------------------------------------------------------------


def _shown_when(fact: str) -> list[Mapping]:
    """The show-if conditions that must hold for an answer to exist (its step's, its own)."""
    question = questionnaire.ASKED_BY.get(fact)
    if question is None or worked_out_from_others(fact):
        return []  # a fact that can hold without its question: nothing certain
    conditions = []
    for step in questionnaire.STEPS:
        if question in step.questions and step.show_if:
            conditions.append(step.show_if)
    if question.show_if:
        conditions.append(question.show_if)
    return conditions


def never_shown_together(cond: Any, facts: Mapping[str, FactSpec]) -> str | None:
    """Why the answers a condition needs are never all shown to one patient, or None."""
    needed = [c["fact"] for c in _conjuncts(cond) if isinstance(c.get("fact"), str)]
    needed = list(dict.fromkeys(needed))
    shown = {fact: _shown_when(fact) for fact in needed}
    if not any(shown.values()):
        return None
    combined = {"all": [*_conjuncts(cond), *(c for f in needed for c in shown[f])]}
    if contradiction(combined, facts) is None:
        return None
    names = [facts[f].label if f in facts else f for f in needed if shown[f]]
    return (
        "it needs answers that are never asked of the same patient ("
        + "; ".join(f"'{n}'" for n in names)
        + "), so it can never fire"
    )


# --- all warnings ---------------------------------------------------------------------------


def warnings(ruleset: Mapping[str, Any], facts: Mapping[str, FactSpec]) -> list[Warning]:
    """Every warning about rules that are valid but look wrong."""
    found: list[Warning] = []
    rules = [r for r in ruleset.get("rules", []) if isinstance(r, Mapping)]
    seen: dict[str, str] = {}
    for rule in rules:
        rule_id = str(rule.get("id"))
        cond = rule.get("condition")
        why = contradiction(cond, facts)
        if why:
            found.append(Warning(rule_id, f"Rule '{rule_id}' can never fire: {why}."))
        else:
            why = never_shown_together(cond, facts)
            if why:
                found.append(Warning(rule_id, f"Rule '{rule_id}': {why}."))
        found.extend(stale_numbers(rule))
        key = repr(_canonical(cond))
        if key in seen:
            found.append(
                Warning(
                    rule_id,
                    f"Rule '{rule_id}' has the same condition as rule "
                    f"'{seen[key]}': one of them may be unnecessary.",
                )
            )
        else:
            seen[key] = rule_id
    return found


def _canonical(cond: Any) -> Any:
    """A condition with group order ignored, for spotting repeats."""
    if isinstance(cond, Mapping):
        if isinstance(cond.get("all"), list) or isinstance(cond.get("any"), list):
            key = "all" if "all" in cond else "any"
            return (key, tuple(sorted(repr(_canonical(p)) for p in cond[key])))
        return tuple(sorted((k, repr(_canonical(v))) for k, v in cond.items()))
    if isinstance(cond, list):
        return tuple(repr(_canonical(v)) for v in cond)
    return cond


# --- "a number its condition no longer uses" -----------------------------------------------

_NUMBER = re.compile(r"(?<![\w.{])\d+(?:\.\d+)?(?![\w}])")


def condition_numbers(cond: Any) -> set[float]:
    """Every number a condition compares with."""
    if isinstance(cond, Mapping):
        return set().union(*(condition_numbers(v) for v in cond.values()))
    if isinstance(cond, list):
        return set().union(*(condition_numbers(v) for v in cond))
    if isinstance(cond, int | float) and not isinstance(cond, bool):
        return {float(cond)}
    return set()


def _number_words(numbers: set[float]) -> str:
    return " and ".join(f"{n:g}" for n in sorted(numbers))


def stale_numbers(rule: Mapping[str, Any]) -> list[Warning]:
    """The rule's title or patient message mentions a number its condition does not use,
    while the condition does compare numbers (a threshold changed, the words did not)."""
    used = condition_numbers(rule.get("condition"))
    if not used:
        return []
    found = []
    rule_id = str(rule.get("id"))
    for name, words in (("title", "title"), ("patient_message", "message to the patient")):
        text = rule.get(name)
        mentioned = {float(n) for n in _NUMBER.findall(text)} if isinstance(text, str) else set()
        if mentioned - used:
            found.append(
                Warning(
                    rule_id,
                    f"Rule '{rule_id}': its {words} mentions {_number_words(mentioned - used)}, "
                    f"which its condition does not use (it uses {_number_words(used)}). "
                    f"Check the {words} still says what the rule does.",
                )
            )
    return found


def overdue_for_review(ruleset: Mapping[str, Any], today: dt.date, max_age_days: int) -> list[dict]:
    """Rules whose last review is older than `max_age_days` (or never recorded)."""
    overdue = []
    for rule in ruleset.get("rules", []):
        reviewed = rule.get("reviewed")
        try:
            day = dt.date.fromisoformat(str(reviewed)) if reviewed else None
        except ValueError:
            day = None
        if day is None or (today - day).days > max_age_days:
            overdue.append(rule)
    return overdue


# --- diffs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleChange:
    """One changed field of a rule."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Diff:
    """What changed between two rule sets."""

    added: list[dict]
    removed: list[dict]
    changed: dict[str, list[RuleChange]]
    settings: list[RuleChange]

    @property
    def empty(self) -> bool:
        """Nothing changed."""
        return not (self.added or self.removed or self.changed or self.settings)


#: What a rule that leaves a field out means by it (a rule is enabled unless it says not).
_FIELD_DEFAULTS = {"enabled": True, "safety": False}


def effective(rule: Mapping[str, Any], name: str) -> Any:
    """A rule's field as it works: a field left out is its default, and missing text is empty
    text, so a rule saved by the editor ("enabled: true", "staff_note: ''") is no change."""
    value = rule.get(name)
    if value is None:
        return _FIELD_DEFAULTS.get(name, "" if name not in ("condition", "reviewed") else None)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Diff:
    """Rules added, removed and changed field by field; settings and indication changes."""
    old = {r["id"]: r for r in before.get("rules", []) if isinstance(r, Mapping) and "id" in r}
    new = {r["id"]: r for r in after.get("rules", []) if isinstance(r, Mapping) and "id" in r}
    changed = {}
    for rule_id in old.keys() & new.keys():
        changes = [
            RuleChange(name, old[rule_id].get(name), new[rule_id].get(name))
            for name in RULE_FIELDS
            if effective(old[rule_id], name) != effective(new[rule_id], name)
        ]
        if changes:
            changed[rule_id] = changes
    settings = [
        RuleChange(name, before.get(name), after.get(name))
        for name in ("settings", "indication")
        if before.get(name) != after.get(name)
    ]
    return Diff(
        added=[new[i] for i in new if i not in old],
        removed=[old[i] for i in old if i not in new],
        changed=dict(sorted(changed.items())),
        settings=settings,
    )
