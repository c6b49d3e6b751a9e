"""Inputs as GOV.UK does them: the field macro ("(optional)", follow-up questions, the error
summary), `wtf_field`'s optional flag, and dates typed with month names."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from wtforms import Form, StringField
from wtforms.validators import InputRequired, Optional

from intake.forms import ChoiceView, FieldView, error_views, wtf_field
from intake.patient.forms import BookingForm
from intake.screening.answers import AnswerError, _parse_date
from intake.screening.questionnaire import MESSAGES, QUESTIONS
from tests.conftest import make_app


@pytest.fixture(scope="module")
def macros(tmp_path_factory):
    """The field macros, rendered outside any request."""
    tmp = tmp_path_factory.mktemp("inputs")
    app = make_app(f"sqlite:///{tmp / 'inputs.db'}", tmp)
    with app.app_context():
        yield app.jinja_env.get_template("macros/fields.html").module


def radios(name: str, **extra) -> FieldView:
    choices = [ChoiceView("yes", "Yes"), ChoiceView("no", "No")]
    return FieldView(name, name, "radios", "Are you pregnant?", choices=choices, **extra)


# --- "(optional)" -------------------------------------------------------------------------


def test_optional_fields_say_so_in_the_label_and_the_legend(macros):
    text = str(macros.field(FieldView("notes", "notes", "textarea", "Notes", optional=True)))
    assert '<label class="label" for="notes">Notes (optional)</label>' in text
    legend = str(macros.field(radios("pregnant", optional=True)))
    assert '<legend class="legend">Are you pregnant? (optional)</legend>' in legend
    heading = str(macros.field(radios("pregnant", optional=True), heading=True))
    assert '<h1 class="legend__heading">Are you pregnant? (optional)</h1>' in heading


def test_required_fields_do_not(macros):
    assert "(optional)" not in str(macros.field(FieldView("age", "age", "number", "Age")))
    assert "(optional)" not in str(macros.field(radios("pregnant")))


def test_wtf_field_marks_fields_with_an_optional_validator():
    class Example(Form):
        nickname = StringField("Nickname", validators=[Optional()])
        name = StringField("Name", validators=[InputRequired()])

    form = Example()
    assert wtf_field(form.nickname).optional is True
    assert wtf_field(form.name).optional is False


def test_the_booking_message_says_optional_once(app):
    with app.test_request_context():
        views = {view.name: view for view in BookingForm().field_views()}
    assert views["message"].label == "Anything that would help us arrange your appointment?"
    assert views["message"].optional and views["preferred_days"].optional
    assert not views["phone"].optional and not views["name"].optional


def test_no_question_is_asked_twice_on_the_way_to_a_booking(app):
    """The questionnaire and the booking form never ask the same question in the same words
    (they once both ended with "Anything else you would like ...?"). Checklists are left out:
    "Do any of these apply to you?" heads different lists of items, as design.md asks."""
    with app.test_request_context():
        booking = [view.label for view in BookingForm().field_views()]
    asked = [q.label for q in QUESTIONS.values() if q.kind != "checklist"] + booking
    words = [re.sub(r"\W+", " ", label.casefold()).strip() for label in asked]
    assert len(words) == len(set(words)), sorted(w for w in words if words.count(w) > 1)
    assert not [w for w in words if w.startswith("anything else you would like to")]


# --- follow-up questions ----------------------------------------------------------------


def weeks(hidden: bool, error: str = "") -> FieldView:
    return FieldView(
        "pregnancy_weeks",
        "pregnancy_weeks",
        "number",
        "How many weeks pregnant are you?",
        follow_up=("pregnant", ("yes", "not_sure")),
        hidden=hidden,
        error=error,
    )


def wrapper(html: str) -> str:
    return re.search(r'<div class="field[^"]*" id="pregnancy_weeks-field"[^>]*>', html).group(0)


def test_a_follow_up_names_its_question_and_the_answers_that_call_for_it(macros):
    html = str(macros.field(weeks(hidden=True)))
    tag = wrapper(html)
    assert "field--follow-up" in tag
    assert 'data-follow-up="pregnant"' in tag
    assert 'data-follow-up-values="yes not_sure"' in tag
    assert tag.endswith(" hidden>")
    # disabled until the script reveals it: only then is it sent
    assert '<input type="hidden" name="revealed" value="pregnancy_weeks" disabled>' in html


def test_a_follow_up_the_answers_call_for_is_not_hidden(macros):
    html = str(macros.field(weeks(hidden=False, error="Enter the number of weeks")))
    tag = wrapper(html)
    assert "hidden" not in tag and "field--error" in tag
    assert 'name="revealed"' in html


def test_other_fields_have_no_follow_up_markup(macros):
    html = str(macros.field(radios("pregnant")))
    assert "data-follow-up" not in html and "revealed" not in html and " hidden" not in html


# --- the error summary ------------------------------------------------------------------


def test_the_error_summary_shows_the_message_only_linking_to_the_field(macros):
    age = FieldView("age", "age", "number", "How old are you?", error="Enter your age")
    html = str(macros.error_summary([age, radios("pregnant", error="Select an answer")]))
    assert '<li><a href="#age">Enter your age</a></li>' in html
    assert '<li><a href="#pregnant-1">Select an answer</a></li>' in html
    assert "How old are you?" not in html and "Are you pregnant?" not in html


def test_errors_of_no_rendered_field_show_their_message(macros):
    html = str(macros.error_summary(error_views({"form": "Try again"}, {"form": "The form"})))
    assert '<a href="#form">Try again</a>' in html and "The form" not in html


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "11 Nov 2020",
        "11 November 2020",
        "11 NOVEMBER 2020",
        "11 nov 2020",
        "11-Nov-2020",
        "11 Nov. 2020",
        "11 Nov, 2020",
        "  11 Novem 2020 ",
        "11 11 2020",
        "11/11/2020",
        "11.11.2020",
        "2020-11-11",
        "2020 Nov 11",
    ],
)
def test_dates_with_month_names_or_numbers(typed):
    assert _parse_date(typed) == "2020-11-11"


@pytest.mark.parametrize(
    ("typed", "day"),
    [("1 Sept 2021", "2021-09-01"), ("29 feb 2024", "2024-02-29"), ("3 Jun 2019", "2019-06-03")],
)
def test_abbreviations(typed, day):
    assert _parse_date(typed) == day


@pytest.mark.parametrize(
    "typed",
    [
        "11 Ma 2020",
        "11 Ju 2020",
        "11 Novembre 2020",
        "11 Smarch 2020",
        "31 Nov 2020",
        "Nov 2020",
        "29 Feb 2023",
        "11 13 2020",
        "eleven Nov 2020",
    ],
)
def test_not_a_real_date(typed):
    with pytest.raises(AnswerError) as refused:
        _parse_date(typed)
    assert str(refused.value) == MESSAGES["real_date"]


def test_future_and_old_dates_keep_their_messages():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(AnswerError, match=re.escape(MESSAGES["date_in_future"])):
        _parse_date(tomorrow.strftime("%d %b %Y"))
    with pytest.raises(AnswerError, match=re.escape(MESSAGES["date_before_1900"])):
        _parse_date("11 Nov 1899")
