"""The patient journey through the test client: pages, branching, errors, drafts, booking."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import BookingRequest, Draft, Submission
from intake.screening import questionnaire
from tests import journeys
from tests.conftest import make_app

BACK_PAIN_STEPS = [
    "about_you",
    "pain_areas",
    "your_pain",
    "pain_impact",
    "back_warning_signs",
    "back_pain_pattern",
    "back_pain_outlook",
    "medication",
    "needling_safety",
]


def text(response) -> str:
    return response.get_data(as_text=True)


def post_with_errors(client, url: str, data: dict):
    """Send a question page that has errors: it redirects to itself (so Back never meets a
    form resubmission), and the page it redirects to shows the errors; that page is returned."""
    response = client.post(url, data=data)
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"] == url
    return client.get(url)


def errors_of(response) -> list[str]:
    """The field error messages on a page, in page order."""
    found = re.findall(
        r'class="error-message"><span class="visually-hidden">Error:</span> (.*?)</p>',
        text(response),
    )
    return [html.unescape(message) for message in found]


def finish(client, profile) -> str:
    """Walk a profile, confirm the answers, and return the result page's HTML."""
    journeys.walk(client, profile)
    response = client.post("/check")
    assert response.headers["Location"].endswith("/result")
    return text(client.get("/result"))


def test_start_page_explains_and_names_the_emergency_number(client):
    page = text(client.get("/"))
    assert "guidance, not a diagnosis" in page
    assert "not for emergencies" in page.lower()
    assert "<strong>999</strong>" in page
    assert 'href="/privacy"' in page
    assert "5 to 10 minutes" in page


