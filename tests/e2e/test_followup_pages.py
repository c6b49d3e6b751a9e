"""The patient's follow-up pages in Chromium on a phone (390 x 844), checked by axe-core: the
PSFS page at booking, the follow-up form's two pages with and without errors, the thank-you
page, a used link and the unsubscribe page. Each page is also kept short enough to fill in on
a phone (no more than about 2.5 screens)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from intake.extensions import db
from intake.followup import links
from intake.followup.models import FollowUp
from intake.models import BookingRequest, utcnow
from tests import journeys
from tests.e2e import answer, token
from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import AXE, AXE_OPTIONS, describe

pytestmark = pytest.mark.browser

#: Where the screenshots are also copied, to look at.
SHOTS = Path("/tmp/shots/h1")
#: The tallest a form page may be: about 2.5 phone screens.
MOST_SCREENS = 2.5
ACTIVITIES = {
    "activity_1": "Carrying the shopping up the stairs to my flat",
    "score_1": "3",
    "activity_2": "Running 5 km",
    "score_2": "2",
    "activity_3": "Sleeping through the night",
    "score_3": "4",
}


def check_page(page: Page, screenshot, name: str, status: int, response) -> None:
    """The page came with `status`, has no axe violations; a screenshot of it is kept."""
    assert response is not None and response.status == status, (name, page.url)
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{name}: " + describe(violations)


def screens(page: Page) -> float:
    """The page's height in phone screens."""
    height = page.evaluate("document.documentElement.scrollHeight")
    return height / PHONE["viewport"]["height"]


def send_request(http, profile=journeys.BACK_PAIN_SUITABLE) -> str:
    """A questionnaire answered and screened, and a request sent with follow-up chosen."""
    answer(http, profile)
    _, html = http.get("/check")
    landed, _ = http.post("/check", {"csrf_token": token(html)})
    assert landed == "/result", landed
    _, html = http.get("/booking")
    data = {**journeys.BOOKING, "followup_consent": "y", "csrf_token": token(html)}
    landed, _ = http.post("/booking", data)
    return landed


