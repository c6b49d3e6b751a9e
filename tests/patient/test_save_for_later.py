""" "Save for later" sends a link only within limits: per questionnaire, per email address (however
it is spelled) and per client address (issue 14, finding 7: one draft and 30 POSTs with
different addresses queued 30 emails)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.config import SETTINGS
from intake.extensions import db
from intake.models import Draft, OutboxMessage
from intake.patient.forms import SaveForLaterForm
from intake.patient.resume_links import limit_key_for_email
from tests import journeys
from tests.conftest import make_app

LIMITS = ("RESUME_LINK_LIMIT", "RESUME_LINK_CLIENT_LIMIT")
DEFAULT_LIMITS = {name: SETTINGS[name][0] for name in LIMITS}


@pytest.fixture
def limited_app(tmp_path):
    """An app with the shipped 'save for later' limits (the test default lifts them)."""
    assert DEFAULT_LIMITS == {
        "RESUME_LINK_LIMIT": "3 per hour",
        "RESUME_LINK_CLIENT_LIMIT": "10 per hour",
    }
    return make_app(f"sqlite:///{tmp_path / 'save.db'}", tmp_path, **DEFAULT_LIMITS)


def queued_links(app) -> int:
    with app.app_context():
        query = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "resume_link")
        return db.session.scalar(query)


def save(client, email: str, address: str = "127.0.0.1"):
    return client.post(
        "/save?step=about_you", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def start(client, address: str = "127.0.0.1") -> None:
    """A new questionnaire from `address`, with the first page saved for later."""
    client.post("/start", data={"resume": "0"}, environ_base={"REMOTE_ADDR": address})
    client.post(
        "/questions/about_you",
        data={**journeys.BACK_PAIN_SUITABLE["about_you"], "action": "save_later"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_one_draft_cannot_send_thirty_links(limited_app):
    client = limited_app.test_client()
    start(client)
    responses = [save(client, f"person{n}@example.com") for n in range(30)]
    assert [r.status_code for r in responses] == [200] * 3 + [429] * 27
    assert queued_links(limited_app) == 3
    # the page says why, at the field, keeping what was typed; it is not the generic 429 page
    page = responses[-1].text
    assert "<title>Error: Save and come back later" in page
    assert 'href="#email"' in page  # the error summary leads to the field
    assert "Too many links were asked for. Look for one we sent earlier" in page
    assert "try again in about an hour" in page  # the window started a moment ago
    assert 'value="person29@example.com"' in page
    # the answers saved before are still there, and the questionnaire carries on
    with limited_app.app_context():
        assert db.session.scalars(select(Draft)).one().answers["age"] == 45
    assert client.get("/questions/about_you").status_code == 200


def test_one_email_address_is_limited_across_questionnaires_and_spellings(limited_app):
    spellings = ["ada@example.com", "Ada@Example.COM", " ada+intake@example.com", "ADA@example.com"]
    statuses = []
    for n, email in enumerate(spellings):
        client = limited_app.test_client()  # each from another device and address
        start(client, f"192.0.2.{n + 1}")
        statuses.append(save(client, email, f"192.0.2.{n + 1}").status_code)
    assert statuses == [200, 200, 200, 429]
    assert queued_links(limited_app) == 3
    other = limited_app.test_client()
    start(other, "192.0.2.99")
    assert save(other, "grace@example.com", "192.0.2.99").status_code == 200


def test_one_client_address_is_limited_across_questionnaires(limited_app):
    client = limited_app.test_client()
    statuses = []
    for n in range(11):  # a new questionnaire each time, each link to a new address
        start(client)
        statuses.append(save(client, f"someone{n}@example.com").status_code)
    assert statuses == [200] * 10 + [429]
    assert queued_links(limited_app) == 10
    # another client address still has its own allowance
    other = limited_app.test_client()
    start(other, "198.51.100.4")
    assert save(other, "someone-else@example.com", "198.51.100.4").status_code == 200


def test_a_refused_request_counts_nothing(tmp_path):
    """A draft at its limit does not use up another address's or client's allowance."""
    app = make_app(
        f"sqlite:///{tmp_path / 'n.db'}",
        tmp_path,
        RESUME_LINK_LIMIT="1 per hour",
        RESUME_LINK_CLIENT_LIMIT="2 per hour",
    )
    client = app.test_client()
    start(client)
    assert save(client, "a@example.com").status_code == 200
    for _ in range(5):
        assert save(client, "b@example.com").status_code == 429  # the draft's limit
    start(client)  # a new questionnaire: the client has used 1 of 2, b@ none
    assert save(client, "b@example.com").status_code == 200


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada+later@example.com", "ada@example.com"),
        ("ada+a+b@example.com", "ada@example.com"),
        ("josé@exämple.com", "josé@exämple.com"),
    ],
)
def test_the_email_limit_ignores_case_spaces_and_tags(typed, key):
    assert limit_key_for_email(typed) == key


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "a minute"),
        (60, "a minute"),
        (61, "2 minutes"),
        (3540, "59 minutes"),
        (3599, "an hour"),
        (5340, "an hour"),
        (5400, "2 hours"),
        (86400, "24 hours"),
    ],
)
def test_the_wait_is_said_in_words(tmp_path, seconds, words):
    app = make_app(f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    with app.test_request_context():
        form = SaveForLaterForm()
        form.refuse(seconds)
    assert form.email.errors[0].endswith(f"try again in about {words}")
