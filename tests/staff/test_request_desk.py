"""The request page's reception desk (issue 13), on SQLite and PostgreSQL (the app fixture):
"tried to call" with a call-back day, undo and reopen (audited, what they held put back,
follow-ups), declining and closing with a reason on a confirmation page, assignment, the next
request waiting, what to do first, and every time in clinic time."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from intake import clinic_time
from intake.clinic_time import clinic_zone, local_day
from intake.extensions import db
from intake.followup import schedule
from intake.followup.models import FollowUp
from intake.models import AuditEvent, BookingRequest, Note, StatusChange, User, utcnow
from intake.staff.requests import desk
from tests import journeys
from tests.conftest import create_staff, login, make_app
from tests.staff.test_staff import book

TODAY = utcnow().date()


def clinic_today(app) -> dt.date:
    from intake import clinic_time

    with app.app_context():
        return clinic_time.clinic_today(utcnow())


def post_status(client, request_id: int, status: str, **form):
    return client.post(f"/staff/requests/{request_id}/status", data={"status": status, **form})


def booking_of(app, request_id: int) -> BookingRequest:
    with app.app_context():
        booking = db.session.get(BookingRequest, request_id)
        db.session.expunge(booking)
        return booking


def audits(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return events


def history(app, request_id: int) -> list[tuple]:
    with app.app_context():
        return [
            (c.old, c.new, c.undoes_id is not None, c.reason)
            for c in db.session.scalars(
                select(StatusChange)
                .where(StatusChange.booking_request_id == request_id)
                .order_by(StatusChange.id)
            )
        ]


def held_page(client, response):
    """A form sent with problems goes back to its page by a redirect (Back and refresh never
    send it again); that page shows the problems (422)."""
    assert response.status_code == 302, response.status_code
    shown = client.get(response.headers["Location"])
    assert shown.status_code == 422
    return shown


def error_next_to(page: str, field: str) -> str:
    start = page.index(f'id="{field}-error"')
    return re.sub(r"<[^>]+>", "", page[start : start + 400])


# -- tried to call ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y"])
def test_tried_to_call_keeps_a_call_back_day_typed_as_staff_type_it(app, staff_client, style):
    request_id = book(app)
    day = clinic_today(app) + dt.timedelta(days=3)
    typed = day.strftime(style).lstrip("0")
    response = post_status(staff_client, request_id, "tried_to_call", call_back_on=typed)
    assert response.status_code == 302
    booking = booking_of(app, request_id)
    assert (booking.status, booking.call_back_on) == ("tried_to_call", day)
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert f"Call back on: <strong>{clinic_time.day_text(day)}</strong>" in page
    assert "Status: Tried to call" in page and "Mark as tried to call again" in page
    assert audits(app, "change_status")[-1].details == {
        "old": "new",
        "new": "tried_to_call",
        "call_back_on": day.isoformat(),
    }


def test_tried_to_call_needs_no_day_and_can_be_repeated_with_a_new_one(app, staff_client):
    request_id = book(app)
    first, second = (clinic_today(app) + dt.timedelta(days=n) for n in (1, 4))
    assert post_status(staff_client, request_id, "tried_to_call").status_code == 302
    assert booking_of(app, request_id).call_back_on is None
    for day in (first, second):
        response = post_status(staff_client, request_id, "tried_to_call", call_back_on=str(day))
        assert response.status_code == 302
        assert booking_of(app, request_id).call_back_on == day
    assert [h[:2] for h in history(app, request_id)] == [
        ("new", "tried_to_call"),
        ("tried_to_call", "tried_to_call"),
        ("tried_to_call", "tried_to_call"),
    ]
    # reaching them clears the day to call back
    assert post_status(staff_client, request_id, "contacted").status_code == 302
    assert booking_of(app, request_id).call_back_on is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("yesterday", "Enter the day to call back like 4/12/2026"),
        ("31/02/2027", "Enter a real date, like 4/12/2026"),
        ("2001-01-01", "The day to call back cannot be in the past: today is"),
        ("9" * 300, "Enter the day to call back like"),
    ],
)
def test_a_past_or_garbled_call_back_day_is_refused_next_to_the_field(
    app, staff_client, typed, message
):
    request_id = book(app)
    sent = post_status(staff_client, request_id, "tried_to_call", call_back_on=typed)
    response = held_page(staff_client, sent)
    assert message in error_next_to(response.text, "call_back_on")
    assert 'href="#call_back_on"' in response.text  # the error summary links to it
    assert f'value="{typed[:40]}"' in response.text  # what was typed is kept
    assert booking_of(app, request_id).status == "new"
    assert history(app, request_id) == []


def test_yesterday_in_clinic_time_is_in_the_past(app, staff_client):
    request_id = book(app)
    yesterday = clinic_today(app) - dt.timedelta(days=1)
    sent = post_status(staff_client, request_id, "tried_to_call", call_back_on=str(yesterday))
    response = held_page(staff_client, sent)
    today = clinic_today(app)
    assert f"today is {clinic_time.day_text(today)}" in error_next_to(response.text, "call_back_on")
    ok = post_status(staff_client, request_id, "tried_to_call", call_back_on=str(today))
    assert ok.status_code == 302


# -- undo ------------------------------------------------------------------------------------


def consent(app, request_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == request_id)
            .values(followup_consent=True)
        )
        db.session.commit()


def followups(app, request_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(FollowUp.status)
                .where(FollowUp.booking_request_id == request_id)
                .order_by(FollowUp.number)
            )
        )


def latest_undoable(app, request_id: int) -> int:
    """The id of the change the page's undo button names (its hidden "change" field)."""
    with app.app_context():
        changes = list(
            db.session.scalars(
                select(StatusChange)
                .where(StatusChange.booking_request_id == request_id)
                .order_by(StatusChange.id.desc())
            )
        )
        undone = {c.undoes_id for c in changes}
        return next(c.id for c in changes if c.undoes_id is None and c.id not in undone)