def test_privacy_page(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    assert "<h1>Privacy notice</h1>" in text(response)


@pytest.mark.parametrize(
    ("profile", "expected_steps"),
    [
        (journeys.BACK_PAIN_SUITABLE, BACK_PAIN_STEPS),
        (
            journeys.SPORTS_INJURY,
            [
                "about_you",
                "pain_areas",
                "your_pain",
                "pain_impact",
                "sports_injury",
                "medication",
                "needling_safety",
            ],
        ),
        (
            journeys.FIBROMYALGIA,
            [
                "about_you",
                "pain_areas",
                "your_pain",
                "pain_impact",
                "widespread_pain",
                "other_symptoms",
                "medication",
                "needling_safety",
            ],
        ),
    ],
    ids=["back_pain", "sports_injury", "fibromyalgia"],
)
def test_branching_shows_only_the_relevant_steps(client, profile, expected_steps):
    assert journeys.walk(client, profile) == expected_steps


def test_progress_counts_parts_so_the_total_never_grows(client):
    client.post("/start")
    assert "Part 1 of 4: About you" in text(client.get("/questions/about_you"))
    client.post("/questions/about_you", data=journeys.BACK_PAIN_SUITABLE["about_you"])
    assert "Part 2 of 4: Your pain" in text(client.get("/questions/pain_areas"))
    client.post("/questions/pain_areas", data=journeys.BACK_PAIN_SUITABLE["pain_areas"])
    client.post("/questions/your_pain", data=journeys.BACK_PAIN_SUITABLE["your_pain"])
    client.post("/questions/pain_impact", data=journeys.BACK_PAIN_SUITABLE["pain_impact"])
    # Lower back pain adds the red-flag and STarT Back pages, but no part.
    assert "Part 2 of 4: Your pain" in text(client.get("/questions/back_warning_signs"))
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    assert "Part 3 of 4: Your medicines" in text(client.get("/questions/medication"))


@pytest.mark.parametrize(
    ("profile", "outcome_title", "reason"),
    [
        (journeys.BACK_PAIN_SUITABLE, "Dry needling may suit you", None),
        (
            journeys.BLOOD_THINNERS,
            "Dry needling may suit you, after a few checks",
            "You told us you take blood thinners.",
        ),
        (
            journeys.SADDLE_NUMBNESS,
            "Get urgent medical help now",
            "call 999 or go to an emergency department",
        ),
    ],
    ids=["suitable", "review", "emergency"],
)
def test_result_page_gives_outcome_and_reasons(client, profile, outcome_title, reason):
    page = finish(client, profile)
    assert f'<h1 class="panel__title">{outcome_title}</h1>' in page
    assert "guidance, not a diagnosis" in page
    if reason:
        assert reason in page
    assert "{emergency_number}" not in page


def test_emergency_leads_with_advice_and_offers_no_booking(client):
    page = finish(client, journeys.SADDLE_NUMBNESS)
    assert page.index('href="tel:999"><strong class="big">999</strong>') < page.index("Why")
    assert 'href="/booking"' not in page
    response = client.get("/booking")
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    with client.application.app_context():
        assert db.session.scalar(select(func.count(BookingRequest.id))) == 0


def test_submission_records_screening_and_versions(client, app):
    finish(client, journeys.BLOOD_THINNERS)
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.outcome == "review"
        assert [rule["id"] for rule in submission.fired] == ["anticoagulant"]
        assert submission.fired[0]["evidence"] == {"anticoagulant": True}
        assert submission.scores["startback"]["risk"] == "low"
        assert submission.questionnaire_version == questionnaire.VERSION
        assert submission.ruleset_version.number == 1
        assert submission.answers["medication_classes"] == ["anticoagulant"]
        draft = db.session.scalars(select(Draft)).one()
        assert draft.completed_at is not None and draft.answers == {}


def test_booking_request_is_stored_once_with_a_clear_reference(client, app):
    finish(client, journeys.BACK_PAIN_SUITABLE)
    first = client.post("/booking", data=journeys.BOOKING)
    assert first.headers["Location"].endswith("/booking/sent")
    second = client.post("/booking", data=journeys.BOOKING)
    assert second.headers["Location"].endswith("/booking/sent")
    page = text(client.get("/booking/sent"))
    reference = re.search(r"DN-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}", page)
    assert reference
    with app.app_context():
        bookings = db.session.scalars(select(BookingRequest)).all()
        assert len(bookings) == 1
        assert bookings[0].phone == "+447911123456"
        assert bookings[0].preferred_days == ["mon", "wed"]
        assert bookings[0].submission.reference == reference.group(0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your full name"),
        ("name", "Ada\nBcc: x@example.com", "Use letters, spaces, hyphens and apostrophes only"),
        ("name", "x" * 101, "Name must be 100 characters or fewer"),
        ("email", "", "Enter your email address"),
        ("email", "not-an-email", "Enter an email address in the correct format"),
        ("phone", "", "Enter a phone number"),
        ("phone", "12", "Phone number is too short: enter the whole number, like 07700 900123"),
        ("preferred_days", "sun", "Select from the options given"),
        ("message", "x" * 1001, "Use 1000 characters or fewer"),
        ("consent", "", "Confirm that you agree to the privacy notice and to being contacted"),
    ],
)
def test_booking_errors_are_shown_next_to_the_field_and_keep_input(client, field, value, message):
    finish(client, journeys.BACK_PAIN_SUITABLE)
    data = dict(journeys.BOOKING, **{field: value})
    response = post_with_errors(client, "/booking", data)
    assert response.status_code == 422
    page = text(response)
    assert page.startswith("<!doctype html>")
    assert "<title>Error: " in page
    assert "There is a problem" in page
    assert any(message in error for error in errors_of(response))
    assert f'id="{field}-error"' in page
    if field != "email":
        assert 'value="ada@example.com"' in page  # nothing already entered is lost


