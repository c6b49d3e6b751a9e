"""Navigation that never loses anyone: once finished, the questionnaire's pages lead back to the
result; a page sent with errors is shown again by a redirect; refresh is safe (issue 11)."""

from tests import journeys


def text(response) -> str:
    return response.get_data(as_text=True)


def finished(client, profile=journeys.BACK_PAIN_SUITABLE) -> None:
    journeys.walk(client, profile)
    assert client.post("/check").headers["Location"].endswith("/result")


def test_back_from_the_result_shows_the_result(client):
    finished(client)
    # Back from the result is the check page; every question page leads there too.
    for url in ("/check", "/questions/needling_safety", "/questions/about_you?change=1"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/result"), url
    assert "Dry needling may suit you" in text(client.get("/result"))


def test_a_second_confirm_does_not_screen_twice(client, app):
    finished(client)
    again = client.post("/check")
    assert again.headers["Location"].endswith("/result")


def test_after_finish_and_clear_the_pages_say_the_answers_are_cleared(client):
    finished(client)
    client.post("/finish")
    assert client.get("/result").status_code == 200
    assert "not shown on this device" in text(client.get("/result"))
    assert client.get("/check").status_code == 404  # no answers and no result: start again


def test_a_new_questionnaire_after_a_result_starts_afresh(client):
    finished(client)
    client.post("/start")
    response = client.get("/questions/about_you")
    assert response.status_code == 200
    assert 'value="45"' not in text(response)


def test_refreshing_a_page_with_errors_keeps_the_errors_and_what_was_entered(client):
    client.post("/start")
    data = {"respondent": "self", "age": "forty"}
    response = client.post("/questions/about_you", data=data)
    assert response.status_code == 302  # never a page a browser would resubmit
    for _ in range(2):  # the redirect, then a refresh
        page = client.get("/questions/about_you")
        assert page.status_code == 422
        assert 'value="forty"' in text(page) and 'value="self" checked' in text(page)
    # Once the page is sent without errors, the held errors are gone.
    good = dict(journeys.BACK_PAIN_SUITABLE["about_you"])
    assert client.post("/questions/about_you", data=good).status_code == 302
    page = client.get("/questions/about_you")
    assert page.status_code == 200 and "error-summary" not in text(page)


def test_errors_held_for_one_page_are_not_shown_on_another(client):
    client.post("/start")
    client.post("/questions/about_you", data={"age": "x"})
    other = client.get("/questions/about_you?more=1")  # nothing pending: the page itself
    assert other.status_code == 200
    assert "error-summary" not in text(other)


def test_the_booking_form_with_errors_is_shown_again_by_a_redirect(client, app):
    finished(client)
    data = dict(journeys.BOOKING, phone="0791")
    response = client.post("/booking", data=data)
    assert response.headers["Location"] == "/booking"  # Back never meets a resubmission
    for _ in range(2):  # the redirect, then a refresh: what was typed is still there
        page = client.get("/booking")
        assert page.status_code == 422
        assert 'value="0791"' in text(page) and 'value="Ada Lovelace"' in text(page)
        assert "csrf_token" not in str(_held_booking(app))  # the token is never kept
    assert client.post("/booking", data=journeys.BOOKING).headers["Location"].endswith("/sent")
    assert _held_booking(app) is None  # sent: nothing held


def _held_booking(app):
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Submission

    with app.app_context():
        return db.session.scalars(select(Submission)).one().held_booking
