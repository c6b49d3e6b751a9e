"""The rules desk's operations, called directly (no HTTP): checks, safety rules, audit events."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, RuleSetVersion, Submission, TestCase, User
from intake.patient import submissions
from intake.staff.rules import operations, rulesets
from tests.conftest import create_staff


@pytest.fixture
def desk(app):
    """An app context with a staff member and an admin; yields (staff, admin)."""
    staff_id = create_staff(app)
    admin_id = create_staff(app, "admin@clinic.example.com", "admin")
    with app.app_context():
        yield db.session.get(User, staff_id), db.session.get(User, admin_id)


def audited(action: str) -> list[dict]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return [event.details for event in db.session.scalars(query)]


def rule_in(data: dict, rule_id: str) -> dict:
    return copy.deepcopy(operations.find_rule(data, rule_id))


def new_rule(**changes) -> dict:
    rule = {
        "id": "knee_check",
        "title": "Knee check",
        "outcome": "review",
        "patient_message": "We will look at your knee first.",
        "enabled": True,
        "reviewed": "2026-11-23",
        "condition": {"fact": "diabetes", "op": "is_true"},
    }
    return dict(rule, **changes)


def g4_at_55(draft) -> dict:
    """The G4 rule of the draft with its age threshold moved from 50 to 55."""
    rule = rule_in(draft.data, "G4_age_new_onset")
    rule["condition"]["all"][1]["any"][0]["value"] = 55
    return rule


def test_start_draft_makes_one_working_copy(desk):
    staff, _ = desk
    draft = operations.start_draft(staff)
    assert operations.start_draft(staff) is draft
    assert draft.author == staff.email
    assert audited("rules_draft_start") == [{}]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"id": ""}, operations.RuleIdRejected, "Enter an id: a letter"),
        ({"id": "9lives"}, operations.RuleIdRejected, "Enter an id: a letter"),
        ({"id": "diabetes"}, operations.RuleIdRejected, "A rule called 'diabetes' already exists"),
        ({"reviewed": "2026-02-30"}, operations.ReviewDateRejected, "Enter a date like 2026-11-23"),
        ({"reviewed": "23/11/2026"}, operations.ReviewDateRejected, "Enter a date like 2026-11-23"),
    ],
)
def test_a_new_rule_is_refused_for_its_id_or_date(desk, changes, error, message):
    staff, _ = desk
    draft = operations.start_draft(staff)
    before = copy.deepcopy(draft.data)
    with pytest.raises(error, match=message) as refused:
        operations.save_rule(draft, new_rule(**changes), replaces=None, user=staff, confirmed=False)
    assert refused.value.field == {"id": "id", "reviewed": "reviewed"}[next(iter(changes))]
    assert draft.data == before
    assert audited("rules_edit") == []


def test_a_rule_with_problems_is_saved_and_they_are_returned(desk):
    staff, _ = desk
    draft = operations.start_draft(staff)
    problems = operations.save_rule(
        draft, new_rule(title=""), replaces=None, user=staff, confirmed=False
    )
    assert [p.message for p in problems] == ["Rule 'knee_check' needs a title."]
    assert operations.find_rule(draft.data, "knee_check")["title"] == ""
    assert audited("rules_edit") == [{"safety": False, "change": "add"}]


def test_only_an_admin_who_confirms_changes_a_safety_rule(desk):
    staff, admin = desk
    draft = operations.start_draft(staff)
    rule = g4_at_55(draft)
    with pytest.raises(operations.SafetyEditRefused, match="Only an admin") as refused:
        operations.save_rule(draft, rule, replaces=rule["id"], user=staff, confirmed=True)
    assert refused.value.field == "confirm_safety"
    with pytest.raises(operations.SafetyEditRefused, match="Confirm that you mean"):
        operations.save_rule(draft, rule, replaces=rule["id"], user=admin, confirmed=False)
    assert operations.save_rule(draft, rule, replaces=rule["id"], user=admin, confirmed=True) == []
    assert operations.find_rule(draft.data, rule["id"]) == rule
    assert audited("rules_edit") == [{"safety": True, "change": "edit"}]


def test_deleting_a_rule(desk):
    staff, admin = desk
    draft = operations.start_draft(staff)
    with pytest.raises(operations.SafetyEditRefused):
        operations.delete_rule(draft, "E1_bladder", user=staff, confirmed=True)
    operations.delete_rule(draft, "E1_bladder", user=admin, confirmed=True)
    operations.delete_rule(draft, "diabetes", user=staff, confirmed=False)
    assert operations.find_rule(draft.data, "E1_bladder") is None
    assert operations.find_rule(draft.data, "diabetes") is None
    assert audited("rules_edit") == [{"change": "delete"}, {"change": "delete"}]


def test_publishing_a_safety_change_needs_an_admin_who_confirms_and_passing_tests(desk):
    staff, admin = desk
    draft = operations.start_draft(staff)
    rule = g4_at_55(draft)
    operations.save_rule(draft, rule, replaces=rule["id"], user=admin, confirmed=True)
    with pytest.raises(operations.SafetyPublishRefused, match=r"\(G4_age_new_onset\): an admin"):
        operations.publish_draft(draft, user=staff, note="55", confirmed=True)
    with pytest.raises(operations.SafetyPublishRefused, match="Confirm that you mean"):
        operations.publish_draft(draft, user=admin, note="55", confirmed=False)
    with pytest.raises(rulesets.PublishRefused) as refused:
        operations.publish_draft(draft, user=admin, note="55", confirmed=True)
    assert refused.value.reasons == [
        "Test case 'First back pain at 50 (G4 boundary)' gave suitable, expected see_doctor; "
        "did not fire G4_age_new_onset."
    ]
    assert db.session.scalar(select(func.count(RuleSetVersion.id))) == 1
    assert rulesets.current_draft() is draft
    assert audited("rules_publish") == []


def test_publishing_makes_a_version_and_drops_the_draft(desk):
    staff, _ = desk
    draft = operations.start_draft(staff)
    rule = dict(rule_in(draft.data, "diabetes"), outcome="info")
    operations.save_rule(draft, rule, replaces="diabetes", user=staff, confirmed=False)
    with pytest.raises(rulesets.PublishRefused, match="Write a short note"):
        operations.publish_draft(draft, user=staff, note=" ", confirmed=False)
    version = operations.publish_draft(draft, user=staff, note="Diabetes note", confirmed=False)
    assert (version.number, version.author, version.note) == (2, staff.email, "Diabetes note")
    assert rulesets.current_draft() is None
    assert audited("rules_publish") == [{"note": "Diabetes note", "safety_rules": []}]


def test_restoring_a_version_that_changes_safety_rules_needs_an_admin(desk):
    staff, admin = desk
    draft = operations.start_draft(admin)
    rule = dict(rule_in(draft.data, "E1_bladder"), title="Bladder")
    operations.save_rule(draft, rule, replaces="E1_bladder", user=admin, confirmed=True)
    operations.publish_draft(draft, user=admin, note="E1 renamed", confirmed=True)
    first = rulesets.version_by_number(1)
    with pytest.raises(operations.SafetyPublishRefused, match="an admin must do it"):
        operations.restore_version(first, user=staff)
    restored = operations.restore_version(first, user=admin)
    assert (restored.number, restored.note) == (3, "Restored version 1")
    assert restored.data == first.data
    assert audited("rules_restore") == [{"restored_from": 1, "safety_rules": ["E1_bladder"]}]


def test_review_of_a_draft_runs_tests_and_previews_only_when_asked_and_valid(desk):
    staff, _ = desk
    draft = operations.start_draft(staff)
    review = operations.review_draft(draft, preview=False, limit=1000)
    assert review.problems == [] and review.preview is None and review.changes.empty
    assert len(review.results) == 22 and review.failed == []
    assert operations.review_draft(draft, preview=True, limit=None).preview.screened == 0
    operations.save_rule(draft, new_rule(title=""), replaces=None, user=staff, confirmed=False)
    broken = operations.review_draft(draft, preview=True, limit=1000)
    assert broken.problems and broken.results == [] and broken.preview is None
    assert [(r.kind, r.rule_id) for r in broken.changes.rules] == [("added", "knee_check")]


def test_review_of_a_rule_being_edited(desk):
    staff, _ = desk
    draft = operations.start_draft(staff)
    review = operations.review_rule(draft, rule_in(draft.data, "E1_bladder"), None)
    assert review.needs_confirmation and review.problems == []
    assert review.words == "New problems passing urine or controlling your bladder is Yes"
    plain = operations.review_rule(draft, new_rule(condition=None), None)
    assert not plain.needs_confirmation and plain.words == ""


def test_overview_lists_rules_due_for_review(app, desk):
    app.config["RULE_REVIEW_DAYS"] = 30
    assert operations.overview(dt.date(2026, 12, 1)).overdue == []
    overview = operations.overview(dt.date(2027, 1, 1))
    assert overview.version.number == 1 and overview.draft is None
    assert len(overview.overdue) == len(overview.rules) > 0
    assert sum(rule["is_safety"] for rule in overview.rules) == 15


def test_a_test_case_from_test_mode_answers(desk):
    staff, _ = desk
    example = rulesets.all_test_cases()[0]
    draft = operations.start_test_questionnaire()
    draft.answers = dict(example.answers)
    screened = operations.screen_test_answers(draft)
    assert draft.purpose == "test_case"
    assert screened.screening.outcome == example.expected_outcome
    assert set(example.expected_rules) <= set(screened.fired)
    case = operations.save_test_case(
        draft,
        screened,
        "From test mode",
        screened.screening.outcome,
        [*screened.fired, "no_such_rule"],
        user=staff,
    )
    assert case.expected_rules == screened.fired and case.author == staff.email
    assert draft.completed_at is not None and draft.answers == {}
    with pytest.raises(submissions.DraftMissing):
        submissions.get_draft(draft.id)
    assert audited("test_case_add") == [{"mode": "questionnaire"}]
    again = operations.start_test_questionnaire()
    with pytest.raises(rulesets.TestCaseRejected, match="already exists"):
        operations.save_test_case(again, screened, "From test mode", "review", [], user=staff)


def add_submission(reference: str, answers: dict, outcome: str = "review", fired=None):
    submission = Submission(
        token=reference,
        reference=reference,
        answers=answers,
        scores={},
        fired=fired or [],
        outcome=outcome,
        questionnaire_version="x",
        ruleset_version_id=rulesets.current_version().id,
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def test_a_test_case_from_a_submission_is_anonymous_and_deleting_it(desk):
    """Structured answers only: no reference, no link to the request, no written answers."""
    staff, _ = desk
    fired = [{"id": "anticoagulant", "outcome": "review"}, {"id": "diabetes", "outcome": "info"}]
    answers = {"age": 40, "sport_name": "Underwater hockey", "goal_notes": "Call me Ada"}
    submission = add_submission("DN-TEST01", answers, fired=fired)
    case = operations.add_test_case_from_submission(submission, staff)
    assert (case.name, case.expected_rules) == ("From a request: review #1", ["anticoagulant"])
    assert case.answers == {"age": 40} and case.source_submission_id is None
    stored = repr((case.name, case.answers, case.expected_rules, case.author))
    assert "DN-TEST01" not in stored and "hockey" not in stored and "Ada" not in stored
    with pytest.raises(rulesets.TestCaseRejected, match="already has these answers"):
        operations.add_test_case_from_submission(submission, staff)
    other = add_submission("DN-TEST02", {"age": 41})
    assert operations.add_test_case_from_submission(other, staff).name == (
        "From a request: review #2"
    )
    operations.delete_test_case(case)
    assert db.session.get(TestCase, case.id) is None
    assert audited("test_case_add") == [{"mode": "request"}, {"mode": "request"}]
    assert audited("test_case_delete") == [{"name": "From a request: review #1"}]


def test_a_submission_whose_written_answers_decide_its_outcome_is_refused(desk):
    """A test case without the text would expect what the text caused: it is refused."""
    staff, admin = desk
    data = copy.deepcopy(rulesets.current_version().data)
    data["rules"].append(
        new_rule(id="hockey", condition={"fact": "sport_name", "op": "eq", "value": "Hockey"})
    )
    rulesets.publish(data, admin.email, "Hockey players first")
    base = dict(rulesets.all_test_cases()[0].answers)
    submission = add_submission("DN-TEST03", dict(base, sport_name="Hockey"))
    with pytest.raises(rulesets.TestCaseRejected, match="written answers change what the rules"):
        operations.add_test_case_from_submission(submission, staff)
    assert audited("test_case_add") == []
    # text that changes nothing is just left out
    runner = add_submission("DN-TEST04", dict(base, age=33, sport_name="Running"), "suitable")
    case = operations.add_test_case_from_submission(runner, staff)
    assert case.answers == dict(base, age=33)


def test_discarding_the_draft(desk):
    staff, _ = desk
    operations.discard_draft(operations.start_draft(staff))
    assert rulesets.current_draft() is None
    assert audited("rules_draft_discard") == [{}]


def test_updating_a_test_case_checks_it_as_a_new_one_and_keeps_rules_of_the_draft(desk):
    from intake.staff.rules import test_cases

    staff, _ = desk
    first, second = rulesets.all_test_cases()[:2]
    kept = (first.name, first.expected_outcome, list(first.expected_rules))
    for name, outcome, match in (
        (second.name, "review", "already exists"),
        ("New name", "maybe", "Unknown outcome"),
    ):
        with pytest.raises(rulesets.TestCaseRejected, match=match):
            test_cases.update_test_case(
                first,
                name=name,
                expected_outcome=outcome,
                expected_rules=[],
                answers=first.answers,
                pending=None,
            )
    assert (first.name, first.expected_outcome, list(first.expected_rules)) == kept
    draft = operations.start_draft(staff)
    operations.save_rule(draft, new_rule(), replaces=None, user=staff, confirmed=False)
    assert "knee_check" in test_cases.rule_ids()
    changed = test_cases.update_test_case(
        first,
        name=f"  {first.name} ",
        expected_outcome=first.expected_outcome,
        expected_rules=["knee_check", "no_such_rule"],
        answers=first.answers,
        pending=None,
    )
    assert changed == ["expected_rules"] and first.expected_rules == ["knee_check"]
    assert audited("test_case_edit") == [{"changed": ["expected_rules"]}]
