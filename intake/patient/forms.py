"""The patient journey's forms: question pages (parsed by the questionnaire) and the booking
request and "save for later" forms (Flask-WTF)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from intake.forms import (
    ChoiceView,
    FieldView,
    MultiCheckboxField,
    email_field,
    phone_number,
    plain_text,
    strip,
    wtf_field,
)
from intake.patient.availability import DAYS, TIMES
from intake.screening import questionnaire as q
from intake.screening.answers import form_values
from intake.screening.branching import FOLLOW_UPS

#: The follow-up choice (issue 12): separate from the consents a request needs, never ticked.
FOLLOWUP_CONSENT = (
    "Send me a few short questions after treatment so the clinic can see how it's going"
)
#: BookingForm fields that are not rendered through the field macro.
_NOT_SHOWN = frozenset({"website", "csrf_token"})


class BookingForm(FlaskForm):
    """A booking request: contact details, preferred times and consents."""

    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter your full name"),  # blank once invisible characters go
            Length(max=100, message="Name must be 100 characters or fewer"),
            plain_text,
        ],
        filters=[strip],
    )
    email = email_field("We will send a confirmation here.")
    phone = TelField(
        "Phone number",
        description="For international numbers include the country code, like +44.",
        validators=[InputRequired("Enter a phone number")],
    )
    preferred_days = MultiCheckboxField(
        "Which days suit you?",
        description="Select all that apply.",
        choices=DAYS,
        validators=[Optional()],
    )
    preferred_times = MultiCheckboxField(
        "What times of day suit you?",
        description="Select all that apply.",
        choices=TIMES,
        validators=[Optional()],
    )
    message = TextAreaField(
        "Anything that would help us arrange your appointment?",
        description="For example, times you cannot come, or if you need step-free access or an "
        "interpreter.",
        validators=[Optional(), Length(max=1000, message="Use 1000 characters or fewer")],
        filters=[strip],
    )
    #: One box for both consents a request needs (stored as consent_privacy and
    #: consent_contact, which this box sets together).
    consent = BooleanField(
        "Privacy and contact",
        description="I have read the privacy notice and agree that the clinic stores my "
        "answers to handle this request and contacts me about it by email or phone",
        validators=[
            DataRequired("Confirm that you agree to the privacy notice and to being contacted")
        ],
    )
    followup_consent = BooleanField(
        "Questions after treatment",
        description=FOLLOWUP_CONSENT,
        validators=[Optional()],
    )
    #: The honeypot: hidden from people (the `honeypot` macro), filled in by bots.
    website = StringField("Leave this empty")

    def __init__(self, *args: Any, phone_region: str = "GB", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.phone_region = phone_region

    def validate_phone(self, field: Any) -> None:
        """A possible phone number for the clinic's region (`phone_number`), stored in E.164."""
        field.data = phone_number(field.data or "", self.phone_region)

    @classmethod
    def held(cls, held: Mapping[str, dict] | None, phone_region: str) -> BookingForm:
        """The form as last sent with errors (checked again, so its errors show), or empty."""
        if held is None:
            return cls(formdata=None, phone_region=phone_region)
        form = cls(
            formdata=MultiDict(held["form"]), meta={"csrf": False}, phone_region=phone_region
        )
        form.validate()
        if form.phone.raw_data:  # shown as typed, not as stored (+447911123456)
            form.phone.data = form.phone.raw_data[0]
        return form

    @staticmethod
    def to_hold(formdata: MultiDict) -> dict[str, dict[str, list[str]]]:
        """What to keep of a form sent with errors: every field people fill in (perhaps none)."""
        return {"form": {key: formdata.getlist(key) for key in formdata if key not in _NOT_SHOWN}}

    def field_views(self, followup_weeks: Sequence[int] = ()) -> list[FieldView]:
        """The fields people fill in, in order: not the honeypot or the CSRF token. The
        follow-up choice says what it involves (`followup_weeks`: FOLLOWUP_SCHEDULE)."""
        views = [wtf_field(field) for field in self if field.name not in _NOT_SHOWN]
        for view in views:
            if view.name == "followup_consent":
                view.choices[0].hint = followup_hint(followup_weeks)
        return views


