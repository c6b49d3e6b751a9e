"""The patient journey's operations, called directly (no HTTP): intake.patient.journey and
the draft, resume-link and result operations of intake.patient.submissions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Submission
from intake.patient import journey, resume_links, submissions
from intake.patient.forms import BookingForm
from tests.answers import patient

TTL = 3600
CUTS = (4, 6)
ABOUT_YOU = {"respondent": ["self"], "age": ["35"], "sex": ["female"]}


@pytest.fixture
def ctx(app):
    """A request context (for url_for) around each operation, rolled back afterwards."""
    with app.test_request_context():
        yield
        db.session.rollback()


def draft_with(answers: dict | None = None):
    """A new draft holding these stored answers."""
    draft = submissions.start_draft(TTL)
    draft.answers = dict(answers or {})
    return draft


def question(step_id: str, **args) -> str:
    from flask import url_for

    return url_for("patient.question_page", step_id=step_id, **args)


# --- Where the patient goes ------------------------------------------------------------------


def test_a_new_draft_starts_at_the_first_page(ctx):
    trip = journey.Journey(draft_with())
    assert trip.unfinished_url() == question("about_you")
    assert trip.resume_url() == question("about_you")


def test_a_finished_draft_resumes_at_the_check_page(ctx):
    trip = journey.Journey(draft_with(patient()))
    assert trip.unfinished_url() is None
    assert trip.resume_url() == "/check"


@pytest.mark.parametrize(
    ("step_id", "detour"),
    [
        ("about_you", None),  # the first page still to answer
        ("your_pain", "about_you"),  # no skipping ahead
        ("back_warning_signs", "about_you"),  # hidden: no back pain answered yet
    ],
)
def test_pages_cannot_be_skipped_or_opened_while_hidden(ctx, step_id, detour):
    trip = journey.Journey(draft_with())
    expected = question(detour) if detour else None
    assert trip.detour_url(journey.find_step(step_id)) == expected


def test_answered_pages_can_be_opened_again(ctx):
    trip = journey.Journey(draft_with(patient()))
    assert trip.detour_url(journey.find_step("back_warning_signs")) is None


def test_after_saving_comes_the_next_visible_page(ctx):
    trip = journey.Journey(draft_with(patient()))
    assert trip.after_save_url(journey.find_step("pain_impact"), False) == question(
        "back_warning_signs"
    )
    assert trip.after_save_url(journey.find_step("needling_safety"), False) == "/check"


def test_a_change_returns_to_the_check_page(ctx):
    trip = journey.Journey(draft_with(patient()))
    assert trip.after_save_url(journey.find_step("about_you"), True) == "/check"


def test_a_change_that_reveals_a_page_asks_it_first(ctx):
    trip = journey.Journey(draft_with(patient(pain_onset="sport")))
    assert trip.after_save_url(journey.find_step("your_pain"), True) == question(
        "sports_injury", change=1
    )


def test_step_url_of_nothing_is_the_start_page(ctx):
    assert journey.find_step("no_such_step") is None
    assert journey.step_url(None) == "/"


# --- What the pages show ---------------------------------------------------------------------


def test_question_page_counts_parts_and_goes_back_one(ctx):
    trip = journey.Journey(draft_with(patient()))
    page = trip.question_page(journey.find_step("pain_impact"), changing=False)
    assert (page["part_number"], page["parts_total"]) == (2, 4)
    assert page["part"].title == "Your pain"
    assert page["back_url"] == question("your_pain")
    first = page["fields"][0]
    assert (first.name, first.values) == ("nprs_now", ["5"])  # the saved answer, filled in
    assert page["errors"] == []


def test_question_page_when_changing_goes_back_to_the_check_page(ctx):
    trip = journey.Journey(draft_with(patient()))
    page = trip.question_page(journey.find_step("needling_safety"), changing=True)
    assert page["back_url"] == "/check"
    assert page["changing"] is True


def test_question_page_after_an_error_keeps_what_was_entered(ctx):
    trip = journey.Journey(draft_with())
    step = journey.find_step("about_you")
    form = {**ABOUT_YOU, "age": ["abc"]}
    _, errors = trip.save(step, form, TTL)
    trip.hold(step, False, form, errors)
    assert trip.held(step, True) is None  # held for that page only
    page = trip.question_page(step, False)
    assert [f.name for f in page["errors"]] == ["age"]
    assert next(f for f in page["fields"] if f.name == "age").values == ["abc"]
    assert page["back_url"] == "/"


def test_check_page_lists_each_visible_step_and_goes_back_to_the_last(ctx):
    trip = journey.Journey(draft_with(patient()))
    page = trip.check_page()
    steps = [step.id for step, _ in page["sections"]]
    assert steps[0] == "about_you" and steps[-1] == "needling_safety"
    assert "sports_injury" not in steps
    assert page["back_url"] == question("needling_safety")
    assert "35" in [answer for _, _, answer in page["sections"][0][1]]


# --- Saving and completing -------------------------------------------------------------------


def test_a_valid_page_is_saved(ctx):
    draft = draft_with()
    _, errors = journey.Journey(draft).save(journey.find_step("about_you"), ABOUT_YOU, TTL)
    assert errors == {}
    assert draft.answers == {"respondent": "self", "age": 35, "sex": "female"}
    assert draft.last_step == "about_you"


def test_a_page_with_errors_is_not_saved_unless_partly(ctx):
    draft = draft_with()
    trip = journey.Journey(draft)
    form = {**ABOUT_YOU, "age": ["abc"]}
    _, errors = trip.save(journey.find_step("about_you"), form, TTL)
    assert set(errors) == {"age"} and draft.answers == {}
    trip.save(journey.find_step("about_you"), form, TTL, partial=True)
    assert draft.answers == {"respondent": "self", "sex": "female"}


def test_completing_screens_and_closes_the_draft(ctx):
    draft = draft_with(patient())
    trip = journey.Journey(draft)
    assert not trip.for_test_case
    submission = trip.complete(CUTS)
    assert submission.outcome == "suitable"
    assert submission.ruleset_version_id == trip.version_id
    assert draft.completed_at is not None and draft.answers == {}


def test_a_test_mode_draft_is_for_a_test_case(ctx):
    draft = draft_with(patient())
    draft.purpose = journey.TEST_CASE
    assert journey.Journey(draft).for_test_case


# --- Drafts, resume links, results, booking ---------------------------------------------------


def test_live_draft_is_none_when_missing_or_expired(ctx):
    draft = draft_with()
    db.session.flush()
    assert submissions.live_draft(draft.id) is draft
    assert submissions.live_draft(None) is None
    assert submissions.live_draft("no-such-draft") is None
    draft.expires_at = dt.datetime(2000, 1, 1)
    assert submissions.live_draft(draft.id) is None


def test_a_resume_link_is_queued_and_works_once(ctx):
    draft = draft_with()
    hours = resume_links.email_resume_link(draft, "later@example.com", 2 * 3600, "https://x.test/")
    assert hours == 2
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.kind == "resume_link" and message.recipients == ["later@example.com"]
    token = message.text_body.split("https://x.test/resume/", 1)[1].split()[0]
    assert resume_links.use_resume_token(token) is draft
    with pytest.raises(submissions.ResumeLinkInvalid):
        resume_links.use_resume_token(token)


def test_a_short_lived_link_still_says_one_hour(ctx):
    assert resume_links.email_resume_link(draft_with(), "a@example.com", 60, "https://x.test") == 1


def test_reasons_are_the_filled_in_patient_messages():
    fired = [
        {"outcome": "emergency", "patient_message": "Call {emergency_number} now."},
        {"outcome": "info", "patient_message": "For staff only."},
        {"outcome": "review", "patient_message": ""},
        {"outcome": "review", "patient_message": "Talk to {clinic_name} about {unknown}."},
    ]
    context = {"emergency_number": "999", "clinic_name": "Test Clinic"}
    assert submissions.reasons(Submission(fired=fired), context) == [
        "Call 999 now.",
        "Talk to Test Clinic about {unknown}.",
    ]


def test_booking_detour(ctx):
    submission = journey.Journey(draft_with(patient())).complete(CUTS)
    assert journey.booking_detour(submission) is None
    submission.outcome = "emergency"
    assert journey.booking_detour(submission) == "/result"
    submission.outcome = "suitable"
    details = {"name": "A", "email": "a@example.com", "phone": "+447911123456"}
    submissions.request_booking(submission, details)
    assert journey.booking_detour(submission) == "/booking/sent"


def test_booking_form_shows_every_field_but_the_honeypot(ctx):
    names = [view.name for view in BookingForm(meta={"csrf": True}).field_views()]
    assert names == [
        "name",
        "email",
        "phone",
        "preferred_days",
        "preferred_times",
        "message",
        "consent",
        "followup_consent",
    ]
