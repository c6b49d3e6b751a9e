"""Forms of the rules desk: the rule editor, a test case from test-mode answers, publishing a
draft and the impact preview. Every field renders through the field macro (via `wtf_field`).

The editor's condition rows are posted as g{g}_match and g{g}_r{r}_{fact,op,value,not}. The
add and remove buttons renumber them, so the posted rows are read by `rule_editor.from_request`
and the row forms are built afterwards from its model, one small form per group and per row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from intake.clinic_time import DATE_EXAMPLE
from intake.forms import FieldView, MultiCheckboxField, strip, wtf_field
from intake.screening import rule_editor, rules
from intake.screening.conditions import OPERATORS, FactSpec
from intake.screening.outcomes import OUTCOME_TEXT
from intake.staff.rules.operations import ScreenedAnswers

PREVIEW_DEFAULT, PREVIEW_CHOICES = 1000, (100, 1000, 10000, 100000)
#: The most one preview re-screens ("all" means up to this): it runs inside the page's request,
#: and 100,000 take up to ~8 s at worst on a busy 2-core machine (README, Benchmarks), so this
#: stays well inside gunicorn's 30 s timeout however many submissions a clinic chain holds.
PREVIEW_MAX = 200_000


def _unless_posted(values: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A form's first values on a GET; after a POST it shows exactly what was posted."""
    return None if request.method == "POST" else values


def _length(limit: int) -> Length:
    return Length(max=limit, message=f"Use {limit:,} characters or fewer")


# --- The rule editor --------------------------------------------------------------------------


def _outcome_label(outcome: str) -> str:
    words = OUTCOME_TEXT[outcome].label if outcome in OUTCOME_TEXT else "note for staff only"
    return f"{outcome} – {words}"


class RuleForm(FlaskForm):
    """A rule's own fields (its condition is in the row forms); `id` only for a new rule,
    `safety` only for admins."""

    id = StringField(
        "Rule id", description="Letters, digits and underscores; it never changes.", filters=[strip]
    )
    title = StringField("Title", filters=[strip], validators=[_length(1000)])
    outcome = SelectField(
        "Outcome when it fires",
        choices=[SelectChoice(o, _outcome_label(o)) for o in rules.RULE_OUTCOMES],
        invalid_choice_message="Select what happens when the rule fires",
    )
    patient_message = TextAreaField(
        "Message to the patient",
        description="Plain, kind words; never a diagnosis; never tell anyone to stop or change a "
        "medicine. {emergency_number} and {clinic_name} are filled in.",
        filters=[strip],
        validators=[_length(1000)],
    )
    staff_note = TextAreaField("Note for staff", filters=[strip], validators=[_length(1000)])
    source = StringField(
        "Source", description="Guideline or paper.", filters=[strip], validators=[_length(1000)]
    )
    reviewed = DateField(
        "Last reviewed",
        description=f"Like {DATE_EXAMPLE}",
        # typed as every staff date is (clinic_time.DATE_EXAMPLE); as stored also taken
        format=["%d/%m/%Y", "%Y-%m-%d"],
        validators=[Optional()],
        invalid_value_message=f"Enter a date like {DATE_EXAMPLE}",
    )
    enabled = BooleanField("Enabled", description="This rule is used when screening")
    safety = BooleanField("Safety rule", description="Red flag: only admins may change it")
    confirm_safety = BooleanField(
        "Safety rule", description="I confirm this change to a safety rule"
    )
    #: the button pressed: "save", or adding or removing condition rows (see rule_editor)
    action = StringField(default="save")


def _new_rule() -> dict[str, Any]:
    return {"enabled": True, "outcome": "review", "reviewed": dt.date.today().isoformat()}