def undo(client, request_id: int, change_id: int | str):
    return client.post(f"/staff/requests/{request_id}/undo", data={"change": str(change_id)})


def test_undo_walks_back_restoring_what_each_change_replaced(app, staff_client):
    request_id = book(app)
    consent(app, request_id)
    call_back = clinic_today(app) + dt.timedelta(days=2)
    appointment = clinic_today(app) + dt.timedelta(days=7)
    post_status(staff_client, request_id, "tried_to_call", call_back_on=str(call_back))
    post_status(staff_client, request_id, "contacted")
    assert booking_of(app, request_id).call_back_on is None
    post_status(staff_client, request_id, "booked", first_appointment_on=str(appointment))
    assert followups(app, request_id) == ["scheduled", "scheduled", "scheduled"]
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Undo: back to Contacted" in page
    assert "cancels the follow-up questions not yet sent" in page

    # 1. undo "booked": back to contacted, no appointment, follow-ups cancelled
    response = undo(staff_client, request_id, latest_undoable(app, request_id))
    assert response.status_code == 302
    booking = booking_of(app, request_id)
    assert (booking.status, booking.first_appointment_on) == ("contacted", None)
    assert followups(app, request_id) == ["cancelled", "cancelled", "cancelled"]
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Undone: the request is back to Contacted. 3 follow-up questions" in page
    assert "Undone later" in page  # the booked change is marked in the history

    # 2. undo again: back to tried to call, with its call-back day
    assert undo(staff_client, request_id, latest_undoable(app, request_id)).status_code == 302
    booking = booking_of(app, request_id)
    assert (booking.status, booking.call_back_on) == ("tried_to_call", call_back)

    # 3. and again: new; then nothing is left to undo
    assert undo(staff_client, request_id, latest_undoable(app, request_id)).status_code == 302
    assert booking_of(app, request_id).status == "new"
    refused = held_page(staff_client, undo(staff_client, request_id, "1"))
    assert "There is no status change to undo" in refused.text
    assert f'action="/staff/requests/{request_id}/undo"' not in refused.text

    events = audits(app, "undo_status")
    assert [(e.details["old"], e.details["new"]) for e in events] == [
        ("booked", "contacted"),
        ("contacted", "tried_to_call"),
        ("tried_to_call", "new"),
    ]
    assert events[0].details["followups_cancelled"] == 3
    assert {e.actor for e in events} == {"staff@clinic.example.com"}
    assert [h[2] for h in history(app, request_id)] == [False] * 3 + [True] * 3


