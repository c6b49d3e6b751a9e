"""Each outcome's result page in Chromium on a phone: axe clean on screen, and printed as a
plain summary (no buttons or forms, black on white) with the reasons, date and reference.

The pages are the submissions of tests/patient/test_result_pages.py CASES (several rules
fired at once), opened through a route this module's own app adds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import redirect, session
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from intake.screening import outcomes
from tests.conftest import make_app
from tests.e2e.conftest import QuietHandler
from tests.e2e.test_accessibility import AXE, AXE_OPTIONS, describe
from tests.patient.test_result_pages import CASES, add_submission

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def result_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app where /__test__/result/<case> shows that case's result page to this browser."""
    tmp = tmp_path_factory.mktemp("results")
    app = make_app(f"sqlite:///{tmp / 'results.db'}", tmp)

    def show(name: str):
        outcome, rule_ids, answers = CASES[name]
        session["submission"] = add_submission(app, outcome, rule_ids, answers, commit_only=True)
        return redirect("/result")

    app.add_url_rule("/__test__/result/<name>", "test_result", show)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def open_case(page: Page, base: str, name: str) -> None:
    response = page.goto(f"{base}/__test__/result/{name}")
    assert response is not None and response.status == 200


@pytest.mark.parametrize("name", list(CASES))
def test_result_page_has_no_axe_violations(page: Page, result_server, screenshot, name):
    open_case(page, result_server, name)
    title = outcomes.OUTCOME_TEXT[CASES[name][0]].title
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    screenshot(page, f"result-{name}")
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def test_emergency_page_shows_the_number_first_and_nothing_to_request(page, result_server):
    open_case(page, result_server, "emergency")
    call = page.get_by_role("link", name="999").first
    expect(call).to_have_attribute("href", "tel:999")
    main = page.locator("main")
    for words in ("send us", "request", "Ask for an appointment", "Needs a doctor first"):
        expect(main).not_to_contain_text(words)
    expect(page.locator('a[href="/booking"]')).to_have_count(0)


def test_see_doctor_page_prints_as_a_summary_for_the_doctor(page: Page, result_server, screenshot):
    open_case(page, result_server, "see_doctor")
    expect(page.get_by_role("button", name="Continue to request an appointment")).to_be_visible()
    page.emulate_media(media="print")
    screenshot(page, "see_doctor-print")
    for hidden in ("main form", 'a[href="/booking"]', ".footer", "main .button"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    main = page.locator("main")
    expect(main).to_contain_text("You told us you have had cancer.")
    expect(main).to_contain_text("Reference: DN-")
    expect(main).to_contain_text("Answers given on ")
    expect(main).to_contain_text(outcomes.OUTCOME_TEXT["see_doctor"].timescale)
    panel = page.locator(".panel")
    colours = panel.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    assert colours == ["rgb(0, 0, 0)", "rgba(0, 0, 0, 0)"], colours
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