@pytest.mark.parametrize(
    ("step", "data", "field", "message"),
    [
        ("about_you", {}, "respondent", "Select who is answering these questions"),
        ("about_you", {"age": "abc"}, "age", "Enter a whole number, like 42"),
        ("about_you", {"age": "130"}, "age", "Enter a number from 1 to 120"),
        ("about_you", {"sex": "robot"}, "sex", "Select one of the options"),
        ("about_you", {"respondent": ["self", "someone_else"]}, "respondent", "Give one answer"),
        ("pain_areas", {"pain_map": ["elbow"]}, "pain_map", "Select from the options"),
        ("pain_areas", {}, "pain_map", "Select where you have had pain, or 'I have not had pain"),
        ("pain_impact", {"nprs_now": "11"}, "nprs_now", "Enter a number from 0 to 10"),
        (
            "medication",
            {"medication_classes": ["none", "opioid"]},
            "medication_classes",
            "Select 'None of these' on its own",
        ),
        (
            "medication",
            {},
            "medication_classes",
            "Select the medicines you take, or 'None of these'",
        ),
    ],
)
def test_question_page_errors(client, step, data, field, message):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    response = post_with_errors(client, f"/questions/{step}", data)
    assert response.status_code == 422
    page = text(response)
    assert "<title>Error: " in page
    assert f'href="#{field}' in page  # the summary links to the field
    assert f'id="{field}-error"' in page
    assert any(message in error for error in errors_of(response)), errors_of(response)


def test_sports_page_refuses_long_text_and_keeps_it(client):
    profile = journeys.SPORTS_INJURY
    client.post("/start")
    for step in ("about_you", "pain_areas", "your_pain", "pain_impact"):
        client.post(f"/questions/{step}", data=profile[step])
    long_name = dict(profile["sports_injury"], sport_name="x" * 81)
    response = post_with_errors(client, "/questions/sports_injury", long_name)
    assert errors_of(response) == ["Use 80 characters or fewer"]
    assert 'value="' + "x" * 81 + '"' in text(response)
    ok = client.post("/questions/sports_injury", data=profile["sports_injury"])
    assert ok.status_code == 302
    assert ok.headers["Location"].endswith("/questions/medication")


def test_answers_entered_on_a_page_with_an_error_are_kept(client):
    client.post("/start")
    response = post_with_errors(client, "/questions/about_you", {"respondent": "self", "age": "x1"})
    page = text(response)
    assert 'value="self" checked' in page
    assert 'value="x1"' in page


def test_saved_answers_survive_refresh_back_and_a_second_tab(client, app):
    client.post("/start")
    client.post("/questions/about_you", data=journeys.BACK_PAIN_SUITABLE["about_you"])
    page = text(client.get("/questions/about_you"))  # back button / refresh
    assert 'value="45"' in page and 'value="female" checked' in page
    second_tab = app.test_client()
    second_tab.set_cookie("session", client.get_cookie("session").value)
    assert 'value="45"' in text(second_tab.get("/questions/about_you"))


def test_session_cookie_holds_only_an_opaque_id(client, app):
    client.post("/start")
    client.post("/questions/about_you", data=journeys.BACK_PAIN_SUITABLE["about_you"])
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(client.get_cookie("session").value)
    assert set(session) <= {"draft_id", "_permanent", "csrf_token"}
    assert isinstance(session["draft_id"], str) and len(session["draft_id"]) >= 32


def test_expired_draft_says_so_and_offers_to_start_again(client, app):
    client.post("/start")
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.expires_at = dt.datetime(2000, 1, 1)
        db.session.commit()
    response = client.get("/questions/about_you")
    assert response.status_code == 410
    assert "Your answers have expired" in text(response)
    assert 'action="/start"' in text(response)


def test_no_draft_offers_to_start(client):
    response = client.get("/questions/your_pain")
    assert response.status_code == 404
    assert "Start the questionnaire" in text(response)


def test_cannot_skip_ahead_or_open_hidden_steps(client):
    client.post("/start")
    response = client.get("/questions/medication")
    assert response.headers["Location"].endswith("/questions/about_you")
    for step in ("about_you", "pain_areas", "your_pain"):
        client.post(f"/questions/{step}", data=journeys.SPORTS_INJURY[step])
    hidden = client.get("/questions/back_pain_outlook")  # no back pain: not shown
    assert hidden.status_code == 302
    # A page the questionnaire no longer has (an old tab of "goals", which joined "pain_impact")
    # leads to where the patient is, not to "page not found".
    for gone in ("goals", "nonsense"):
        response = client.get(f"/questions/{gone}")
        assert response.headers["Location"].endswith("/questions/pain_impact"), gone
    assert client.get("/check").headers["Location"].endswith("/questions/pain_impact")