def test_a_second_click_on_undo_does_not_undo_one_change_too_many(app, staff_client):
    request_id = book(app)
    post_status(staff_client, request_id, "contacted")
    post_status(staff_client, request_id, "declined", reason="No longer needed")
    shown = latest_undoable(app, request_id)
    assert undo(staff_client, request_id, shown).status_code == 302
    again = held_page(staff_client, undo(staff_client, request_id, shown))  # sent twice
    assert "already undone" in again.text
    assert booking_of(app, request_id).status == "contacted"
    assert "already undone" in held_page(staff_client, undo(staff_client, request_id, "x")).text


def test_reopening_a_closed_untreated_request_plans_its_followups_again(app, staff_client):
    """Closed as not treated by mistake, then reopened: the follow-ups come back as they were
    (the one already sent open again; the ones to come scheduled)."""
    request_id = book(app)
    consent(app, request_id)
    appointment = clinic_today(app) - dt.timedelta(days=15)
    with app.app_context():  # made three weeks ago, first seen 15 days ago
        booking = db.session.get(BookingRequest, request_id)
        booking.created_at = utcnow() - dt.timedelta(days=21)
        db.session.commit()
    post_status(staff_client, request_id, "contacted")
    post_status(staff_client, request_id, "booked", first_appointment_on=str(appointment))
    with app.app_context():
        schedule.run_due()  # the two-week follow-up was due yesterday: it goes
        db.session.remove()
    assert followups(app, request_id) == ["sent", "scheduled", "scheduled"]
    response = post_status(
        staff_client, request_id, "closed", treated="not_treated", reason="Did not attend"
    )
    assert response.status_code == 302
    assert followups(app, request_id) == ["cancelled"] * 3
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Reopen: back to Booked" in page
    response = undo(staff_client, request_id, latest_undoable(app, request_id))
    assert response.status_code == 302
    booking = booking_of(app, request_id)
    assert (booking.status, booking.first_appointment_on) == ("booked", appointment)
    assert followups(app, request_id) == ["sent", "scheduled", "scheduled"]
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Reopened: the request is back to Booked. 3 follow-up questions planned again." in page
    assert audits(app, "undo_status")[-1].details["followups_planned"] == 3


def test_reopening_a_request_closed_after_treatment_leaves_its_followups_as_they_are(
    app, staff_client
):
    request_id = book(app)
    consent(app, request_id)
    appointment = clinic_today(app) + dt.timedelta(days=7)
    post_status(staff_client, request_id, "contacted")
    post_status(staff_client, request_id, "booked", first_appointment_on=str(appointment))
    post_status(staff_client, request_id, "closed", treated="finished", reason="Course done")
    assert followups(app, request_id) == ["scheduled"] * 3
    undo(staff_client, request_id, latest_undoable(app, request_id))
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Reopened: the request is back to Booked." in page
    assert "planned again" not in page  # nothing was cancelled, nothing changed
    assert audits(app, "undo_status")[-1].details["followups_planned"] == 0
    assert followups(app, request_id) == ["scheduled"] * 3


