"""The clinic hears of a flagged follow-up by email (through the outbox), with no health detail
in the subject, and with what was flagged only when CLINIC_EMAIL_DETAIL is "full"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from tests.followup.test_patient_followup import NOW, SINCE, answer, booked, followup_link


def alerts(app) -> list[OutboxMessage]:
    with app.app_context():
        found = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "followup_flagged")
        )
        messages = list(found)
        db.session.expunge_all()
        return messages


def reference_of(app, booking_id: int) -> str:
    from intake.models import BookingRequest

    with app.app_context():
        return db.session.get(BookingRequest, booking_id).submission.reference


def test_a_flagged_follow_up_emails_the_clinic_once(app):
    booking_id = booked(app)
    _, token = followup_link(app, booking_id)
    answer(app.test_client(), token, {**NOW, "nprs_now": "9"}, {**SINCE, "pgic": "7"})
    [message] = alerts(app)
    reference = reference_of(app, booking_id)
    assert message.recipients == app.config["CLINIC_EMAIL"]
    assert message.subject == f"A follow-up needs a look: {reference}"
    assert message.booking_request_id == booking_id
    text = message.text_body
    assert f"follow-up 1 of request {reference}" in text
    assert "Pain is at least 2 points worse than at intake" in text  # full detail (the default)
    assert "The patient says their condition is much worse" in text
    assert f"/staff/requests/{booking_id}#followup" in text
    assert "Pain is at least 2 points worse" in message.html_body
    # the name, email and phone stay out of it
    for private in ("Ada", "ada@example", "7911"):
        assert private not in message.subject + text + message.html_body


def test_an_unflagged_follow_up_sends_nothing_to_the_clinic(app):
    _, token = followup_link(app, booked(app))
    answer(app.test_client(), token, NOW, SINCE)
    assert alerts(app) == []


@pytest.mark.parametrize("detail", ["summary", "minimal"])
def test_with_less_detail_the_email_names_no_flag(app, detail):
    app.config["CLINIC_EMAIL_DETAIL"] = detail
    _, token = followup_link(app, booked(app))
    answer(app.test_client(), token, NOW, {**SINCE, "after_effects": ["faint"]})
    [message] = alerts(app)
    assert "Felt faint" not in message.text_body + message.html_body
    assert "What was flagged is on the request page" in message.text_body
