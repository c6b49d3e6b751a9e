"""The follow-up schedule: planned when staff mark a request booked with its first appointment
date, moved when the date changes, cancelled when it closes untreated; run_due against a
controlled clock (due, reminder, missed), never twice, even with two workers at once; the
staff status form's dates; purge; the `followups run` command."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from intake import clinic_time, create_app
from intake.clinic_time import day_text
from intake.extensions import db
from intake.followup import links, schedule
from intake.followup.models import FollowUp, FollowUpLink
from intake.models import AuditEvent, BookingRequest, OutboxMessage, utcnow
from intake.staff.requests import appointments
from tests import journeys
from tests.staff.test_staff import book

TODAY = utcnow().date()
#: the first appointment most tests give: a week from today
DAY = TODAY + dt.timedelta(days=7)
NINE = dt.time(9)
LONDON = ZoneInfo("Europe/London")


def at(day: dt.date, weeks: int = 0, days: int = 0, minutes: int = 0) -> dt.datetime:
    """09:00 clinic time (Europe/London, the default) on `day` plus weeks and days, as stored
    (naive UTC), plus minutes. A reminder goes a fixed 3 x 24 hours after its email, so it is
    `at(...) + dt.timedelta(days=3)`: across a clock change that is not 09:00."""
    local = dt.datetime.combine(day + dt.timedelta(weeks=weeks, days=days), NINE, tzinfo=LONDON)
    return clinic_time.to_utc(local) + dt.timedelta(minutes=minutes)


def booked(app, client, *, consent=True, stopped=False, day=DAY, **booking) -> int:
    """A request made through the patient journey, contacted, then marked booked on `day`
    (None: left contacted) by a logged-in staff client; returns its id."""
    request_id = book(app, journeys.BLOOD_THINNERS, **booking)
    with app.app_context():
        row = db.session.get(BookingRequest, request_id)
        row.followup_consent = consent
        row.followups_stopped_at = utcnow() if stopped else None
        db.session.commit()
    url = f"/staff/requests/{request_id}/status"
    assert client.post(url, data={"status": "contacted"}).status_code == 302
    if day is not None:
        response = client.post(url, data={"status": "booked", "first_appointment_on": str(day)})
        assert response.status_code == 302, response.text
    return request_id


def rows(app, request_id: int) -> list[tuple]:
    with app.app_context():
        return [
            (f.number, f.weeks, f.status, f.due_at, f.expires_at)
            for f in db.session.scalars(
                select(FollowUp)
                .where(FollowUp.booking_request_id == request_id)
                .order_by(FollowUp.number)
            )
        ]


def statuses(app, request_id: int) -> list[str]:
    return [row[2] for row in rows(app, request_id)]


def run(app, now: dt.datetime) -> schedule.RunCounts:
    with app.app_context():
        return schedule.run_due(now)


def emails(app, request_id: int | None = None) -> list[str]:
    with app.app_context():
        query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
        if request_id is not None:
            query = query.where(OutboxMessage.booking_request_id == request_id)
        return [k for k in db.session.scalars(query) if k.startswith("followup")]


def audits(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def test_booked_with_a_date_plans_a_followup_per_week_of_the_schedule(app, staff_client):
    request_id = booked(app, staff_client)
    assert rows(app, request_id) == [
        (1, 2, "scheduled", at(DAY, 2), at(DAY, 6)),
        (2, 6, "scheduled", at(DAY, 6), at(DAY, 12)),
        (3, 12, "scheduled", at(DAY, 12), at(DAY, 12, days=28)),
    ]
    with app.app_context():
        assert db.session.get(BookingRequest, request_id).first_appointment_on == DAY
    assert audits(app, "change_status")[-1] == {
        "old": "contacted",
        "new": "booked",
        "first_appointment_on": str(DAY),
    }
    assert audits(app, "plan_followups") == [{"followups": 3}]
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert f"First appointment: <strong>{day_text(DAY)}</strong>" in page
    assert "Change the date" in page and "Close the request" in page
    closing = staff_client.get(f"/staff/requests/{request_id}/status/closed").text
    assert "Was the patient treated?" in closing


def test_schedule_settings_are_followed(database_url, tmp_path):
    from tests.conftest import create_staff, login, make_app

    app = make_app(
        database_url,
        tmp_path,
        FOLLOWUP_SCHEDULE=(4, 1),
        FOLLOWUP_SEND_HOUR=14,
        FOLLOWUP_LAST_WINDOW_DAYS=10,
        CLINIC_TIMEZONE="America/New_York",
    )
    create_staff(app)
    client = app.test_client()
    login(client)
    # 20 October: a week later New York is on daylight time (UTC-4), four weeks later, after
    # the first Sunday of November, on standard time (UTC-5); 14:00 there both times
    day = TODAY.replace(month=10, day=20)
    day = day if day >= TODAY else day.replace(year=day.year + 1)
    request_id = booked(app, client, day=day)

    def utc(days: int, hour: int) -> dt.datetime:
        return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(hour))

    assert [(r[0], r[1], r[3], r[4]) for r in rows(app, request_id)] == [
        (1, 1, utc(7, 18), utc(28, 19)),
        (2, 4, utc(28, 19), utc(38, 19)),
    ]


def test_no_followups_without_consent_when_stopped_or_declined(app, staff_client):
    no_consent = booked(app, staff_client, consent=False)
    stopped = booked(app, staff_client, stopped=True)
    declined = booked(app, staff_client, day=None)
    url = f"/staff/requests/{declined}/status"
    for status in ("declined", "closed"):
        form = {"status": status, "reason": "They chose another clinic"}
        assert staff_client.post(url, data=form).status_code == 302
    for request_id in (no_consent, stopped, declined):
        assert rows(app, request_id) == []
    assert run(app, at(DAY, 20)) == schedule.RunCounts()
    assert emails(app) == []
    page = staff_client.get(f"/staff/requests/{no_consent}").text
    assert "The patient did not ask for follow-up questions." in page


def test_changing_the_date_moves_only_the_followups_not_yet_sent(app, staff_client):
    request_id = booked(app, staff_client)
    assert run(app, at(DAY, 2)).sent == 1
    later = DAY + dt.timedelta(days=10)
    url = f"/staff/requests/{request_id}/appointment"
    response = staff_client.post(url, data={"first_appointment_on": later.strftime("%d/%m/%Y")})
    assert response.status_code == 302
    assert rows(app, request_id) == [
        (1, 2, "sent", at(DAY, 2), at(DAY, 6)),  # its history stays
        (2, 6, "scheduled", at(later, 6), at(later, 12)),
        (3, 12, "scheduled", at(later, 12), at(later, 12, days=28)),
    ]
    assert audits(app, "reschedule") == [{"old": str(DAY), "new": str(later), "followups": 2}]
    # the same date again changes nothing and records nothing
    assert staff_client.post(url, data={"first_appointment_on": str(later)}).status_code == 302
    assert len(audits(app, "reschedule")) == 1
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert f"First appointment: <strong>{day_text(later)}</strong>" in page


def test_a_date_moved_back_is_due_at_the_next_run(app, staff_client):
    request_id = booked(app, staff_client)
    earlier = TODAY - dt.timedelta(days=15)  # the request was made today: refused
    url = f"/staff/requests/{request_id}/appointment"
    refused = staff_client.post(
        url, data={"first_appointment_on": str(earlier)}, follow_redirects=True
    )  # shown again after a redirect (staff/requests/held.py)
    assert refused.status_code == 422 and "before the request was made" in refused.text
    with app.app_context():  # a request made a month ago, its appointment moved back
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == request_id)
            .values(created_at=utcnow() - dt.timedelta(days=30))
        )
        db.session.commit()
    assert staff_client.post(url, data={"first_appointment_on": str(earlier)}).status_code == 302
    assert rows(app, request_id)[0][3] == at(earlier, 2)  # a day ago
    assert run(app, utcnow()).sent == 1
    assert statuses(app, request_id) == ["sent", "scheduled", "scheduled"]


def test_closing_untreated_cancels_the_open_followups_and_treated_keeps_them(app, staff_client):
    treated = booked(app, staff_client)
    untreated = booked(app, staff_client)
    assert run(app, at(DAY, 2)).sent == 2
    missing = staff_client.post(
        f"/staff/requests/{treated}/status", data={"status": "closed"}, follow_redirects=True
    )
    assert missing.status_code == 422
    assert 'id="treated-error"' in missing.text
    assert "Select whether the patient was treated" in missing.text
    assert statuses(app, treated) == ["sent", "scheduled", "scheduled"]
    for request_id, answer in ((treated, "finished"), (untreated, "not_treated")):
        response = staff_client.post(
            f"/staff/requests/{request_id}/status",
            data={"status": "closed", "treated": answer, "reason": "Treatment ended"},
        )
        assert response.status_code == 302
    assert statuses(app, treated) == ["sent", "scheduled", "scheduled"]
    assert statuses(app, untreated) == ["cancelled", "cancelled", "cancelled"]
    details = audits(app, "change_status")
    assert {"old": "booked", "new": "closed", "treated": "finished", "followups_cancelled": 0} in (
        details
    )
    assert {
        "old": "booked",
        "new": "closed",
        "treated": "not_treated",
        "followups_cancelled": 3,
    } in details
    # the treated patient's next follow-up still goes; the other's never do
    assert run(app, at(DAY, 6)).sent == 1
    assert emails(app, untreated) == ["followup"]


def test_run_due_sends_when_due_reminds_once_and_marks_missed(app, staff_client):
    request_id = booked(app, staff_client)
    assert run(app, at(DAY, 2, minutes=-1)) == schedule.RunCounts()
    assert run(app, at(DAY, 2)) == schedule.RunCounts(sent=1)
    assert run(app, at(DAY, 2)) == schedule.RunCounts()  # nothing twice
    assert emails(app, request_id) == ["followup"]
    assert run(app, at(DAY, 2) + dt.timedelta(days=3, minutes=-1)) == schedule.RunCounts()
    assert run(app, at(DAY, 2) + dt.timedelta(days=3)) == schedule.RunCounts(reminded=1)
    assert run(app, at(DAY, 2) + dt.timedelta(days=4)) == schedule.RunCounts()  # one reminder only
    assert emails(app, request_id) == ["followup", "followup_reminder"]
    with app.app_context():
        first = db.session.scalars(select(FollowUp).where(FollowUp.number == 1)).one()
        assert (first.sent_at, first.reminded_at) == (at(DAY, 2), at(DAY, 2) + dt.timedelta(days=3))
        assert db.session.scalar(select(func.count()).select_from(FollowUpLink)) == 2
    # at its expiry the first is missed, and the second, due then, goes
    assert run(app, at(DAY, 6)) == schedule.RunCounts(sent=1, missed=1)
    assert statuses(app, request_id) == ["missed", "sent", "scheduled"]
    # an answered one is neither reminded nor missed
    with app.app_context():
        db.session.execute(update(FollowUp).where(FollowUp.number == 2).values(status="answered"))
        db.session.commit()
    assert run(app, at(DAY, 12)) == schedule.RunCounts(sent=1)
    assert run(app, at(DAY, 12, days=40)) == schedule.RunCounts(reminded=0, missed=1)
    assert statuses(app, request_id) == ["missed", "answered", "missed"]
    assert emails(app, request_id) == ["followup", "followup_reminder", "followup", "followup"]


def test_both_links_of_a_followup_open_it(app, staff_client, monkeypatch):
    request_id = booked(app, staff_client, day=TODAY)
    tokens = []
    original = links.new_link

    def keep(followup):
        tokens.append(original(followup))
        return tokens[-1]

    monkeypatch.setattr(links, "new_link", keep)
    run(app, at(TODAY, 2))
    run(app, at(TODAY, 2) + dt.timedelta(days=3))
    assert len(tokens) == 2
    with app.app_context():  # links check the real clock: it is before the expiry (6 weeks)
        opened = {links.open_followup(token).id for token in tokens}
        assert len(opened) == 1
        assert db.session.get(FollowUp, opened.pop()).booking_request_id == request_id


def test_a_followup_found_long_after_its_expiry_is_missed_not_sent(app, staff_client):
    request_id = booked(app, staff_client)
    # the worker was down from before the first was due until after it expired
    counts = run(app, at(DAY, 6, days=1))
    assert counts == schedule.RunCounts(sent=1, missed=1)
    assert statuses(app, request_id) == ["missed", "sent", "scheduled"]
    assert emails(app, request_id) == ["followup"]  # for the second only
    with app.app_context():
        first = db.session.scalars(select(FollowUp).where(FollowUp.number == 1)).one()
        assert first.sent_at is None
    # one that would be open for less than a day is not worth sending either
    assert run(app, at(DAY, 12, days=28, minutes=-60)) == schedule.RunCounts(missed=2)
    assert statuses(app, request_id) == ["missed", "missed", "missed"]


def test_a_stopped_request_gets_nothing_more(app, staff_client):
    request_id = booked(app, staff_client)
    assert run(app, at(DAY, 2)).sent == 1
    with app.app_context():
        db.session.get(BookingRequest, request_id).followups_stopped_at = utcnow()
        db.session.commit()
    assert run(app, at(DAY, 2) + dt.timedelta(days=3)) == schedule.RunCounts()
    assert run(app, at(DAY, 6)) == schedule.RunCounts()
    assert emails(app, request_id) == ["followup"]


def _many_due(app, count: int, due: dt.datetime) -> int:
    """One booked request with `count` follow-ups all due at `due`; returns its id."""
    with app.app_context():
        booking = db.session.scalars(select(BookingRequest)).one()
        for number in range(1, count + 1):
            db.session.add(
                FollowUp(
                    booking_request_id=booking.id,
                    number=number,
                    weeks=number,
                    due_at=due,
                    expires_at=due + dt.timedelta(days=30),
                    status="scheduled",
                    flags=[],
                )
            )
        db.session.commit()
        return booking.id


def _race(apps, now: dt.datetime) -> list[schedule.RunCounts]:
    barrier = threading.Barrier(len(apps))
    results: list = [None] * len(apps)

    def work(index: int, one_app) -> None:
        with one_app.app_context():
            barrier.wait()
            try:
                results[index] = schedule.run_due(now)
            except Exception as error:  # reported below
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_workers_at_once_send_each_email_once(app, staff_client):
    booked(app, staff_client, consent=False)
    due = at(DAY, 1)
    request_id = _many_due(app, 30, due)
    other = create_app(dict(app.config))  # a second process's app: its own engine and pool
    try:
        sent = _race([app, other], due)
        assert all(isinstance(r, schedule.RunCounts) for r in sent), sent
        assert sum(r.sent for r in sent) == 30
        reminded = _race([app, other], due + dt.timedelta(days=3))
        assert all(isinstance(r, schedule.RunCounts) for r in reminded), reminded
        assert sum(r.reminded for r in reminded) == 30
    finally:
        with other.app_context():
            db.engine.dispose()
    assert emails(app, request_id).count("followup") == 30
    assert emails(app, request_id).count("followup_reminder") == 30
    with app.app_context():
        per_followup = db.session.execute(
            select(FollowUpLink.followup_id, func.count()).group_by(FollowUpLink.followup_id)
        ).all()
    assert len(per_followup) == 30 and {n for _, n in per_followup} == {2}


def test_an_email_that_cannot_be_queued_holds_up_no_other(app, staff_client, monkeypatch):
    booked(app, staff_client)
    booked(app, staff_client)
    calls = []
    real = schedule.emails.queue_followup

    def fail_first(followup, token, **kwargs):
        calls.append(followup.id)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(followup, token, **kwargs)

    monkeypatch.setattr(schedule.emails, "queue_followup", fail_first)
    assert run(app, at(DAY, 2)) == schedule.RunCounts(sent=1, failed=1)
    assert run(app, at(DAY, 2)) == schedule.RunCounts(sent=1)  # tried again, once
    assert len(emails(app)) == 2


# The staff status form's date -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-23", dt.date(2026, 11, 23)),
        (" 23/11/2026 ", dt.date(2026, 11, 23)),
        ("3.4.2027", dt.date(2027, 4, 3)),
        ("23-11-2026", dt.date(2026, 11, 23)),
        ("11 Nov 2026", dt.date(2026, 11, 11)),
        ("11 november 2026", dt.date(2026, 11, 11)),
        ("1st Sept 2026", dt.date(2026, 9, 1)),
    ],
)
def test_dates_are_read_as_staff_type_them(typed, expected):
    assert appointments.parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the date of the first appointment"),
        ("next tuesday", "Enter the date of the first appointment like 4/12/2026"),
        ("11/11/26", "Enter the date of the first appointment like 4/12/2026"),
        ("11 Nox 2026", "Enter the date of the first appointment like 4/12/2026"),
        ("31/02/2027", "Enter a real date, like 4/12/2026"),
        ("2026-13-01", "Enter a real date, like 4/12/2026"),
        ("2000-01-01", "The first appointment cannot be before the request was made"),
        (str(TODAY + dt.timedelta(days=366)), "The first appointment must be within a year"),
        ("9" * 5000, "Enter the date of the first appointment like 4/12/2026"),
    ],
)
def test_a_bad_date_is_refused_next_to_the_field_keeping_what_was_typed(
    app, staff_client, typed, message
):
    request_id = booked(app, staff_client, day=None)
    response = staff_client.post(
        f"/staff/requests/{request_id}/status",
        data={"status": "booked", "first_appointment_on": typed},
        follow_redirects=True,
    )
    assert response.status_code == 422
    page = response.text
    error = page.index('id="first_appointment_on-error"')
    assert message in page[error : error + 300]
    assert 'href="#first_appointment_on"' in page  # the error summary links to the field
    assert f'value="{typed[:40]}"' in page
    with app.app_context():
        booking = db.session.get(BookingRequest, request_id)
        assert (booking.status, booking.first_appointment_on) == ("contacted", None)
    assert rows(app, request_id) == []


def test_the_latest_and_earliest_dates_allowed(app, staff_client):
    request_id = booked(app, staff_client, day=None)
    url = f"/staff/requests/{request_id}/status"
    latest = TODAY + appointments.MAX_AHEAD
    response = staff_client.post(
        url, data={"status": "booked", "first_appointment_on": str(latest)}
    )
    assert response.status_code == 302
    url = f"/staff/requests/{request_id}/appointment"
    assert staff_client.post(url, data={"first_appointment_on": str(TODAY)}).status_code == 302
    with app.app_context():
        assert db.session.get(BookingRequest, request_id).first_appointment_on == TODAY


def test_a_request_not_booked_has_no_date_to_change(app, staff_client):
    request_id = booked(app, staff_client, day=None)
    response = staff_client.post(
        f"/staff/requests/{request_id}/appointment",
        data={"first_appointment_on": str(DAY)},
        follow_redirects=True,
    )
    assert response.status_code == 422
    assert "Only a booked request has a first appointment to change" in response.text
    with app.app_context():
        assert db.session.get(BookingRequest, request_id).first_appointment_on is None


def test_a_bad_new_date_is_refused_and_the_old_one_kept(app, staff_client):
    request_id = booked(app, staff_client)
    response = staff_client.post(
        f"/staff/requests/{request_id}/appointment",
        data={"first_appointment_on": "31/02/2027"},
        follow_redirects=True,
    )
    assert response.status_code == 422
    assert 'value="31/02/2027"' in response.text
    assert f"First appointment: <strong>{day_text(DAY)}</strong>" in response.text
    assert rows(app, request_id)[0][3] == at(DAY, 2)


# Retention and the command -----------------------------------------------------------------


def test_purge_deletes_followups_and_links_with_their_request(app, staff_client):
    old = booked(app, staff_client)
    kept = booked(app, staff_client)
    run(app, at(DAY, 2))
    run(app, at(DAY, 2) + dt.timedelta(days=3))
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == old)
            .values(created_at=utcnow() - dt.timedelta(days=app.config["RETENTION_DAYS"] + 1))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert rows(app, old) == [] and len(rows(app, kept)) == 3
    with app.app_context():
        followup_ids = set(db.session.scalars(select(FollowUp.id)))
        link_owners = set(db.session.scalars(select(FollowUpLink.followup_id)))
        assert link_owners and link_owners <= followup_ids
    details = audits(app, "purge")[0]
    assert (details["followups"], details["followup_links"]) == (3, 2)


def test_followups_run_command(app, staff_client):
    request_id = booked(app, staff_client)
    runner = app.test_cli_runner()
    early = runner.invoke(args=["followups", "run", "--now", at(DAY, 1).isoformat()])
    assert early.exit_code == 0 and early.output.strip() == (
        "sent 0, reminded 0, missed 0, failed 0"
    )
    due = runner.invoke(args=["followups", "run", "--now", f"{at(DAY, 2).isoformat()}+00:00"])
    assert due.output.strip() == "sent 1, reminded 0, missed 0, failed 0"
    bad = runner.invoke(args=["followups", "run", "--now", "tuesday"])
    assert bad.exit_code == 2 and "use an ISO date and time" in bad.output
    assert emails(app, request_id) == ["followup"]