def followup_hint(weeks: Sequence[int]) -> str:
    """What saying yes to follow-up questions involves, with the weeks they come at."""
    when = ""
    if weeks:
        numbers = [str(w) for w in weeks]
        listed = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1])
        listed += f" and {numbers[-1]}" if len(numbers) > 1 else ""
        when = f", about {listed} weeks after your first appointment"
    return (
        f"We will email you a link to a few short questions{when}. There is no login. "
        "You can stop them at any time with one button. Your care is the same either way."
    )


class SaveForLaterForm(FlaskForm):
    """The email address a 'carry on later' link is sent to."""

    email = email_field("We will send a link to this address and nothing else.")

    def field_views(self) -> list[FieldView]:
        """The one field, as the field macro shows it."""
        return [wtf_field(self.email)]

    def refuse(self, retry_after: int) -> None:
        """Too many links were asked for: say so at the field, keeping what was typed."""
        self.email.errors = [
            "Too many links were asked for. Look for one we sent earlier (check your spam "
            f"folder), or try again in about {_wait_in_words(retry_after)}"
        ]


def _wait_in_words(seconds: int) -> str:
    """'a minute', '25 minutes', 'an hour', '3 hours'."""
    minutes = max(1, -(-seconds // 60))
    if minutes == 1:
        return "a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    return "an hour" if minutes < 90 else f"{round(minutes / 60)} hours"


_KIND = {
    q.YES_NO: "radios",
    q.SINGLE: "radios",
    q.MULTI: "checkboxes",
    q.CHECKLIST: "checkboxes",
    q.SCALE: "scale",
    q.INTEGER: "number",
    q.TEXT_KIND: "text",
    q.DATE_KIND: "date",
}


def question_field(
    question: q.Question,
    values: list[str],
    error: str = "",
) -> FieldView:
    """The view of one question, filled with the values to show."""
    if question.kind == q.YES_NO:
        choices = [ChoiceView("yes", q.MESSAGES["yes"]), ChoiceView("no", q.MESSAGES["no"])]
    elif question.kind == q.SCALE:
        choices = [
            ChoiceView(str(n), str(n))
            for n in range(question.minimum or 0, (question.maximum or 10) + 1)
        ]
    else:
        choices = [ChoiceView(str(c.value), c.label, c.hint) for c in question.choices]
    hint = question.hint
    if question.kind == q.SCALE and question.anchors[0]:
        low, high = question.anchors
        hint = q.MESSAGES["scale_hint"].format(
            minimum=question.minimum, maximum=question.maximum, low=low.lower(), high=high.lower()
        )
    return FieldView(
        id=question.id,
        name=question.id,
        kind=_KIND[question.kind],
        label=question.label,
        hint=hint,
        error=error,
        values=values,
        choices=choices,
        none_label=question.none_label,
        inputmode="numeric" if question.kind == q.INTEGER else "",
        width="short" if question.kind in (q.INTEGER, q.DATE_KIND) else "",
        layout=_layout(question, choices),
        max_length=question.max_length if question.kind == q.TEXT_KIND else None,
        optional=not question.required,
    )


def _layout(question: q.Question, choices: list[ChoiceView]) -> str:
    """Two short answers (Yes/No, Agree/Disagree) side by side; a long list of short answers
    without hints (the pain map) in two columns; otherwise one under another."""
    short = all(len(c.label) <= 20 and not c.hint for c in choices)
    if question.kind in (q.YES_NO, q.SINGLE) and len(choices) == 2 and short:
        return "inline"
    if (
        question.kind == q.CHECKLIST
        and len(choices) >= 12
        and all(len(c.label) <= 20 for c in choices)
    ):
        return "columns"
    return ""


def step_fields(
    step: q.Step,
    answers: Mapping[str, Any],
    raw: Mapping[str, list[str]] | None,
    errors: Mapping[str, str],
    shown: list[q.Question],
) -> list[FieldView]:
    """The fields of a question page: the raw input after an error, else the saved answers.

    A follow-up (its show-if names a question on this page) is always on the page, `hidden`
    unless the answers call for it: the page's script reveals it when its parent's answer
    does; without the script it is asked on the next page. One whose question is not on the
    page (asked on its own page after it, or not asked: the spondyloarthritis checklist of a
    patient under 45) is a question like any other: not indented, never hidden by the script."""
    views = []
    on_page: set[str] = set()
    for question in step.questions:  # in page order: a follow-up comes after its question
        follow_up = FOLLOW_UPS.get(question.id)
        if follow_up is not None and follow_up[0] not in on_page:
            follow_up = None
        if question not in shown and follow_up is None:
            continue
        on_page.add(question.id)
        values = raw.get(question.id, []) if raw is not None else form_values(question, answers)
        view = question_field(question, values, errors.get(question.id, ""))
        view.follow_up = follow_up
        view.hidden = question not in shown
        views.append(view)
    return views


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
#: The PSFS at booking (Stratford 1995; clinical.md §11): up to 3 activities, each rated 0-10.
PSFS_ACTIVITIES = 3
PSFS_ACTIVITY_MAX = 60
PSFS_SCALE_HINT = "0 means unable to do it, 10 means able to do it as well as before the problem."


def _first(raw: Mapping[str, list[str]], name: str) -> str:
    values = raw.get(name) or [""]
    return strip(values[0]) if isinstance(values[0], str) else ""


def parse_psfs(raw: Mapping[str, list[str]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The activities and ratings sent (in order, blanks left out) and the errors by field:
    an activity needs a rating and a rating an activity."""
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for n in range(1, PSFS_ACTIVITIES + 1):
        activity, score = _first(raw, f"activity_{n}"), _first(raw, f"score_{n}")
        if len(activity) > PSFS_ACTIVITY_MAX:
            errors[f"activity_{n}"] = f"Use {PSFS_ACTIVITY_MAX} characters or fewer"
        elif _CONTROL.search(activity):  # a text box cannot send these: not typed by a person
            errors[f"activity_{n}"] = "Use letters, numbers and punctuation only"
        elif score and not activity:
            errors[f"activity_{n}"] = f"Name activity {n}, the one you rated, like walking the dog"
        if score and not (score.isascii() and score.isdigit() and int(score) <= 10):
            errors[f"score_{n}"] = "Select a number from 0 to 10"
        elif activity and not score:
            errors[f"score_{n}"] = f"Select a number from 0 to 10 for activity {n}"
        if activity and score and not errors.keys() & {f"activity_{n}", f"score_{n}"}:
            items.append({"activity": activity, "score": int(score)})
    if not items and not errors:
        errors["activity_1"] = "Name at least one activity, or choose to skip this"
    return items, errors


def psfs_fields(raw: Mapping[str, list[str]], errors: Mapping[str, str]) -> list[FieldView]:
    """The PSFS page's fields: for each activity, its name and its 0-10 rating."""
    views = []
    for n in range(1, PSFS_ACTIVITIES + 1):
        views.append(
            FieldView(
                id=f"activity_{n}",
                name=f"activity_{n}",
                kind="text",
                label=f"Activity {n}",
                hint="For example: walking to the shops, lifting my child, running"
                if n == 1
                else "",
                error=errors.get(f"activity_{n}", ""),
                values=[_first(raw, f"activity_{n}")],
                max_length=PSFS_ACTIVITY_MAX,
                optional=n > 1,
            )
        )
        views.append(
            FieldView(
                id=f"score_{n}",
                name=f"score_{n}",
                kind="scale",
                label=f"Activity {n}: how well can you do it today?",
                hint=PSFS_SCALE_HINT,
                error=errors.get(f"score_{n}", ""),
                values=[_first(raw, f"score_{n}")],
                choices=[ChoiceView(str(v), str(v)) for v in range(11)],
                layout="numbers",
                optional=n > 1,
            )
        )
    return views
