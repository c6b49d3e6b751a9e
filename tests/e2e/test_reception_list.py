"""The reception desk in a browser (issue 13): the dashboard's "Today's work" leads to the
requests list filtered to exactly that work; the list marks overdue rows in words, sorts oldest
first from its Received header, and on a phone becomes a list of cards with no sideways
scrolling. At 1366 x 900 and 390 x 844, with axe finding nothing on either page."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from intake.models import utcnow
from tests.conftest import create_staff
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.e2e.test_accessibility import AXE, AXE_OPTIONS, describe
from tests.staff.test_reception_list import add

pytestmark = pytest.mark.browser

SIZES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def staff_login(browser, base_url, live_server) -> tuple[dict, int]:
    """One staff login for the whole module (logins are rate limited per address): the
    browser storage that holds it, and the user's id."""
    email = f"desk-{uuid.uuid4().hex[:8]}@clinic.example.com"
    user_id = create_staff(live_server.app, email)
    context = browser.new_context(base_url=base_url, **SIZES["desktop"])
    page = context.new_page()
    log_in(page, email)
    state = context.storage_state()
    context.close()
    return state, user_id


@pytest.fixture(params=list(SIZES))
def desk_page(request, browser, base_url, live_server, staff_login):
    """The staff member at desktop or phone size, on the dashboard, with a few requests of
    their own (a unique surname tells them apart from other tests' requests)."""
    state, me = staff_login
    surname = f"Desk{uuid.uuid4().hex[:6]}"
    now = utcnow()
    ids = add(
        live_server.app,
        {
            "name": f"Ada {surname}",
            "created_at": now - dt.timedelta(days=9),
            "outcome": "see_doctor",
            "phone": "+447412345678",
            "preferred_days": ["mon", "thu"],
            "preferred_times": ["morning"],
            "assigned_to_id": me,
            "reference": f"DN-{surname[-6:].upper()}A",
        },
        {
            "name": f"Grace {surname}",
            "created_at": now - dt.timedelta(hours=3),
            "status": "tried_to_call",
            "call_back_on": now.date(),
            "reference": f"DN-{surname[-6:].upper()}B",
        },
    )
    context = browser.new_context(base_url=base_url, storage_state=state, **SIZES[request.param])
    page = context.new_page()
    page.goto("/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    yield page, request.param, surname, ids
    context.close()


def no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (width, page.viewport_size)


def no_axe_violations(page: Page, name: str) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{name} ({page.url}):\n" + describe(violations)


def test_from_todays_work_to_the_list_of_exactly_that_work(desk_page, screenshot):
    page, size, surname, _ = desk_page
    work = page.locator(".work-grid")
    expect(page.get_by_role("heading", name="Today's work")).to_be_visible()
    mine = work.locator("section", has=page.get_by_role("heading", name="Assigned to you"))
    expect(mine.get_by_role("link", name=f"DN-{surname[-6:].upper()}A")).to_be_visible()
    expect(mine).to_contain_text("waiting 9 days · overdue")
    expect(mine).not_to_contain_text(surname)  # no names on the dashboard
    no_sideways_scrolling(page)
    screenshot(page, f"{size}-dashboard")
    no_axe_violations(page, f"{size} dashboard")

    mine.get_by_role("link", name=re.compile(r"open requests? assigned to you")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking requests")
    expect(page.get_by_label("Assigned to")).to_have_value("me")
    expect(page.get_by_label("Status")).to_have_value("open")
    rows = page.locator("tbody tr", has_text=surname)
    expect(rows).to_have_count(1)  # Grace's is assigned to nobody
    expect(rows.first).to_contain_text(f"Ada {surname}")
    expect(rows.first.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(rows.first.get_by_role("link", name="07412 345678")).to_have_attribute(
        "href", "tel:+447412345678"
    )
    expect(rows.first).to_contain_text("Monday, Thursday")
    no_sideways_scrolling(page)
    screenshot(page, f"{size}-assigned-to-me")
    no_axe_violations(page, f"{size} list")


def test_the_list_searches_sorts_and_becomes_cards_on_a_phone(desk_page, screenshot):
    page, size, surname, _ = desk_page
    page.goto("/staff/requests")
    page.get_by_label("Reference, name or email").fill(surname)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"Grace {surname}")  # newest first
    expect(rows.nth(0)).to_contain_text("Tried to call")
    expect(rows.nth(0)).to_contain_text("Call back")
    if size == "desktop":
        header = page.get_by_role("columnheader", name=re.compile("^Received"))
        expect(header).to_have_attribute("aria-sort", "descending")
        header.get_by_role("link").click()
        expect(page.get_by_role("columnheader", name=re.compile("^Received"))).to_have_attribute(
            "aria-sort", "ascending"
        )
        cell_box = rows.nth(0).locator("td").nth(1).bounding_box()
        assert cell_box["width"] < 200  # a table: cells side by side
    else:
        expect(page.locator("thead")).to_be_hidden()
        page.get_by_role("link", name="Show oldest first").click()
        card = rows.nth(0).bounding_box()
        assert card["width"] <= 390 and card["x"] >= 0
        label = page.evaluate(
            "getComputedStyle(document.querySelector('tbody td[data-label=Phone]'),"
            " '::before').content"
        )
        assert label == '"Phone"'  # each value labelled in the card
    expect(rows.nth(0)).to_contain_text(f"Ada {surname}")  # oldest first now
    expect(page.get_by_label("Reference, name or email")).to_have_value(surname)
    no_sideways_scrolling(page)
    screenshot(page, f"{size}-oldest-first")
    no_axe_violations(page, f"{size} list oldest first")

    page.goto(f"/staff/requests?q={surname}&date_from=nonsense")
    expect(page.locator("#date_from-error")).to_contain_text("Enter a date like")
    no_sideways_scrolling(page)
    screenshot(page, f"{size}-date-error")
    no_axe_violations(page, f"{size} list with an error")
