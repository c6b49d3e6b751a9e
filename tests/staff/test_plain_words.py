"""Plain words for staff (issue 13): "No concerns found", a meaning beside each score, phone
numbers as the clinic writes them (tel: links keep E.164), and a CSV of labels, readable
phones and dates and one column per preferred day. On SQLite and PostgreSQL (the app fixture)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from intake.plain_words import SCORE_MEANINGS, phone_for
from tests import journeys
from tests.staff.test_staff import book


@pytest.mark.parametrize(
    ("stored", "region", "shown"),
    [
        ("+447911123456", "GB", "07911 123456"),  # the clinic's region: national format
        ("+447911123456", "gb", "07911 123456"),
        ("+14155550123", "GB", "+1 415-555-0123"),  # elsewhere: international format
        ("+447911123456", "US", "+44 7911 123456"),
        ("+33612345678", "FR", "06 12 34 56 78"),
        ("not a number", "GB", "not a number"),  # never lost, never a 500
        ("", "GB", ""),
        (None, "GB", ""),
    ],
)
def test_phone_for(stored, region, shown):
    assert phone_for(stored, region) == shown


def clinic_email(app) -> tuple[str, str]:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "clinic_booking")
        ).one()
        return message.text_body, message.html_body


def test_the_request_page_and_email_say_no_concerns_found_in_plain_words(app, staff_client):
    request_id = book(app, journeys.BACK_PAIN_SUITABLE)
    page = staff_client.get(f"/staff/requests/{request_id}").text
    text_body, html_body = clinic_email(app)
    for body in (page, text_body, html_body):
        assert "No rule fired" not in body
        assert "No concerns found" in body
        assert re.search(
            r"Duration(</dt>|</td>|:).{0,120}hronic \(more than 12 weeks\)", body, re.S
        )
    for body in (text_body, html_body):  # the outcome is said once, not again after no concerns
        assert body.count("Dry needling may suit you") == 1, body
        for meaning in SCORE_MEANINGS.values():
            assert meaning in body
        assert "07911 123456" in body
    # E.164 stays only in the tel: link
    assert "+447911123456" not in text_body
    for body in (page, html_body):
        assert re.findall(r"\+447911123456", body) == ["+447911123456"]
        assert 'href="tel:+447911123456"' in body


def test_a_request_with_a_precaution_does_not_say_no_concerns_found(app, staff_client):
    request_id = book(app)  # blood thinners: a precaution
    page = staff_client.get(f"/staff/requests/{request_id}").text
    text_body, html_body = clinic_email(app)
    for body in (page, text_body, html_body):
        assert "No concerns found" not in body


def test_the_list_shows_phones_for_the_clinics_region(app, staff_client):
    book(app, journeys.BACK_PAIN_SUITABLE, phone="+1 415 555 0123")
    book(app, journeys.BACK_PAIN_SUITABLE)
    page = staff_client.get("/staff/requests").text
    assert '<a href="tel:+447911123456">07911 123456</a>' in page
    assert '<a href="tel:+14155550123">+1 415-555-0123</a>' in page


def test_the_csv_uses_labels_readable_phones_and_dates_and_a_column_per_day(app, staff_client):
    book(app, journeys.BACK_PAIN_SUITABLE, preferred_days=["tue", "thu"], phone="+14155550123")
    book(app, preferred_days=[], preferred_times=["morning", "evening"])
    rows = list(csv.reader(io.StringIO(staff_client.get("/staff/requests.csv").text)))
    assert rows[0] == [
        "Reference",
        "Received (Europe/London)",
        "Outcome",
        "Status",
        "Assigned to",
        "Call back on",
        "Name",
        "Email",
        "Phone",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",  # the days a patient can choose (availability.DAYS): no Sunday
        "Preferred times",
        "Message",
        "Rule set version",
    ]
    newest, oldest = rows[1:]
    assert newest[2:6] == ["Clinician review needed", "New", "", ""]
    assert newest[8] == "07911 123456"
    assert newest[9:15] == [""] * 6
    assert newest[15] == "Morning, Evening"
    assert oldest[2] == "May be suitable"
    assert oldest[8] == "'+1 415-555-0123"  # still formula-safe
    assert oldest[9:15] == ["", "yes", "", "yes", "", ""]
    assert oldest[15] == "Morning"
    for row in (newest, oldest):
        assert re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d", row[1]), row[1]
