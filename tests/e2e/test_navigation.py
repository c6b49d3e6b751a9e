"""Issue 11 in the browser (Chromium, 390 x 844): a follow-up asked on the next page without
JavaScript, Back after an error never meeting "Confirm form resubmission", Back from the result
showing the result; axe finds nothing on any of these page states."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests import journeys
from tests.e2e import answer, token
from tests.e2e.conftest import PageHttp
from tests.e2e.test_accessibility import AXE_OPTIONS, describe
from tests.e2e.test_inputs import tap

pytestmark = pytest.mark.browser

AXE = Axe()


def no_axe_violations(page: Page) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def continue_(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def test_without_javascript_pregnancy_comes_on_the_next_page(new_context, screenshot):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    answer(PageHttp(page), journeys.BACK_PAIN_SUITABLE, "about_you")
    page.goto("/questions/about_you")
    expect(page.get_by_text("Are you pregnant?")).to_be_hidden()
    tap(page, "respondent", "I am answering for myself")
    page.get_by_label("How old are you?").fill("31")
    tap(page, "sex", "Female")
    continue_(page)
    assert page.url.endswith("/questions/about_you?more=1")
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.get_by_text("Are you pregnant?")).to_be_visible()
    expect(page.get_by_text("How old are you?")).to_have_count(0)  # only the follow-up
    screenshot(page, "follow-up")
    tap(page, "pregnant", "Yes")
    continue_(page)
    expect(page.get_by_text("How many weeks pregnant are you?")).to_be_visible()
    tap(page, "pregnancy_trimester", "13 to 26 weeks")
    continue_(page)
    assert page.url.endswith("/questions/pain_areas"), page.url


def test_the_follow_up_page_is_accessible(page: Page, http, screenshot):
    answer(http, journeys.BACK_PAIN_SUITABLE, "about_you")
    _, html = http.get("/questions/about_you")
    female = {"respondent": "self", "age": "31", "sex": "female", "csrf_token": token(html)}
    _, html = http.post("/questions/about_you", female)  # redirected to its follow-up page
    assert "Are you pregnant?" in html and 'name="age"' not in html
    page.goto("/questions/about_you?more=1")  # axe runs in the page: JavaScript on
    expect(page.get_by_text("Are you pregnant?")).to_be_visible()
    screenshot(page, "follow-up-page")
    no_axe_violations(page)


def test_a_man_never_sees_a_pregnancy_question(page: Page, http, screenshot):
    answer(http, journeys.SPORTS_INJURY, "about_you")
    page.goto("/questions/about_you")
    tap(page, "sex", "Male")
    expect(page.get_by_text("Are you pregnant?")).to_be_hidden()
    expect(page.get_by_text("How many weeks pregnant")).to_be_hidden()
    no_axe_violations(page)
    tap(page, "respondent", "I am answering for myself")
    page.get_by_label("How old are you?").fill("29")
    continue_(page)
    assert page.url.endswith("/questions/pain_areas")
    assert "pregnan" not in page.content().lower()


def test_back_after_an_error_shows_the_page_not_a_resubmission(page: Page, http, screenshot):
    answer(http, journeys.BACK_PAIN_SUITABLE, "your_pain")
    page.goto("/questions/your_pain")
    continue_(page)  # nothing answered: errors
    assert page.url.endswith("/questions/your_pain")
    expect(page.locator(".error-summary")).to_be_visible()
    no_axe_violations(page)
    tap(page, "pain_duration", "More than 12 weeks")
    tap(page, "pain_onset", "Gradually, for no clear reason")
    tap(page, "fibromyalgia_diagnosed", "No")
    continue_(page)
    assert page.url.endswith("/questions/pain_impact")
    response = page.go_back()  # a POST in the history would ask to resubmit; a GET does not
    assert response is not None and response.request.method == "GET"
    expect(page.get_by_role("heading", level=1)).to_have_text("About your pain")
    screenshot(page, "back-after-error")


def test_back_from_the_result_shows_the_result(page: Page, http, screenshot):
    answer(http, journeys.BACK_PAIN_SUITABLE)
    page.goto("/check")
    with page.expect_navigation():
        page.get_by_role("button", name="See your result").click()
    title = page.get_by_role("heading", level=1).inner_text()
    page.go_back()
    assert page.url.endswith("/result"), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    screenshot(page, "back-from-result")


def test_check_your_answers_with_every_detail_open_is_accessible(page: Page, http, screenshot):
    answer(http, journeys.FIBROMYALGIA)
    page.goto("/check")
    for details in page.locator("details").all():
        details.locator("summary").click()
    expect(page.locator("details[open]")).to_have_count(page.locator("details").count())
    screenshot(page, "check-open")
    no_axe_violations(page)