def test_booking_again_after_undo_plans_the_followups_again(app, staff_client):
    """Booked, undone (the follow-ups cancelled), booked again on another day: planned for it."""
    request_id = book(app)
    consent(app, request_id)
    appointment = clinic_today(app) + dt.timedelta(days=7)
    post_status(staff_client, request_id, "contacted")
    post_status(staff_client, request_id, "booked", first_appointment_on=str(appointment))
    undo(staff_client, request_id, latest_undoable(app, request_id))
    assert followups(app, request_id) == ["cancelled"] * 3
    later = appointment + dt.timedelta(days=3)
    response = post_status(staff_client, request_id, "booked", first_appointment_on=str(later))
    assert response.status_code == 302
    assert followups(app, request_id) == ["scheduled"] * 3
    with app.app_context():
        first = db.session.scalars(
            select(FollowUp).where(FollowUp.booking_request_id == request_id, FollowUp.number == 1)
        ).one()
        assert local_day(first.due_at, clinic_zone(app.config)) == later + dt.timedelta(weeks=2)


# -- declining and closing -------------------------------------------------------------------


def test_declining_asks_for_confirmation_and_a_reason(app, staff_client):
    request_id = book(app)
    confirm = staff_client.get(f"/staff/requests/{request_id}/status/declined")
    assert confirm.status_code == 200
    page = confirm.text
    assert "Decline request DN-" in page and ">Decline request</button>" in page
    assert f'href="/staff/requests/{request_id}">Cancel</a>' in page
    assert 'name="status" value="declined"' in page
    request_page = staff_client.get(f"/staff/requests/{request_id}").text
    assert f'href="/staff/requests/{request_id}/status/declined"' in request_page

    sent = post_status(staff_client, request_id, "declined", reason="   ")
    assert sent.headers["Location"] == f"/staff/requests/{request_id}/status/declined?problem=1"
    refused = held_page(staff_client, sent)
    assert "Enter why you are declining the request" in error_next_to(refused.text, "reason")
    assert "<title>Error: Decline request" in refused.text
    too_long = held_page(
        staff_client, post_status(staff_client, request_id, "declined", reason="x" * 1001)
    )
    assert "Use 1000 characters or fewer" in error_next_to(too_long.text, "reason")
    assert "x" * 1001 + "</textarea>" in too_long.text  # nothing typed is lost
    assert booking_of(app, request_id).status == "new"

    done = post_status(staff_client, request_id, "declined", reason="Chose another clinic")
    assert done.status_code == 302
    assert history(app, request_id) == [("new", "declined", False, "Chose another clinic")]
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Request declined." in page and "Reason: Chose another clinic" in page
    assert "Reopen: back to New" in page


def test_closing_a_booked_request_asks_both_and_keeps_what_was_typed(app, staff_client):
    request_id = book(app)
    post_status(staff_client, request_id, "contacted")
    appointment = clinic_today(app) + dt.timedelta(days=7)
    post_status(staff_client, request_id, "booked", first_appointment_on=str(appointment))
    confirm = staff_client.get(f"/staff/requests/{request_id}/status/closed").text
    assert "Was the patient treated?" in confirm and ">Close request</button>" in confirm
    sent = post_status(staff_client, request_id, "closed", reason="Course finished <3")
    refused = held_page(staff_client, sent)
    assert "Select whether the patient was treated" in error_next_to(refused.text, "treated")
    assert "Course finished &lt;3</textarea>" in refused.text  # typed, kept, escaped
    both = held_page(staff_client, post_status(staff_client, request_id, "closed"))
    assert 'id="treated-error"' in both.text and 'id="reason-error"' in both.text
    done = post_status(
        staff_client, request_id, "closed", treated="finished", reason="Course finished"
    )
    assert done.status_code == 302
    assert audits(app, "change_status")[-1].details["treated"] == "finished"


