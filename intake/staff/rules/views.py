"""Blueprint "staff_rules": view, edit, test, preview, publish, compare and restore rules.

Behind the same login and idle timeout as the rest of the staff area. Safety rules (red
flags and every `emergency` rule) can be changed only by an admin who confirms it; those
changes are audited as such. The views translate HTTP: the forms are in `forms`, what each
request does in `operations`.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from intake.extensions import db
from intake.forms import wtf_field
from intake.models import Draft, RuleSetDraft, Submission, TestCase
from intake.patient import submissions
from intake.screening import questionnaire, rules, summary
from intake.staff.accounts.access import no_store, require_login
from intake.staff.rules import operations, rulesets, test_cases
from intake.staff.rules.forms import (
    NewTestCaseForm,
    PreviewForm,
    PublishForm,
    RemoveRuleForm,
    RuleEditor,
)
from intake.staff.rules.search import RuleSearchForm
from intake.web import form_page

bp = Blueprint("staff_rules", __name__, url_prefix="/staff/rules")
bp.before_request(require_login)
bp.after_request(no_store)


@bp.get("/")
def list_rules():
    """The published rules in readable words, with what is overdue for review; searched and
    filtered by a GET form."""
    overview = operations.overview(dt.date.today())
    search = RuleSearchForm(request.args)
    overdue = {rule.get("id") for rule in overview.overdue}
    return render_template(
        "staff/rules/list.html",
        overview=overview,
        search=search,
        search_fields=search.fields(),
        shown=search.shown(overview.rules, overdue),
    )


@bp.post("/draft")
def start_draft():
    """Make (or open) the working copy of the rules."""
    operations.start_draft(current_user)
    db.session.commit()
    return redirect(url_for(".show_draft"))


def _draft() -> RuleSetDraft:
    """The draft, or a 404 when there is none."""
    draft = rulesets.current_draft()
    if draft is None:
        abort(404)
    return draft


@bp.get("/draft")
def show_draft():
    """The draft: its rules, problems, warnings, changes, test results and impact preview."""
    return _draft_page(_draft(), PublishForm(formdata=None))


def _draft_page(draft: RuleSetDraft, publish: PublishForm, refused: list[str] | None = None):
    """The draft page; after a refused publish (422), why, at the top and by the button, with
    what was typed kept and each problem linking to its rule or test case."""
    preview = PreviewForm(request.args)
    review = operations.review_draft(draft, preview=preview.requested, limit=preview.limit)
    page = render_template(
        "staff/rules/draft.html",
        draft=draft,
        review=review,
        preview_field=wtf_field(preview.preview),
        publish_fields=publish.fields(safety=bool(review.safety)),
        refused=refused,
    )
    return page if refused is None else (page, 422)


@bp.route("/draft/rule/new", methods=["GET", "POST"], defaults={"rule_id": None})
@bp.route("/draft/rule/<rule_id>", methods=["GET", "POST"])
def edit_rule(rule_id: str | None):
    """The structured editor: question, operator and value rows in all/any groups."""
    draft = _draft()
    existing = operations.find_rule(draft.data, rule_id)
    if rule_id is not None and existing is None:
        abort(404)
    editor = RuleEditor(existing, is_admin=current_user.is_admin)
    rule = editor.rule(rules.dictionary())
    if editor.saving and editor.form.validate():
        confirmed = editor.form.confirm_safety.data
        try:
            problems = operations.save_rule(
                draft, rule, replaces=rule_id, user=current_user, confirmed=confirmed
            )
        except operations.RuleRejected as error:
            editor.form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            to_fix = f" ({len(problems)} problem(s) to fix before publishing)" if problems else ""
            flash(f"Saved rule '{rule['id']}' in the draft{to_fix}.")
            return redirect(url_for(".show_draft") + f"#rule-{rule['id']}")
    return _editor_page(draft, rule_id, editor, rule)


def _editor_page(draft: RuleSetDraft, rule_id: str | None, editor: RuleEditor, rule: dict):
    review = operations.review_rule(draft, rule, editor.existing)
    fields = editor.fields()
    confirm = editor.confirm_field()
    shown = [*fields, confirm] if review.needs_confirmation else fields
    return form_page(
        "staff/rules/edit.html",
        [f for f in shown if f.error],
        rule_id=rule_id,
        review=review,
        fields=fields,
        condition=editor.condition_fields(rules.dictionary()),
        confirm_field=confirm,
    )


@bp.post("/draft/rule/<rule_id>/delete")
def delete_rule(rule_id: str):
    """Remove a rule from the draft."""
    confirmed = RemoveRuleForm().confirm_safety.data
    try:
        operations.delete_rule(_draft(), rule_id, user=current_user, confirmed=confirmed)
    except operations.SafetyEditRefused as refused:
        flash(str(refused))
    else:
        db.session.commit()
        flash(f"Removed rule '{rule_id}' from the draft.")
    return redirect(url_for(".show_draft"))


@bp.post("/draft/discard")
def discard_draft():
    """Throw away the draft."""
    operations.discard_draft(_draft())
    db.session.commit()
    flash("The draft was discarded.")
    return redirect(url_for(".list_rules"))


@bp.errorhandler(rulesets.PublishRefused)
def publish_refused(refused: rulesets.PublishRefused):
    """Publishing or restoring refused (problems, a failing test case, no note): why, for the
    clinician to fix."""
    fixes = [
        {
            "message": f"Test case ‘{r.case.name}’ {r.why}.",
            "href": url_for(".edit_test", case_id=r.case.id),
        }
        for r in refused.failures
    ]
    return form_page("staff/rules/refused.html", fixes or refused.reasons)


@bp.post("/draft/publish")
def publish_draft():
    """Publish the draft as a new version; refused (publish_refused) while it has problems or a
    test fails."""
    draft = _draft()
    form = PublishForm()
    if form.validate() and not form.note.data:
        form.note.errors = ["Write a short note saying what changed and why"]
    if form.errors:
        return _draft_page(draft, form, form.reasons())
    try:
        version = operations.publish_draft(
            draft, user=current_user, note=form.note.data, confirmed=form.confirm_safety.data
        )
    except operations.SafetyPublishRefused as refused:
        flash(str(refused))
        return redirect(url_for(".show_draft"))
    except rulesets.PublishRefused as refused:
        db.session.rollback()
        return _draft_page(draft, form, refused.reasons)
    db.session.commit()
    flash(f"Published version {version.number}. New screenings use it from now on.")
    return redirect(url_for(".list_rules"))


@bp.get("/history")
def history():
    """Every published version."""
    return render_template(
        "staff/rules/history.html",
        versions=operations.history(),
        current=rulesets.current_version(),
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
    return render_template("staff/rules/diff.html", a=a, b=b, changes=operations.compare(a, b))


@bp.post("/versions/<int:number>/restore")
def restore(number: int):
    """Publish an earlier version again, as a new version."""
    version = rulesets.version_by_number(number)
    if version is None:
        abort(404)
    try:
        restored = operations.restore_version(version, user=current_user)
    except operations.SafetyPublishRefused as refused:
        flash(str(refused))
    else:
        db.session.commit()
        flash(f"Version {number} is published again as version {restored.number}.")
    return redirect(url_for(".history"))


@bp.get("/tests")
def list_tests():
    """Test cases and how the published rules do on them."""
    return render_template("staff/rules/tests.html", results=operations.published_test_results())


@bp.post("/tests/from-submission/<int:submission_id>")
def test_from_submission(submission_id: int):
    """Save a past submission as a test case expecting what it got."""
    submission = db.get_or_404(Submission, submission_id)
    try:
        case = operations.add_test_case_from_submission(submission, current_user)
    except rulesets.TestCaseRejected as error:
        flash(str(error))
    else:
        db.session.commit()
        flash(f"Saved test case '{case.name}'.")
    return redirect(request.referrer or url_for(".list_tests"))


@bp.get("/tests/<int:case_id>/confirm-delete")
def confirm_delete_test(case_id: int):
    """Ask before deleting a test case (the page's button posts to delete_test)."""
    case = db.get_or_404(TestCase, case_id)
    return render_template("staff/rules/delete_test.html", case=case)


@bp.route("/tests/<int:case_id>", methods=["GET", "POST"])
def edit_test(case_id: int):
    """Change a test case's name, expected outcome and rules (and its answers, through the
    questionnaire in test mode), checked as a new one is."""
    case = db.get_or_404(TestCase, case_id)
    pending = _test_mode_draft() if session.get("test_case_id") == case.id else None
    screened = test_cases.case_answers(case, pending)
    form = NewTestCaseForm.for_case(case, test_cases.rule_ids(case), screened.screening.outcome)
    if form.validate_on_submit():
        expected = {"expected_outcome": form.expected_outcome.data}
        expected["expected_rules"] = form.expected_rules.data
        try:
            test_cases.update_test_case(
                case, name=form.name.data, answers=screened.answers, pending=pending, **expected
            )
        except rulesets.TestCaseRejected as error:
            form.name.errors.append(str(error))
        else:
            _forget_test_mode()
            db.session.commit()
            flash(f"Saved test case '{case.name}'.")
            return redirect(url_for(".list_tests") + f"#case-{case.id}")
    return _test_case_page(form, screened, case=case)


@bp.post("/tests/<int:case_id>/answers")
def change_test_answers(case_id: int):
    """Open the questionnaire in test mode with the case's answers, to change them."""
    case = db.get_or_404(TestCase, case_id)
    session["draft_id"] = test_cases.start_changing_answers(case).id
    session["test_case_id"] = case.id
    db.session.commit()
    return redirect(url_for("patient.check_answers"))


def _forget_test_mode() -> None:
    session.pop("draft_id", None)
    session.pop("test_case_id", None)


@bp.post("/tests/<int:case_id>/delete")
def delete_test(case_id: int):
    """Delete a test case (asked first by confirm_delete_test)."""
    case = db.get_or_404(TestCase, case_id)
    operations.delete_test_case(case)
    db.session.commit()
    flash(f"Deleted test case '{case.name}'.")
    return redirect(url_for(".list_tests"))


@bp.post("/tests/fill")
def start_test_questionnaire():
    """Fill the patient questionnaire in test mode: the answers become a test case, never a
    submission, and send no email."""
    session.pop("test_case_id", None)
    session["draft_id"] = operations.start_test_questionnaire().id
    db.session.commit()
    return redirect(url_for("patient.question_page", step_id=questionnaire.STEPS[0].id))


@bp.route("/tests/new", methods=["GET", "POST"])
def new_test_case():
    """Name the test-mode answers and say what the rules should give them."""
    if isinstance(session.get("test_case_id"), int):  # changing a saved case's answers
        return redirect(url_for(".edit_test", case_id=session["test_case_id"]))
    draft = _test_mode_draft()
    if draft is None:
        flash("Fill the questionnaire in test mode first.")
        return redirect(url_for(".list_tests"))
    screened = operations.screen_test_answers(draft)
    form = NewTestCaseForm.of(screened)
    if form.validate_on_submit():
        expected = (form.expected_outcome.data, form.expected_rules.data)
        try:
            case = operations.save_test_case(
                draft, screened, form.name.data, *expected, user=current_user
            )
        except rulesets.TestCaseRejected as error:
            form.name.errors.append(str(error))
        else:
            session.pop("draft_id", None)
            db.session.commit()
            flash(f"Saved test case '{case.name}'.")
            return redirect(url_for(".list_tests"))
    return _test_case_page(form, screened)


def _test_case_page(form: NewTestCaseForm, screened, case: TestCase | None = None):
    """The new-test-case page, or (with `case`) the page editing a saved one."""
    fields = form.fields()
    return form_page(
        "staff/rules/edit_test.html" if case else "staff/rules/new_test.html",
        [f for f in fields if f.error],
        fields=fields,
        rows=list(summary.iter_answer_rows(screened.answers)),
        screening=screened.screening,
        case=case,
        changed=getattr(screened, "changed", False),
    )


def _test_mode_draft() -> Draft | None:
    """This session's questionnaire in test mode; None when there is none (a 404 when it is a
    patient's)."""
    try:
        draft = submissions.get_draft(session.get("draft_id"))
    except submissions.DraftMissing:
        return None
    if draft.purpose != "test_case":
        abort(404)
    return draft
