"""Forms of the requests desk: notes on a request, the list's filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from intake.forms import ChoiceView, FieldView, strip
from intake.screening.outcomes import OUTCOME_TEXT
from intake.screening.rules import OUTCOMES
from intake.staff.requests import bookings, finding


class NoteForm(FlaskForm):
    """A note on a booking request."""

    body = TextAreaField(
        "Add a note",
        validators=[
            DataRequired("Enter a note"),
            Length(max=2000, message="Use 2000 characters or fewer"),
        ],
        filters=[strip],
    )


def filter_fields(
    raw: Mapping[str, str],
    errors: Mapping[str, str],
    users: Sequence[tuple[int, str, bool]] = (),
    me: int | None = None,
) -> list[FieldView]:
    """The requests list's filter fields (a GET form), showing what was typed. `users`: (id,
    email, active) of staff a request may be assigned to; `me`, the one looking."""

    def value(key: str) -> list[str]:
        return [str(raw.get(key, ""))[:100]]

    def select(key: str, label: str, choices: list[ChoiceView]) -> FieldView:
        return FieldView(key, key, "select", label, values=value(key), choices=choices)

    return [
        FieldView(
            "q",
            "q",
            "text",
            "Reference, name or email",
            hint="Or part of a phone number, such as 07412 or +44 7412",
            values=value("q"),
        ),
        select("status", "Status", _status_choices()),
        select("outcome", "Outcome", _outcome_choices()),
        select(
            "due",
            "Show",
            [ChoiceView("", "All requests")]
            + [ChoiceView(key, label) for key, label in finding.DUE.items()],
        ),
        select("assigned", "Assigned to", _assignee_choices(users, me)),
        *(
            FieldView(
                key,
                key,
                "date",
                label,
                values=value(key),
                error=errors.get(key, ""),
                width="date",
            )
            for key, label in (("date_from", "Received from"), ("date_to", "Received up to"))
        ),
    ]


def _status_choices() -> list[ChoiceView]:
    return (
        [ChoiceView("", "Any status")]
        + [ChoiceView(key, label) for key, (label, _) in finding.STATUS_GROUPS.items()]
        + [ChoiceView(status, bookings.label(status)) for status in bookings.STATUSES]
    )


def _outcome_choices() -> list[ChoiceView]:
    return (
        [ChoiceView("", "Any outcome")]
        + [ChoiceView(key, label) for key, (label, _) in finding.OUTCOME_GROUPS.items()]
        + [ChoiceView(o, OUTCOME_TEXT[o].label) for o in OUTCOMES]
    )


def _assignee_choices(users: Sequence[tuple[int, str, bool]], me: int | None) -> list[ChoiceView]:
    others = [
        ChoiceView(str(user_id), email if active else f"{email} (deactivated)")
        for user_id, email, active in users
        if user_id != me
    ]
    fixed = [ChoiceView("", "Anyone"), ChoiceView("me", "Me"), ChoiceView("nobody", "Nobody")]
    return [*fixed, *others]
