"""The request page as reception uses it (issue 13), in Chromium: the desk at desktop and phone
width with no axe violations, the decline confirmation page, the Copy buttons (only with
JavaScript; the page works without), and a keyboard-only walk from the requests list to a
saved note, with its key presses counted."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from intake.clinic_time import day_text
from tests import journeys
from tests.conftest import create_staff
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.e2e.test_accessibility import AXE, AXE_OPTIONS, describe
from tests.e2e.test_staff import send_booking

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/request-page")
#: Tab presses on the request page from its top to the note box, by the skip link and the
#: "Add a note" link (the issue measured 16 before the desk came first)
MAX_TABS_ON_REQUEST_PAGE = 6
#: Tab presses from the requests list (as it loads) to the note box of its first request:
#: past the filters by the list's "Go to the requests" link (18 presses without it)
MAX_TABS_TO_NOTE = 12


def check_axe(page: Page, name: str) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe on {name}:\n" + describe(violations)


def keep(path: Path) -> None:
    """A copy of a screenshot where the lead looks at them (without the test's numbering)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / ("e2e-" + path.name.split("-", 1)[1]))


@pytest.fixture(scope="module")
def signed_in(browser, base_url, live_server) -> dict:
    """One login for the module (logins are rate-limited per address): its storage state."""
    email = f"desk-{uuid.uuid4().hex[:8]}@clinic.example.com"
    create_staff(live_server.app, email, "staff")
    context = browser.new_context(base_url=base_url, **DESKTOP)
    page = context.new_page()
    log_in(page, email)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def desk(browser, base_url, signed_in):
    """A staff member's page at desktop width (1366 x 900), logged in."""
    context = browser.new_context(base_url=base_url, storage_state=signed_in, **DESKTOP)
    yield context.new_page()
    context.close()


def open_newest(page: Page, name: str) -> None:
    """Find the request by the patient's name in the list and open it."""
    page.goto("/staff/requests?q=" + name.split()[-1])
    page.locator("tbody a[href^='/staff/requests/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request DN-")


def test_the_request_page_at_desktop_and_phone_width(
    desk: Page, browser, base_url, new_context, screenshot
):
    name = f"Ada {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BLOOD_THINNERS, name=name)
    page = desk
    open_newest(page, name)
    steps = page.locator(".first-steps")
    expect(steps).to_contain_text("Call them back")
    expect(steps).to_contain_text("A clinician should review before booking")
    # the desk comes before the clinical detail
    desk_top = page.get_by_role("heading", name="Status: New").bounding_box()["y"]
    note_top = page.get_by_label("Add a note").bounding_box()["y"]
    clinical_top = page.get_by_role("heading", name="Clinical detail").bounding_box()["y"]
    assert desk_top < note_top < clinical_top
    keep(screenshot(page, "desk-1366"))
    check_axe(page, "the request page at 1366 px")

    phone_context = browser.new_context(
        base_url=base_url, storage_state=page.context.storage_state(), **PHONE
    )
    phone = phone_context.new_page()
    phone.goto(page.url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the request page is {width} px wide on a 390 px phone"
    keep(screenshot(phone, "desk-390"))
    check_axe(phone, "the request page at 390 px")
    phone_context.close()


def test_declining_asks_for_a_reason_on_its_own_page(desk: Page, new_context, screenshot):
    name = f"Grace {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    page = desk
    open_newest(page, name)
    request_url = page.url
    page.get_by_role("link", name="Decline the request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decline request DN-")
    keep(screenshot(page, "confirm-decline"))
    check_axe(page, "the decline confirmation page")
    page.get_by_role("button", name="Decline request").click()
    expect(page.locator("#reason-error")).to_contain_text("Enter why you are declining")
    check_axe(page, "the decline confirmation page with its error")
    keep(screenshot(page, "confirm-decline-error"))
    page.get_by_label("Reason").fill("They chose another clinic")
    page.get_by_role("button", name="Decline request").click()
    expect(page.get_by_text("Request declined.")).to_be_visible()
    expect(page.get_by_role("heading", name="Status: Declined")).to_be_visible()
    expect(page.locator(".history")).to_contain_text("Reason: They chose another clinic")
    page.get_by_role("button", name="Reopen: back to New").click()
    expect(page.get_by_text("Reopened: the request is back to New.")).to_be_visible()
    assert page.url == request_url


def test_copy_buttons_come_with_javascript_and_the_page_works_without(
    desk: Page, browser, base_url, new_context
):
    name = f"Mary {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    page = desk
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_newest(page, name)
    copy = page.locator("[data-copy='contact-phone']")
    expect(copy).to_have_accessible_name("Copy the phone number")
    copy.click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text("Copied 07911 123456")
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "07911 123456"

    no_js = browser.new_context(
        base_url=base_url,
        storage_state=page.context.storage_state(),
        java_script_enabled=False,
        **DESKTOP,
    )
    plain = no_js.new_page()
    plain.goto(page.url)
    expect(plain.get_by_role("button", name="Copy the phone number")).to_be_hidden()
    plain.get_by_role("button", name="Mark as contacted").click()
    expect(plain.get_by_role("heading", name="Status: Contacted")).to_be_visible()
    no_js.close()


def tab_to(page: Page, found, limit: int = 40) -> int:
    """Press Tab until `found(focused element)` is true; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {found})(document.activeElement)"):
            return presses
    raise AssertionError(f"not reached in {limit} Tab presses")


def test_keyboard_only_from_the_list_to_a_saved_note(desk: Page, new_context, screenshot):
    name = f"Alan {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    page = desk
    page.goto("/staff/requests")  # the newest request is the first row
    first_row = page.locator("tbody a[href^='/staff/requests/']").first.get_attribute("href")
    tabs = tab_to(page, "el.classList.contains('skip-link')")
    page.keyboard.press("Enter")
    tabs += tab_to(page, "el.textContent.trim() === 'Go to the requests'")
    page.keyboard.press("Enter")
    tabs += tab_to(page, f"el.getAttribute('href') === '{first_row}'")
    on_list = tabs
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request DN-")
    on_page = tab_to(page, "el.classList.contains('skip-link')")
    page.keyboard.press("Enter")
    on_page += tab_to(page, "el.textContent.trim() === 'Add a note' && el.tagName === 'A'")
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#body'")
    focused = page.evaluate("document.activeElement.id")
    if focused != "body":  # the link moved the starting point, not the focus
        on_page += tab_to(page, "el.id === 'body'")
    page.keyboard.type("Left a voicemail at 10:05.")
    on_page += tab_to(page, "el.textContent.trim() === 'Add note'")
    page.keyboard.press("Enter")
    expect(page.locator(".note").first).to_contain_text("Left a voicemail at 10:05.")
    keep(screenshot(page, "keyboard-note-saved"))
    print(f"Tab presses: {on_list} on the list, {on_page} on the request page ({focused=})")
    assert on_page - 1 <= MAX_TABS_ON_REQUEST_PAGE  # - 1: from the note box to its button
    assert on_list + on_page - 1 <= MAX_TABS_TO_NOTE


def test_copy_sits_beside_an_ordinary_email_address_at_desktop_width(
    desk: Page, new_context, screenshot
):
    """desk-walk: at 1366 px the contact panel gave its labels 45% of the width, so the Copy
    button beside "siobhan@example.com" wrapped under the address."""
    name = f"Siobhan {uuid.uuid4().hex[:6]}"
    send_booking(
        new_context, journeys.BACK_PAIN_SUITABLE, name=name, email="siobhan.ob@example.com"
    )
    page = desk
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_newest(page, name)
    for field in ("phone", "email"):
        link = page.locator(f"#contact-{field}").bounding_box()
        copy = page.locator(f"[data-copy='contact-{field}']").bounding_box()
        assert copy["x"] > link["x"] + link["width"], f"Copy wrapped under the {field}"
        assert copy["y"] < link["y"] + link["height"], f"Copy wrapped under the {field}"
    keep(screenshot(page, "contact-1366"))


# -- forms sent with problems, and half-typed dates (desk walk) --------------------------------

DESK_SHOTS = Path("/tmp/shots/desk")


def keep_desk(path: Path) -> None:
    """A copy of a screenshot under /tmp/shots/desk (without the test's numbering)."""
    DESK_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, DESK_SHOTS / path.name.split("-", 1)[1])


def not_a_browser_error(page: Page) -> None:
    """The page is one of the app's, not Chromium's "Confirm form resubmission" page
    (ERR_CACHE_MISS), which a POST answered with a page leaves behind it in the history."""
    assert page.url.startswith("http"), page.url
    assert "ERR_CACHE_MISS" not in page.content()
    expect(page.locator("footer")).to_contain_text("Times are shown in")


def test_a_refused_decline_comes_back_by_a_redirect_so_back_never_resends(
    desk: Page, new_context, screenshot
):
    """desk-walk: the confirmation page answered a missing reason with a 422 page to the POST,
    so the browser's Back (and Forward, and refresh) afterwards asked to send it again."""
    name = f"Edith {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    page = desk
    open_newest(page, name)
    request_url = page.url
    page.get_by_role("link", name="Decline the request").click()
    confirm_url = page.url
    assert confirm_url.endswith("/status/declined")
    page.get_by_role("button", name="Decline request").click()
    expect(page.locator("#reason-error")).to_contain_text("Enter why you are declining")
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.url == confirm_url + "?problem=1"  # fetched again, not the answer to the POST
    keep_desk(screenshot(page, "decline-refused"))
    check_axe(page, "the decline page shown again with its error")

    page.reload()  # a refresh shows the same, and sends nothing
    not_a_browser_error(page)
    expect(page.locator("#reason-error")).to_contain_text("Enter why you are declining")
    page.go_back()  # the page as first opened: a clean form, not the problem shown again
    not_a_browser_error(page)
    assert page.url == confirm_url
    expect(page.locator("#reason-error")).to_have_count(0)
    page.go_forward()
    not_a_browser_error(page)
    expect(page.locator("#reason-error")).to_contain_text("Enter why you are declining")

    page.get_by_label("Reason").fill("They chose another clinic")
    page.get_by_role("button", name="Decline request").click()
    expect(page.get_by_role("heading", name="Status: Declined")).to_be_visible()
    page.go_back()  # to the page that showed the error: fetched again, nothing resent
    not_a_browser_error(page)
    expect(page.get_by_role("heading", name="Status: Declined")).to_be_visible()
    assert page.url == request_url
    assert page.locator(".history__reason").count() == 1


def test_a_refused_close_keeps_what_was_chosen(desk: Page, new_context, screenshot):
    name = f"Ida {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    page = desk
    open_newest(page, name)
    page.get_by_role("button", name="Mark as contacted").click()
    day = dt.date.today() + dt.timedelta(days=7)
    page.get_by_label("First appointment date").fill(day.isoformat())
    page.get_by_role("button", name="Mark as booked").click()
    expect(page.get_by_role("heading", name="Status: Booked")).to_be_visible()
    page.get_by_role("link", name="Close the request").click()
    page.locator("label", has_text="Treatment finished").click()  # the styled radio
    page.get_by_role("button", name="Close request").click()
    expect(page.locator("#reason-error")).to_contain_text("Enter why you are closing")
    expect(page.get_by_label("Treatment finished")).to_be_checked()  # nothing chosen is lost
    assert page.url.endswith("/status/closed?problem=1")
    keep_desk(screenshot(page, "close-refused"))
    page.go_back()
    not_a_browser_error(page)


def test_a_half_typed_call_back_day_is_stopped_with_a_message_by_the_field(
    desk: Page, new_context, screenshot
):
    """desk-walk: a call-back day half typed in the date picker went as no day at all, and
    "tried to call" was saved without one, and without a word."""
    name = f"Joan {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    page = desk
    open_newest(page, name)
    request_url = page.url
    date = page.get_by_label("Call back on (optional)")
    date.click()
    page.keyboard.type("4")  # the first part of the date only
    assert page.evaluate("document.getElementById('call_back_on').validity.badInput")
    page.get_by_role("button", name="Mark as tried to call").click()
    error = page.locator("#call_back_on-error")
    expect(error).to_have_text("Error: Enter the whole date: day, month and year")
    expect(date).to_be_focused()
    described = date.get_attribute("aria-describedby").split()
    assert described == ["call_back_on-hint", "call_back_on-error"]
    expect(page.locator("#call_back_on-field")).to_have_class(re.compile("field--error"))
    expect(page.get_by_role("heading", name="Status: New")).to_be_visible()  # not sent
    assert page.url == request_url
    keep_desk(screenshot(page, "call-back-half-typed"))
    check_axe(page, "the request page with a half-typed date")

    day = dt.date.today() + dt.timedelta(days=3)
    date.fill(day.isoformat())  # whole again: the message goes, and the form is sent
    expect(error).to_have_count(0)
    page.get_by_role("button", name="Mark as tried to call").click()
    expect(page.get_by_role("heading", name="Status: Tried to call")).to_be_visible()
    expect(page.get_by_text(f"Call back on: {day_text(day)}")).to_be_visible()
    keep_desk(screenshot(page, "call-back-saved"))


def test_without_javascript_the_browser_stops_a_half_typed_call_back_day(
    browser, base_url, signed_in, new_context
):
    """Left from issue 13: with JavaScript off, a half-typed call-back day went as no day, and
    "tried to call" replaced the earlier call-back day with none. The form is not novalidate,
    so the browser's own check stops it; staff.js makes it novalidate only to say why itself."""
    name = f"Ivor {uuid.uuid4().hex[:6]}"
    send_booking(new_context, journeys.BACK_PAIN_SUITABLE, name=name)
    context = browser.new_context(
        base_url=base_url, storage_state=signed_in, java_script_enabled=False, **DESKTOP
    )
    page = context.new_page()
    try:
        open_newest(page, name)
        request_url = page.url
        date = page.get_by_label("Call back on (optional)")
        date.click()
        page.keyboard.type("4")  # the first part of the date only
        button = page.get_by_role("button", name="Mark as tried to call")
        button.click()
        page.wait_for_timeout(1000)  # a sent form would have loaded the page again by now
        expect(page.get_by_role("heading", name="Status: New")).to_be_visible()
        assert page.url == request_url
        day = dt.date.today() + dt.timedelta(days=2)
        date.fill(day.isoformat())  # a whole date goes, without JavaScript too
        button.click()
        expect(page.get_by_role("heading", name="Status: Tried to call")).to_be_visible()
        expect(page.get_by_text(f"Call back on: {day_text(day)}")).to_be_visible()
    finally:
        context.close()


def test_a_half_typed_date_filter_is_stopped_too(desk: Page):
    page = desk
    page.goto("/staff/requests")
    page.get_by_label("Received from").click()
    page.keyboard.type("12")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#date_from-error")).to_have_text(
        "Error: Enter the whole date: day, month and year"
    )
    assert "date_from" not in page.url  # nothing was sent
