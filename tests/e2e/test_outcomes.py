"""Outcome follow-up in a desktop browser (1366 x 900): a request's follow-up panel with its
flags marked as seen, and the outcomes report over ~60 realistic patients; axe on both."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import create_staff
from tests.e2e.conftest import DESKTOP, log_in
from tests.e2e.test_accessibility import AXE, AXE_OPTIONS, describe
from tests.followup.outcome_data import seed_realistic
from tests.followup.test_staff_panel import seed_patient

pytestmark = pytest.mark.browser
#: copies of the screenshots, for people reviewing the change
SHOTS = Path("/tmp/shots/h3")


@pytest.fixture
def staff_page(browser, base_url, live_server):
    email = f"staff-{uuid.uuid4().hex[:8]}@clinic.example.com"
    create_staff(live_server.app, email)
    context = browser.new_context(base_url=base_url, **DESKTOP)
    page = context.new_page()
    log_in(page, email)
    yield page
    context.close()


def check_axe(page: Page, name: str) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe on {name}:\n" + describe(violations)


def keep(path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_followup_panel_and_outcomes_report(staff_page: Page, live_server, screenshot):
    with live_server.app.app_context():
        seed_realistic(60)
        booking = seed_patient()
    page = staff_page
    page.goto(f"/staff/requests/{booking}#followup")
    panel = page.locator("#followup")
    expect(panel.get_by_role("heading", name="Needs a look")).to_be_visible()
    expect(panel.locator("svg.chart")).to_have_count(5)
    expect(panel.get_by_role("row", name="Climbing stairs 3 4 6")).to_be_visible()
    keep(screenshot(page, "followup-panel"))
    check_axe(page, "the request page with its follow-up panel")
    panel.get_by_role("button", name="Mark flags as seen").click()
    expect(page.get_by_text("Follow-up flags marked as seen.")).to_be_visible()
    expect(page.locator("#followup").get_by_role("heading", name="Needs a look")).to_have_count(0)

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Outcomes: what patients report after treatment"
    )
    expect(page.locator("svg.chart")).to_have_count(5)
    expect(
        page.get_by_role("heading", name="What these numbers can and cannot show")
    ).to_be_visible()
    keep(screenshot(page, "outcomes-report"))
    check_axe(page, "the outcomes report")
    page.get_by_label("First appointment from").fill("not a date")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Enter a date like 4/12/2026").first).to_be_visible()
    check_axe(page, "the outcomes report with an error")