def test_check_page_lists_answers_with_change_links(client):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    page = text(client.get("/check"))
    assert "How old are you?" in page and '<dd class="summary__value">45</dd>' in page
    assert "Lower back" in page
    for step in BACK_PAIN_STEPS:
        assert f'href="/questions/{step}?change=1"' in page
    assert "wpi_" not in page and "sb1_leg_pain" not in page  # labels, never raw ids


def test_change_link_returns_straight_to_check_page(client):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    page = text(client.get("/questions/about_you?change=1"))
    assert 'class="back-link" href="/check"' in page
    response = client.post(
        "/questions/about_you?change=1",
        data=dict(journeys.BACK_PAIN_SUITABLE["about_you"], age=["46"]),
    )
    assert response.headers["Location"].endswith("/check")
    assert '<dd class="summary__value">46</dd>' in text(client.get("/check"))


def test_change_that_hides_pages_drops_their_answers(client, app):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    response = client.post("/questions/pain_areas?change=1", data={"pain_map": ["wpi_neck"]})
    assert response.headers["Location"].endswith("/check")
    page = text(client.get("/check"))
    assert "Back pain: the last 2 weeks" not in page
    with app.app_context():
        answers = db.session.scalars(select(Draft)).one().answers
        assert "sb1_leg_pain" not in answers and "rf_saddle" not in answers


def test_change_that_reveals_a_page_asks_it_then_returns(client):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    response = client.post(
        "/questions/your_pain?change=1",
        data=dict(journeys.BACK_PAIN_SUITABLE["your_pain"], pain_onset=["sport"]),
    )
    assert response.headers["Location"].endswith("/questions/sports_injury?change=1")
    response = client.post(
        "/questions/sports_injury?change=1", data=journeys.SPORTS_INJURY["sports_injury"]
    )
    assert response.headers["Location"].endswith("/check")


def test_minor_is_asked_for_guardian_consent(client):
    profile = journeys.variant(
        journeys.BACK_PAIN_SUITABLE,
        about_you={"age": ["15"], "respondent": ["someone_else"]},
        consent={"unable_to_consent": ["no"], "guardian_consent_given": ["yes"]},
        # under 45 the back pain started before 45: not asked, the features are
        back_pain_pattern={"axspa_checklist": ["none"]},
    )
    page = finish(client, profile)
    assert "Dry needling may suit you, after a few checks" in page
    assert "parent or guardian" in page


def test_csrf_is_required_on_every_post(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/start")
    assert response.status_code == 400
    assert "Your page timed out" in text(response)
    page = text(client.get("/"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/start", data={"csrf_token": token}).status_code == 302


def test_error_pages_share_the_patient_style(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'errors.db'}", tmp_path)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in text(response) and 'class="header"' in text(response)
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in text(response)
    assert "RuntimeError" not in text(response)


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_save_and_come_back_later_keeps_what_is_valid(client, app):
    client.post("/start")
    response = client.post(
        "/questions/about_you",
        data={"respondent": "self", "age": "abc", "action": "save_later"},
    )
    assert response.headers["Location"].endswith("/save?step=about_you")
    with app.app_context():
        answers = db.session.scalars(select(Draft)).one().answers
    assert answers == {"respondent": "self"}
    page = client.get("/questions/about_you").text
    assert 'value="self" checked' in page


def test_error_summary_names_the_question(client):
    client.post("/start")
    page = post_with_errors(client, "/questions/about_you", {}).text
    # the message only, as GOV.UK does (it names the question itself)
    assert 'href="#respondent-1">Select who is answering these questions</a>' in page
