"""Data retention: `flask purge` deletes what is past its time and audits it; --dry-run counts."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from intake import retention
from intake.extensions import db
from intake.models import (
    AuditEvent,
    BookingRequest,
    Draft,
    Note,
    OutboxMessage,
    ResumeToken,
    RuleSetVersion,
    StatusChange,
    Submission,
    TestCase,
    utcnow,
)
from intake.patient.submissions import new_reference, new_token
from intake.staff.dashboard import stats
from intake.staff.rules import rulesets
from tests import journeys
from tests.conftest import create_staff, login, make_app

_numbers = itertools.count(1)


def ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def add_submission(days: float, outcome: str = "suitable") -> Submission:
    version = db.session.scalars(select(RuleSetVersion)).first()
    submission = Submission(
        token=new_token(),
        reference=new_reference(),
        answers={"sport_name": "Underwater hockey"},
        scores={},
        fired=[],
        outcome=outcome,
        questionnaire_version="test",
        ruleset_version_id=version.id,
        created_at=ago(days),
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def add_booking(days: float) -> BookingRequest:
    booking = BookingRequest(
        submission=add_submission(days),
        name="Ada Lovelace",
        email="ada@example.com",
        phone="+447911123456",
        created_at=ago(days),
    )
    db.session.add(booking)
    db.session.flush()
    db.session.add(Note(booking_request_id=booking.id, body="Called back", created_at=ago(days)))
    # a status change and its undo (which refers to it): both go with the request
    change = StatusChange(booking_request_id=booking.id, old="new", new="contacted", at=ago(days))
    db.session.add(change)
    db.session.flush()
    db.session.add(
        StatusChange(booking_request_id=booking.id, old="contacted", new="new", undoes_id=change.id)
    )
    add_email(days, "sent", booking_id=booking.id)
    add_email(days, "sent", booking_id=booking.id)
    return booking


def add_email(days: float, status: str, booking_id: int | None = None) -> OutboxMessage:
    message = OutboxMessage(
        kind="clinic_booking" if booking_id else "resume_link",
        booking_request_id=booking_id,
        recipients=["clinic@example.test"],
        subject="New booking request",
        text_body="Every answer",
        message_id=f"<{next(_numbers)}@intake.test>",
        status=status,
        give_up_at=ago(days - 2),
        created_at=ago(days),
        updated_at=ago(days),
        sent_at=ago(days) if status == "sent" else None,
    )
    db.session.add(message)
    db.session.flush()
    return message


def add_draft(
    *, updated_days: float, ttl_days: float = 1, completed: bool = False, answers=None
) -> Draft:
    draft = Draft(
        id=new_token(),
        answers={} if completed else (answers if answers is not None else {"age": 45}),
        last_step="pain_impact",
        created_at=ago(updated_days),
        updated_at=ago(updated_days),
        expires_at=ago(updated_days - ttl_days),
        completed_at=ago(updated_days) if completed else None,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def add_resume_token(draft: Draft, expires_in_days: float) -> ResumeToken:
    token = ResumeToken(token_hash=new_token(), draft_id=draft.id, expires_at=ago(-expires_in_days))
    db.session.add(token)
    db.session.flush()
    return token


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def ids(model) -> set:
    return set(db.session.scalars(select(model.id)))


@pytest.fixture
def data(app):
    """A database with something on each side of every retention boundary."""
    with app.app_context():
        made = {
            "old_booking": add_booking(2921),
            "kept_booking": add_booking(2919),
            "recent_booking": add_booking(1),
            # booked long after the 30 days an unbooked screening is kept: stays
            "booked_old_screening": add_booking(400),
            "old_unbooked": add_submission(31, outcome="emergency"),
            "recent_unbooked": add_submission(29),
            "live_draft": add_draft(updated_days=0.1),
            "expired_draft": add_draft(updated_days=3),
            "expired_empty_draft": add_draft(updated_days=3, answers={}),
            "old_abandoned_draft": add_draft(updated_days=40),
            "old_completed_draft": add_draft(updated_days=40, completed=True),
            "recent_completed_draft": add_draft(updated_days=2, completed=True),
            "old_sent": add_email(31, "sent"),
            "old_failed": add_email(31, "failed"),
            "old_pending": add_email(31, "pending"),
            "recent_sent": add_email(29, "sent"),
        }
        made["live_token"] = add_resume_token(made["live_draft"], 0.5)
        made["expired_token"] = add_resume_token(made["expired_draft"], -2)
        made["old_draft_token"] = add_resume_token(made["old_abandoned_draft"], -39)
        db.session.commit()
        found = {name: row.id for name, row in made.items()}
    return found


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_deletes_what_is_past_its_time_and_nothing_else(app, data):
    run(app)
    with app.app_context():
        bookings_left = ids(BookingRequest)
        assert data["old_booking"] not in bookings_left
        assert {data["kept_booking"], data["recent_booking"], data["booked_old_screening"]} == (
            bookings_left
        )
        # the old request's screening, notes and emails went with it
        assert count(Submission) == 4  # the three kept requests' and the recent unbooked one
        assert data["old_unbooked"] not in ids(Submission)
        assert data["recent_unbooked"] in ids(Submission)
        assert count(Note) == 3
        assert count(StatusChange) == 6
        emails = ids(OutboxMessage)
        assert data["old_sent"] not in emails
        assert data["old_failed"] not in emails
        assert {data["old_pending"], data["recent_sent"]} <= emails
        # copies of sent emails go after 30 days even when their request stays: the request
        # holds the answers; the copy would only be one more place they are kept
        assert count(OutboxMessage) == 4  # the recent request's two, old_pending, recent_sent

        drafts = ids(Draft)
        assert data["old_abandoned_draft"] not in drafts
        assert data["old_completed_draft"] not in drafts
        assert {
            data["live_draft"],
            data["expired_draft"],
            data["expired_empty_draft"],
            data["recent_completed_draft"],
        } == drafts
        assert db.session.get(Draft, data["live_draft"]).answers == {"age": 45}
        tokens = ids(ResumeToken)
        assert tokens == {data["live_token"]}


def test_expired_drafts_lose_their_answers_but_still_count_in_the_dashboard(app, data):
    with app.app_context():
        before = stats.abandoned_by_step()
    run(app)
    with app.app_context():
        expired = db.session.get(Draft, data["expired_draft"])
        assert expired.answers == {}
        assert expired.last_step == "pain_impact"
        # old_abandoned_draft has gone; the recently expired two are still counted
        assert stats.abandoned_by_step()["pain_impact"] == before["pain_impact"] - 1 == 2


def test_every_purge_is_audited_with_its_counts(app, data):
    output = run(app)
    assert "Purged; recorded in the audit log." in output
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).one()
        assert event.actor == "cli"
        assert event.user_id is None
        assert event.details == {
            "booking_requests": 1,
            "notes": 1,
            "status_changes": 2,
            "followups": 0,
            "followup_links": 0,
            "submissions": 2,
            "unbooked_submissions": 1,
            "emails": 8,
            "test_cases": 0,
            "drafts_emptied": 1,
            "drafts": 2,
            "resume_tokens": 2,
            "held_forms": 0,
            "retention_days": 2920,
            "unbooked_retention_days": 30,
            "outbox_retention_days": 30,
            "draft_ttl": 86400,
        }
    # a second run finds nothing and is audited too
    run(app)
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")))
        assert len(events) == 2
        assert {key: events[1].details[key] for key in retention.LABELS} == dict.fromkeys(
            retention.LABELS, 0
        )


def test_dry_run_counts_and_changes_nothing(app, data):
    def snapshot():
        with app.app_context():
            return {
                model.__name__: ids(model)
                for model in (BookingRequest, Submission, Note, OutboxMessage, Draft, ResumeToken)
            } | {"answers": db.session.get(Draft, data["expired_draft"]).answers}

    before = snapshot()
    output = run(app, "--dry-run")
    assert snapshot() == before
    assert "Dry run: nothing was changed." in output
    counted = {}
    for line in output.splitlines()[: len(retention.LABELS)]:
        number, label = line.strip().split(" ", 1)
        counted[label.strip()] = int(number)
    assert counted["booking requests past RETENTION_DAYS"] == 1
    assert counted["of which never booked, past UNBOOKED_RETENTION_DAYS"] == 1
    assert counted["unfinished questionnaires past expiry: answers deleted"] == 1
    with app.app_context():
        assert count(AuditEvent) == 0


def test_the_periods_are_settings(database_url, tmp_path):
    app = make_app(database_url, tmp_path, RETENTION_DAYS=365, UNBOOKED_RETENTION_DAYS=7)
    with app.app_context():
        year_old = add_booking(366).id
        week_old = add_submission(8).id
        db.session.commit()
    run(app)
    with app.app_context():
        assert year_old not in ids(BookingRequest)
        assert week_old not in ids(Submission)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_a_real_journey_is_kept_until_its_time_and_staff_pages_work_after_a_purge(app):
    client = app.test_client()
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    run(app)
    with app.app_context():
        assert count(BookingRequest) == 1
        assert count(Submission) == 1
        # screened draft: kept for the funnel chart until UNBOOKED_RETENTION_DAYS
        assert count(Draft) == 1
        booking_id = db.session.scalar(select(BookingRequest.id))
        db.session.execute(BookingRequest.__table__.update().values(created_at=ago(3000)))
        db.session.commit()
    run(app)
    with app.app_context():
        assert count(BookingRequest) == count(Submission) == count(Note) == 0
        assert count(OutboxMessage) == 0
    create_staff(app)
    staff = app.test_client()
    login(staff)
    assert staff.get("/staff/").status_code == 200
    assert staff.get("/staff/requests").status_code == 200
    assert staff.get(f"/staff/requests/{booking_id}").status_code == 404


def add_case(name: str, source: int | None = None, **answers) -> int:
    case = TestCase(
        name=name,
        answers={"age": 45, **answers},
        expected_outcome="suitable",
        expected_rules=[],
        source_submission_id=source,
    )
    db.session.add(case)
    db.session.flush()
    return case.id


def test_test_cases_saved_whole_from_a_request_go_with_it(app):
    """Before they were anonymous, "Save as a test case" copied every answer (free text too),
    named the case after the reference and linked it to the request: those go with it."""
    with app.app_context():
        old = add_booking(2921).submission
        kept = add_booking(10).submission
        unbooked = add_submission(31)
        cases = {
            "linked_old": add_case(f"{old.reference} (suitable)", old.id, sport_name="Polo"),
            "linked_unbooked": add_case(f"{unbooked.reference} (suitable)", unbooked.id),
            # the link cleared (PostgreSQL's ON DELETE SET NULL at an earlier purge), the name
            # still naming a request that is gone, or that goes now
            "named_gone": add_case("DN-ZZZZZZ (review)", sport_name="Polo"),
            "named_old": add_case(f"{old.reference} (emergency)"),
            # their request stays: so do they
            "linked_kept": add_case(f"{kept.reference} (suitable)", kept.id),
            "named_kept": add_case(f"{kept.reference} (review)"),
            # not made from a request, or anonymous
            "anonymous": add_case("From a request: suitable #1"),
            "hand_made": add_case("DN-ZZZZZZ review, by hand"),
        }
        if db.engine.dialect.name == "sqlite":  # no foreign keys: a link to a purged request
            cases["dangling"] = add_case("Old", 99_999)
        db.session.commit()
        shipped = len(rulesets.all_test_cases()) - len(cases)
    dry = run(app, "--dry-run")
    gone = 5 if "dangling" in cases else 4
    label = retention.LABELS["test_cases"]
    assert f"{gone:8d}  {label}" in dry
    run(app)
    with app.app_context():
        left = ids(TestCase)
        assert {name for name, case_id in cases.items() if case_id not in left} == {
            "linked_old",
            "linked_unbooked",
            "named_gone",
            "named_old",
        } | ({"dangling"} if "dangling" in cases else set())
        assert len(left) == shipped + 4
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).one()
        assert event.details["test_cases"] == gone


def test_a_test_case_saved_from_a_real_request_outlives_it_and_holds_no_trace_of_it(app):
    client = app.test_client()
    journeys.walk(client, journeys.SPORTS_INJURY)
    client.post("/check")
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    create_staff(app)
    staff = app.test_client()
    login(staff)
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        submission_id, reference = submission.id, submission.reference
    assert staff.post(f"/staff/rules/tests/from-submission/{submission_id}").status_code == 302
    with app.app_context():
        db.session.execute(BookingRequest.__table__.update().values(created_at=ago(3000)))
        db.session.commit()
    run(app)
    with app.app_context():
        assert count(BookingRequest) == count(Submission) == 0
        case = db.session.scalars(select(TestCase).where(TestCase.author != "system")).one()
        assert case.source_submission_id is None
        row = repr([case.name, case.answers, case.expected_rules])
        for trace in (reference, "Running", "Half marathon", "Ada"):
            assert trace not in row
        assert case.answers["sport_injury_kind"] == "muscle"