def submit(page: Page):
    """Click the form's first button; the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").first.click()
    return navigation.value


def choose(page: Page, name: str, value: str) -> None:
    """Tick a radio or checkbox by its value (styled: the label draws the box)."""
    page.locator(f'main form input[name="{name}"][value="{value}"]').check(force=True)


def test_psfs_page_at_booking(page: Page, http, screenshot):
    assert send_request(http) == "/booking/activities"
    response = page.goto("/booking/activities")
    check_page(page, screenshot, "psfs", 200, response)
    assert screens(page) <= MOST_SCREENS
    page.fill("#activity_1", ACTIVITIES["activity_1"])
    choose(page, "score_2", "5")
    response = submit(page)
    check_page(page, screenshot, "psfs-errors", 422, response)
    assert page.locator("#score_1-error").is_visible()
    assert page.locator("#activity_2-error").is_visible()
    assert page.input_value("#activity_1") == ACTIVITIES["activity_1"]
    assert page.evaluate("document.activeElement.className") == "error-summary"
    page.fill("#activity_2", ACTIVITIES["activity_2"])
    choose(page, "score_1", "3")
    response = submit(page)
    check_page(page, screenshot, "psfs-sent", 200, response)
    assert "Request sent" in page.content()


def new_followup(live_server) -> str:
    """A follow-up, sent, of the newest request; the token of its link."""
    app = live_server.app
    with app.app_context():
        booking = db.session.scalars(
            select(BookingRequest).order_by(BookingRequest.id.desc())
        ).first()
        now = utcnow()
        followup = FollowUp(
            booking_request_id=booking.id,
            number=1,
            weeks=2,
            due_at=now,
            expires_at=now + dt.timedelta(days=28),
            status="sent",
            sent_at=now,
        )
        db.session.add(followup)
        db.session.flush()
        found = links.new_link(followup)
        db.session.commit()
        return found


def unsubscribe_path(live_server) -> str:
    with live_server.app.test_request_context():
        booking = db.session.scalars(
            select(BookingRequest).order_by(BookingRequest.id.desc())
        ).first()
        return f"/followup/stop/{links.unsubscribe_token(booking)}"


@pytest.mark.parametrize(
    ("profile", "name"),
    [(journeys.BACK_PAIN_SUITABLE, "back"), (journeys.SPORTS_INJURY, "sport")],
)
def test_follow_up_form_thanks_and_unsubscribe(
    page: Page, http, live_server, screenshot, profile, name
):
    assert send_request(http, profile) == "/booking/activities"
    _, html = http.get("/booking/activities")
    landed, _ = http.post("/booking/activities", {**ACTIVITIES, "csrf_token": token(html)})
    assert landed == "/booking/sent"
    link = new_followup(live_server)

    response = page.goto(f"/followup/{link}")
    check_page(page, screenshot, f"{name}-followup-1", 200, response)
    assert screens(page) <= MOST_SCREENS, screens(page)
    assert ACTIVITIES["activity_1"] in page.content()
    response = submit(page)
    check_page(page, screenshot, f"{name}-followup-1-errors", 422, response)
    for field in ("nprs_now", "peg_pain_avg_week", "peg_enjoyment_interference", "psfs_3"):
        assert page.locator(f"#{field}-error").is_visible()
    for field, value in [
        ("nprs_now", "3"),
        ("peg_pain_avg_week", "4"),
        ("peg_enjoyment_interference", "2"),
        ("peg_activity_interference", "3"),
        ("psfs_1", "6"),
        ("psfs_2", "5"),
        ("psfs_3", "7"),
    ]:
        choose(page, field, value)
    response = submit(page)
    check_page(page, screenshot, f"{name}-followup-2", 200, response)
    assert screens(page) <= MOST_SCREENS, screens(page)
    choose(page, "after_effects", "none")
    choose(page, "after_effects", "faint")  # the script unticks "None"
    assert not page.locator('input[name="after_effects"][value="none"]').is_checked()
    choose(page, "after_effects", "none")
    choose(page, "pgic", "3")
    response = submit(page)
    check_page(page, screenshot, f"{name}-followup-2-errors", 422, response)
    assert page.locator("#pain_medicine_days-error").is_visible()
    choose(page, "pain_medicine_days", "2")
    choose(page, "pain_medicine_kinds", "nsaid")
    choose(page, "after_effects", "faint")
    if name == "sport":
        choose(page, "sport_return", "partly")
    response = submit(page)
    check_page(page, screenshot, f"{name}-thanks", 200, response)
    assert "Something you told us" in page.content()

    response = page.goto(f"/followup/{link}")
    check_page(page, screenshot, f"{name}-already-answered", 200, response)
    stop = unsubscribe_path(live_server)
    response = page.goto(stop)
    check_page(page, screenshot, f"{name}-unsubscribe", 200, response)
    response = submit(page)
    check_page(page, screenshot, f"{name}-unsubscribed", 200, response)
    assert "You will get no more follow-up questions" in page.content()


def test_unusable_links_in_the_browser(page: Page, screenshot):
    response = page.goto("/followup/" + "x" * 43)
    check_page(page, screenshot, "link-unknown", 404, response)
    response = page.goto("/followup/stop/forged")
    check_page(page, screenshot, "unsubscribe-forged", 404, response)


def test_follow_up_works_without_javascript(new_context, http, live_server, screenshot):
    """With the script off, every question is on the page and the form sends as it is."""
    assert send_request(http) == "/booking/activities"
    link = new_followup(live_server)
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{live_server.url}/followup/{link}")
    for field in ("nprs_now", "peg_pain_avg_week", "peg_enjoyment_interference"):
        choose(page, field, "4")
    choose(page, "peg_activity_interference", "5")
    submit(page)
    assert page.url.endswith("/more")
    assert page.locator("#pain_medicine_kinds-field").is_visible()  # shown under its question
    choose(page, "pgic", "2")
    choose(page, "pain_medicine_days", "0")
    choose(page, "after_effects", "none")
    response = submit(page)
    assert response.status == 200  # (axe needs the script: it checks this page above)
    screenshot(page, "no-js-thanks")
    assert "Thank you, your answers have been sent" in page.content()
