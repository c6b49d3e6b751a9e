"""The days and times a patient may prefer for appointments (booking form, emails, staff)."""

from __future__ import annotations

from wtforms import SelectChoice

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

#: value -> label of every day and time, for showing stored preferences in words
LABELS = {choice.value: choice.label for choice in (*DAYS, *TIMES)}


def in_words(values: list[str]) -> str:
    """Stored preferences in words: "Monday, Thursday"; "Any" when none were chosen."""
    return ", ".join(LABELS.get(value, value) for value in values) or "Any"
