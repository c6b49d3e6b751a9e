"""Form plumbing shared by every feature: the view models the field macro renders,
WTForms fields and validators used by more than one form.

Every field, of any origin, is rendered by ``templates/macros/fields.html`` from a ``FieldView``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectMultipleField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from intake.screening.invisible import strip_invisible

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def plain_text(form: FlaskForm, field: Any) -> None:
    """No control characters or line breaks: names go into email headers. (Invisible format
    characters never get this far: the `strip` filter has dropped them.)"""
    if field.data and _CONTROL.search(field.data):
        raise ValidationError("Use letters, spaces, hyphens and apostrophes only")


def strip(value: Any) -> Any:
    """The input filter of every typed text field: invisible format characters (bidi controls,
    zero-width characters; `strip_invisible`) dropped silently, surrounding spaces trimmed."""
    return strip_invisible(value).strip() if isinstance(value, str) else value


def email_field(description: str) -> EmailField:
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
        filters=[strip],
    )


#: What may be typed in a phone number besides digits (letters, as in "ext 3", are refused:
#: the stored E.164 form would silently drop them).
_PHONE_CHARACTERS = re.compile(r"[\d\s()+.\-]*")
_PHONE_MAX = 32
_TOO_SHORT = (
    phonenumbers.ValidationResult.TOO_SHORT,
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,  # no area code
)


def phone_number(raw: str, region: str) -> str:
    """A phone number as typed, in E.164 form: a *possible* number for `region` (the clinic's,
    used when no country code is typed), or for the country whose code it starts with.

    Possible, not valid: numbers from ranges libphonenumber does not list as allocated (Ofcom's
    drama range 07700 900xxx, new mobile ranges) are real to the people who type them. A number
    that cannot be one raises ValidationError saying what is wrong, with an example."""
    national, international = _phone_examples(region)
    raw = raw.strip()
    if not raw or not _PHONE_CHARACTERS.fullmatch(raw) or not re.search(r"\d", raw):
        raise ValidationError(f"Enter a phone number using numbers only, like {national}")
    if len(raw) > _PHONE_MAX:
        raise ValidationError(f"Phone number is too long: enter one number, like {national}")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        reason = {
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "country",
            phonenumbers.NumberParseException.TOO_LONG: "long",
            phonenumbers.NumberParseException.NOT_A_NUMBER: "number",
        }.get(error.error_type, "short")
    else:
        result = phonenumbers.is_possible_number_with_reason(number)
        if result == phonenumbers.ValidationResult.IS_POSSIBLE:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        reason = {
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "country",
            phonenumbers.ValidationResult.TOO_LONG: "long",
        }.get(result, "short" if result in _TOO_SHORT else "length")
    raise ValidationError(
        {
            "country": "The country code is not right: check the numbers after the +, "
            f"like {international}",
            "long": f"Phone number is too long: enter one number, like {national}",
            "number": f"Enter a phone number using numbers only, like {national}",
            "short": f"Phone number is too short: enter the whole number, like {national}",
            "length": f"Phone number has the wrong number of digits: check it, like {national}",
        }[reason]
    )


def _phone_examples(region: str) -> tuple[str, str]:
    """An example number for `region`, as written there and with its country code. For the UK
    one from Ofcom's range kept for drama, which is never anyone's number."""
    if region == "GB":
        return "07700 900123", "+44 7700 900123"
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+44 7700 900123", "+44 7700 900123"
    return (
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes (the macro renders them); unknown values are refused with a message."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse values that are not among the choices."""
        values = {choice.value for choice in self.choices}
        if self.data and any(item not in values for item in self.data):
            raise ValidationError("Select from the options given")


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
    #: choices laid out "inline" (two short answers side by side, like Yes and No) or in
    #: "columns" (a long list of short answers, like the pain map); "" one under another
    layout: str = ""
    max_length: int | None = None
    optional: bool = False  # the label says "(optional)"
    #: A follow-up question: (the input name of the question it follows, the values of that
    #: question that call for it). With JavaScript it is revealed under its parent as soon as
    #: one of those values is chosen; without, it is `hidden` until the parent's saved answer
    #: calls for it (the server then asks it on the next page).
    follow_up: tuple[str, tuple[str, ...]] | None = None
    hidden: bool = False
    anchors: tuple[str, str] = ("", "")

    @property
    def anchor(self) -> str:
        """The element the error summary links to."""
        return f"{self.id}-1" if self.choices and self.kind != "select" else self.id

    @property
    def value(self) -> str:
        """The single value of a text-like field."""
        return self.values[0] if self.values else ""


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
        "SelectField": "select",
        "DateField": "date",
    }[form_field.type]
    if form_field.type == "BooleanField":
        choices = [ChoiceView("y", form_field.description)]
        values = ["y"] if form_field.data else []
        label = form_field.label.text
    elif kind in ("checkboxes", "select"):
        choices = [ChoiceView(str(choice.value), choice.label) for choice in form_field.choices]
        data = form_field.data if kind == "checkboxes" else [form_field.data]
        values = [str(v) for v in (data or []) if v is not None]
        label = form_field.label.text
    else:
        choices = []
        # Passwords are never sent back to the browser.
        keep = isinstance(form_field.data, str) and kind != "password"
        values = [form_field._value()] if kind == "date" else [form_field.data] if keep else []
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
        width="short" if kind == "date" else "",
        max_length=_max_length(form_field) if kind == "textarea" else None,
        optional=any(isinstance(v, Optional) for v in form_field.validators),
    )


def _max_length(form_field: Any) -> int | None:
    for validator in form_field.validators:
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            return validator.max
    return None


def error_views(errors: dict[str, str], labels: dict[str, str] | None = None) -> list[FieldView]:
    """Error summary entries for errors that belong to no rendered field."""
    labels = labels or {}
    return [
        FieldView(
            name, name, "text", labels.get(name, name.replace("_", " ").capitalize()), error=message
        )
        for name, message in errors.items()
    ]
