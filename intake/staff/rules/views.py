"""Blueprint "staff_rules": view, edit, test, preview, publish, compare and restore rules.

Behind the same login and idle timeout as the rest of the staff area. Safety rules (red
flags and every `emergency` rule) can be changed only by an admin who confirms it; those
changes are audited as such.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from intake.audit import audit
from intake.extensions import db
from intake.forms import ChoiceView, FieldView
from intake.models import Submission, TestCase, utcnow
from intake.patient import submissions
from intake.screening import questionnaire, rule_analysis, rule_editor, rules
from intake.screening.conditions import OPERATORS
from intake.screening.outcomes import OUTCOME_TEXT
from intake.staff.accounts.access import no_store, require_login
from intake.staff.rules import rulesets

bp = Blueprint("staff_rules", __name__, url_prefix="/staff/rules")
bp.before_request(require_login)
bp.after_request(no_store)

PREVIEW_DEFAULT, PREVIEW_CHOICES = 1000, (100, 1000, 10000, 100000)


def _cuts():
    return current_app.config["PAIN_BAND_CUTS"]


def _described(data: dict) -> list[dict]:
    """Rules with their conditions in words, for listing."""
    facts = rules.dictionary()
    return [
        dict(
            rule,
            words=rules.describe(rule.get("condition"), facts),
            is_safety=rulesets.is_safety(rule),
        )
        for rule in data.get("rules", [])
    ]


@bp.get("/")
def list_rules():
    """The published rules in readable words, with what is overdue for review."""
    version = rulesets.current_version()
    max_age = current_app.config["RULE_REVIEW_DAYS"]
    overdue = rule_analysis.overdue_for_review(version.data, dt.date.today(), max_age)
    return render_template(
        "staff/rules/list.html",
        version=version,
        rules=_described(version.data),
        indication=rules.describe(version.data["indication"]["condition"], rules.dictionary()),
        overdue=overdue,
        max_age=max_age,
        draft=rulesets.current_draft(),
        outcome_text=OUTCOME_TEXT,
    )


@bp.post("/draft")
def start_draft():
    """Make (or open) the working copy of the rules."""
    draft = rulesets.current_draft()
    if draft is None:
        draft = rulesets.start_draft(current_user.email)
        audit("rules_draft_start", "ruleset_draft")
        db.session.commit()
    return redirect(url_for(".show_draft"))


def _draft():
    draft = rulesets.current_draft()
    if draft is None:
        abort(404)
    return draft


@bp.get("/draft")
def show_draft():
    """The draft: its rules, problems, warnings, changes, test results and impact preview."""
    draft = _draft()
    facts = rules.dictionary()
    safety = rulesets.safety_changes(rulesets.current_version().data, draft.data)
    problems = rules.validate(draft.data)
    results = [] if problems else rulesets.run_test_cases(draft.data, _cuts())
    preview = None
    if "preview" in request.args and not problems:
        raw = request.args.get("preview", "")
        limit = int(raw) if raw.isdigit() and int(raw) > 0 else PREVIEW_DEFAULT
        preview = rulesets.preview(draft.data, None if raw == "all" else limit, _cuts())
    return render_template(
        "staff/rules/draft.html",
        draft=draft,
        rules=_described(draft.data),
        problems=problems,
        warnings=rule_analysis.warnings(draft.data, facts),
        changes=rule_analysis.diff(draft.based_on.data if draft.based_on else {}, draft.data),
        results=results,
        failed=[r for r in results if not r.passed],
        preview=preview,
        preview_field=FieldView(
            "preview",
            "preview",
            "select",
            "Re-screen the last",
            values=[request.args.get("preview", str(PREVIEW_DEFAULT))],
            choices=[ChoiceView(str(n), f"{n:,} submissions") for n in PREVIEW_CHOICES]
            + [ChoiceView("all", "all submissions")],
        ),
        publish_fields=_publish_fields(bool(safety)),
        outcomes=rules.OUTCOMES,
        outcome_text=OUTCOME_TEXT,
        safety=safety,
    )


def _publish_fields(safety: bool) -> list[FieldView]:
    fields = [FieldView("note", "note", "textarea", "What changed and why", max_length=2000)]
    if safety:
        fields.append(
            FieldView(
                "confirm_safety",
                "confirm_safety",
                "checkboxes",
                "Safety rules",
                choices=[ChoiceView("y", "I confirm these changes to safety rules")],
            )
        )
    return fields


def _rule_fields(rule: dict, errors: dict[str, str], *, new: bool) -> list[FieldView]:
    outcome_choices = [
        ChoiceView(
            o,
            f"{o} – {OUTCOME_TEXT[o].label}" if o in OUTCOME_TEXT else f"{o} – note for staff only",
        )
        for o in rules.RULE_OUTCOMES
    ]
    fields = []
    if new:
        fields.append(
            FieldView(
                "id",
                "id",
                "text",
                "Rule id",
                hint="Letters, digits and underscores; it never changes.",
                values=[str(rule.get("id", ""))],
                error=errors.get("id", ""),
            )
        )
    fields += [
        FieldView(
            "title",
            "title",
            "text",
            "Title",
            values=[str(rule.get("title", ""))],
            error=errors.get("title", ""),
        ),
        FieldView(
            "outcome",
            "outcome",
            "select",
            "Outcome when it fires",
            values=[str(rule.get("outcome", "review"))],
            choices=outcome_choices,
            error=errors.get("outcome", ""),
        ),
        FieldView(
            "patient_message",
            "patient_message",
            "textarea",
            "Message to the patient",
            hint="Plain, kind words; never a diagnosis; never tell anyone to stop or "
            "change a medicine. {emergency_number} and {clinic_name} are filled in.",
            values=[str(rule.get("patient_message", ""))],
            max_length=1000,
            error=errors.get("patient_message", ""),
        ),
        FieldView(
            "staff_note",
            "staff_note",
            "textarea",
            "Note for staff",
            values=[str(rule.get("staff_note", ""))],
            max_length=1000,
        ),
        FieldView(
            "source",
            "source",
            "text",
            "Source",
            hint="Guideline or paper.",
            values=[str(rule.get("source", ""))],
            error=errors.get("source", ""),
        ),
        FieldView(
            "reviewed",
            "reviewed",
            "date",
            "Last reviewed (YYYY-MM-DD)",
            values=[str(rule.get("reviewed") or "")],
            width="short",
            error=errors.get("reviewed", ""),
        ),
        FieldView(
            "enabled",
            "enabled",
            "checkboxes",
            "Enabled",
            values=["y"] if rule.get("enabled", True) else [],
            choices=[ChoiceView("y", "This rule is used when screening")],
        ),
    ]
    if current_user.is_admin:
        fields.append(
            FieldView(
                "safety",
                "safety",
                "checkboxes",
                "Safety rule",
                values=["y"] if rule.get("safety") else [],
                choices=[ChoiceView("y", "Red flag: only admins may change it")],
            )
        )
    return fields


_MATCH_CHOICES = [ChoiceView("all", "all of the groups"), ChoiceView("any", "any of the groups")]


def _match_field(form: rule_editor.ConditionForm) -> FieldView:
    return FieldView(
        "match",
        "match",
        "select",
        "The rule fires when it matches",
        values=[form.match],
        choices=_MATCH_CHOICES,
    )


def _group_match_field(g: int, group: rule_editor.Group) -> FieldView:
    return FieldView(
        f"g{g}_match",
        f"g{g}_match",
        "select",
        "This group matches when",
        values=[group.match],
        choices=[
            ChoiceView("all", "all of its conditions hold"),
            ChoiceView("any", "any of its conditions holds"),
        ],
    )


def _row_fields(g: int, r: int, row: rule_editor.Row, facts) -> list[FieldView]:
    prefix = f"g{g}_r{r}_"
    spec = facts.get(row.fact)
    operators = rule_editor.operators_for(spec)
    fields = [
        FieldView(
            prefix + "fact",
            prefix + "fact",
            "select",
            f"Question {r + 1}",
            values=[row.fact],
            choices=_fact_choices(),
        ),
        FieldView(
            prefix + "op",
            prefix + "op",
            "select",
            "Comparison",
            values=[row.op],
            choices=[ChoiceView(name, words) for name, words in operators],
        ),
    ]
    needs_value = OPERATORS.get(row.op) is None or OPERATORS[row.op].value != "none"
    if needs_value:
        if spec is not None and spec.choices and row.op != "in":
            fields.append(
                FieldView(
                    prefix + "value",
                    prefix + "value",
                    "select",
                    "Value",
                    values=[row.value],
                    choices=[
                        ChoiceView(str(c), label)
                        for c, label in zip(
                            spec.choices, spec.choice_labels or spec.choices, strict=False
                        )
                    ],
                )
            )
        else:
            hint = "Several values: separate them with commas." if row.op == "in" else ""
            if spec is not None and spec.minimum is not None:
                hint = f"A number from {spec.minimum:g} to {spec.maximum:g}."
            fields.append(
                FieldView(
                    prefix + "value",
                    prefix + "value",
                    "text",
                    "Value",
                    hint=hint,
                    values=[row.value],
                    width="short",
                )
            )
    fields.append(
        FieldView(
            prefix + "not",
            prefix + "not",
            "checkboxes",
            "Negate",
            values=["y"] if row.negate else [],
            choices=[ChoiceView("y", "Fires when this is NOT so")],
        )
    )
    return fields


def _fact_choices():
    facts = rules.dictionary()
    return [ChoiceView("", "Choose a question")] + [
        ChoiceView(spec.id, f"{spec.section or spec.origin.capitalize()}: {spec.label}")
        for spec in facts.values()
    ]


@bp.route("/draft/rule/new", methods=["GET", "POST"], defaults={"rule_id": None})
@bp.route("/draft/rule/<rule_id>", methods=["GET", "POST"])
def edit_rule(rule_id: str | None):
    """The structured editor: question, operator and value rows in all/any groups."""
    draft = _draft()
    existing = next((r for r in draft.data.get("rules", []) if r.get("id") == rule_id), None)
    if rule_id is not None and existing is None:
        abort(404)
    facts = rules.dictionary()
    rule = dict(
        existing or {"enabled": True, "outcome": "review", "reviewed": dt.date.today().isoformat()}
    )
    form = rule_editor.to_form(rule.get("condition")) if existing else rule_editor.ConditionForm()
    advanced = existing is not None and form is None
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action", "save")
        rule = _rule_from_request(existing)
        if advanced:
            rule["condition"] = existing["condition"]
        else:
            form = rule_editor.from_request(request.form, action)
            rule["condition"] = rule_editor.to_condition(form, facts)
        if action == "save":
            errors = _save(draft, rule, existing)
            if not errors:
                return redirect(url_for(".show_draft") + f"#rule-{rule['id']}")
    problems = [p for p in rules.validate(draft.data) if p.rule_id == (rule_id or rule.get("id"))]
    warnings = list(rule_analysis.warnings({"rules": [rule]}, facts))
    html = render_template(
        "staff/rules/edit.html",
        rule=rule,
        rule_id=rule_id,
        fields=_rule_fields(rule, errors, new=rule_id is None),
        form=form,
        advanced=advanced,
        words=rules.describe(rule.get("condition"), facts) if rule.get("condition") else "",
        fact_choices=_fact_choices(),
        facts=facts,
        operators_for=rule_editor.operators_for,
        problems=problems,
        warnings=warnings,
        errors=[_error_view(k, v) for k, v in errors.items()],
        needs_confirmation=rulesets.is_safety(existing) or rulesets.is_safety(rule),
        match_field=_match_field,
        group_match_field=_group_match_field,
        row_fields=lambda g, r, row: _row_fields(g, r, row, facts),
        confirm_field=FieldView(
            "confirm_safety",
            "confirm_safety",
            "checkboxes",
            "Safety rule",
            hint="Red-flag and emergency rules keep patients safe. Only admins may change them.",
            choices=[ChoiceView("y", "I confirm this change to a safety rule")],
            error=errors.get("confirm_safety", ""),
        ),
    )
    return (html, 422) if errors else html


def _error_view(name: str, message: str) -> FieldView:
    """An error summary entry that links to the field it is about."""
    if name == "confirm_safety":  # a checkbox: the summary links to its first box
        return FieldView(
            name, name, "checkboxes", "Safety rule", error=message, choices=[ChoiceView("y", "")]
        )
    return FieldView(name, name, "text", name.replace("_", " ").capitalize(), error=message)


def _rule_from_request(existing: dict | None) -> dict:
    form = request.form
    rule = dict(existing or {})
    if existing is None:
        rule["id"] = form.get("id", "").strip()[:64]
    for name in ("title", "patient_message", "staff_note", "source"):
        rule[name] = form.get(name, "").strip()[:1000]
    outcome = form.get("outcome", "")
    rule["outcome"] = outcome if outcome in rules.RULE_OUTCOMES else "review"
    rule["enabled"] = form.get("enabled") == "y"
    reviewed = form.get("reviewed", "").strip()
    rule["reviewed"] = reviewed or None
    if current_user.is_admin:
        rule["safety"] = form.get("safety") == "y"
    return rule


def _save(draft, rule: dict, existing: dict | None) -> dict[str, str]:
    """Save into the draft; returns field errors that prevent saving at all."""
    errors = {}
    if existing is None:
        if not rules.RULE_ID.match(rule.get("id", "")):
            errors["id"] = "Enter an id: a letter, then letters, digits or underscores"
        elif any(r.get("id") == rule["id"] for r in draft.data.get("rules", [])):
            errors["id"] = f"A rule called '{rule['id']}' already exists"
    if errors:
        return errors
    try:
        dt.date.fromisoformat(rule["reviewed"]) if rule.get("reviewed") else None
    except ValueError:
        return {"reviewed": "Enter a date like 2026-11-23"}
    confirmed = request.form.get("confirm_safety") == "y"
    try:
        problems = rulesets.save_rule(
            draft,
            rule,
            replaces=existing and existing["id"],
            is_admin=current_user.is_admin,
            confirmed=confirmed,
        )
    except rulesets.RuleEditRefused as refused:
        return {"confirm_safety": str(refused)}
    safety = rulesets.is_safety(existing) or rulesets.is_safety(rule)
    audit(
        "rules_edit",
        f"rule:{rule['id']}",
        safety=safety,
        change="add" if existing is None else "edit",
    )
    db.session.commit()
    flash(
        f"Saved rule '{rule['id']}' in the draft"
        + (f" ({len(problems)} problem(s) to fix before publishing)." if problems else ".")
    )
    return {}


@bp.post("/draft/rule/<rule_id>/delete")
def delete_rule(rule_id: str):
    """Remove a rule from the draft."""
    draft = _draft()
    try:
        rulesets.delete_rule(
            draft,
            rule_id,
            is_admin=current_user.is_admin,
            confirmed=request.form.get("confirm_safety") == "y",
        )
    except rulesets.RuleEditRefused as refused:
        flash(str(refused))
        return redirect(url_for(".show_draft"))
    audit("rules_edit", f"rule:{rule_id}", change="delete")
    db.session.commit()
    flash(f"Removed rule '{rule_id}' from the draft.")
    return redirect(url_for(".show_draft"))


@bp.post("/draft/discard")
def discard_draft():
    """Throw away the draft."""
    rulesets.discard_draft(_draft())
    audit("rules_draft_discard", "ruleset_draft")
    db.session.commit()
    flash("The draft was discarded.")
    return redirect(url_for(".list_rules"))


@bp.post("/draft/publish")
def publish_draft():
    """Publish the draft as a new version; refused while it has problems or a test fails."""
    draft = _draft()
    safety = rulesets.safety_changes(rulesets.current_version().data, draft.data)
    if safety and not current_user.is_admin:
        flash(
            "This draft changes safety rules (" + ", ".join(safety) + "): an admin must publish it."
        )
        return redirect(url_for(".show_draft"))
    if safety and request.form.get("confirm_safety") != "y":
        flash("Confirm that you mean to change safety rules before publishing.")
        return redirect(url_for(".show_draft"))
    try:
        version = rulesets.publish(
            draft.data, current_user.email, request.form.get("note", ""), _cuts()
        )
    except rulesets.PublishRefused as refused:
        return render_template("staff/rules/refused.html", reasons=refused.reasons), 422
    audit(
        "rules_publish", f"ruleset_version:{version.number}", note=version.note, safety_rules=safety
    )
    rulesets.discard_draft(draft)
    db.session.commit()
    flash(f"Published version {version.number}. New screenings use it from now on.")
    return redirect(url_for(".list_rules"))


@bp.get("/history")
def history():
    """Every published version."""
    return render_template(
        "staff/rules/history.html", versions=rulesets.versions(), current=rulesets.current_version()
    )


@bp.get("/diff")
def compare():
    """Rules added, removed and changed between two versions."""
    numbers = [request.args.get(k, "") for k in ("a", "b")]
    if not all(n.isdigit() for n in numbers):
        abort(404)
    a, b = (rulesets.version_by_number(int(n)) for n in numbers)
    if a is None or b is None:
        abort(404)
    return render_template(
        "staff/rules/diff.html", a=a, b=b, changes=rule_analysis.diff(a.data, b.data)
    )


@bp.post("/versions/<int:number>/restore")
def restore(number: int):
    """Publish an earlier version again, as a new version."""
    version = rulesets.version_by_number(number)
    if version is None:
        abort(404)
    safety = rulesets.safety_changes(rulesets.current_version().data, version.data)
    if safety and not current_user.is_admin:
        flash("Restoring this version changes safety rules: an admin must do it.")
        return redirect(url_for(".history"))
    try:
        restored = rulesets.publish(
            version.data, current_user.email, f"Restored version {number}", _cuts()
        )
    except rulesets.PublishRefused as refused:
        return render_template("staff/rules/refused.html", reasons=refused.reasons), 422
    audit(
        "rules_restore",
        f"ruleset_version:{restored.number}",
        restored_from=number,
        safety_rules=safety,
    )
    db.session.commit()
    flash(f"Version {number} is published again as version {restored.number}.")
    return redirect(url_for(".history"))


@bp.get("/tests")
def list_tests():
    """Test cases and how the published rules do on them."""
    version = rulesets.current_version()
    results = rulesets.run_test_cases(version.data, _cuts())
    return render_template("staff/rules/tests.html", results=results, outcome_text=OUTCOME_TEXT)


@bp.post("/tests/from-submission/<int:submission_id>")
def test_from_submission(submission_id: int):
    """Save a past submission as a test case expecting what it got."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    try:
        case = rulesets.case_from_submission(submission, current_user.email)
    except ValueError as error:
        flash(str(error))
    else:
        audit("test_case_add", f"test_case:{case.id}", submission=submission.reference)
        db.session.commit()
        flash(f"Saved test case '{case.name}'.")
    return redirect(request.referrer or url_for(".list_tests"))


