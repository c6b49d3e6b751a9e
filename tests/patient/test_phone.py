"""Phone numbers on the booking form: any *possible* number for the clinic's region is taken
(libphonenumber's "valid" refuses real ranges it does not list, like Ofcom's drama range), stored
in E.164; a refused number gets a message saying what is wrong, with an example."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from intake.extensions import db
from intake.forms import phone_number
from intake.models import BookingRequest
from intake.patient.forms import BookingForm
from tests import journeys
from tests.conftest import make_app


def finish(client) -> None:
    """A questionnaire answered and confirmed: the booking form is open."""
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    assert client.post("/check").headers["Location"].endswith("/result")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07911 654321", "+447911654321"),  # refused before: not in libphonenumber's ranges
        ("07700 900123", "+447700900123"),  # Ofcom's range for drama
        ("07911 123456", "+447911123456"),
        ("+44 (0)20 7946 0000", "+442079460000"),
        ("0044 7911 654321", "+447911654321"),
        ("020-7946-0000", "+442079460000"),
        ("+1 202 555 0100", "+12025550100"),  # another country, by its code
    ],
)
def test_possible_numbers_are_taken_in_e164(typed, stored):
    assert phone_number(typed, "GB") == stored


@pytest.mark.parametrize(
    ("typed", "start"),
    [
        ("0791", "Phone number is too short"),
        ("12", "Phone number is too short"),
        ("07911 6543211234567", "Phone number is too long"),
        ("0" + "7" * 40, "Phone number is too long"),
        ("abc", "Enter a phone number using numbers only"),
        ("07911 654321 ext 3", "Enter a phone number using numbers only"),  # ext would be lost
        ("+999 123", "The country code is not right"),
    ],
)
def test_impossible_numbers_say_what_is_wrong_with_an_example(typed, start):
    with pytest.raises(ValidationError) as refused:
        phone_number(typed, "GB")
    message = str(refused.value)
    assert message.startswith(start)
    assert "like 07700 900123" in message or "like +44 7700 900123" in message


def test_the_example_is_one_of_the_clinics_region():
    assert phone_number("06 12 34 56 78", "FR") == "+33612345678"
    with pytest.raises(ValidationError, match=r"too short.*like 06 12 34 56 78"):
        phone_number("06 12", "FR")


def test_the_form_uses_the_configured_region(app):
    """The region the form is given (PHONE_REGION) decides the country of a number typed
    without a country code."""
    data = MultiDict(dict(journeys.BOOKING, phone="06 12 34 56 78"))
    with app.test_request_context(method="POST"):
        form = BookingForm(formdata=data, phone_region="FR")
        assert form.validate(), form.errors
        assert form.phone.data == "+33612345678"
        uk = BookingForm(formdata=data, phone_region="GB")
        assert uk.validate(), uk.errors
        assert uk.phone.data == "+44612345678"


def test_the_booking_page_passes_phone_region(tmp_path, database_url):
    french = make_app(database_url, tmp_path, PHONE_REGION="FR")
    client = french.test_client()
    finish(client)
    assert (
        client.post("/booking", data=dict(journeys.BOOKING, phone="06 12 34 56 78")).status_code
        == 302
    )
    with french.app_context():
        assert db.session.scalars(select(BookingRequest)).one().phone == "+33612345678"


def test_a_drama_range_number_is_booked_and_stored(client, app):
    finish(client)
    response = client.post("/booking", data=dict(journeys.BOOKING, phone="07700 900123"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(BookingRequest)).one().phone == "+447700900123"


def test_a_refused_number_is_explained_in_the_summary_and_at_the_field(client):
    finish(client)
    sent = client.post("/booking", data=dict(journeys.BOOKING, phone="0791"))
    assert sent.headers["Location"] == "/booking"  # shown again by a GET: Back never resubmits
    response = client.get("/booking")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = "Phone number is too short: enter the whole number, like 07700 900123"
    assert f'<a href="#phone">{message}</a>' in page
    assert f'<span class="visually-hidden">Error:</span> {message}</p>' in page
    assert 'value="0791"' in page  # what was typed is kept
