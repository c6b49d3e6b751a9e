"""The published rules list searched and filtered: its GET form (works without JavaScript, the
address can be bookmarked) and which rules match.

Search text matches the id, title, patient message, note for staff, source and the condition
in words ("age", "blood thinners"), ignoring case; several words must all match. Filters:
outcome, safety rules or not, and rules due for review (not reviewed within RULE_REVIEW_DAYS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wtforms import BooleanField, Form, SelectChoice, SelectField, StringField

from intake.forms import FieldView, strip, wtf_field
from intake.screening import rules
from intake.screening.outcomes import OUTCOME_TEXT

#: The texts of a rule searched, with its condition in words ("words").
SEARCHED = ("id", "title", "patient_message", "staff_note", "source", "words")


def _outcome_choice(outcome: str) -> SelectChoice:
    label = OUTCOME_TEXT[outcome].label if outcome in OUTCOME_TEXT else "note for staff only"
    return SelectChoice(outcome, f"{outcome} – {label}")


class RuleSearchForm(Form):
    """Search and filters of the rules list (a GET form)."""

    q = StringField(
        "Search", description="Words in the id, title, messages or condition.", filters=[strip]
    )
    outcome = SelectField(
        "Outcome",
        choices=[SelectChoice("", "Any outcome")]
        + [_outcome_choice(o) for o in rules.RULE_OUTCOMES],
        validate_choice=False,
    )
    safety = SelectField(
        "Safety",
        choices=[
            SelectChoice("", "Safety rules and others"),
            SelectChoice("yes", "Safety rules only"),
            SelectChoice("no", "Not safety rules"),
        ],
        validate_choice=False,
    )
    due = BooleanField("Due for review", description="Only rules due for review")

    @property
    def active(self) -> bool:
        """Something narrows the list."""
        return bool(self.terms or self.outcome.data or self.safety.data or self.due.data)

    @property
    def terms(self) -> list[str]:
        """The search words, lower case."""
        return (self.q.data or "")[:200].lower().split()

    def fields(self) -> list[FieldView]:
        """Its fields, in page order."""
        return [wtf_field(f) for f in (self.q, self.outcome, self.safety, self.due)]

    def matches(self, rule: Mapping[str, Any], overdue: set[str]) -> bool:
        """Whether a described rule (operations.described_rules) passes search and filters."""
        if self.outcome.data and rule.get("outcome") != self.outcome.data:
            return False
        if self.safety.data in ("yes", "no") and rule["is_safety"] != (self.safety.data == "yes"):
            return False
        if self.due.data and rule.get("id") not in overdue:
            return False
        text = " ".join(str(rule.get(name) or "") for name in SEARCHED).lower()
        return all(term in text for term in self.terms)

    def shown(self, described: Iterable[Mapping[str, Any]], overdue: set[str]) -> list:
        """The rules that pass, in their order."""
        return [rule for rule in described if self.matches(rule, overdue)]
