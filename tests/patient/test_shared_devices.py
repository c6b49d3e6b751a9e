"""Patient privacy on shared devices (issue 14, finding 8): no patient page is stored by the
browser or a proxy; sending the booking ends the patient's session (the confirmation is shown
once); "Finish and clear my answers" on the result page does the same."""

from __future__ import annotations

import re

import pytest

from intake.screening.outcomes import OUTCOME_TEXT
from tests import journeys
from tests.conftest import make_app
from tests.e2e import AppHooks

REFERENCE = re.compile(r"DN-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}")
SUITABLE = OUTCOME_TEXT["suitable"].title
CLEARED = "Your answers are not shown on this device"


def screened(client, profile=journeys.BACK_PAIN_SUITABLE) -> None:
    journeys.walk(client, profile)
    assert client.post("/check").headers["Location"].endswith("/result")


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """Another browser holding a copy of an earlier session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def assert_no_store(response) -> None:
    assert response.headers.get("Cache-Control") == "no-store", response.request.path


def test_every_patient_page_with_answers_or_a_result_is_never_stored(app, client):
    client.post("/start")
    profile = journeys.BACK_PAIN_SUITABLE
    assert_no_store(client.get("/questions/about_you"))
    assert_no_store(client.post("/questions/about_you", data={}))  # 422, with what was typed
    later = {**profile["about_you"], "action": "save_later"}
    assert_no_store(client.post("/questions/about_you", data=later))
    assert_no_store(client.get("/save?step=about_you"))
    assert_no_store(client.post("/save", data={"email": "nope"}))
    assert_no_store(client.post("/save", data={"email": "later@example.com"}))
    path = AppHooks(app, lambda: session_cookie(client)).resume_path("later@example.com")
    assert_no_store(client.get(path))
    assert_no_store(client.post(path))
    screened(client)
    for path in ("/check", "/result", "/booking"):
        assert_no_store(client.get(path))
    assert_no_store(client.post("/booking", data={}))  # errors: back to the form by a GET
    assert_no_store(client.get("/booking"))  # 422, with what was typed
    assert_no_store(client.post("/booking", data=journeys.BOOKING))
    sent = client.get("/booking/sent")
    assert REFERENCE.search(sent.text)
    assert_no_store(sent)
    assert_no_store(client.get("/booking/sent"))  # the cleared page
    assert_no_store(client.get("/"))


def test_sending_the_booking_ends_the_session_and_shows_the_reference_once(app, client):
    screened(client)
    before = session_cookie(client)
    assert SUITABLE in client.get("/result").text
    response = client.post("/booking", data=journeys.BOOKING)
    assert response.headers["Location"].endswith("/booking/sent")
    page = client.get("/booking/sent").text
    reference = REFERENCE.search(page).group(0)
    assert "shown only once" in page
    # refresh, Back: the reference, the result and the answers are gone from this device
    for path in ("/booking/sent", "/result", "/booking"):
        response = client.get(path)
        assert response.status_code == 200
        assert CLEARED in response.text, path
        assert reference not in response.text and SUITABLE not in response.text, path
    assert client.get("/check").status_code == 404  # no questionnaire either
    # the cookie no longer names the submission, and a copy of the old one opens nothing
    session = app.session_interface.get_signing_serializer(app).loads(session_cookie(client))
    assert not {"submission", "draft_id", "sent_reference"} & set(session)
    old = replay(app, before)
    assert CLEARED in old.get("/result").text
    assert old.post("/booking", data=journeys.BOOKING).headers["Location"].endswith("/sent")
    assert CLEARED in old.get("/booking/sent").text


def test_the_result_page_offers_to_finish_and_clear(client):
    screened(client)
    page = client.get("/result").text
    form = re.search(r'<form method="post" action="/finish"[^>]*>(.*?)</form>', page, re.S)
    assert form, "a POST form to /finish"
    assert 'name="csrf_token"' in form.group(1)
    assert ">Finish and clear my answers</button>" in form.group(1)
    assert page.index('href="/booking"') < page.index('action="/finish"')  # booking comes first


def test_an_emergency_result_can_be_cleared_too(client):
    screened(client, journeys.SADDLE_NUMBNESS)
    page = client.get("/result").text
    assert 'action="/finish"' in page and 'href="/booking"' not in page
    assert page.index('href="tel:999"') < page.index('action="/finish"')


def test_finish_ends_the_session_and_confirms_on_the_start_page(app, client):
    screened(client)
    before = session_cookie(client)
    response = client.post("/finish")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    start = client.get("/")
    assert "Your answers and result have been cleared from this device." in start.text
    assert 'role="status"' in start.text
    assert "cleared from this device" not in client.get("/").text  # said once
    assert CLEARED in client.get("/result").text
    assert CLEARED in replay(app, before).get("/result").text
    # nothing was booked, and the next person starts afresh
    assert CLEARED in client.get("/booking").text
    assert client.post("/start").headers["Location"].endswith("/questions/about_you")


def test_finish_needs_the_form_token(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/start", data={"csrf_token": token})
    for step, answers in journeys.BACK_PAIN_SUITABLE.items():
        client.post(f"/questions/{step}", data={**answers, "csrf_token": token})
    client.post("/check", data={"csrf_token": token})
    assert client.post("/finish").status_code == 400  # a forged form clears nothing
    assert SUITABLE in client.get("/result").text
    assert client.post("/finish", data={"csrf_token": token}).status_code == 302
    assert CLEARED in client.get("/result").text


@pytest.mark.parametrize("path", ["/result", "/booking", "/booking/sent"])
def test_with_no_session_the_pages_say_so_kindly(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert CLEARED in response.text
    assert 'action="/start"' in response.text


def test_starting_again_forgets_the_last_result(client):
    """The next person on a shared device starts a new questionnaire: the last result is gone."""
    screened(client)
    assert SUITABLE in client.get("/result").text
    client.post("/start", data={"resume": "0"})
    assert CLEARED in client.get("/result").text
