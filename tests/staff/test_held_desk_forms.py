"""The request desk's forms sent with problems go back to their page by a redirect (desk walk:
they answered the POST with a 422 page, so Back afterwards asked to send the form again): the
page shows each problem next to its field with what was typed; refreshing it shows the same;
the typed text is kept in the database for the one member of staff, never in the session
cookie or the logs; it goes once a form of that request works, after held.HOLD, and at
`flask purge`. On SQLite and PostgreSQL (the app fixture)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from intake.extensions import db
from intake.models import BookingRequest, Note, utcnow
from intake.staff.requests import held
from tests.conftest import create_staff, login
from tests.staff.test_request_desk import (
    booking_of,
    clinic_today,
    error_next_to,
    history,
    post_status,
)
from tests.staff.test_staff import book

#: a reason with health detail in it, as staff might write one, too long to be taken (the
#: page's maxlength stops a browser at 1000 characters; the server keeps up to 1100)
REASON = "Has a pacemaker fitted; to see her GP first. " * 23


@dataclass(frozen=True)
class Case:
    """A desk form sent with a problem: what it posts where, once the request is at `status`;
    the field whose problem shows, the message, and what of the typed text is shown again."""

    name: str
    status: str
    path: str
    data: dict
    field: str
    message: str
    kept: str = ""


def past() -> str:
    return "2001-01-01"


CASES = [
    Case(
        "tried to call, back in the past",
        "new",
        "status",
        {"status": "tried_to_call", "call_back_on": past()},
        "call_back_on",
        "The day to call back cannot be in the past",
        f'value="{past()}"',
    ),
    Case(
        "booked without a date",
        "contacted",
        "status",
        {"status": "booked", "first_appointment_on": ""},
        "first_appointment_on",
        "Enter the date of the first appointment",
    ),
    Case(
        "booked straight from new",
        "new",
        "status",
        {"status": "booked", "first_appointment_on": "2030-01-01"},
        "status",
        "A request that is new cannot become booked",
    ),
    Case(
        "a first appointment moved before the request",
        "booked",
        "appointment",
        {"first_appointment_on": past()},
        "first_appointment_on",
        "The first appointment cannot be before the request was made",
        f'value="{past()}"',
    ),
    Case(
        "a note too long",
        "new",
        "notes",
        {"body": "Rang twice, no answer. " * 100},
        "body",
        "Use 2000 characters or fewer",
        "Rang twice, no answer. " * 5,
    ),
    Case(
        "an empty note",
        "new",
        "notes",
        {"body": "   "},
        "body",
        "Enter a note",
    ),
    Case(
        "assigned to someone unknown",
        "new",
        "assign",
        {"assigned_to": "999999"},
        "assigned_to",
        "Choose a member of staff from the list, or Nobody",
    ),
    Case(
        "undo with nothing to undo",
        "new",
        "undo",
        {"change": "1"},
        "status",
        "There is no status change to undo",
    ),
]


def at_status(app, client, status: str) -> int:
    """A request moved to `status` through the desk."""
    request_id = book(app)
    if status in ("contacted", "booked"):
        assert post_status(client, request_id, "contacted").status_code == 302
    if status == "booked":
        day = str(clinic_today(app) + dt.timedelta(days=7))
        response = post_status(client, request_id, "booked", first_appointment_on=day)
        assert response.status_code == 302
    return request_id


def notes(app, request_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Note).where(Note.booking_request_id == request_id)
        )


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_form_sent_with_a_problem_is_shown_again_after_a_redirect(app, staff_client, case):
    request_id = at_status(app, staff_client, case.status)
    before = (booking_of(app, request_id).__dict__.copy(), history(app, request_id))
    page_url = f"/staff/requests/{request_id}"
    sent = staff_client.post(f"{page_url}/{case.path}", data=case.data)
    assert sent.status_code == 302 and sent.headers["Location"] == f"{page_url}?problem=1"
    for _ in range(2):  # shown, then refreshed: the same page, never the form sent again
        shown = staff_client.get(sent.headers["Location"])
        assert shown.status_code == 422
        assert case.message in error_next_to(shown.text, case.field)
        assert f'href="#{case.field}' in shown.text  # the error summary links to the field
        assert shown.text.startswith("<!doctype html>")
        assert "<title>Error: " in shown.text
        assert case.kept in shown.text
    after = booking_of(app, request_id).__dict__
    assert {k: after[k] for k in ("status", "call_back_on", "first_appointment_on")} == {
        k: before[0][k] for k in ("status", "call_back_on", "first_appointment_on")
    }
    assert history(app, request_id) == before[1] and notes(app, request_id) == 0
    # the same page opened afresh (a link, the list) shows a clean form, not an old problem
    fresh = staff_client.get(page_url)
    assert fresh.status_code == 200 and 'class="error-summary"' not in fresh.text

    # a colleague on the same request sees none of it
    create_staff(app, "colleague@clinic.example.com")
    colleague = app.test_client()
    login(colleague, "colleague@clinic.example.com")
    assert colleague.get(sent.headers["Location"]).status_code == 200

    # a form of the request that works clears what was shown
    assert staff_client.post(f"{page_url}/notes", data={"body": "Rang"}).status_code == 302
    clean = staff_client.get(sent.headers["Location"])
    assert clean.status_code == 200 and 'class="error-summary"' not in clean.text


def test_a_decline_without_a_reason_goes_back_to_its_confirmation_page(app, staff_client):
    request_id = book(app)
    sent = post_status(staff_client, request_id, "declined", reason=REASON)
    confirm_url = f"/staff/requests/{request_id}/status/declined"
    assert sent.status_code == 302 and sent.headers["Location"] == f"{confirm_url}?problem=1"
    shown = staff_client.get(sent.headers["Location"])
    assert shown.status_code == 422
    assert "Use 1000 characters or fewer" in error_next_to(shown.text, "reason")
    assert len(REASON) > 1000 and REASON + "</textarea>" in shown.text  # nothing typed is lost
    # opened afresh, the confirmation page asks again with a clean form
    assert staff_client.get(confirm_url).status_code == 200
    # the request page itself shows nothing of it
    assert staff_client.get(f"/staff/requests/{request_id}?problem=1").status_code == 200
    # the confirmation page for closing (another page) neither
    post_status(staff_client, request_id, "contacted")
    assert staff_client.get(f"{confirm_url}?problem=1").status_code == 200


def test_what_was_typed_stays_out_of_the_cookie_and_the_logs(app, staff_client, caplog):
    request_id = book(app)
    with caplog.at_level(logging.DEBUG):
        sent = post_status(staff_client, request_id, "declined", reason=REASON)
        staff_client.get(sent.headers["Location"])
        staff_client.post(f"/staff/requests/{request_id}/notes", data={"body": REASON * 2})
        staff_client.get(f"/staff/requests/{request_id}")
    assert "pacemaker" not in caplog.text
    cookie = staff_client.get_cookie("session")
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(cookie.value)
    assert "pacemaker" not in repr(session)
    with app.app_context():
        [row] = db.session.scalars(select(held.HeldForm)).all()
        assert row.page == held.REQUEST_PAGE and "pacemaker" in row.typed["body"]


def test_a_held_form_is_shown_for_half_an_hour(app, staff_client):
    request_id = book(app)
    staff_client.post(f"/staff/requests/{request_id}/notes", data={"body": ""})
    assert staff_client.get(f"/staff/requests/{request_id}?problem=1").status_code == 422
    with app.app_context():
        db.session.execute(
            update(held.HeldForm).values(held_at=utcnow() - held.HOLD - dt.timedelta(seconds=1))
        )
        db.session.commit()
    assert staff_client.get(f"/staff/requests/{request_id}?problem=1").status_code == 200
    # holding another form clears out the expired ones, anyone's
    other = book(app)
    staff_client.post(f"/staff/requests/{other}/notes", data={"body": ""})
    with app.app_context():
        assert db.session.scalars(select(held.HeldForm.booking_request_id)).all() == [other]


def test_purge_deletes_held_forms_no_longer_shown_and_those_of_purged_requests(app, staff_client):
    kept, old, gone = (book(app) for _ in range(3))
    for request_id in (kept, old, gone):
        staff_client.post(f"/staff/requests/{request_id}/notes", data={"body": ""})
    with app.app_context():
        db.session.execute(
            update(held.HeldForm)
            .where(held.HeldForm.booking_request_id == old)
            .values(held_at=utcnow() - held.HOLD - dt.timedelta(minutes=1))
        )
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == gone)
            .values(created_at=utcnow() - dt.timedelta(days=app.config["RETENTION_DAYS"] + 1))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "desk forms sent with problems" in result.output
    with app.app_context():
        assert db.session.scalars(select(held.HeldForm.booking_request_id)).all() == [kept]


def test_two_forms_sent_at_once_show_the_later_and_are_no_error(app, staff_client):
    """A double click on a refused form: two rows may be held at once; the newer is shown."""
    request_id = book(app)
    url = f"/staff/requests/{request_id}/notes"
    staff_client.post(url, data={"body": "first " * 400})
    with app.app_context():  # as if a second request had held its form at the same moment
        first = db.session.scalars(select(held.HeldForm)).one()
        db.session.add(
            held.HeldForm(
                user_id=first.user_id,
                booking_request_id=request_id,
                page=held.REQUEST_PAGE,
                typed={"body": "second " * 400},
                errors={"body": "Use 2000 characters or fewer"},
            )
        )
        db.session.commit()
    shown = staff_client.get(f"/staff/requests/{request_id}?problem=1")
    assert shown.status_code == 422 and "second second" in shown.text
    assert "first first" not in shown.text
    staff_client.post(url, data={"body": ""})  # holding again leaves one row
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(held.HeldForm)) == 1
