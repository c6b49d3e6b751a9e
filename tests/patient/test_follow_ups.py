"""Follow-up questions appear only when the answer that calls for them is given: revealed under
their parent by the page's script, or without it asked on the next page; never shown, required
or stored otherwise (issue 11)."""

import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import Draft
from tests import journeys

ABOUT = "/questions/about_you"
MORE = "/questions/about_you?more=1"


def text(response) -> str:
    return response.get_data(as_text=True)


def answers(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Draft)).one().answers


def about(sex: str, **extra) -> dict:
    return {"respondent": "self", "age": "34", "sex": sex, **extra}


def test_without_javascript_a_female_patient_is_asked_about_pregnancy_on_the_next_page(client, app):
    client.post("/start")
    first = text(client.get(ABOUT))
    assert 'data-follow-up="sex"' in first  # on the page for the script, hidden without it
    response = client.post(ABOUT, data=about("female"))
    assert response.headers["Location"] == MORE
    page = text(client.get(MORE))
    assert "Are you pregnant?" in page
    assert 'name="respondent"' not in page and 'name="age"' not in page  # only the follow-up
    assert 'data-follow-up="sex"' not in page  # its question is not on this page: not indented
    assert 'data-follow-up="pregnant"' in page  # the weeks question, for the script to reveal
    response = client.post(MORE, data={"pregnant": "yes"})
    assert response.headers["Location"] == MORE  # its own follow-up comes next
    assert "How many weeks pregnant are you?" in text(client.get(MORE))
    response = client.post(MORE, data={"pregnancy_trimester": "2"})
    assert response.headers["Location"].endswith("/questions/pain_areas")
    saved = answers(app)
    assert (saved["sex"], saved["pregnant"], saved["pregnancy_trimester"]) == ("female", True, 2)


def test_a_male_patient_is_never_asked_about_pregnancy(client, app):
    client.post("/start")
    response = client.post(ABOUT, data=about("male"))
    assert response.headers["Location"].endswith("/questions/pain_areas")
    page = text(client.get(ABOUT))
    # The follow-up stays in the page only as hidden content for the script.
    wrapper = re.search(r'<div class="field[^"]*" id="pregnant-field"[^>]*>', page).group(0)
    assert re.search(r"\shidden(\s|>)", wrapper), wrapper
    assert client.get(MORE).headers.get("Location") is None  # nothing pending: the page itself
    assert "pregnant" not in answers(app)
    journeys.walk(client, journeys.SPORTS_INJURY)
    page = text(client.get("/check"))
    assert "pregnan" not in page.lower()


def test_an_answer_that_no_longer_calls_for_a_follow_up_drops_it(client, app):
    client.post("/start")
    client.post(ABOUT, data=about("female", pregnant="yes", pregnancy_trimester="1"))
    assert answers(app)["pregnancy_trimester"] == 1
    client.post(ABOUT, data=about("male", pregnant="yes", pregnancy_trimester="1"))
    saved = answers(app)
    assert "pregnant" not in saved and "pregnancy_trimester" not in saved


def test_with_javascript_a_revealed_follow_up_left_blank_is_an_error(client):
    client.post("/start")
    response = client.post(ABOUT, data=about("female", revealed="pregnant"))
    assert response.headers["Location"] == ABOUT  # shown again with the error
    page = client.get(ABOUT)
    assert page.status_code == 422
    assert 'id="pregnant-error"' in text(page)


def test_a_follow_up_answered_with_its_parent_is_stored_at_once(client, app):
    client.post("/start")
    response = client.post(ABOUT, data=about("female", revealed="pregnant", pregnant="no"))
    assert response.headers["Location"].endswith("/questions/pain_areas")
    assert answers(app)["pregnant"] is False


def test_what_happened_is_asked_only_after_a_reaction(client, app):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    url = "/questions/needling_safety"
    fine = {"safety_checklist": "none", "previous_needling": "yes_fine"}
    assert client.post(url, data=fine).headers["Location"].endswith("/check")
    reaction = dict(fine, previous_needling="yes_reaction")
    assert client.post(url, data=reaction).headers["Location"] == url + "?more=1"
    page = text(client.get(url + "?more=1"))
    assert "What happened?" in page and 'name="safety_checklist"' not in page
    response = client.post(url + "?more=1", data={"previous_needling_reaction": "Felt faint"})
    assert response.headers["Location"].endswith("/check")
    assert answers(app)["previous_needling_reaction"] == "Felt faint"
