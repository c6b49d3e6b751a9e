"""The booking form asks for one consent, "Privacy and contact": agreeing to the privacy notice
and to being contacted about the request. It is required, sets both stored consents
(consent_privacy and consent_contact), and the optional follow-up choice stays separate and
unticked."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import BookingRequest
from tests import journeys
from tests.patient.test_patient import errors_of, finish, post_with_errors, text

TEXT = (
    "I have read the privacy notice and agree that the clinic stores my answers to handle "
    "this request and contacts me about it by email or phone"
)
ERROR = "Confirm that you agree to the privacy notice and to being contacted"


def checkboxes(page: str) -> list[str]:
    return re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)


def test_one_required_box_and_the_follow_up_choice_unticked(client):
    finish(client, journeys.BACK_PAIN_SUITABLE)
    page = text(client.get("/booking"))
    assert '<legend class="legend">Privacy and contact</legend>' in page
    assert TEXT in page
    consents = [box for box in checkboxes(page) if 'name="consent' in box]
    assert len(consents) == 1 and "checked" not in consents[0]
    [followup] = [box for box in checkboxes(page) if 'name="followup_consent"' in box]
    assert "checked" not in followup


def test_the_box_sets_both_stored_consents(app, client):
    finish(client, journeys.BACK_PAIN_SUITABLE)
    response = client.post("/booking", data=journeys.BOOKING)
    assert response.status_code == 302
    with app.app_context():
        booking = db.session.scalars(select(BookingRequest)).one()
        assert (booking.consent_privacy, booking.consent_contact) == (True, True)
        assert booking.followup_consent is False


def test_without_the_box_nothing_is_sent(app, client):
    finish(client, journeys.BACK_PAIN_SUITABLE)
    unticked = {k: v for k, v in journeys.BOOKING.items() if k != "consent"}
    # the two boxes the form had before are not a consent any more
    old_boxes = dict(unticked, consent_privacy="y", consent_contact="y")
    response = post_with_errors(client, "/booking", old_boxes)
    assert response.status_code == 422
    assert errors_of(response) == [ERROR]
    assert 'href="#consent-1"' in text(response)  # the error summary leads to the box
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BookingRequest)) == 0


def test_a_form_sent_with_a_problem_shows_the_phone_number_as_typed(client):
    """user walk: after a missing box, the phone box showed +447911123456 (as it is stored), so
    the patient could think their number had been changed."""
    finish(client, journeys.BACK_PAIN_SUITABLE)
    unticked = {k: v for k, v in journeys.BOOKING.items() if k != "consent"}
    response = post_with_errors(client, "/booking", unticked)
    assert 'value="07911 123456"' in text(response)
    assert "+447911123456" not in text(response)
