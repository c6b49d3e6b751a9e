"""What the clinic email asks whoever opens it to do first (issue 13), in plain words: call
back by the day the patient was promised, have a clinician review what fired, check the
see-a-doctor advice was followed, or, for urgent advice, phone today. Also the words for the
moments it names, in clinic time with the zone said.

Pure: takes the outcome, what fired and the dates; no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One thing to do: `lead` in bold, then why."""

    lead: str
    why: str

    def __str__(self) -> str:
        return f"{self.lead}: {self.why}"


def day_words(day: dt.date) -> str:
    """ "Tuesday 8 December" (the respond-by day is always within weeks)."""
    return f"{day:%A} {day.day} {day:%B}"


def moment_words(local: dt.datetime, zone_name: str) -> str:
    """ "Thursday 3 December 2026 at 14:05 (Europe/London time)": a local moment, zone named."""
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({zone_name} time)"


def first_steps(
    outcome: str,
    *,
    respond_by: dt.date,
    promise: str,
    red_flags: int,
    precautions: int,
    detailed: bool,
) -> list[Step]:
    """The clinic's first steps for a request, most pressing first.

    `promise` is the patient's promise in words ("2 working days"); `red_flags` and
    `precautions` count what fired; `detailed` says whether the email lists them (at
    CLINIC_EMAIL_DETAIL=minimal it does not, so the steps name no count and point to the
    staff area instead).
    """
    if outcome == "emergency":
        steps = [
            Step(
                "Phone them today",
                "the patient was told to get urgent medical help now. Check they did, and do "
                "not book dry needling until a doctor has seen them",
            )
        ]
    else:
        steps = [
            Step(
                f"Call back by {day_words(respond_by)}",
                f"the patient was told to expect contact within {promise}",
            )
        ]
    if outcome == "see_doctor":
        steps.append(
            Step(
                "Check they have seen a doctor",
                "the patient was advised to see a doctor in the next few days, before any dry "
                "needling",
            )
        )
    if outcome == "not_advised":
        steps.append(
            Step(
                "Offer a physiotherapy assessment",
                "dry needling was not advised; the patient was told a physiotherapist will "
                "suggest what could suit them",
            )
        )
    if outcome == "not_indicated":
        steps.append(
            Step(
                "Answer their enquiry",
                "their answers do not show the muscle pain dry needling treats, so they sent a "
                "general enquiry",
            )
        )
    if red_flags or precautions:
        steps.append(
            Step(
                "A clinician to review before booking",
                _what_fired(red_flags, precautions, detailed),
            )
        )
    return steps


def _what_fired(red_flags: int, precautions: int, detailed: bool) -> str:
    if not detailed:
        return "what the screening found is in the staff area"
    found = [
        _count(red_flags, "red flag"),
        _count(precautions, "precaution"),
    ]
    listed = " and ".join(words for words in found if words)
    return f"{listed}, listed below"


def _count(count: int, noun: str) -> str:
    if not count:
        return ""
    return f"1 {noun}" if count == 1 else f"{count} {noun}s"
