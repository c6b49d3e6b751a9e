"""The staff area: login, access control, requests, workflow, notes, export, outbox, audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select, update

from intake.extensions import db
from intake.mail import outbox
from intake.models import AuditEvent, BookingRequest, Draft, OutboxMessage, User, utcnow
from intake.staff.requests import bookings
from tests import journeys
from tests.conftest import STAFF_PASSWORD, create_staff, login, make_app

#: Endpoints anyone may reach (patient pages, static files, the login page, the health check).
PUBLIC = {"static", "staff.login", "ops.healthz"}


def book(app, profile=journeys.BLOOD_THINNERS, **booking) -> BookingRequest:
    client = app.test_client()
    journeys.walk(client, profile)
    client.post("/check")
    assert client.post("/booking", data=dict(journeys.BOOKING, **booking)).status_code == 302
    with app.app_context():
        return (
            db.session.scalars(select(BookingRequest).order_by(BookingRequest.id.desc())).first().id
        )


def audit_actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _url_for_rule(rule) -> str:
    return re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)


def test_every_staff_endpoint_refuses_without_login(app):
    """Walks the url map, so a new staff route cannot be left open by mistake."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(("patient.", "followup.")):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_url_for_rule(rule), method=method)
            assert response.status_code in (302, 401, 403), (rule.rule, method)
            if response.status_code == 302:
                assert "/staff/login" in response.headers["Location"], rule.rule
            checked += 1
    assert checked >= 12


def test_admin_endpoints_refuse_staff(staff_client):
    for path in ("/staff/audit", "/staff/users"):
        assert staff_client.get(path).status_code == 403
    assert staff_client.post("/staff/users/1/deactivate").status_code == 403


def test_login_and_failed_login_are_audited(app):
    create_staff(app)
    client = app.test_client()
    response = login(client, password="wrong password")
    assert response.status_code == 422
    assert "The email address or password is not right" in response.text
    assert login(client, email="nobody@example.com").status_code == 422
    response = login(client)
    assert response.headers["Location"].endswith("/staff/")
    assert audit_actions(app) == ["login_failed", "login_failed", "login"]
    with app.app_context():
        failed = db.session.scalars(select(AuditEvent)).first()
        assert failed.actor == "staff@clinic.example.com" and failed.user_id is None


def test_login_redirects_only_to_staff_pages(app):
    create_staff(app)
    client = app.test_client()
    response = client.post(
        "/staff/login?next=//evil.example.com/",
        data={"email": "staff@clinic.example.com", "password": STAFF_PASSWORD},
    )
    assert response.headers["Location"].endswith("/staff/")
    client = app.test_client()
    response = client.post(
        "/staff/login?next=/staff/outbox",
        data={"email": "staff@clinic.example.com", "password": STAFF_PASSWORD},
    )
    assert response.headers["Location"].endswith("/staff/outbox")


