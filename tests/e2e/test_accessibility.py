"""axe-core on every patient page, including pages showing errors: zero violations.

axe-playwright-python injects its bundled axe through page.evaluate, which the app's
Content-Security-Policy (script-src 'self') allows. Pages are checked as a phone renders them,
with JavaScript on (so the error summary has focus, as a patient would find it).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.e2e import PATIENT_PAGES, PatientPage, prepare

pytestmark = pytest.mark.browser

AXE = Axe()
#: axe's defaults (WCAG 2.0/2.1 A and AA, and best practices), plus WCAG 2.2's target size
#: (2.5.8, off by default in axe 4.12): patients tap these pages on phones.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def open_page(page: Page, http, live_server, spec: PatientPage) -> int:
    """Bring this browser session to `spec` and show it; the HTTP status of the page."""
    path = prepare(http, spec, live_server.hooks(page.context))
    response = page.goto(path)
    status = response.status if response else 0
    if spec.submit is not None:
        for name, value in spec.submit.items():
            field = page.locator(f'main form [name="{name}"]')
            if field.get_attribute("type") == "checkbox":
                field.check(force=True)  # styled: the label draws the box
            else:
                field.fill(value)
        if spec.drop_cookies:
            page.context.clear_cookies()
        button = page.locator("main form button[type=submit]").first
        with page.expect_navigation() as navigation:
            button.click()
        status = navigation.value.status if navigation.value else 0
    return status


def describe(violations: list[dict]) -> str:
    """One readable block per violation: rule id, impact, help, and each failing element."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f"\n  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {', '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in PATIENT_PAGES])
def test_page_has_no_axe_violations(page: Page, http, live_server, screenshot, spec):
    status = open_page(page, http, live_server, spec)
    assert status == spec.status, f"{spec.name}: HTTP {status} at {page.url}"
    screenshot(page, spec.name)
    results = AXE.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    message = f"{len(violations)} axe violation(s) on {spec.name} ({page.url}):\n" + describe(
        violations
    )
    assert not violations, message
