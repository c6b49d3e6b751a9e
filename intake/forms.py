"""Flask-WTF forms (the booking request), and the view models the field macro renders.

Question pages are parsed by ``questionnaire.parse_step``; their CSRF token is checked by
CSRFProtect. Every field, of either origin, is rendered by ``templates/macros/fields.html``
from a ``FieldView``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from intake import questionnaire as q
from intake.conditions import referenced_facts

DAYS = [
    SelectChoice("mon", "Monday"),
    SelectChoice("tue", "Tuesday"),
    SelectChoice("wed", "Wednesday"),
    SelectChoice("thu", "Thursday"),
    SelectChoice("fri", "Friday"),
    SelectChoice("sat", "Saturday"),
]
TIMES = [
    SelectChoice("morning", "Morning"),
    SelectChoice("afternoon", "Afternoon"),
    SelectChoice("evening", "Evening"),
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _plain_text(form: FlaskForm, field: Any) -> None:
    """No control characters or line breaks: names go into email headers."""
    if field.data and (
        _CONTROL.search(field.data) or any(unicodedata.category(ch) == "Cf" for ch in field.data)
    ):
        raise ValidationError("Use letters, spaces, hyphens and apostrophes only")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _email_field(description: str) -> EmailField:
    """A patient's email address (it becomes a recipient or Reply-To: validated strictly)."""
    return EmailField(
        "Email address",
        description=description,
        validators=[
            InputRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
        filters=[_strip],
    )


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes (the macro renders them); unknown values are refused with a message."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse values that are not among the choices."""
        values = {choice.value for choice in self.choices}
        if self.data and any(item not in values for item in self.data):
            raise ValidationError("Select from the options given")


class BookingForm(FlaskForm):
    """A booking request: contact details, preferred times and consents."""

    name = StringField(
        "Full name",
        validators=[
            InputRequired("Enter your full name"),
            Length(max=100, message="Name must be 100 characters or fewer"),
            _plain_text,
        ],
        filters=[_strip],
    )
    email = _email_field("We will send a confirmation here.")
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
        "Anything else you would like to tell us? (optional)",
        validators=[Optional(), Length(max=1000, message="Use 1000 characters or fewer")],
    )
    consent_privacy = BooleanField(
        "Privacy",
        description="I have read the privacy notice and agree that the clinic stores my "
        "answers to handle this request",
        validators=[DataRequired("Confirm that you agree to the privacy notice")],
    )
    consent_contact = BooleanField(
        "Contact",
        description="The clinic may contact me by email or phone about this request",
        validators=[DataRequired("Confirm that the clinic may contact you")],
    )
    #: The honeypot: hidden from people (the `honeypot` macro), filled in by bots.
    website = StringField("Leave this empty")

    def __init__(self, *args: Any, phone_region: str = "GB", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.phone_region = phone_region

    def validate_phone(self, field: Any) -> None:
        """A real phone number, stored in E.164 form."""
        raw = (field.data or "").strip()
        if len(raw) > 32:
            raise ValidationError("Enter a phone number, like 07911 123456 or +44 7911 123456")
        try:
            number = phonenumbers.parse(raw, self.phone_region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError("Enter a phone number, like 07911 123456 or +44 7911 123456")
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SaveForLaterForm(FlaskForm):
    """The email address a 'carry on later' link is sent to."""

    email = _email_field("We will send a link to this address and nothing else.")


@dataclass
class ChoiceView:
    """One radio or checkbox."""

    value: str
    label: str
    hint: str = ""


@dataclass
class FieldView:
    """Everything the field macro needs to render one field the same way."""

    id: str
    name: str
    kind: str  # text | email | tel | number | date | textarea | radios | checkboxes | scale
    label: str
    hint: str = ""
    error: str = ""
    values: list[str] = field(default_factory=list)
    choices: list[ChoiceView] = field(default_factory=list)
    none_label: str = ""
    autocomplete: str = ""
    inputmode: str = ""
    width: str = ""
    max_length: int | None = None
    reveal: bool = False  # shown only when an earlier answer on this page applies
    anchors: tuple[str, str] = ("", "")

    @property
    def anchor(self) -> str:
        """The element the error summary links to."""
        return f"{self.id}-1" if self.choices else self.id

    @property
    def value(self) -> str:
        """The single value of a text-like field."""
        return self.values[0] if self.values else ""


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
        choices = [ChoiceView("yes", "Yes"), ChoiceView("no", "No")]
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
        hint = f"0 means {low.lower()}, 10 means {high.lower()}."
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
        max_length=question.max_length if question.kind == q.TEXT_KIND else None,
        reveal=question.show_if is not None,
    )


def step_fields(
    step: q.Step,
    answers: Mapping[str, Any],
    raw: Mapping[str, list[str]] | None,
    errors: Mapping[str, str],
    shown: list[q.Question],
) -> list[FieldView]:
    """The fields of a question page: the raw input after an error, else the saved answers."""
    views = []
    for question in step.questions:
        if question not in shown and not _on_this_page(question, step):
            continue
        values = raw.get(question.id, []) if raw is not None else q.form_values(question, answers)
        views.append(question_field(question, values, errors.get(question.id, "")))
    return views


def _on_this_page(question: q.Question, step: q.Step) -> bool:
    """A conditional question whose condition is answered on this same page stays visible.

    Without JavaScript it cannot appear when the earlier answer changes, so it is always shown
    with a hint saying when to answer it; hidden ones are dropped when the page is saved.
    """
    if question.show_if is None:
        return False
    own = {item for other in step.questions for item in other.item_ids}
    return any(fact in own for fact in referenced_facts(question.show_if))


def wtf_field(form_field: Any) -> FieldView:
    """The view of a WTForms field."""
    kind = {
        "StringField": "text",
        "PasswordField": "password",
        "EmailField": "email",
        "TelField": "tel",
        "TextAreaField": "textarea",
        "MultiCheckboxField": "checkboxes",
        "BooleanField": "checkboxes",
    }[form_field.type]
    if form_field.type == "BooleanField":
        choices = [ChoiceView("y", form_field.description)]
        values = ["y"] if form_field.data else []
        label = form_field.label.text
    elif kind == "checkboxes":
        choices = [ChoiceView(choice.value, choice.label) for choice in form_field.choices]
        values = [str(v) for v in (form_field.data or [])]
        label = form_field.label.text
    else:
        choices = []
        # Passwords are never sent back to the browser.
        keep = isinstance(form_field.data, str) and kind != "password"
        values = [form_field.data] if keep else []
        label = form_field.label.text
    autocomplete = {
        "name": "name",
        "email": "email",
        "phone": "tel",
        "password": "current-password",
        "current_password": "current-password",
        "new_password": "new-password",
        "confirm_password": "new-password",
    }.get(form_field.name, "")
    return FieldView(
        id=form_field.id,
        name=form_field.name,
        kind=kind,
        label=label,
        hint="" if form_field.type == "BooleanField" else form_field.description or "",
        error=form_field.errors[0] if form_field.errors else "",
        values=values,
        choices=choices,
        autocomplete=autocomplete,
        inputmode="tel" if kind == "tel" else "",
        max_length=_max_length(form_field) if kind == "textarea" else None,
    )


class LoginForm(FlaskForm):
    """Staff login."""

    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
        filters=[_strip],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )


class ChangePasswordForm(FlaskForm):
    """A staff member changes their own password."""

    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )
    new_password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words make a strong password.",
        validators=[
            InputRequired("Enter a new password"),
            Length(min=12, max=256, message="Use 12 to 256 characters"),
        ],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[
            InputRequired("Enter the new password again"),
            EqualTo("new_password", message="The passwords do not match"),
        ],
    )


class NoteForm(FlaskForm):
    """A note on a booking request."""

    body = TextAreaField(
        "Add a note",
        validators=[
            InputRequired("Enter a note"),
            Length(max=2000, message="Use 2000 characters or fewer"),
        ],
    )


def _max_length(form_field: Any) -> int | None:
    for validator in form_field.validators:
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            return validator.max
    return None


def filter_fields(
    raw: Mapping[str, str], errors: Mapping[str, str], outcomes, labels, statuses
) -> list[FieldView]:
    """The requests list's filter fields (a GET form), showing what was typed."""
    outcome_choices = [ChoiceView("", "Any outcome")] + [
        ChoiceView(o, labels[o].label) for o in outcomes
    ]
    status_choices = [ChoiceView("", "Any status")] + [
        ChoiceView(s, s.capitalize()) for s in statuses
    ]

    def value(key: str) -> list[str]:
        return [str(raw.get(key, ""))[:100]]

    return [
        FieldView("q", "q", "text", "Reference, name or email", values=value("q")),
        FieldView(
            "outcome",
            "outcome",
            "select",
            "Outcome",
            values=value("outcome"),
            choices=outcome_choices,
        ),
        FieldView(
            "status", "status", "select", "Status", values=value("status"), choices=status_choices
        ),
        FieldView(
            "date_from",
            "date_from",
            "date",
            "From (YYYY-MM-DD)",
            values=value("date_from"),
            error=errors.get("date_from", ""),
            width="short",
        ),
        FieldView(
            "date_to",
            "date_to",
            "date",
            "To (YYYY-MM-DD)",
            values=value("date_to"),
            error=errors.get("date_to", ""),
            width="short",
        ),
    ]
