"""Staff in a desktop browser: log in, filter, open a request, change its status, export;
and change a rule threshold, see a test case refuse it, fix the test and publish."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from intake.clinic_time import day_text
from tests import journeys
from tests.conftest import STAFF_PASSWORD, create_staff
from tests.e2e import answer, token
from tests.e2e.conftest import PageHttp

pytestmark = pytest.mark.browser
DESKTOP = {
    "viewport": {"width": 1280, "height": 900},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}


def send_booking(new_context, profile, **booking) -> None:
    """A patient, in a browser context of their own, completes a journey and books."""
    context = new_context()
    http = PageHttp(context.new_page())
    answer(http, profile)
    _, html = http.get("/check")
    http.post("/check", {"csrf_token": token(html)})
    _, html = http.get("/booking")
    path, _ = http.post("/booking", {**journeys.BOOKING, **booking, "csrf_token": token(html)})
    assert path == "/booking/sent"
    context.close()


@pytest.fixture
def staff_page(browser, base_url, live_server):
    email = f"staff-{uuid.uuid4().hex[:8]}@clinic.example.com"
    create_staff(live_server.app, email, "admin")
    context = browser.new_context(base_url=base_url, accept_downloads=True, **DESKTOP)
    page = context.new_page()
    page.goto("/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff log in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    yield page
    context.close()


def test_staff_filter_open_change_status_and_export(staff_page: Page, new_context, screenshot):
    surname = uuid.uuid4().hex[:6]
    send_booking(new_context, journeys.BLOOD_THINNERS, name=f"Ada {surname}")
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=f"Grace {surname}")
    page = staff_page
    screenshot(page, "dashboard")
    expect(page.locator("svg.chart")).to_have_count(3)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Requests").click()
    page.get_by_label("Reference, name or email").fill(surname)
    page.get_by_label("Outcome").select_option("review")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"Ada {surname}")
    screenshot(page, "filtered")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these as CSV").click()
    exported = download.value.path().read_text()
    assert f"Ada {surname}" in exported and f"Grace {surname}" not in exported
    rows.first.get_by_role("link", name=re.compile(r"^DN-")).click()
    expect(page.get_by_text("Takes blood thinners (anticoagulants)").first).to_be_visible()
    screenshot(page, "request")
    page.get_by_role("button", name="Mark as contacted").click()
    expect(page.get_by_role("heading", name="Status: contacted")).to_be_visible()
    page.get_by_role("button", name="Mark as booked").click()  # without its date: refused
    expect(page.locator("#first_appointment_on-error")).to_contain_text(
        "Enter the date of the first appointment"
    )
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)
    page.get_by_label("First appointment date").fill(day.isoformat())
    page.get_by_role("button", name="Mark as booked").click()
    expect(page.get_by_role("heading", name="Status: booked")).to_be_visible()
    expect(page.get_by_text(f"First appointment: {day_text(day)}")).to_be_visible()
    page.get_by_label("Add a note").fill("Booked for Monday 10:00.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".note").last).to_contain_text("Booked for Monday 10:00.")
    screenshot(page, "request-booked")


def test_change_a_threshold_and_publish(staff_page: Page, screenshot):
    page = staff_page
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Rules").click()
    page.get_by_role("button", name="Edit the rules (makes a draft)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft rules")
    page.get_by_role("link", name="Edit First back pain at 50 or over, or under 20").click()
    age = page.locator("#g1_r0_value")
    expect(age).to_have_value("50")
    age.fill("55")
    page.get_by_text("I confirm this change to a safety rule").click()
    screenshot(page, "edit-g4")
    page.get_by_role("button", name="Save in the draft").click()
    expect(page.get_by_text("Safety rules changed: G4_age_new_onset")).to_be_visible()
    expect(page.get_by_text("First back pain at 50 (G4 boundary)", exact=True)).to_be_visible()
    page.get_by_label("What changed and why").fill("New-onset age threshold 55 (Hull)")
    page.get_by_text("I confirm these changes to safety rules").click()
    page.get_by_role("button", name="Publish as version").click()
    # the draft page again: why at the top, linking to the failing case; the note kept
    summary = page.locator(".error-summary").first
    expect(summary.get_by_role("heading")).to_have_text("Not published: fix these first")
    expect(summary).to_be_focused()
    expect(
        summary.get_by_role("link", name="Test case ‘First back pain at 50 (G4 boundary)’")
    ).to_have_attribute("href", re.compile(r"/staff/rules/tests/\d+$"))
    expect(page.get_by_label("What changed and why")).to_have_value(
        "New-onset age threshold 55 (Hull)"
    )
    screenshot(page, "refused")
    # The clinical lead agrees the boundary case is now different: replace the test case.
    page.goto("/staff/rules/tests")
    page.get_by_role("link", name="Delete First back pain at 50 (G4 boundary)").click()
    page.get_by_role("button", name="Yes, delete it").click()
    page.goto("/staff/rules/draft")
    expect(page.get_by_text("test cases pass")).to_be_visible()
    page.get_by_label("What changed and why").fill("New-onset age threshold 55 (Hull)")
    page.get_by_text("I confirm these changes to safety rules").click()
    page.get_by_role("button", name="Publish as version").click()
    expect(page.get_by_text("Published version")).to_be_visible()
    expect(page.get_by_text("How old are you? is at least 55")).to_be_visible()
    screenshot(page, "published")
    page.get_by_role("link", name="History and restore").click()
    expect(page.get_by_text("New-onset age threshold 55 (Hull)")).to_be_visible()


STAFF_AXE = Axe()
SHOTS = Path("/tmp/shots/h7")


def no_axe_violations(page: Page, name: str) -> None:
    """axe finds nothing on the staff page; a screenshot of it goes to SHOTS too."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    violations = STAFF_AXE.run(page, options={"resultTypes": ["violations"]}).response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_rules_desk_in_words_at_desktop_width(staff_page: Page, screenshot):
    """Search the rules list; a threshold change in the draft in words, with the stale-title
    warning; a test case edited and a delete confirmed; history in words."""
    page = staff_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/staff/rules/")
    page.get_by_label("Search", exact=True).fill("bladder")
    page.get_by_label("Safety", exact=True).select_option("yes")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#rules-count")).to_contain_text("Showing 1 of")
    expect(page.locator("tbody tr")).to_have_count(1)
    no_axe_violations(page, "1-rules-list-search")
    screenshot(page, "rules-search")

    if page.goto("/staff/rules/draft").status == 200:  # start from the published rules
        page.get_by_role("button", name="Discard the draft").click()
    page.goto("/staff/rules/")
    page.get_by_role("button", name="draft").click()
    page.goto("/staff/rules/draft/rule/G4_age_new_onset")
    age = page.locator("#g1_r0_value")
    old = int(age.input_value())
    age.fill(str(old + 5))
    page.get_by_text("I confirm this change to a safety rule").click()
    page.get_by_role("button", name="Save in the draft").click()
    words = f"When: How old are you? is at least {old} → is at least {old + 5}"
    expect(page.get_by_text(words)).to_be_visible()
    expect(page.get_by_text("its title mentions")).to_be_visible()
    expect(page.locator(".rule-changes")).not_to_contain_text("Enabled")
    no_axe_violations(page, "2-draft-changes-in-words")
    page.get_by_role("button", name="Discard the draft").click()

    page.goto("/staff/rules/tests")
    page.get_by_role("link", name="Edit Fear of needles, not advised").click()
    page.get_by_label("Name of the test case").fill("")
    page.get_by_role("button", name="Save the test case").click()
    expect(page.locator("#name-error")).to_contain_text("Enter a name for the test case")
    no_axe_violations(page, "3-test-case-edit-error")
    page.get_by_label("Name of the test case").fill("Fear of needles, not advised")
    page.get_by_role("button", name="Save the test case").click()
    expect(page.get_by_text("Saved test case 'Fear of needles, not advised'.")).to_be_visible()
    page.get_by_role("link", name="Delete Fear of needles, not advised").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the test case")
    no_axe_violations(page, "4-test-case-delete-confirm")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit test case")

    suffix = uuid.uuid4().hex[:6]
    page.goto("/staff/rules/")
    page.get_by_role("button", name="draft").click()
    page.goto("/staff/rules/draft/rule/diabetes")
    page.get_by_label("Title", exact=True).fill(f"Diabetes {suffix}")
    page.get_by_role("button", name="Save in the draft").click()
    page.get_by_label("What changed and why").fill("Clearer title")
    page.get_by_role("button", name="Publish as version").click()
    expect(page.get_by_text("Published version")).to_be_visible()
    page.goto("/staff/rules/history")
    expect(page.locator(".rule-version").first).to_contain_text(f"→ “Diabetes {suffix}”")
    no_axe_violations(page, "5-history-in-words")
    screenshot(page, "history")
