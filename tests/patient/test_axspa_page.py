"""The back-pain pattern page (spondyloarthritis, rule G7_axial_spa) asks only what can change
the result: the onset question from age 45, the 9 features only after "Yes" to it or under 45.
The features follow a "Yes" like any follow-up (revealed by the page's script, or on the next
page without it), are never stored after "No", and the check page and the clinic email show
what was asked."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import BookingRequest, Draft, OutboxMessage
from tests import journeys

PAGE = "/questions/back_pain_pattern"
MORE = PAGE + "?more=1"
NEXT = "/questions/back_pain_outlook"
ONSET_LABEL = "Did your back pain first start before you were 45?"
FEATURES_LABEL = "Do any of these describe your back pain or health?"
BEFORE = ("about_you", "pain_areas", "your_pain", "pain_impact", "back_warning_signs")


def text(response) -> str:
    return response.get_data(as_text=True)


def profile(age: int, **pattern: list[str]) -> dict:
    """The back-pain patient at this age, answering the pattern page with `pattern`."""
    return journeys.variant(
        journeys.BACK_PAIN_SUITABLE,
        about_you={"age": [str(age)]},
        back_pain_pattern=pattern,
    )


def reach_the_page(client, age: int) -> None:
    answers = profile(age)
    client.post("/start")
    for step in BEFORE:
        response = client.post(f"/questions/{step}", data=answers[step])
    assert response.headers["Location"] == PAGE


def saved(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Draft)).one().answers


def wrapper(page: str, field: str) -> str:
    return re.search(rf'<div class="field[^"]*" id="{field}-field"[^>]*>', page).group(0)


def is_hidden(tag: str) -> bool:
    return re.search(r"\shidden(\s|>)", tag) is not None


def test_under_45_only_the_features_are_asked_as_a_plain_question(client, app):
    reach_the_page(client, 30)
    page = text(client.get(PAGE))
    assert 'name="axspa_onset_before_45"' not in page and ONSET_LABEL not in page
    features = wrapper(page, "axspa_checklist")
    assert not is_hidden(features) and "data-follow-up" not in features  # not for the script
    assert "Your answers on this page help us spot it." in page
    response = client.post(PAGE, data={})
    assert response.headers["Location"] == PAGE  # the features are required
    assert 'id="axspa_checklist-error"' in text(client.get(PAGE))
    response = client.post(PAGE, data={"axspa_checklist": ["axspa_buttock_pain"]})
    assert response.headers["Location"] == NEXT
    answers = saved(app)
    assert "axspa_onset_before_45" not in answers and answers["axspa_buttock_pain"] is True


def test_from_45_no_to_onset_asks_nothing_more_and_stores_no_features(client, app):
    reach_the_page(client, 50)
    page = text(client.get(PAGE))
    assert ONSET_LABEL in page
    features = wrapper(page, "axspa_checklist")
    assert is_hidden(features) and 'data-follow-up="axspa_onset_before_45"' in features
    response = client.post(
        PAGE, data={"axspa_onset_before_45": "no", "axspa_checklist": ["axspa_psoriasis"]}
    )
    assert response.headers["Location"] == NEXT
    answers = saved(app)
    assert answers["axspa_onset_before_45"] is False
    assert not any(key.startswith("axspa_") and key != "axspa_onset_before_45" for key in answers)


def test_from_45_yes_without_javascript_asks_the_features_on_the_next_page(client, app):
    reach_the_page(client, 50)
    response = client.post(PAGE, data={"axspa_onset_before_45": "yes"})
    assert response.headers["Location"] == MORE
    page = text(client.get(MORE))
    assert FEATURES_LABEL in page and 'name="axspa_onset_before_45"' not in page
    assert "data-follow-up" not in wrapper(page, "axspa_checklist")
    response = client.post(MORE, data={"axspa_checklist": "none"})
    assert response.headers["Location"] == NEXT
    answers = saved(app)
    assert answers["axspa_onset_before_45"] is True and answers["axspa_psoriasis"] is False


def test_from_45_yes_with_the_features_revealed_needs_them_answered(client):
    reach_the_page(client, 50)
    data = {"axspa_onset_before_45": "yes", "revealed": "axspa_checklist"}
    assert client.post(PAGE, data=data).headers["Location"] == PAGE
    page = client.get(PAGE)
    assert page.status_code == 422 and 'id="axspa_checklist-error"' in text(page)


def change_age_from_30_to_50(client, app) -> None:
    """A patient under 45 ticked two features, then changed their age to 50 from the check
    page: the onset question is asked afresh and the ticks wait for its answer."""
    journeys.walk(client, profile(30, axspa_checklist=["axspa_buttock_pain", "axspa_psoriasis"]))
    about = dict(profile(30)["about_you"], age=["50"])
    response = client.post("/questions/about_you?change=1", data=about)
    assert response.headers["Location"] == PAGE + "?change=1"
    answers = saved(app)
    assert "axspa_onset_before_45" not in answers
    assert answers["axspa_buttock_pain"] is True and answers["axspa_psoriasis"] is True


def test_a_new_age_over_45_asks_the_onset_and_keeps_the_ticks_for_yes(client, app):
    change_age_from_30_to_50(client, app)
    page = text(client.get(PAGE + "?change=1"))
    features = wrapper(page, "axspa_checklist")
    assert is_hidden(features)  # until "Yes" reveals it, ticked as before
    ticked = re.findall(r'<input[^>]*value="(axspa_\w+)"[^>]*checked', page)
    assert ticked == ["axspa_buttock_pain", "axspa_psoriasis"]
    # Without the script only the onset comes back; the features are still the patient's.
    response = client.post(PAGE + "?change=1", data={"axspa_onset_before_45": "yes"})
    assert response.headers["Location"].endswith("/check")
    answers = saved(app)
    assert answers["axspa_onset_before_45"] is True and answers["axspa_psoriasis"] is True
    assert FEATURES_LABEL in text(client.get("/check"))


def test_a_new_age_over_45_and_no_to_onset_drops_the_ticks(client, app):
    change_age_from_30_to_50(client, app)
    response = client.post(PAGE + "?change=1", data={"axspa_onset_before_45": "no"})
    assert response.headers["Location"].endswith("/check")
    answers = saved(app)
    assert answers["axspa_onset_before_45"] is False
    assert not any(key.startswith("axspa_") and key != "axspa_onset_before_45" for key in answers)
    assert FEATURES_LABEL not in text(client.get("/check"))


def check_page(client, answers: dict) -> str:
    journeys.walk(client, answers)
    return text(client.get("/check"))


def test_the_check_page_shows_what_was_asked(app):
    under_45 = check_page(app.test_client(), profile(30, axspa_checklist=["none"]))
    assert FEATURES_LABEL in under_45 and ONSET_LABEL not in under_45
    said_no = check_page(app.test_client(), profile(50, axspa_onset_before_45=["no"]))
    assert ONSET_LABEL in said_no and FEATURES_LABEL not in said_no


def clinic_email(app, answers: dict) -> tuple[str, BookingRequest]:
    client = app.test_client()
    journeys.walk(client, answers)
    client.post("/check")
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    with app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.text_body).where(OutboxMessage.kind == "clinic_booking")
        ).one()
        booking = db.session.scalars(select(BookingRequest)).one()
        db.session.expunge(booking)
    return body, booking


def test_the_clinic_email_says_the_onset_of_a_patient_under_45_was_not_asked(app):
    three = ["axspa_buttock_pain", "axspa_improves_with_movement", "axspa_psoriasis"]
    body, booking = clinic_email(app, profile(30, axspa_checklist=three))
    assert FEATURES_LABEL in body  # with the answers
    assert "Features of inflammatory back pain" in body  # G7_axial_spa fired...
    # ... based on an onset the patient was not asked about, which the email says
    assert f"{ONSET_LABEL} Yes (not asked: worked out from other answers)" in body
    assert body.count(ONSET_LABEL) == 1  # not among the answers
    with app.app_context():
        submission = db.session.get(BookingRequest, booking.id).submission
        assert submission.outcome == "see_doctor"
        assert "axspa_onset_before_45" not in submission.answers
