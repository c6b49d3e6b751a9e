"""The patient's side of outcome follow-up (issue 12): the consent at booking, the PSFS page,
the follow-up form opened by an emailed link, and the one-step unsubscribe.

Follow-ups are made directly (a FollowUp row, status "sent", and a link from links.new_link),
so these tests do not depend on the scheduler. Every form is posted as a browser without
JavaScript would post it."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from html import unescape
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from intake.extensions import db
from intake.followup import links
from intake.followup import measures as m
from intake.followup.models import FollowUp
from intake.logs import HideQueryStrings
from intake.models import AuditEvent, BookingRequest, utcnow
from tests import journeys
from tests.test_fuzz import SEGMENT, check, form_bodies, fuzz_settings, raw_bodies

CONSENT = "Send me a few short questions after treatment so the clinic can see how it&#39;s going"
#: a whole, valid first page for a patient with two PSFS activities
NOW = {
    "nprs_now": "3",
    "peg_pain_avg_week": "4",
    "peg_enjoyment_interference": "2",
    "peg_activity_interference": "3",
    "psfs_1": "7",
    "psfs_2": "6",
}
SINCE = {"pgic": "2", "pain_medicine_days": "1", "after_effects": ["soreness"]}
PSFS = {"activity_1": "Walking the dog", "score_1": "3", "activity_2": "Gardening", "score_2": "4"}


def send_booking(app, profile=journeys.BACK_PAIN_SUITABLE, consent=True):
    """A patient through the real journey to a booking request; (client, response, id)."""
    client = app.test_client()
    journeys.walk(client, profile)
    assert client.post("/check").status_code == 302
    data = dict(journeys.BOOKING, **({"followup_consent": "y"} if consent else {}))
    response = client.post("/booking", data=data)
    assert response.status_code == 302
    with app.app_context():
        booking_id = db.session.scalars(
            select(BookingRequest.id).order_by(BookingRequest.id.desc())
        ).first()
    return client, response, booking_id


def booked(app, profile=journeys.BACK_PAIN_SUITABLE, psfs=PSFS) -> int:
    """A request that opted in, with PSFS activities (or skipped); its id."""
    client, _, booking_id = send_booking(app, profile)
    if psfs is None:
        client.post("/booking/activities", data={"action": "skip"})
    else:
        assert client.post("/booking/activities", data=psfs).status_code == 302
    return booking_id


def followup_link(app, booking_id, status="sent", number=1, expires_in=dt.timedelta(days=20)):
    """A follow-up of the request and a token for it (as an email would carry)."""
    with app.app_context():
        now = utcnow()
        followup = FollowUp(
            booking_request_id=booking_id,
            number=number,
            weeks=2 * number,
            due_at=now - dt.timedelta(days=1),
            expires_at=now + expires_in,
            status=status,
            sent_at=now - dt.timedelta(days=1) if status != "scheduled" else None,
        )
        db.session.add(followup)
        db.session.flush()
        token = links.new_link(followup)
        db.session.commit()
        return followup.id, token


def get_followup(app, followup_id) -> FollowUp:
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        db.session.expunge(followup)
        return followup


def get_booking(app, booking_id) -> BookingRequest:
    with app.app_context():
        booking = db.session.get(BookingRequest, booking_id)
        db.session.expunge(booking)
        return booking


def error_at(page: str, field_id: str) -> str:
    """The error message shown next to a field."""
    found = re.search(rf'id="{field_id}-error" class="error-message">(.*?)</p>', page, re.S)
    assert found, f"no error next to {field_id}"
    return unescape(re.sub(r"<[^>]+>|Error:", "", found.group(1)).strip())


def answer(client, token, now=NOW, since=SINCE):
    assert client.post(f"/followup/{token}", data=now).headers["Location"].endswith("/more")
    return client.post(f"/followup/{token}/more", data=since)


# -- consent at booking -----------------------------------------------------------------------


def test_the_booking_form_offers_follow_up_unticked_and_says_what_it_involves(app):
    client = app.test_client()
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    page = client.get("/booking").get_data(as_text=True)
    box = re.search(r"<input[^>]*name=\"followup_consent\"[^>]*>", page).group(0)
    assert "checked" not in box
    assert CONSENT in page
    assert "about 2, 6 and 12 weeks after your first appointment" in page
    assert "no login" in page and "one button" in page
    assert "Questions after treatment (optional)" in page


def test_consent_is_stored_and_leads_to_the_activities_page(app):
    _, response, booking_id = send_booking(app, consent=True)
    assert response.headers["Location"].endswith("/booking/activities")
    assert get_booking(app, booking_id).followup_consent is True


def test_consent_is_not_required_and_is_no_by_default(app):
    client, response, booking_id = send_booking(app, consent=False)
    assert response.headers["Location"].endswith("/booking/sent")
    assert get_booking(app, booking_id).followup_consent is False
    assert get_booking(app, booking_id).psfs_baseline is None
    assert "Request sent" in client.get("/booking/sent").get_data(as_text=True)
    # no PSFS page for them: it leads to the confirmation (already shown: cleared)
    response = client.get("/booking/activities")
    assert response.headers["Location"].endswith("/booking/sent")


# -- the PSFS page ----------------------------------------------------------------------------


def test_psfs_page_stores_activities_then_shows_the_confirmation_once(app):
    client, _, booking_id = send_booking(app)
    page = client.get("/booking/activities")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Activities your problem makes hard" in page.get_data(as_text=True)
    response = client.post("/booking/activities", data=PSFS)
    assert response.headers["Location"].endswith("/booking/sent")
    assert get_booking(app, booking_id).psfs_baseline == [
        {"activity": "Walking the dog", "score": 3},
        {"activity": "Gardening", "score": 4},
    ]
    sent = client.get("/booking/sent").get_data(as_text=True)
    assert "Request sent" in sent and "a few short questions after treatment" in sent
    assert "Request sent" not in client.get("/booking/sent").get_data(as_text=True)
    # Back to the PSFS page, or sending it again: the confirmation's place, nothing stored
    assert client.get("/booking/activities").headers["Location"].endswith("/booking/sent")
    client.post("/booking/activities", data={"activity_1": "Other", "score_1": "1"})
    assert len(get_booking(app, booking_id).psfs_baseline) == 2


def test_psfs_errors_are_shown_next_to_the_field_and_keep_what_was_typed(app):
    client, _, booking_id = send_booking(app)
    sent = {"activity_1": "Walking the dog", "score_2": "5", "activity_3": "x" * 61}
    response = client.post("/booking/activities", data=sent)
    assert response.headers["Location"].endswith("/booking/activities")  # no resubmission
    page = client.get("/booking/activities")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert error_at(html, "score_1") == "Select a number from 0 to 10 for activity 1"
    assert error_at(html, "activity_2").startswith("Name activity 2, the one you rated")
    assert error_at(html, "activity_3") == "Use 60 characters or fewer"
    assert 'value="Walking the dog"' in html and 'value="x' + "x" * 60 + '"' in html
    assert re.search(r'id="score_2-6"[^>]*value="5" checked', html)
    assert html.count('class="error-summary"') == 1
    assert get_booking(app, booking_id).psfs_baseline is None
    # put right, it is stored and the held form goes
    client.post("/booking/activities", data={"activity_1": "Walking the dog", "score_1": "2"})
    assert get_booking(app, booking_id).psfs_baseline == [
        {"activity": "Walking the dog", "score": 2}
    ]


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({}, "activity_1", "Name at least one activity, or choose to skip this"),
        ({"activity_1": "Run", "score_1": "11"}, "score_1", "Select a number from 0 to 10"),
        ({"activity_1": "Run", "score_1": "-1"}, "score_1", "Select a number from 0 to 10"),
        ({"activity_1": "Run", "score_1": "３"}, "score_1", "Select a number from 0 to 10"),
    ],
)
def test_psfs_refuses_what_is_not_an_answer(app, sent, field, message):
    client, _, _ = send_booking(app)
    client.post("/booking/activities", data=sent)
    assert error_at(client.get("/booking/activities").get_data(as_text=True), field) == message


def test_psfs_can_be_skipped(app):
    client, _, booking_id = send_booking(app)
    response = client.post("/booking/activities", data={"action": "skip", "activity_1": "Run"})
    assert response.headers["Location"].endswith("/booking/sent")
    assert get_booking(app, booking_id).psfs_baseline == []
    assert "Request sent" in client.get("/booking/sent").get_data(as_text=True)


# -- the follow-up form -----------------------------------------------------------------------


def test_follow_up_shows_the_intake_questions_and_the_patients_own_activities(app):
    followup_id, token = followup_link(app, booked(app))
    response = app.test_client().get(f"/followup/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "How bad is your pain right now?" in page
    assert "On average, how bad has your pain been in the past week?" in page
    assert "In the past week, how much has pain got in the way of enjoying life?" in page
    assert "0 means no pain, 10 means worst pain you can imagine." in page
    assert "How well can you do this now: Walking the dog?" in page
    assert "How well can you do this now: Gardening?" in page
    assert "page 1 of 2" in page
    assert get_followup(app, followup_id).status == "sent"  # opening it changes nothing


def test_answers_are_stored_with_no_flags_and_the_link_is_then_used_up(app):
    followup_id, token = followup_link(app, booked(app))
    client = app.test_client()
    more = client.get(f"/followup/{token}/more")
    assert more.headers["Location"].endswith(f"/followup/{token}")  # page 1 first
    response = answer(client, token)
    assert response.headers["Location"].endswith("/followup/thanks")
    followup = get_followup(app, followup_id)
    assert followup.status == "answered" and followup.answered_at is not None
    assert followup.answers == {
        m.NPRS_NOW: 3,
        m.NPRS_AVG: 4,
        m.PEG_ENJOYMENT: 2,
        m.PEG_ACTIVITY: 3,
        m.PSFS: [7, 6],
        m.PGIC: 2,
        m.MEDICINE_DAYS: 1,
        m.MEDICINE_KINDS: [],
        m.AFTER_EFFECTS: ["soreness"],
        m.AFTER_EFFECTS_OTHER: None,
    }
    assert followup.flags == [] and followup.held is None
    thanks = client.get("/followup/thanks").get_data(as_text=True)
    assert "Thank you, your answers have been sent" in thanks
    assert "Something you told us" not in thanks
    # shown once; the link afterwards says it was answered
    refreshed = client.get("/followup/thanks").get_data(as_text=True)
    assert "already answered" in refreshed
    # a refresh must not take away the safety net a flagged thank-you page gave
    assert 'href="tel:999"' in refreshed
    for path in (f"/followup/{token}", f"/followup/{token}/more"):
        again = client.get(path)
        assert again.status_code == 200
        assert "you have already answered" in again.get_data(as_text=True)
        client.post(path, data=NOW)
    assert get_followup(app, followup_id).answers[m.NPRS_NOW] == 3


@pytest.mark.parametrize(
    ("now", "since", "flags"),
    [
        ({"nprs_now": "8"}, {}, ["pain_worse"]),  # 6 at intake: 2 points worse
        ({"nprs_now": "7"}, {}, []),  # 1 point worse: not flagged
        ({}, {"pgic": "6"}, ["much_worse"]),
        ({}, {"pgic": "7"}, ["much_worse"]),
        ({}, {"after_effects": ["soreness", "faint"]}, ["after_effect_faint"]),
        (
            {"nprs_now": "9"},
            {"pgic": "7", "after_effects": ["faint", "other"], "after_effects_other": "Rash"},
            ["pain_worse", "much_worse", "after_effect_faint", "after_effect_other"],
        ),
    ],
)
def test_what_a_clinician_should_see_is_flagged(app, now, since, flags):
    followup_id, token = followup_link(app, booked(app))
    client = app.test_client()
    answer(client, token, {**NOW, **now}, {**SINCE, **since})
    assert get_followup(app, followup_id).flags == flags
    thanks = client.get("/followup/thanks").get_data(as_text=True)
    assert ("Something you told us" in thanks) is bool(flags)
    if flags:
        assert 'call <a href="tel:999"><strong>999</strong></a> now' in thanks


def test_errors_are_shown_next_to_each_field_and_keep_what_was_typed(app):
    followup_id, token = followup_link(app, booked(app))
    client = app.test_client()
    sent = {"nprs_now": "4", "peg_pain_avg_week": "11", "psfs_1": "5"}
    response = client.post(f"/followup/{token}", data=sent)
    assert response.headers["Location"].endswith(f"/followup/{token}")
    page = client.get(f"/followup/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "<title>Error: " in html
    assert error_at(html, "peg_pain_avg_week") == "Enter a number from 0 to 10"
    assert error_at(html, "peg_enjoyment_interference").startswith("Select a number from 0 to 10")
    assert (
        error_at(html, "psfs_2")
        == "Select a number from 0 to 10 for how well you can do “Gardening”"
    )
    assert "nprs_now-error" not in html and "psfs_1-error" not in html
    assert re.search(r'id="nprs_now-5"[^>]*value="4" checked', html)
    assert re.search(r'id="psfs_1-6"[^>]*value="5" checked', html)
    assert get_followup(app, followup_id).answers is None
    # the second page's errors too
    client.post(f"/followup/{token}", data=NOW)
    bad = {"pain_medicine_days": "8", "after_effects": ["none", "faint"], "pgic": "9"}
    client.post(f"/followup/{token}/more", data=bad)
    html = client.get(f"/followup/{token}/more").get_data(as_text=True)
    assert error_at(html, "pgic") == "Select one of the options"
    assert error_at(html, "pain_medicine_days") == "Enter a number from 0 to 7"
    assert error_at(html, "after_effects") == "Select 'None' on its own, or the options that apply"
    # Back to page 1: what was sent there is shown again
    assert re.search(r'id="psfs_2-7"[^>]*value="6" checked', client.get(f"/followup/{token}").text)


def test_after_effects_need_an_answer_and_words_for_something_else(app):
    followup_id, token = followup_link(app, booked(app))
    client = app.test_client()
    client.post(f"/followup/{token}", data=NOW)
    client.post(f"/followup/{token}/more", data={**SINCE, "after_effects": []})
    html = client.get(f"/followup/{token}/more").get_data(as_text=True)
    assert error_at(html, "after_effects") == "Select the after-effects you had, or 'None'"
    assert "Soreness or a small bruise where the needles went are common" in html
    client.post(f"/followup/{token}/more", data={**SINCE, "after_effects": ["other"]})
    html = client.get(f"/followup/{token}/more").get_data(as_text=True)
    assert error_at(html, "after_effects_other") == "Tell us what else you noticed"
    # words without the box ticked count as something else
    since = {**SINCE, "after_effects": [], "after_effects_other": "A headache"}
    client.post(f"/followup/{token}/more", data=since)
    followup = get_followup(app, followup_id)
    assert followup.answers[m.AFTER_EFFECTS] == ["other"]
    assert followup.answers[m.AFTER_EFFECTS_OTHER] == "A headache"
    assert followup.flags == ["after_effect_other"]


def test_none_and_medicine_kinds_are_stored(app):
    followup_id, token = followup_link(app, booked(app, psfs=None))
    client = app.test_client()
    page = client.get(f"/followup/{token}").get_data(as_text=True)
    assert "How well can you do this now" not in page  # skipped the PSFS: nothing to re-rate
    now = {k: v for k, v in NOW.items() if not k.startswith("psfs")}
    since = {**SINCE, "after_effects": ["none"], "pain_medicine_kinds": ["nsaid", "opioid"]}
    answer(client, token, now, since)
    answers = get_followup(app, followup_id).answers
    assert answers[m.AFTER_EFFECTS] == ["none"] and m.PSFS not in answers
    assert answers[m.MEDICINE_KINDS] == ["nsaid", "opioid"]
    # kinds are asked (and kept) only when some medicine was taken
    followup_id, token = followup_link(app, booked(app, psfs=None))
    answer(client, token, now, {**since, "pain_medicine_days": "0"})
    assert get_followup(app, followup_id).answers[m.MEDICINE_KINDS] == []


def test_sport_is_asked_only_after_a_sport_injury(app):
    _, back_token = followup_link(app, booked(app))
    client = app.test_client()
    client.post(f"/followup/{back_token}", data=NOW)
    assert "Are you back to your sport?" not in client.get(f"/followup/{back_token}/more").text
    followup_id, token = followup_link(app, booked(app, journeys.SPORTS_INJURY))
    client.post(f"/followup/{token}", data=NOW)
    html = client.get(f"/followup/{token}/more").get_data(as_text=True)
    assert "Are you back to your sport?" in html
    client.post(f"/followup/{token}/more", data=SINCE)
    html = client.get(f"/followup/{token}/more").get_data(as_text=True)
    assert error_at(html, "sport_return") == "Select whether you are back to your sport"
    since = {**SINCE, "sport_return": "fully", "sport_return_date": "1 3 3020"}
    client.post(f"/followup/{token}/more", data=since)
    html = client.get(f"/followup/{token}/more").get_data(as_text=True)
    assert error_at(html, "sport_return_date") == "The date must be today or in the past"
    assert 'value="1 3 3020"' in html
    # the date is asked (and kept) only when fully back
    assert 'data-follow-up="sport_return" data-follow-up-values="fully"' in html
    # without the page's script (which hides it until "fully" is chosen) it is on the page
    field = re.search(r'<div class="field[^"]*" id="sport_return_date-field"[^>]*>', html).group(0)
    assert "hidden" not in field
    client.post(f"/followup/{token}/more", data={**since, "sport_return": "partly"})
    assert get_followup(app, followup_id).answers[m.SPORT_RETURN_DATE] is None
    followup_id, token = followup_link(app, booked(app, journeys.SPORTS_INJURY))
    client.post(f"/followup/{token}", data=NOW)
    client.post(f"/followup/{token}/more", data={**since, "sport_return_date": "1 3 2020"})
    answers = get_followup(app, followup_id).answers
    assert answers[m.SPORT_RETURN] == "fully" and answers[m.SPORT_RETURN_DATE] == "2020-03-01"


def test_unusable_links_show_a_friendly_page(app):
    booking_id = booked(app)
    client = app.test_client()
    _, expired = followup_link(app, booking_id, expires_in=-dt.timedelta(minutes=1))
    _, missed = followup_link(app, booking_id, status="missed", number=2)
    _, scheduled = followup_link(app, booking_id, status="scheduled", number=3)
    _, cancelled = followup_link(app, booking_id, status="cancelled", number=4)
    cases = [
        (expired, 410, "This link has expired"),
        (missed, 410, "This link has expired"),
        (scheduled, 404, "This link does not work"),
        (cancelled, 410, "Follow-up questions have stopped"),
        ("x" * 43, 404, "This link does not work"),
        ("short", 404, "This link does not work"),
        ("é" * 300, 404, "This link does not work"),
    ]
    for token, status, title in cases:
        for method in ("GET", "POST"):
            for path in (f"/followup/{token}", f"/followup/{token}/more"):
                response = client.open(path, method=method, data=NOW)
                assert response.status_code == status, (token, path)
                assert title in response.get_data(as_text=True)
                assert response.headers["Cache-Control"] == "no-store"


# -- unsubscribe ------------------------------------------------------------------------------


def audit_events(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (e.action, e.target, e.actor)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_unsubscribe_needs_the_button_and_stops_every_open_follow_up(app):
    booking_id = booked(app)
    answered_id, answered_token = followup_link(app, booking_id, number=1)
    answer(app.test_client(), answered_token)
    sent_id, sent_token = followup_link(app, booking_id, number=2)
    scheduled_id, _ = followup_link(app, booking_id, status="scheduled", number=3)
    with app.test_request_context():
        token = links.unsubscribe_token(get_booking(app, booking_id))
    client = app.test_client()
    page = client.get(f"/followup/stop/{token}")
    assert page.status_code == 200 and "Stop follow-up questions</button>" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # opening the link (as a mail scanner does) stops nothing
    assert get_booking(app, booking_id).followups_stopped_at is None
    assert get_followup(app, sent_id).status == "sent"
    response = client.post(f"/followup/stop/{token}")
    assert response.headers["Location"].endswith(f"/followup/stop/{token}")
    assert (
        "You will get no more follow-up questions" in client.get(response.headers["Location"]).text
    )
    stopped_at = get_booking(app, booking_id).followups_stopped_at
    assert stopped_at is not None
    assert get_followup(app, sent_id).status == "unsubscribed"
    assert get_followup(app, scheduled_id).status == "unsubscribed"
    assert get_followup(app, answered_id).status == "answered"
    expected = ("followup_unsubscribe", f"booking_request:{booking_id}", "patient")
    assert [e for e in audit_events(app) if e[0] == "followup_unsubscribe"] == [expected]
    # the follow-up's link stops working; a second click changes nothing
    stopped = client.get(f"/followup/{sent_token}")
    assert stopped.status_code == 410 and "Follow-up questions have stopped" in stopped.text
    assert client.post(f"/followup/stop/{token}").status_code == 302
    assert get_booking(app, booking_id).followups_stopped_at == stopped_at
    assert len([e for e in audit_events(app) if e[0] == "followup_unsubscribe"]) == 1


@pytest.mark.parametrize("token", ["forged", "MQ.bad-signature", "x" * 500])
def test_a_forged_unsubscribe_link_is_a_friendly_404(app, token):
    booked(app)
    client = app.test_client()
    for method in ("GET", "POST"):
        response = client.open(f"/followup/stop/{token}", method=method)
        assert response.status_code == 404
        assert "This link does not work" in response.get_data(as_text=True)
    assert not [e for e in audit_events(app) if e[0] == "followup_unsubscribe"]


# -- privacy, logs, limits --------------------------------------------------------------------


def test_the_privacy_notice_explains_follow_up(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "Questions after treatment (optional)" in page
    assert "To stop, use the button" in page
    assert "kept with your appointment request and deleted with it" in page


@pytest.mark.parametrize(
    "path", ["/followup/SECRETTOKEN123", "/followup/SECRETTOKEN123/more", "/followup/stop/SECRET"]
)
def test_follow_up_tokens_are_not_logged(path):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, '%s - - [x] "%s" %s %s', ("127.0.0.1",), None
    )
    record.msg = '"%s" %s %s'
    record.args = (f"POST {path}?a=b HTTP/1.1", "302", "-")
    HideQueryStrings().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line and "/followup/" in line


def test_follow_up_posts_are_rate_limited(app):
    _, token = followup_link(app, booked(app))
    app.config["PATIENT_RATE_LIMIT"] = "3 per minute"  # read at each request
    client = app.test_client()
    statuses = [client.post(f"/followup/{token}", data={}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert client.get(f"/followup/{token}").status_code == 422  # reading is not limited


# -- fuzz: every new form, garbage in, never a 5xx ---------------------------------------------

#: the new forms, with their own field names and values
FUZZED = {
    "patient.booking_activities": (
        [f"{kind}_{n}" for n in (1, 2, 3) for kind in ("activity", "score")] + ["action"],
        [str(n) for n in range(11)] + ["skip", "Walking"],
    ),
    "followup.answer": ([*NOW, "psfs_3"], [str(n) for n in range(11)]),
    "followup.answer_more": (
        [*SINCE, *m.ANSWER_IDS],
        [*map(str, range(8)), *m.AFTER_EFFECT_CHOICES, *m.SPORT_RETURN_CHOICES,
         *m.MEDICINE_KIND_CHOICES, "2026-01-01", "1 3 2020"],
    ),
    "followup.unsubscribe": (["csrf_token"], [""]),
}  # fmt: skip


#: a valid form of each, for bodies that change a few of its fields
VALID = {
    "patient.booking_activities": PSFS,
    "followup.answer": NOW,
    "followup.answer_more": {**SINCE, "sport_return": "fully"},
    "followup.unsubscribe": {},
}


class FollowUpFuzz:
    """A module-wide app with a request of each kind; each example gets fresh state."""

    def __init__(self, app):
        self.app = app
        self.bookings = [booked(app), booked(app, journeys.SPORTS_INJURY, psfs=None)]
        with app.app_context():
            self.unsubscribe = [
                links.unsubscribe_token(db.session.get(BookingRequest, booking_id))
                for booking_id in self.bookings
            ]

    def client_for(self, endpoint: str, booking_index: int, data) -> tuple[object, dict]:
        """A client and URL arguments that reach the endpoint's validation."""
        booking_id = self.bookings[booking_index]
        client = self.app.test_client()
        if endpoint == "patient.booking_activities":
            with self.app.app_context():
                booking = db.session.get(BookingRequest, booking_id)
                booking.psfs_baseline = None
                booking.submission.held_booking = None
                db.session.commit()
            with client.session_transaction() as session:
                session["psfs_booking"] = booking_id
            return client, {}
        if endpoint == "followup.unsubscribe":
            token = self.unsubscribe[booking_index]
        else:
            with self.app.app_context():
                number = (db.session.scalar(select(db.func.max(FollowUp.number))) or 0) + 1
            _, token = followup_link(self.app, booking_id, number=number)
            if endpoint == "followup.answer_more":
                client.post(f"/followup/{token}", data=NOW if booking_index == 0 else {
                    k: v for k, v in NOW.items() if not k.startswith("psfs")
                })  # fmt: skip
        return client, {"token": data.draw(st.one_of(st.just(token), SEGMENT), label="token")}

    def post_one(self, data) -> None:
        endpoint = data.draw(st.sampled_from(sorted(FUZZED)), label="endpoint")
        booking_index = data.draw(st.sampled_from([0, 1]), label="booking")
        client, arguments = self.client_for(endpoint, booking_index, data)
        with self.app.test_request_context():
            url = url_for(endpoint, **arguments)
        names, known = FUZZED[endpoint]
        if data.draw(st.integers(0, 9), label="raw?") == 0:
            body, content_type = data.draw(raw_bodies(), label="raw body")
            response = client.post(url, data=body, content_type=content_type)
            sent = body.decode("utf-8", "replace")
        else:
            form = data.draw(form_bodies(names, known), label="form")
            if data.draw(st.booleans(), label="over a valid form?"):
                form = {**VALID[endpoint], **form}  # reaches what lies past validation
            response = client.post(url, data=form)
            sent = repr(form)
        target = SimpleNamespace(endpoint=endpoint)
        check(target, response, sent)
        if response.status_code == 302 and response.headers["Location"].endswith(url):
            check(target, client.get(url), sent)  # the page shown again, with its errors
        if endpoint == "followup.unsubscribe":
            with self.app.app_context():
                db.session.execute(
                    sa.update(BookingRequest)
                    .where(BookingRequest.id == self.bookings[booking_index])
                    .values(followups_stopped_at=None)
                )
                db.session.commit()


@pytest.fixture(scope="module")
def fuzz_sqlite(tmp_path_factory) -> FollowUpFuzz:
    from tests.conftest import make_app

    tmp = tmp_path_factory.mktemp("followup-fuzz")
    app = make_app(f"sqlite:///{tmp / 'fuzz.db'}", tmp)
    yield FollowUpFuzz(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_postgres(postgres_available, tmp_path_factory) -> FollowUpFuzz:
    from tests.conftest import make_app, postgres_schema, require_service

    require_service(postgres_available, "PostgreSQL is not reachable")
    with postgres_schema(f"intake_followup_fuzz_{os.getpid()}") as url:
        app = make_app(url, tmp_path_factory.mktemp("followup-fuzz-pg"))
        yield FollowUpFuzz(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@given(data=st.data())
@fuzz_settings(300)
def test_fuzz_the_new_forms_on_sqlite(fuzz_sqlite, data):
    fuzz_sqlite.post_one(data)


@given(data=st.data())
@fuzz_settings(100)
def test_fuzz_the_new_forms_on_postgresql(fuzz_postgres, data):
    fuzz_postgres.post_one(data)
