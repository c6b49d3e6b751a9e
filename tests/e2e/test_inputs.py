"""Inputs as a phone shows them (Chromium, 390 x 844): tap targets of at least 44 x 44 CSS px,
and follow-up questions revealed under their question (GOV.UK's conditional reveal) with
JavaScript, staying hidden without it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from intake.screening.branching import FOLLOW_UPS
from tests import journeys
from tests.e2e import PATIENT_PAGES, answer, prepare
from tests.e2e.conftest import PageHttp

pytestmark = pytest.mark.browser

#: WCAG 2.2's enhanced target size (2.5.5) and GOV.UK's radios and checkboxes: 44 CSS px.
TARGET = 44
#: Every question page of the three journeys, the check page and the booking form (with and
#: without errors): each kind of control a patient taps.
TAP_PAGES = [
    spec
    for spec in PATIENT_PAGES
    if (spec.name.startswith("question-") and not spec.name.endswith("-errors"))
    or spec.name in ("check", "booking", "booking-errors")
]

#: The clickable box of each control on screen, in CSS px: a radio or checkbox is its input
#: and its label together (tapping either one ticks it), and each part is measured too.
MEASURE = """() => {
  const box = el => el.getBoundingClientRect();
  const size = (what, b) => ({what, width: b.width, height: b.height});
  const out = [];
  document.querySelectorAll(".choice").forEach(choice => {
    if (!choice.getClientRects().length) return;  // a follow-up that is hidden
    const input = box(choice.querySelector(".choice__input"));
    const label = box(choice.querySelector(".choice__label"));
    const name = choice.querySelector(".choice__label").textContent.trim().slice(0, 40);
    out.push(size("radio/checkbox input: " + name, input));
    out.push(size("radio/checkbox label: " + name, {width: label.width, height: label.height}));
    out.push(size("radio/checkbox input+label: " + name, {
      width: Math.max(input.right, label.right) - Math.min(input.left, label.left),
      height: Math.max(input.bottom, label.bottom) - Math.min(input.top, label.top)}));
  });
  const each = (selector, what) => document.querySelectorAll(selector).forEach(el => {
    const name = el.textContent.trim().slice(0, 40);
    if (el.getClientRects().length) out.push(size(what + ": " + name, box(el)));
  });
  each(".back-link", "back link");
  each("main .button", "button");
  each("main .input", "text input");
  each(".summary__action a", "change link");
  return out;
}"""


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in TAP_PAGES])
def test_everything_a_patient_taps_is_at_least_44_px(page: Page, http, live_server, spec):
    path = prepare(http, spec, live_server.hooks(page.context))
    page.goto(path)
    if spec.submit is not None:  # the booking form sent empty: every field shows its error
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
    targets = page.evaluate(MEASURE)
    kinds = {t["what"].split(":")[0] for t in targets}
    assert "back link" in kinds and "button" in kinds, kinds
    if spec.name.startswith("question-") or spec.name.startswith("booking"):
        assert "radio/checkbox input+label" in kinds, kinds
    if spec.name == "check":
        assert "change link" in kinds, kinds
    small = [
        f"{t['what']}: {t['width']:.1f} x {t['height']:.1f}"
        for t in targets
        if t["height"] < TARGET
        or (t["width"] < TARGET and not t["what"].startswith("radio/checkbox label"))
    ]
    assert not small, f"{spec.name}: smaller than {TARGET} px:\n" + "\n".join(small)


def test_the_back_link_is_tall_enough_to_tap(page: Page, http):
    """The Back link was 24 px high: measured by itself, as the issue did."""
    answer(http, journeys.BACK_PAIN_SUITABLE, "your_pain")
    page.goto("/questions/your_pain")
    box = page.locator(".back-link").bounding_box()
    assert box["height"] >= TARGET and box["width"] >= TARGET, box


# --- follow-up questions ----------------------------------------------------------------

PREGNANT_PARENT, PREGNANT_VALUES = FOLLOW_UPS["pregnant"]
TRIMESTER_PARENT, _ = FOLLOW_UPS["pregnancy_trimester"]


def tap(page: Page, field: str, label: str) -> None:
    """Tap the label of an option of a question, as a patient does."""
    exactly = re.compile(f"^{re.escape(label)}$")
    page.locator(f"#{field}-field label.choice__label", has_text=exactly).click()


def revealed(page: Page, field: str) -> bool:
    """Whether the follow-up's 'revealed' input would be sent with the form."""
    return page.locator(f'#{field}-field input[name="revealed"]').is_enabled()


def test_a_follow_up_is_revealed_under_its_question_and_hidden_again(page: Page, http, screenshot):
    assert PREGNANT_PARENT == "sex" and TRIMESTER_PARENT == "pregnant"
    answer(http, journeys.BACK_PAIN_SUITABLE, "about_you")
    page.goto("/questions/about_you")
    pregnant, weeks = page.locator("#pregnant-field"), page.locator("#pregnancy_trimester-field")
    expect(pregnant).to_be_hidden()
    expect(weeks).to_be_hidden()
    assert not revealed(page, "pregnant")

    tap(page, "sex", "Female")
    expect(pregnant).to_be_visible()
    assert revealed(page, "pregnant")
    expect(weeks).to_be_hidden()
    tap(page, "pregnant", "Yes")
    expect(weeks).to_be_visible()
    assert revealed(page, "pregnancy_trimester")
    screenshot(page, "revealed")

    # Indented under its question, with a border on its left, as GOV.UK does.
    sex_box = page.locator("#sex-field").bounding_box()
    box = pregnant.bounding_box()
    assert box["x"] >= sex_box["x"] + 16 and box["y"] >= sex_box["y"] + sex_box["height"] - 20
    assert pregnant.evaluate("el => getComputedStyle(el).borderLeftStyle") == "solid"

    # A follow-up of a follow-up goes when its own question goes.
    tap(page, "sex", "Male")
    expect(pregnant).to_be_hidden()
    expect(weeks).to_be_hidden()
    assert not revealed(page, "pregnant") and not revealed(page, "pregnancy_trimester")
    tap(page, "sex", "Prefer not to say")
    expect(pregnant).to_be_visible()
    expect(weeks).to_be_visible()  # "Yes" is still chosen: its follow-up comes back with it


def test_a_page_shown_again_after_an_error_keeps_what_was_revealed(page: Page, http, screenshot):
    answer(http, journeys.BACK_PAIN_SUITABLE, "about_you")
    page.goto("/questions/about_you")
    tap(page, "sex", "Female")
    tap(page, "pregnant", "Yes")
    page.locator("main form button[type=submit]").first.click()  # no age: an error
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#pregnant-field")).to_be_visible()
    expect(page.locator("#pregnancy_trimester-field")).to_be_visible()
    assert revealed(page, "pregnant") and revealed(page, "pregnancy_trimester")
    screenshot(page, "error")


def test_without_javascript_a_follow_up_stays_hidden(new_context, screenshot):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    answer(PageHttp(page), journeys.BACK_PAIN_SUITABLE, "about_you")
    page.goto("/questions/about_you")
    tap(page, "sex", "Female")
    expect(page.locator("#pregnant-field")).to_be_hidden()
    assert not revealed(page, "pregnant")
    screenshot(page, "no-javascript")