def test_the_confirmation_page_only_for_what_the_workflow_allows(app, staff_client):
    request_id = book(app)
    response = staff_client.get(f"/staff/requests/{request_id}/status/closed")
    assert response.status_code == 302  # a new request cannot be closed
    page = staff_client.get(response.headers["Location"]).text
    assert "A request that is new cannot become closed." in page
    assert staff_client.get(f"/staff/requests/{request_id}/status/booked").status_code == 404
    assert staff_client.get("/staff/requests/999/status/declined").status_code == 404


# -- assignment ------------------------------------------------------------------------------


def test_assigning_to_active_staff_is_audited_and_shown(app, staff_client):
    request_id = book(app)
    clinician = create_staff(app, "dr.jones@clinic.example.com")
    gone = create_staff(app, "left@clinic.example.com")
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert f'<option value="{clinician}">dr.jones@clinic.example.com</option>' in page
    assert "left@clinic.example.com" not in page  # only active staff
    assert ">Nobody</option>" in page

    url = f"/staff/requests/{request_id}/assign"
    for bad in (str(gone), "999999", "drop table", "1" * 40, "²", "-1"):
        refused = held_page(staff_client, staff_client.post(url, data={"assigned_to": bad}))
        assert "Choose a member of staff from the list" in error_next_to(
            refused.text, "assigned_to"
        )
    assert booking_of(app, request_id).assigned_to_id is None

    assert staff_client.post(url, data={"assigned_to": str(clinician)}).status_code == 302
    assert booking_of(app, request_id).assigned_to_id == clinician
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Assigned to dr.jones@clinic.example.com." in page  # the flash
    assert "assigned to dr.jones@clinic.example.com" in page  # the top of the page
    assert f'<option value="{clinician}" selected>' in page
    assert staff_client.post(url, data={"assigned_to": str(clinician)}).status_code == 302
    assert staff_client.post(url, data={"assigned_to": ""}).status_code == 302
    assert booking_of(app, request_id).assigned_to_id is None
    events = audits(app, "assign")
    assert [e.details for e in events] == [
        {"old": None, "new": clinician},
        {"old": clinician, "new": None},
    ]  # the repeat changed nothing and recorded nothing
    assert events[0].actor == "staff@clinic.example.com"


# -- the queue -------------------------------------------------------------------------------


def test_next_request_is_the_oldest_new_one_other_than_this(app, staff_client):
    ids = [book(app, name=f"Patient {n}") for n in range(4)]
    now = utcnow()
    with app.app_context():
        for request_id, hours in zip(ids, (5, 30, 2, 50), strict=True):
            db.session.get(BookingRequest, request_id).created_at = now - dt.timedelta(hours=hours)
        db.session.commit()
        references = {i: db.session.get(BookingRequest, i).submission.reference for i in ids}
    oldest, second = ids[3], ids[1]
    page = staff_client.get(f"/staff/requests/{ids[0]}").text
    assert f'href="/staff/requests/{oldest}"' in page
    assert f"Next request: {references[oldest]}" in page and "3 waiting" in page
    # on the oldest itself, the next is the one after it
    page = staff_client.get(f"/staff/requests/{oldest}").text
    assert f"Next request: {references[second]}" in page
    # contacted ones are no longer waiting
    post_status(staff_client, second, "contacted")
    page = staff_client.get(f"/staff/requests/{oldest}").text
    assert f"Next request: {references[ids[0]]}" in page and "2 waiting" in page
    for request_id in ids:
        post_status(staff_client, request_id, "contacted")
    page = staff_client.get(f"/staff/requests/{ids[0]}").text
    assert "No other new requests waiting." in page


# -- the top of the page and clinic time -----------------------------------------------------