def test_login_is_throttled_per_account_and_per_address(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'l.db'}", tmp_path, LOGIN_LIMIT="3 per minute")
    create_staff(app)
    client = app.test_client()
    for _ in range(3):
        assert login(client, password="wrong").status_code == 422
    assert login(client).status_code == 429  # even the right password, for a while
    other_address = app.test_client()
    response = other_address.post(
        "/staff/login",
        data={"email": "staff@clinic.example.com", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 429  # the account is throttled from any address
    response = other_address.post(
        "/staff/login",
        data={"email": "other@clinic.example.com", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 422


def test_deactivated_user_cannot_log_in_and_is_logged_out(app, staff_client):
    with app.app_context():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    assert staff_client.get("/staff/").status_code == 302
    assert login(app.test_client()).status_code == 422


@pytest.mark.parametrize("page", ["/staff/requests", "/staff/rules/"])
def test_idle_session_expires(tmp_path, page):
    """On the rules desk too: its blueprint shares the guard, which must name the login page."""
    app = make_app(f"sqlite:///{tmp_path / 'i.db'}", tmp_path, STAFF_IDLE_TIMEOUT=60)
    create_staff(app)
    client = app.test_client()
    login(client)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["staff_seen"] -= 61
    response = client.get(page)
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/").status_code == 302


def test_logout(staff_client):
    assert staff_client.post("/staff/logout").status_code == 302
    assert staff_client.get("/staff/").status_code == 302


def test_change_password(app, staff_client):
    response = staff_client.post(
        "/staff/password",
        data={
            "current_password": "wrong",
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert "Your current password is not right" in response.text
    response = staff_client.post(
        "/staff/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert "Use 12 to 256 characters" in response.text
    assert 'value="short"' not in response.text  # passwords are never echoed
    response = staff_client.post(
        "/staff/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert response.status_code == 302
    assert login(app.test_client(), password="a new long password").status_code == 302


# Sessions that end: logout, password change and deactivation end every session of the user


def assert_logged_out(client) -> None:
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def copy_session(app, client):
    """Another browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_session_cookie_copied_before_logout_no_longer_opens_staff_pages(app, staff_client):
    copied = copy_session(app, staff_client)
    assert copied.get("/staff/").status_code == 200  # the copy works while the session lives
    assert staff_client.post("/staff/logout").status_code == 302
    assert_logged_out(copied)
    assert_logged_out(staff_client)
    assert login(app.test_client()).status_code == 302  # logging in again works


def test_logging_out_ends_the_users_other_sessions_too(app, staff_client):
    other_device = app.test_client()
    assert login(other_device).status_code == 302
    staff_client.post("/staff/logout")
    assert_logged_out(other_device)


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, staff_client):
    other_device = app.test_client()
    assert login(other_device).status_code == 302
    copied = copy_session(app, staff_client)
    response = staff_client.post(
        "/staff/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert response.status_code == 302
    assert_logged_out(other_device)
    assert_logged_out(copied)  # the cookie as it was before the change
    assert staff_client.get("/staff/").status_code == 200
    assert staff_client.get("/staff/requests").status_code == 200


def test_a_failed_password_change_ends_no_session(app, staff_client):
    other_device = app.test_client()
    login(other_device)
    staff_client.post(
        "/staff/password",
        data={"current_password": "wrong", "new_password": "x" * 12, "confirm_password": "x" * 12},
    )
    assert other_device.get("/staff/").status_code == 200


@pytest.mark.parametrize("how", ["web", "cli"])
def test_deactivation_ends_the_users_sessions_for_good(app, admin_client, how):
    staff_id = create_staff(app)
    staff = app.test_client()
    assert login(staff).status_code == 302
    if how == "web":
        assert admin_client.post(f"/staff/users/{staff_id}/deactivate").status_code == 302
    else:
        result = app.test_cli_runner().invoke(
            args=["staff", "deactivate", "staff@clinic.example.com"]
        )
        assert result.exit_code == 0, result.output
    assert_logged_out(staff)
    # Should the account be made active again (by hand, in the database), the sessions it
    # had stay ended: they were ended, not merely refused while inactive.
    with app.app_context():
        db.session.execute(update(User).where(User.id == staff_id).values(active=True))
        db.session.commit()
    assert_logged_out(staff)
    assert admin_client.get("/staff/").status_code == 200  # the admin's own session lives on


# A bad `next` after a correct password goes to the dashboard, never a 500

HOSTILE_NEXT = [
    "/staff/\r\nX-Injected: 1",
    "/staff/\nLocation: https://evil.example/",
    "/staff/%0d%0aSet-Cookie:%20a=b",
    "/staff/%250d%250aX",
    "/staff/\rX",
    "//evil.example/staff/",
    "///evil.example/",
    "/\\evil.example/",
    "/staff/\\..\\evil",
    "https://evil.example/staff/",
    "javascript:alert(1)",
    "/staff/\tx",
    "/staff/ x",
    "/staff/\x7f",
    "/staff/\u2028x",
    "/staff/\u202eevil",
    "/staff/" + "a" * 5000,
    " /staff/",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=range(len(HOSTILE_NEXT)))
def test_a_bad_next_goes_to_the_dashboard(app, target):
    create_staff(app)
    response = app.test_client().post(
        "/staff/login",
        query_string={"next": target},
        data={"email": "staff@clinic.example.com", "password": STAFF_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_a_good_next_with_filters_is_followed(app):
    create_staff(app)
    target = "/staff/requests?outcome=review&q=ada%40example.com&page=2"
    response = app.test_client().post(
        "/staff/login",
        query_string={"next": target},
        data={"email": "staff@clinic.example.com", "password": STAFF_PASSWORD},
    )
    assert response.headers["Location"] == target


def test_requests_list_filters_searches_and_counts_new(app, staff_client):
    book(app, journeys.BLOOD_THINNERS)
    book(app, journeys.BACK_PAIN_SUITABLE, name="Grace Hopper", email="grace@example.com")
    page = staff_client.get("/staff/requests").text
    assert "2 new." in page
    assert page.index("Grace Hopper") < page.index("Ada Lovelace")  # newest first
    review = staff_client.get("/staff/requests?outcome=review").text
    assert "Ada Lovelace" in review and "Grace Hopper" not in review
    assert "Grace Hopper" in staff_client.get("/staff/requests?q=GRACE@").text
    with app.app_context():
        reference = db.session.scalars(select(BookingRequest)).first().submission.reference
    by_reference = staff_client.get(f"/staff/requests?q={reference.lower()}").text
    assert "Ada Lovelace" in by_reference and "Grace Hopper" not in by_reference
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert "No requests match" in staff_client.get(f"/staff/requests?date_from={tomorrow}").text
    bad = staff_client.get("/staff/requests?date_from=yesterday&outcome=<script>")
    assert bad.status_code == 200 and "Enter a date like 4/12/2026" in bad.text
    assert 'value="yesterday"' in bad.text
    assert "<script>" not in bad.text


def test_requests_list_pages(app, staff_client, monkeypatch):
    monkeypatch.setattr(bookings, "PAGE_SIZE", 1)
    book(app)
    book(app, name="Grace Hopper")
    page = staff_client.get("/staff/requests").text
    assert "Page 1 of 2" in page and "Grace Hopper" in page and "Ada" not in page
    assert "Ada Lovelace" in staff_client.get("/staff/requests?page=2").text
    assert "Page 2 of 2" in staff_client.get("/staff/requests?page=99").text


def test_request_detail_shows_everything_and_is_audited(app, staff_client):
    request_id = book(app)
    page = staff_client.get(f"/staff/requests/{request_id}").text
    for text in (
        "Ada Lovelace",
        "+447911123456",
        "Takes blood thinners (anticoagulants)",
        "Precaution R1",
        "Source: APTA 2013",
        "Based on: Takes blood thinners (anticoagulants): Yes",  # the facts in words
        "Low risk (total 1/9",
        "How old are you?",
        "rule set version 1",
        "clinic booking",
        "pending",
        "Mark as contacted",
    ):
        assert text in page, text
    assert "view_request" in audit_actions(app)
    assert staff_client.get("/staff/requests/999").status_code == 404


def test_status_workflow(app, staff_client):
    request_id = book(app)
    url = f"/staff/requests/{request_id}/status"
    refused = staff_client.post(url, data={"status": "booked"}, follow_redirects=True)
    assert refused.status_code == 422  # shown again after a redirect (held.py)
    assert "A request that is new cannot become booked" in refused.text
    day = str(utcnow().date() + dt.timedelta(days=3))
    for status in ("contacted", "booked", "closed"):
        form = {"status": status, "first_appointment_on": day, "treated": "finished"}
        form["reason"] = "Treatment finished"
        assert staff_client.post(url, data=form).status_code == 302
    with app.app_context():
        assert db.session.get(BookingRequest, request_id).status == "closed"
        changes = [
            e.details
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "change_status")
            )
        ]
    assert changes == [
        {"old": "new", "new": "contacted"},
        {"old": "contacted", "new": "booked", "first_appointment_on": day},
        {"old": "booked", "new": "closed", "treated": "finished", "followups_cancelled": 0},
    ]


def test_notes_thread(app, staff_client):
    request_id = book(app)
    url = f"/staff/requests/{request_id}/notes"
    empty = staff_client.post(url, data={"body": ""}, follow_redirects=True)
    assert empty.status_code == 422 and "Enter a note" in empty.text
    assert staff_client.post(url, data={"body": "Called, left a message."}).status_code == 302
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert "Called, left a message." in page and "staff@clinic.example.com" in page


def test_csv_export_escapes_formulas_and_is_audited(app, staff_client):
    book(app, name='=HYPERLINK("http://evil")', message="+1 call me")
    book(app, journeys.BACK_PAIN_SUITABLE, name="Grace Hopper")
    response = staff_client.get("/staff/requests.csv?outcome=review")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["Reference", "Received (Europe/London)", "Outcome", "Status"]
    assert len(rows) == 2  # filtered: only the review request
    assert rows[1][6] == '\'=HYPERLINK("http://evil")'
    assert rows[1][16] == "'+1 call me"
    assert rows[1][8] == "07911 123456"  # the clinic's own format (PHONE_REGION GB)
    assert "export" in audit_actions(app)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44", "'+44"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Ada", "Ada"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_safe_cell(value, expected):
    assert bookings.safe_cell(value) == expected


def test_outbox_page_shows_failures_and_retries(app, staff_client):
    book(app)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(status="failed", last_error="SMTP 550: no such user")
        )
        db.session.commit()
        message_id = db.session.scalars(select(OutboxMessage.id)).first()
    page = staff_client.get("/staff/outbox").text
    assert "SMTP 550: no such user" in page and "Retry now" in page
    assert staff_client.post(f"/staff/outbox/{message_id}/retry").status_code == 302
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message.status == outbox.PENDING and message.give_up_at > utcnow()
    assert "retry_email" in audit_actions(app)


def test_dashboard_charts_are_server_rendered_svg(app, staff_client):
    book(app)
    book(app, journeys.SADDLE_NUMBNESS)  # emergency: no booking, but completed
    page = staff_client.get("/staff/").text
    assert page.count("<svg") == 3
    assert "<script>" not in page and "style=" not in page
    assert "Clinician review needed 1" in page  # bar tooltip of this week
    assert "<strong>1</strong> new request</a> waiting" in page
    funnel = dict(
        re.findall(r">(Started|Completed|Booking requested)</text>.*?>(\d+)</text>", page)
    )
    assert funnel == {"Started": "2", "Completed": "2", "Booking requested": "1"}


def test_unfinished_questionnaires_on_a_page_since_merged_are_still_counted(app, staff_client):
    """Drafts last saved on "goals" (merged into "How your pain affects you") left the chart."""
    with app.app_context():
        for index, step in enumerate(["goals", "goals", "pain_impact", None]):
            db.session.add(
                Draft(
                    id=f"draft-{index}",
                    answers={},
                    last_step=step,
                    expires_at=utcnow() - dt.timedelta(hours=1),
                )
            )
        db.session.commit()
    page = staff_client.get("/staff/").text
    chart = page[page.index("Unfinished questionnaires by last page saved") :]
    bars = dict(re.findall(r">([^<>]+)</text><rect[^>]*/><text[^>]*>(\d+)</text>", chart))
    assert bars["Before the first page"] == "1"
    assert bars["How your pain affects you"] == "1"
    assert bars["A page since merged into another"] == "2"
    assert sum(int(n) for n in bars.values()) == 4


def test_admin_sees_audit_log_and_deactivates_users(app, admin_client):
    staff_id = create_staff(app)
    page = admin_client.get("/staff/audit").text
    assert "login" in page and "admin@clinic.example.com" in page
    assert "staff@clinic.example.com" in admin_client.get("/staff/users").text
    assert admin_client.post(f"/staff/users/{staff_id}/deactivate").status_code == 302
    with app.app_context():
        assert db.session.get(User, staff_id).active is False
    assert "user_deactivate" in audit_actions(app)


def test_cli_creates_staff_with_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["staff", "create", "New@Clinic.example.com", "--role", "admin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin new@clinic.example.com" in result.output
    assert (
        login(app.test_client(), "new@clinic.example.com", "a long enough password").status_code
        == 302
    )
    short = runner.invoke(
        args=["staff", "create", "x@clinic.example.com", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    again = runner.invoke(
        args=["staff", "create", "new@clinic.example.com", "--password-stdin"],
        input="a long enough password\n",
    )
    assert "already exists" in again.output
    assert runner.invoke(args=["staff", "create", "y@x.com", "--password", "p"]).exit_code != 0
    result = runner.invoke(args=["staff", "deactivate", "new@clinic.example.com"])
    assert result.exit_code == 0
    assert (
        login(app.test_client(), "new@clinic.example.com", "a long enough password").status_code
        == 422
    )


def test_passwords_are_hashed_with_argon2(app):
    create_staff(app)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert STAFF_PASSWORD not in user.password_hash
