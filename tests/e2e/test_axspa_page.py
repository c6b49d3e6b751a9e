"""The back-pain pattern page on a phone (Chromium, 390 x 844): from 45 the spondyloarthritis
features are revealed under "Yes" to "Did your back pain first start before you were 45?" and
never shown after "No"; under 45 that question is not asked and the features show at once.
No page grows past 2.5 phone screens, and axe finds nothing on any state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import journeys
from tests.e2e import answer, token
from tests.e2e.conftest import PageHttp
from tests.e2e.test_accessibility import AXE, AXE_OPTIONS, describe

pytestmark = pytest.mark.browser

PAGE = "/questions/back_pain_pattern"
#: 2.5 phone screens of 844 CSS px (issue 11)
TALLEST = 2110


def at_age(age: int) -> dict:
    return journeys.variant(journeys.BACK_PAIN_SUITABLE, about_you={"age": [str(age)]})


def tap(page: Page, field: str, label: str) -> None:
    exactly = re.compile(f"^{re.escape(label)}$")
    page.locator(f"#{field}-field label.choice__label", has_text=exactly).click()


def height(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def no_axe_violations(page: Page) -> None:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def test_at_50_no_shows_no_features_and_yes_reveals_them(page: Page, http, screenshot):
    answer(http, at_age(50), "back_pain_pattern")
    page.goto(PAGE)
    onset, features = (
        page.locator("#axspa_onset_before_45-field"),
        page.locator("#axspa_checklist-field"),
    )
    expect(onset).to_be_visible()
    expect(features).to_be_hidden()
    no_axe_violations(page)
    tap(page, "axspa_onset_before_45", "No")
    expect(features).to_be_hidden()
    screenshot(page, "50-no")
    tap(page, "axspa_onset_before_45", "Yes")
    expect(features).to_be_visible()
    assert height(page) <= TALLEST
    no_axe_violations(page)
    screenshot(page, "50-yes")
    tap(page, "axspa_onset_before_45", "No")
    expect(features).to_be_hidden()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r"/questions/back_pain_outlook$"))


def test_at_30_the_onset_question_is_not_asked(page: Page, http, screenshot):
    answer(http, at_age(30), "back_pain_pattern")
    page.goto(PAGE)
    expect(page.locator("#axspa_onset_before_45-field")).to_have_count(0)
    expect(page.locator("#axspa_checklist-field")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text("Your answers on this page help us spot it.")
    assert height(page) <= TALLEST
    no_axe_violations(page)
    screenshot(page, "30")


def test_without_javascript_yes_asks_the_features_on_the_next_page(new_context, screenshot):
    page = new_context(java_script_enabled=False).new_page()
    answer(PageHttp(page), at_age(50), "back_pain_pattern")
    page.goto(PAGE)
    expect(page.locator("#axspa_checklist-field")).to_be_hidden()
    tap(page, "axspa_onset_before_45", "Yes")
    expect(page.locator("#axspa_checklist-field")).to_be_hidden()  # no script: stays hidden
    screenshot(page, "no-js-yes")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r"/questions/back_pain_pattern\?more=1$"))
    expect(page.locator("#axspa_checklist-field")).to_be_visible()
    expect(page.locator("#axspa_onset_before_45-field")).to_have_count(0)
    screenshot(page, "no-js-more")  # axe needs JavaScript: the same page is checked below


def test_the_features_asked_on_their_own_page_have_no_axe_violations(page: Page, http):
    answer(http, at_age(50), "back_pain_pattern")
    _, html = http.get(PAGE)
    landed, _ = http.post(PAGE, {"axspa_onset_before_45": "yes", "csrf_token": token(html)})
    assert landed == PAGE  # ?more=1
    page.goto(PAGE + "?more=1")
    expect(page.locator("#axspa_checklist-field")).to_be_visible()
    no_axe_violations(page)