def test_an_overdue_request_is_marked_until_someone_acts(app, staff_client):
    request_id = book(app)
    with app.app_context():
        booking = db.session.get(BookingRequest, request_id)
        booking.created_at = utcnow() - dt.timedelta(days=8)
        db.session.commit()
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert '<span class="badge badge--overdue">Overdue</span>' in page
    assert "Overdue: call them back today" in page and "waiting 8 days" in page
    assert "A clinician should review before booking" in page  # blood thinners: a precaution
    post_status(staff_client, request_id, "tried_to_call")
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "badge--overdue" not in page and "Try calling again" in page


def test_times_are_shown_in_the_clinics_time_zone(database_url, tmp_path):
    app = make_app(database_url, tmp_path, CLINIC_TIMEZONE="America/New_York")
    create_staff(app)
    client = app.test_client()
    login(client)
    request_id = book(app, journeys.BACK_PAIN_SUITABLE)
    received = dt.datetime(2026, 7, 1, 16, 30)  # 12:30 in New York (EDT, UTC-4)
    noted = dt.datetime(2026, 1, 15, 3, 5)  # 22:05 the day before (EST, UTC-5)
    with app.app_context():
        db.session.get(BookingRequest, request_id).created_at = received
        db.session.add(Note(booking_request_id=request_id, body="Rang", created_at=noted))
        db.session.commit()
    page = client.get(f"/staff/requests/{request_id}").text
    assert "Received Wed 1 Jul 2026, 12:30" in page
    assert "Wed 14 Jan 2026, 22:05" in page and "15 Jan 2026" not in page
    assert "Times are shown in America/New_York time." in page
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


# -- what to do first (pure) -----------------------------------------------------------------


def request_like(status="new", created_at=None, **fields):
    values = {"call_back_on": None, "first_appointment_on": None, **fields}
    return SimpleNamespace(status=status, created_at=created_at or MONDAY_NOON, **values)


MONDAY_NOON = dt.datetime(2026, 11, 30, 12, 0)  # UTC = London in winter
CONFIG = {
    "CLINIC_TIMEZONE": "Europe/London",
    "RESPONSE_WORKING_DAYS": 2,
    "CLINIC_HOLIDAYS": "GB-ENG",
    "CLINIC_CLOSED_DAYS": (),
}
PRECAUTION = {"outcome": "review", "safety": None}
RED_FLAG = {"outcome": "see_doctor", "safety": True}


@pytest.mark.parametrize(
    ("outcome", "fired", "leads"),
    [
        ("suitable", [], ["Call them back by Wed 2 Dec 2026"]),
        (
            "review",
            [PRECAUTION],
            ["Call them back by Wed 2 Dec 2026", "A clinician should review before booking"],
        ),
        (
            "see_doctor",
            [RED_FLAG],
            [
                "Call them back by Wed 2 Dec 2026",
                "Check they have seen a doctor",
                "A clinician should review before booking",
            ],
        ),
        (
            "emergency",
            [RED_FLAG | {"outcome": "emergency"}],
            [
                "Urgent: phone them today",
                "Call them back by Wed 2 Dec 2026",
                "A clinician should review before booking",
            ],
        ),
        (
            "not_advised",
            [],
            ["Call them back by Wed 2 Dec 2026", "Offer a physiotherapy assessment"],
        ),
        ("not_indicated", [], ["Call them back by Wed 2 Dec 2026", "Answer their enquiry"]),
    ],
)
def test_what_to_do_first_by_outcome(outcome, fired, leads):
    submission = SimpleNamespace(outcome=outcome, fired=fired)
    shown = desk.desk(request_like(), submission, MONDAY_NOON, CONFIG)
    assert [step.lead for step in shown.steps] == leads
    assert not shown.overdue and shown.waiting == "less than a minute"


