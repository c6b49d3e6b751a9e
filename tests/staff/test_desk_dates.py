"""One way of showing dates and one way of asking for them on the staff pages (desk walk: a
hint said "4/12/2026", errors "2026-11-23 or 23/11/2026"; dates showed as "Fri 04 Dec 2026"
in one place and "Fri 4 Dec" in another).

Shown: "Fri 4 Dec 2026" (weekday, day without a leading zero, month, year, always), and
"Fri 4 Dec 2026, 14:05" where the time matters; typed: every hint and error gives the example
4/12/2026. On SQLite and PostgreSQL (the app fixture) where a database is involved."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from intake import clinic_time
from intake.extensions import db
from intake.models import BookingRequest, Note, utcnow
from intake.staff.requests.desk_clock import Context
from tests.staff.test_request_desk import clinic_today, error_next_to, post_status
from tests.staff.test_staff import book

MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#: a date the old way: "04 Dec", "Fri 04 Dec 2026"
LEADING_ZERO = re.compile(rf"\b0[1-9] {MONTH}\b")
#: a date without its year: "Fri 4 Dec" not followed by a year
NO_YEAR = re.compile(rf"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [1-9][0-9]? {MONTH}\b(?! [0-9]{{4}})")
#: the examples the desk used to give for a typed date
OLD_EXAMPLES = ("2026-11-23", "23/11/2026")


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (dt.date(2026, 12, 4), "Fri 4 Dec 2026"),
        (dt.date(2027, 1, 10), "Sun 10 Jan 2027"),
        (dt.date(2026, 2, 28), "Sat 28 Feb 2026"),
    ],
)
def test_a_day_is_shown_with_its_weekday_and_year_and_no_leading_zero(day, shown):
    assert clinic_time.day_text(day) == shown


@pytest.mark.parametrize(
    ("style", "shown"),
    [
        ("moment", "Fri 4 Dec 2026, 09:05"),
        ("date", "Fri 4 Dec 2026"),
        ("time", "09:05"),
        ("seconds", "Fri 4 Dec 2026, 09:05:07"),
        ("%Y", "2026"),  # any other style is a strftime format
    ],
)
def test_the_local_filter_styles(app, style, shown):
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ at | local(style) }}").render(
            at=dt.datetime(2026, 12, 4, 9, 5, 7), style=style
        )
    assert rendered == shown


def test_the_local_filter_defaults_to_date_and_time_in_clinic_time(app):
    with app.test_request_context():
        summer = app.jinja_env.from_string("{{ at | local }}|{{ none | local }}")
        assert summer.render(at=dt.datetime(2026, 7, 1, 16, 30), none=None) == (
            "Wed 1 Jul 2026, 17:30|"  # British Summer Time
        )


def test_call_back_words_on_the_dashboard_and_list():
    seen = Context(
        now=dt.datetime(2026, 12, 9, 12),
        zone=clinic_time.zone("Europe/London"),
        today=dt.date(2026, 12, 9),
        overdue_before=dt.datetime(2026, 12, 7),
    )
    assert seen.call_back_words("tried_to_call", dt.date(2026, 12, 7)) == "since Mon 7 Dec 2026"
    assert seen.call_back_words("tried_to_call", dt.date(2027, 1, 4)) == "on Mon 4 Jan 2027"


def a_later_single_digit_day(app) -> dt.date:
    """The first day after today whose day of the month has one digit (a leading zero shows)."""
    day = clinic_today(app) + dt.timedelta(days=1)
    while day.day > 9:
        day += dt.timedelta(days=1)
    return day


def test_the_request_page_shows_every_date_one_way(app, staff_client):
    request_id = book(app)
    received = dt.datetime(2026, 1, 5, 9, 5)  # Monday, London in winter = UTC
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == request_id)
            .values(created_at=received)
        )
        db.session.add(
            Note(booking_request_id=request_id, body="Rang", created_at=dt.datetime(2026, 1, 6, 8))
        )
        db.session.commit()
    call_back = a_later_single_digit_day(app)
    shown = clinic_time.day_text(call_back)
    done = post_status(staff_client, request_id, "tried_to_call", call_back_on=str(call_back))
    page = staff_client.get(done.headers["Location"]).text
    assert f"Status changed to Tried to call: call back on {shown}." in page  # the flash
    assert f"Call back on: <strong>{shown}</strong>" in page
    assert f"Call them back on {shown}" in page or "Call them back today" in page
    assert "Received Mon 5 Jan 2026, 09:05" in page  # the top of the page
    assert "Tue 6 Jan 2026, 08:00" in page  # the note
    assert 'Received</strong> <span class="history__meta">Mon 5 Jan 2026, 09:05' in page
    undo_hint = page[page.index('id="undo-hint"') :][:300]
    assert re.search(
        rf"on \w{{3}} [1-9][0-9]? {MONTH} [0-9]{{4}}, [0-9]{{2}}:[0-9]{{2}}\.", undo_hint
    )
    for pattern in (LEADING_ZERO, NO_YEAR):
        assert not pattern.search(page), pattern.search(page)


def test_the_list_and_dashboard_show_dates_the_same_way(app, staff_client):
    request_id = book(app)
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == request_id)
            .values(created_at=dt.datetime(2026, 1, 5, 9, 5))
        )
        db.session.commit()
    call_back = a_later_single_digit_day(app)
    post_status(staff_client, request_id, "tried_to_call", call_back_on=str(call_back))
    listed = staff_client.get("/staff/requests").text
    assert 'Mon 5 Jan 2026 <span class="nowrap">09:05</span>' in listed
    assert f"Call back on {clinic_time.day_text(call_back)}" in listed
    dashboard = staff_client.get("/staff/").text
    for page in (listed, dashboard):
        for pattern in (LEADING_ZERO, NO_YEAR):
            assert not pattern.search(page), pattern.search(page)


def test_every_hint_and_error_about_a_typed_date_gives_the_same_example(app, staff_client):
    request_id = book(app)
    page = staff_client.get(f"/staff/requests/{request_id}").text
    # The call-back day is a date picker, which shows dates in the browser's own order: its
    # hint gives no typed example; the server's errors (a browser without one) do.
    assert "The day to try again." in page and "try again, like" not in page
    refused = post_status(staff_client, request_id, "tried_to_call", call_back_on="soon")
    shown = staff_client.get(refused.headers["Location"]).text
    assert "Enter the day to call back like 4/12/2026" in error_next_to(shown, "call_back_on")
    garbled = post_status(staff_client, request_id, "tried_to_call", call_back_on="31/2/2027")
    shown = staff_client.get(garbled.headers["Location"]).text
    assert "Enter a real date, like 4/12/2026" in error_next_to(shown, "call_back_on")
    post_status(staff_client, request_id, "contacted")
    booked = post_status(staff_client, request_id, "booked", first_appointment_on="next week")
    shown = staff_client.get(booked.headers["Location"]).text
    assert "Enter the date of the first appointment like 4/12/2026" in error_next_to(
        shown, "first_appointment_on"
    )
    listed = staff_client.get("/staff/requests?date_from=yesterday").text
    assert "Enter a date like 4/12/2026" in error_next_to(listed, "date_from")
    for body in (page, shown, listed):
        for old in OLD_EXAMPLES:
            assert old not in body


def test_a_past_call_back_day_names_today_the_same_way(app, staff_client):
    request_id = book(app)
    today = clinic_today(app)
    refused = post_status(
        staff_client, request_id, "tried_to_call", call_back_on=str(today - dt.timedelta(days=1))
    )
    shown = staff_client.get(refused.headers["Location"]).text
    assert f"today is {clinic_time.day_text(today)}" in error_next_to(shown, "call_back_on")
    assert today == clinic_time.clinic_today(utcnow(), app.config)


def test_the_outcomes_report_reads_and_asks_for_dates_the_same_way(app, staff_client):
    page = staff_client.get("/staff/outcomes")
    assert page.status_code == 200 and "Like 4/12/2026" in page.text
    assert "YYYY-MM-DD" not in page.text
    typed = staff_client.get("/staff/outcomes?date_from=1/2/2026&date_to=4 Dec 2026")
    assert typed.status_code == 200
    csv_link = re.search(r'href="(/staff/outcomes\.csv[^"]*)"', typed.text).group(1)
    assert "date_from=2026-02-01" in csv_link and "date_to=2026-12-04" in csv_link
    wrong = staff_client.get("/staff/outcomes?date_from=next+week")
    assert wrong.status_code == 422
    assert "Enter a date like 4/12/2026" in error_next_to(wrong.text, "date_from")
