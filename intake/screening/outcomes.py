"""What each screening outcome means to a patient, in plain words (design.md outcomes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutcomeText:
    """The words and next step shown for one outcome."""

    key: str
    label: str  # short, for staff and email subjects
    title: str
    summary: str
    next_step: str
    booking_title: str
    booking_button: str
    tone: str  # urgent | warning | info | success


OUTCOME_TEXT: dict[str, OutcomeText] = {
    o.key: o
    for o in (
        OutcomeText(
            "emergency",
            "Urgent: emergency advice given",
            "Get urgent medical help now",
            "Some of your answers can be signs of a problem that needs a doctor today.",
            "Call {emergency_number} or go to an emergency department now. Do not wait for an "
            "appointment with us.",
            "",
            "",
            "urgent",
        ),
        OutcomeText(
            "see_doctor",
            "See a doctor first",
            "Please see a doctor before starting dry needling",
            "Some of your answers mean a doctor should check you before dry needling starts. "
            "This is not an emergency.",
            "Make an appointment with your doctor (GP). You can still send us a request: we "
            "will take your answers into account and talk it through with you.",
            "Ask for an appointment",
            "Continue to request an appointment",
            "warning",
        ),
        OutcomeText(
            "not_advised",
            "Dry needling not advised",
            "Dry needling is not advised for you",
            "From your answers, dry needling is not the right treatment for you at the moment.",
            "Other physiotherapy treatments may help. You can ask for a physiotherapy "
            "assessment instead.",
            "Ask for a physiotherapy assessment",
            "Continue to ask for an assessment",
            "warning",
        ),
        OutcomeText(
            "review",
            "Clinician review needed",
            "Dry needling may suit you, after a few checks",
            "A physiotherapist will check a few things with you before any dry needling.",
            "Send us a request and we will contact you to talk it through.",
            "Ask for an appointment",
            "Continue to request an appointment",
            "info",
        ),
        OutcomeText(
            "suitable",
            "May be suitable",
            "Dry needling may suit you",
            "Nothing in your answers suggests dry needling would be unsafe for you.",
            "Send us a request for an appointment. A physiotherapist will still assess you in "
            "person before any treatment.",
            "Ask for an appointment",
            "Continue to request an appointment",
            "success",
        ),
        OutcomeText(
            "not_indicated",
            "Not indicated: general enquiry",
            "Your answers don't show the muscle pain that dry needling treats",
            "Dry needling is used for muscle pain, and your answers don't show that kind of pain.",
            "If you think this is wrong, or have another question, you can send us a general "
            "enquiry.",
            "Send a general enquiry",
            "Continue to send an enquiry",
            "info",
        ),
    )
}