@pytest.mark.parametrize(
    ("booking", "now", "lead"),
    [
        (request_like(), dt.datetime(2026, 12, 2, 9), "Call them back today"),
        (request_like(), dt.datetime(2026, 12, 3, 9), "Overdue: call them back today"),
        (request_like("tried_to_call"), MONDAY_NOON, "Try calling again"),
        (
            request_like("tried_to_call", call_back_on=dt.date(2026, 12, 4)),
            MONDAY_NOON,
            "Call them back on Fri 4 Dec 2026",
        ),
        (
            request_like("tried_to_call", call_back_on=dt.date(2026, 11, 30)),
            MONDAY_NOON,
            "Call them back today",
        ),
        (request_like("contacted"), MONDAY_NOON, "A clinician should review before booking"),
        (
            request_like("booked", first_appointment_on=dt.date(2026, 12, 7)),
            MONDAY_NOON,
            "Close the request when treatment ends",
        ),
        (request_like("declined"), MONDAY_NOON, "Close the request"),
        (request_like("closed"), MONDAY_NOON, "Nothing more to do"),
    ],
)
def test_what_to_do_first_by_status(booking, now, lead):
    submission = SimpleNamespace(outcome="review", fired=[PRECAUTION])
    shown = desk.desk(booking, submission, now, CONFIG)
    assert shown.steps[0].lead == lead
    assert shown.overdue == (lead == "Overdue: call them back today")
    review_shown = any(s.lead.startswith("A clinician") for s in shown.steps)
    assert review_shown == (booking.status in desk.OPEN)


def test_once_contacted_the_checks_come_before_booking():
    """desk-walk: "Book the first appointment" was listed above "A clinician should review
    before booking" and "Check they have seen a doctor" once the patient had been reached."""
    submission = SimpleNamespace(outcome="see_doctor", fired=[RED_FLAG])
    shown = desk.desk(request_like("contacted"), submission, MONDAY_NOON, CONFIG)
    assert [step.lead for step in shown.steps] == [
        "Check they have seen a doctor",
        "A clinician should review before booking",
        "Book the first appointment",
    ]


def test_why_names_each_rules_outcome_in_words_not_its_code(app, staff_client):
    """desk-walk: the clinical detail said "History of cancer (see_doctor, red flag)"."""
    cancer = journeys.variant(
        journeys.BACK_PAIN_SUITABLE,
        back_warning_signs={
            "rf_urgent_checklist": ["none"],
            "rf_other_checklist": ["rf_cancer_history"],
        },
    )
    page = staff_client.get(f"/staff/requests/{book(app, cancer)}").text
    assert "History of cancer</strong> (See a doctor first, red flag)" in page
    assert "(see_doctor" not in page
    thinners = staff_client.get(f"/staff/requests/{book(app)}").text
    assert "(Clinician review needed)" in thinners and "(review)" not in thinners


def test_undoing_booked_mentions_follow_ups_only_when_the_patient_asked_for_them(app, staff_client):
    """desk-walk: "Undoing it cancels the follow-up questions not yet sent" stood under "The
    patient did not ask for follow-up questions"."""
    pages = {}
    for asked in (False, True):
        request_id = book(app)
        if asked:
            consent(app, request_id)
        post_status(staff_client, request_id, "contacted")
        day = clinic_today(app) + dt.timedelta(days=7)
        post_status(staff_client, request_id, "booked", first_appointment_on=str(day))
        pages[asked] = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Undoing it cancels the follow-up questions" not in pages[False]
    assert "Undoing it cancels the follow-up questions" in pages[True]


def test_the_reason_example_fits_closing_as_well_as_declining(app, staff_client):
    """desk-walk: closing a booked request gave declining's examples ("could not reach them
    after three calls") for its reason."""
    request_id = book(app)
    declining = staff_client.get(f"/staff/requests/{request_id}/status/declined").text
    assert "could not reach them after three calls" in declining
    post_status(staff_client, request_id, "contacted")
    day = clinic_today(app) + dt.timedelta(days=7)
    post_status(staff_client, request_id, "booked", first_appointment_on=str(day))
    closing = staff_client.get(f"/staff/requests/{request_id}/status/closed").text
    assert "treatment finished" in closing
    assert "could not reach them after three calls" not in closing