@bp.post("/tests/<int:case_id>/delete")
def delete_test(case_id: int):
    """Delete a test case."""
    case = db.session.get(TestCase, case_id)
    if case is None:
        abort(404)
    audit("test_case_delete", f"test_case:{case.id}", name=case.name)
    db.session.delete(case)
    db.session.commit()
    flash(f"Deleted test case '{case.name}'.")
    return redirect(url_for(".list_tests"))


@bp.post("/tests/fill")
def start_test_questionnaire():
    """Fill the patient questionnaire in test mode: the answers become a test case, never a
    submission, and send no email."""
    draft = submissions.start_draft(current_app.config["DRAFT_TTL"])
    draft.purpose = "test_case"
    session["draft_id"] = draft.id
    db.session.commit()
    return redirect(url_for("patient.question_page", step_id=questionnaire.STEPS[0].id))


@bp.route("/tests/new", methods=["GET", "POST"])
def new_test_case():
    """Name the test-mode answers and say what the rules should give them."""
    try:
        draft = submissions.get_draft(session.get("draft_id"))
    except submissions.DraftMissing:
        flash("Fill the questionnaire in test mode first.")
        return redirect(url_for(".list_tests"))
    if draft.purpose != "test_case":
        abort(404)
    version = rulesets.current_version()
    ruleset = rulesets.compiled(version)
    answers = questionnaire.prune(draft.answers, ruleset.min_age_self_consent)
    screening = rules.screen(answers, ruleset, pain_band_cuts=_cuts())
    fired = [r.id for r in screening.fired if r.outcome != "info"]
    values = (
        request.form
        if request.method == "POST"
        else {"name": "", "expected_outcome": screening.outcome, "expected_rules": fired}
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        outcome = request.form.get("expected_outcome", "")
        expected = [
            r
            for r in request.form.getlist("expected_rules")
            if r in fired or any(rule.get("id") == r for rule in version.data["rules"])
        ]
        if not name:
            errors["name"] = "Enter a name for the test case"
        elif outcome not in rules.OUTCOMES:
            errors["expected_outcome"] = "Select the outcome the rules should give"
        else:
            try:
                case = rulesets.add_test_case(
                    name, answers, outcome, expected, author=current_user.email
                )
            except ValueError as error:
                errors["name"] = str(error)
            else:
                draft.completed_at = utcnow()
                draft.answers = {}
                session.pop("draft_id", None)
                audit("test_case_add", f"test_case:{case.id}", mode="questionnaire")
                db.session.commit()
                flash(f"Saved test case '{case.name}'.")
                return redirect(url_for(".list_tests"))
    rule_ids = [r["id"] for r in version.data["rules"]]
    fields = [
        FieldView(
            "name",
            "name",
            "text",
            "Name of the test case",
            values=[str(values.get("name", ""))],
            error=errors.get("name", ""),
        ),
        FieldView(
            "expected_outcome",
            "expected_outcome",
            "select",
            "Expected outcome",
            hint=f"The published rules give {screening.outcome}.",
            values=[str(values.get("expected_outcome", ""))],
            choices=[ChoiceView(o, OUTCOME_TEXT[o].label) for o in rules.OUTCOMES],
            error=errors.get("expected_outcome", ""),
        ),
        FieldView(
            "expected_rules",
            "expected_rules",
            "checkboxes",
            "Rules that must fire (optional)",
            values=list(
                request.form.getlist("expected_rules") if request.method == "POST" else fired
            ),
            choices=[ChoiceView(r, r) for r in rule_ids],
        ),
    ]
    html = render_template(
        "staff/rules/new_test.html",
        fields=fields,
        errors=[f for f in fields if f.error],
        rows=list(questionnaire.iter_answer_rows(answers)),
        screening=screening,
        outcome_text=OUTCOME_TEXT,
    )
    return (html, 422) if errors else html