def _rule_values(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for a rule (the date as a date; a rule is enabled unless it says not)."""
    values = dict(rule, enabled=rule.get("enabled", True))
    try:
        values["reviewed"] = dt.date.fromisoformat(str(rule.get("reviewed") or ""))
    except ValueError:
        values["reviewed"] = None
    return values


class RuleEditor:
    """The rule editor page's forms: the rule's fields and, unless its condition is nested
    too deeply to edit here, the condition as rows. Bound to the posted form on a POST."""

    def __init__(self, existing: dict | None, *, is_admin: bool):
        self.existing = existing
        self.form = RuleForm(data=_unless_posted(_rule_values(existing or _new_rule())))
        if existing is not None:
            del self.form.id
        if not is_admin:
            del self.form.safety
        model = rule_editor.to_form(existing.get("condition")) if existing else None
        self.advanced = existing is not None and model is None
        if self.form.is_submitted() and not self.advanced:
            model = rule_editor.from_request(request.form, self.form.action.data)
        self.condition = model or rule_editor.ConditionForm()

    @property
    def saving(self) -> bool:
        """The save button was pressed (the others only change the rows shown)."""
        return self.form.is_submitted() and self.form.action.data == "save"

    def rule(self, facts: Mapping[str, FactSpec]) -> dict[str, Any]:
        """The rule as edited: the rule in the draft with the posted fields and condition."""
        if not self.form.is_submitted():
            return dict(self.existing or _new_rule())
        form = self.form
        rule = dict(self.existing or {})
        if "id" in form:
            rule["id"] = form.id.data or ""
        for name in ("title", "patient_message", "staff_note", "source"):
            rule[name] = form[name].data or ""
        # An unknown outcome is a field error on saving; until then the rule reads as "review".
        rule["outcome"] = (
            form.outcome.data if form.outcome.data in rules.RULE_OUTCOMES else "review"
        )
        rule["enabled"] = form.enabled.data
        rule["reviewed"] = form.reviewed.data.isoformat() if form.reviewed.data else None
        if "safety" in form:
            rule["safety"] = form.safety.data
        if self.advanced:
            rule["condition"] = self.existing["condition"]
        else:
            rule["condition"] = rule_editor.to_condition(self.condition, facts)
        return rule

    def fields(self) -> list[FieldView]:
        """The rule's own fields, in page order."""
        names = ("id", "title", "outcome", "patient_message", "staff_note", "source")
        names += ("reviewed", "enabled", "safety")
        return [wtf_field(self.form[name]) for name in names if name in self.form]

    def condition_fields(self, facts: Mapping[str, FactSpec]) -> ConditionFields | None:
        """The condition as rows, or None when it is nested too deeply to edit here."""
        return None if self.advanced else ConditionFields.of(self.condition, facts)

    def confirm_field(self) -> FieldView:
        """The admin's confirmation that they mean to change a safety rule."""
        hint = "Red-flag and emergency rules keep patients safe. Only admins may change them."
        return dataclasses.replace(wtf_field(self.form.confirm_safety), hint=hint)


_GROUPS_MATCH = [SelectChoice("all", "all of the groups"), SelectChoice("any", "any of the groups")]
_ROWS_MATCH = [
    SelectChoice("all", "all of its conditions hold"),
    SelectChoice("any", "any of its conditions holds"),
]


class ConditionMatchForm(Form):
    """How the groups of a condition combine."""

    match = SelectField("The rule fires when it matches", choices=_GROUPS_MATCH)


class GroupForm(Form):
    """How the rows of one group combine (prefixed g{g}_)."""

    match = SelectField("This group matches when", choices=_ROWS_MATCH)


def _takes_value(op: str) -> bool:
    """Whether a row's operator compares with a value; an unknown one keeps its value box."""
    operator = OPERATORS.get(op)
    return operator is None or operator.value != "none"


def _value_field(op: str, spec: FactSpec | None) -> Any:
    """A list of the question's choices, or a box to type in (several values for 'is one of')."""
    if spec is not None and spec.choices and op != "in":
        labels = spec.choice_labels or spec.choices
        choices = [
            SelectChoice(str(c), str(label)) for c, label in zip(spec.choices, labels, strict=False)
        ]
        return SelectField("Value", choices=choices)
    hint = "Several values: separate them with commas." if op == "in" else ""
    if spec is not None and spec.minimum is not None:
        hint = f"A number from {spec.minimum:g} to {spec.maximum:g}."
    return StringField("Value", description=hint)


def _row_form(
    number: int, row: rule_editor.Row, spec: FactSpec | None, questions: list[SelectChoice]
) -> type[Form]:
    """The form of one row: its operators fit the question, its value field the operator."""

    class RowForm(Form):
        fact = SelectField(f"Question {number}", choices=questions)
        op = SelectField(
            "Comparison",
            choices=[SelectChoice(name, words) for name, words in rule_editor.operators_for(spec)],
        )
        if _takes_value(row.op):
            value = _value_field(row.op, spec)
        negate = BooleanField("Negate", description="Fires when this is NOT so", name="not")

    return RowForm


@dataclass(frozen=True)
class GroupFields:
    """One group of condition rows as the page shows it."""

    match: FieldView
    rows: list[list[FieldView]]


@dataclass(frozen=True)
class ConditionFields:
    """A condition as rows: how the groups combine, then each group's rows."""

    match: FieldView
    groups: list[GroupFields]

    @classmethod
    def of(cls, model: rule_editor.ConditionForm, facts: Mapping[str, FactSpec]) -> ConditionFields:
        """The fields of the editor model's groups and rows, named as the editor posts them."""
        questions = [SelectChoice("", "Choose a question")] + [
            SelectChoice(spec.id, f"{spec.section or spec.origin.capitalize()}: {spec.label}")
            for spec in facts.values()
        ]
        groups = []
        for g, group in enumerate(model.groups):
            rows = []
            for r, row in enumerate(group.rows):
                row_form = _row_form(r + 1, row, facts.get(row.fact), questions)(
                    prefix=f"g{g}_r{r}_", data=dataclasses.asdict(row)
                )
                rows.append([_row_view(f) for f in row_form])
            match = GroupForm(prefix=f"g{g}_", data={"match": group.match}).match
            groups.append(GroupFields(wtf_field(match), rows))
        match = ConditionMatchForm(data={"match": model.match}).match
        return cls(wtf_field(match), groups)


def _row_view(form_field: Any) -> FieldView:
    """A row's field; a value typed in gets a short box."""
    view = wtf_field(form_field)
    return dataclasses.replace(view, width="short") if view.kind == "text" else view


# --- Test cases, publishing, preview -----------------------------------------------------------


class NewTestCaseForm(FlaskForm):
    """Name test-mode answers and say what the rules should give them."""

    name = StringField(
        "Name of the test case",
        filters=[strip],
        validators=[DataRequired("Enter a name for the test case")],
    )
    expected_outcome = SelectField(
        "Expected outcome",
        choices=[SelectChoice(o, OUTCOME_TEXT[o].label) for o in rules.OUTCOMES],
        invalid_choice_message="Select the outcome the rules should give",
    )
    expected_rules = MultiCheckboxField("Rules that must fire (optional)")

    @classmethod
    def of(cls, screened: ScreenedAnswers) -> NewTestCaseForm:
        """The form for these answers, expecting at first what the published rules give."""
        outcome = screened.screening.outcome
        form = cls(
            data=_unless_posted({"expected_outcome": outcome, "expected_rules": screened.fired})
        )
        form.expected_outcome.description = f"The published rules give {outcome}."
        form.expected_rules.choices = [SelectChoice(r, r) for r in screened.rule_ids]
        return form

    @classmethod
    def for_case(cls, case: Any, rule_ids: list[str], outcome_now: str) -> NewTestCaseForm:
        """The same form for editing a saved test case, filled in with what it expects."""
        values = {
            "name": case.name,
            "expected_outcome": case.expected_outcome,
            "expected_rules": case.expected_rules or [],
        }
        form = cls(data=_unless_posted(values))
        form.expected_outcome.description = f"The published rules give {outcome_now}."
        form.expected_rules.choices = [SelectChoice(r, r) for r in rule_ids]
        return form

    def fields(self) -> list[FieldView]:
        """Its fields, in page order."""
        return [wtf_field(f) for f in (self.name, self.expected_outcome, self.expected_rules)]


class RemoveRuleForm(FlaskForm):
    """Remove a rule from the draft; for a safety rule the admin's button confirms it."""

    confirm_safety = BooleanField("Safety rule")


class PublishForm(FlaskForm):
    """Publish the draft: a note, and an admin's confirmation when safety rules change."""

    note = TextAreaField(
        "What changed and why", default="", validators=[_length(2000)], filters=[strip]
    )
    confirm_safety = BooleanField(
        "Safety rules", description="I confirm these changes to safety rules"
    )

    def fields(self, safety: bool) -> list[FieldView]:
        """Its fields; the confirmation only when the draft changes safety rules."""
        return [wtf_field(self.note)] + ([wtf_field(self.confirm_safety)] if safety else [])

    def reasons(self) -> list[str]:
        """Its field errors, as reasons not to publish."""
        return [f"{self[name].label.text}: {errors[0]}" for name, errors in self.errors.items()]


class PreviewForm(Form):
    """How many recent submissions the impact preview re-screens (a GET form)."""

    preview = SelectField(
        "Re-screen the last",
        choices=[SelectChoice(str(n), f"{n:,} submissions") for n in PREVIEW_CHOICES]
        + [SelectChoice("all", f"all submissions (up to the last {PREVIEW_MAX:,})")],
        default=str(PREVIEW_DEFAULT),
    )

    @property
    def requested(self) -> bool:
        """A preview was asked for."""
        return bool(self.preview.raw_data)

    @property
    def limit(self) -> int | None:
        """How many of the latest submissions: a number not offered is taken as typed, "all"
        and anything larger are PREVIEW_MAX."""
        raw = self.preview.data or ""
        if raw == "all":
            return PREVIEW_MAX
        return min(int(raw), PREVIEW_MAX) if raw.isdigit() and int(raw) > 0 else PREVIEW_DEFAULT
