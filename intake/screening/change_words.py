"""A diff between two rule sets in the words staff read on the rules list. Pure.

``rule_analysis.diff`` finds which fields changed; this says how, with the words of
``condition_words.describe``: "How old are you? is at least 50 → is at least 55" rather than
two raw condition structures. Conditions are compared part by part, so changing one threshold
in a rule with five comparisons names that one comparison; parts added or removed are named
as such. Text fields are shown before and after; outcomes by their staff labels.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening.condition_words import describe
from intake.screening.conditions import FactSpec
from intake.screening.outcomes import OUTCOME_TEXT
from intake.screening.rule_analysis import RuleChange, diff, effective

#: What each rule field is called on the editor and the rules list.
FIELD_WORDS = {
    "title": "Title",
    "outcome": "Outcome",
    "condition": "When",
    "patient_message": "Message to the patient",
    "staff_note": "Note for staff",
    "source": "Source",
    "safety": "Safety rule",
    "enabled": "Enabled",
    "reviewed": "Last reviewed",
}
SETTING_WORDS = {"min_age_self_consent": "Youngest age to fill in the form alone"}


@dataclass(frozen=True)
class Change:
    """One thing that changed, in words: `what` went from `before` to `after` (either may be
    empty: a condition part added has no before)."""

    what: str
    before: str
    after: str

    @property
    def text(self) -> str:
        """The change as one line: "When: Age is at least 50 → is at least 55"."""
        if not self.before:
            return f"{self.what}: added {self.after}"
        if not self.after:
            return f"{self.what}: removed {self.before}"
        return f"{self.what}: {self.before} → {self.after}"


@dataclass(frozen=True)
class RuleChanges:
    """A rule added, removed or changed, and how."""

    kind: str  # added | removed | changed
    rule_id: str
    title: str
    changes: list[Change]
    #: an added or removed rule: "when …, gives …"
    summary: str = ""


@dataclass(frozen=True)
class DiffWords:
    """A whole diff in words."""

    rules: list[RuleChanges]
    settings: list[Change]

    @property
    def empty(self) -> bool:
        """Nothing changed."""
        return not (self.rules or self.settings)


def outcome_words(outcome: Any) -> str:
    """An outcome as the editor lists it: "see_doctor (See a doctor first)"."""
    text = OUTCOME_TEXT.get(outcome) if isinstance(outcome, str) else None
    return f"{outcome} ({text.label if text else 'note for staff only'})"


def _value_words(name: str, value: Any) -> str:
    if name == "enabled":
        return "yes (used when screening)" if value else "no (not used when screening)"
    if name == "safety":
        return "yes" if value else "no"
    if name == "reviewed":
        return _day(value) if value else "never"
    if name == "outcome":
        return outcome_words(value)
    return f"“{value}”" if value else "(empty)"


def _day(value: Any) -> str:
    """A stored date (2026-11-23) as staff pages show dates: "Mon 23 Nov 2026"."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _leaf_change(old: Any, new: Any, facts: Mapping[str, FactSpec]) -> Change:
    """Two comparisons in words; the question's words are said once when both name it."""
    before, after = describe(old, facts), describe(new, facts)
    if (
        isinstance(old, Mapping)
        and isinstance(new, Mapping)
        and old.get("fact") == new.get("fact")
        and "fact" in old
    ):
        spec = facts.get(old["fact"]) if isinstance(old["fact"], str) else None
        label = spec.label if spec else str(old["fact"])
        if after.startswith(label + " "):
            after = after[len(label) + 1 :]
    return Change("When", before, after)


def _group(cond: Any) -> str | None:
    if isinstance(cond, Mapping):
        for key in ("all", "any"):
            if isinstance(cond.get(key), list):
                return key
    return None


def condition_changes(old: Any, new: Any, facts: Mapping[str, FactSpec]) -> list[Change]:
    """How a condition changed, part by part, in words."""
    if old == new:
        return []
    key = _group(old)
    if key is not None and key == _group(new):
        return _group_changes(old[key], new[key], facts)
    if isinstance(old, Mapping) and isinstance(new, Mapping) and "not" in old and "not" in new:
        return [
            Change(c.what, c.before and f"not ({c.before})", c.after and f"not ({c.after})")
            for c in condition_changes(old["not"], new["not"], facts)
        ]
    if key is None and _group(new) is None and old is not None and new is not None:
        return [_leaf_change(old, new, facts)]
    return [
        Change(
            "When",
            describe(old, facts) if old is not None else "",
            describe(new, facts) if new is not None else "",
        )
    ]


def _group_changes(old: list, new: list, facts: Mapping[str, FactSpec]) -> list[Change]:
    """The parts of an all/any group changed, added and removed (matched in order)."""
    matcher = difflib.SequenceMatcher(a=[repr(p) for p in old], b=[repr(p) for p in new])
    found: list[Change] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)  # a replaced part is a changed part
        for a, b in zip(old[i1 : i1 + paired], new[j1 : j1 + paired], strict=True):
            found.extend(condition_changes(a, b, facts))
        found.extend(Change("When", describe(p, facts), "") for p in old[i1 + paired : i2])
        found.extend(Change("When", "", describe(p, facts)) for p in new[j1 + paired : j2])
    return found


def field_changes(change: RuleChange, facts: Mapping[str, FactSpec]) -> list[Change]:
    """One changed field of a rule, in words (a condition may give several changes)."""
    if change.field == "condition":
        return condition_changes(change.before, change.after, facts)
    rule_before = {change.field: change.before}
    rule_after = {change.field: change.after}
    return [
        Change(
            FIELD_WORDS.get(change.field, change.field),
            _value_words(change.field, effective(rule_before, change.field)),
            _value_words(change.field, effective(rule_after, change.field)),
        )
    ]


def _summary(rule: Mapping[str, Any], facts: Mapping[str, FactSpec]) -> str:
    """An added or removed rule: when it fires and what it gives."""
    condition = describe(rule.get("condition"), facts)
    return f"when {condition}, gives {outcome_words(rule.get('outcome'))}"


def _setting_changes(change: RuleChange, facts: Mapping[str, FactSpec]) -> list[Change]:
    before = change.before if isinstance(change.before, Mapping) else {}
    after = change.after if isinstance(change.after, Mapping) else {}
    if change.field == "indication":
        found = condition_changes(before.get("condition"), after.get("condition"), facts)
        found = [Change("What counts as the pain treated", c.before, c.after) for c in found]
        if before.get("title") != after.get("title"):
            found.append(
                Change("Indication title", f"“{before.get('title')}”", f"“{after.get('title')}”")
            )
        return found
    return [
        Change(SETTING_WORDS.get(key, key), str(before.get(key, "")), str(after.get(key, "")))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


def words(
    before: Mapping[str, Any], after: Mapping[str, Any], facts: Mapping[str, FactSpec]
) -> DiffWords:
    """Every change from one rule set to another in words: rules added, removed and changed
    (each with its title in `after`), then settings."""
    difference = diff(before, after)
    titles = {r.get("id"): r.get("title") for r in after.get("rules", []) if isinstance(r, Mapping)}
    described = [
        RuleChanges(kind, r["id"], str(r.get("title") or ""), [], _summary(r, facts))
        for kind, found in (("added", difference.added), ("removed", difference.removed))
        for r in found
    ]
    for rule_id, changes in difference.changed.items():
        described.append(
            RuleChanges(
                "changed",
                rule_id,
                str(titles.get(rule_id) or ""),
                [w for c in changes for w in field_changes(c, facts)],
            )
        )
    settings = [w for c in difference.settings for w in _setting_changes(c, facts)]
    return DiffWords(described, settings)
