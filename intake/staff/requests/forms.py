"""Forms of the requests desk: notes on a request, the list's filters."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from intake.forms import ChoiceView, FieldView, strip
from intake.screening.outcomes import OUTCOME_TEXT


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
    raw: Mapping[str, str], errors: Mapping[str, str], outcomes, statuses
) -> list[FieldView]:
    """The requests list's filter fields (a GET form), showing what was typed."""
    outcome_choices = [ChoiceView("", "Any outcome")] + [
        ChoiceView(o, OUTCOME_TEXT[o].label) for o in outcomes
    ]
    status_choices = [ChoiceView("", "Any status")] + [
        ChoiceView(s, s.capitalize()) for s in statuses
    ]

    def value(key: str) -> list[str]:
        return [str(raw.get(key, ""))[:100]]

    return [
        FieldView(
            "q",
            "q",
            "text",
            "Reference, name or email",
            hint="Or part of a phone number, such as 07412 or +44 7412",
            values=value("q"),
        ),
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
        *(
            FieldView(
                key,
                key,
                "date",
                f"{label} (YYYY-MM-DD)",
                values=value(key),
                error=errors.get(key, ""),
                width="short",
            )
            for key, label in (("date_from", "From"), ("date_to", "To"))
        ),
    ]
