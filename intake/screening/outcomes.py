"""What each screening outcome means to a patient, in plain words (design.md outcomes), and the
words every result page shares: what dry needling is, the first visit, what the evidence says
about each goal a patient can choose (clinical.md §1.1, §12), and the emergency safety net.

Never a promise of benefit, never advice to change a medicine (clinical.md §7, §12)."""

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
    #: when to act, for outcomes that send the patient elsewhere first
    timescale: str = ""
    #: the page says when to call the emergency number instead (SAFETY_NET_SIGNS)
    safety_net: bool = False
    #: the page can be printed as a summary to take to a doctor (static/css/print.css)
    printable: bool = False
    #: the page says what dry needling is, in plain words (WHAT_DRY_NEEDLING_IS)
    says_what_it_is: bool = False
    #: the page explains the treatment: the first visit, the evidence for the patient's goals
    explains_treatment: bool = False
    #: what may help instead, for outcomes where dry needling is not the next step
    alternatives: str = ""
    #: booking is offered, but after the advice and as the lesser choice
    booking_secondary: bool = False
    #: the heading over the booking button when it is secondary
    booking_heading: str = ""


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
            "They do not mean something is wrong, and this is not an emergency.",
            "Ask your GP (family doctor) to check the things listed above. Show them this page, or "
            "print it and take it with you.",
            "Ask for an appointment",
            "Continue to request an appointment",
            "warning",
            # clinical.md §2.2: "see a doctor first" is urgency of days, not hours
            timescale="Try to see your doctor in the next few days.",
            safety_net=True,
            printable=True,
            booking_secondary=True,
            booking_heading="You can also ask us for an appointment",
        ),
        OutcomeText(
            "not_advised",
            "Dry needling not advised",
            "Dry needling is not advised for you",
            "From your answers, dry needling is not the right treatment for you at the moment.",
            "Ask us for a physiotherapy assessment: a physiotherapist will look at your pain "
            "and suggest what could suit you.",
            "Ask for a physiotherapy assessment",
            "Continue to ask for an assessment",
            "warning",
            alternatives="Other physiotherapy treatments, without needles, may help.",
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
            says_what_it_is=True,
            explains_treatment=True,
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
            says_what_it_is=True,
            explains_treatment=True,
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
            says_what_it_is=True,
        ),
    )
}

#: The heading over each tier's reasons (under "Why") on a result page, most severe first
#: ("info" rules are notes for staff and never shown to patients).
TIER_HEADINGS: dict[str, str] = {
    "emergency": "Signs that need urgent help",
    "see_doctor": "Needs a doctor first",
    "not_advised": "Dry needling not advised",
    "review": "To check with you at your first visit",
}

#: What dry needling is, in plain words (clinical.md §1.1: APTA 2013, trigger points and
#: soft-tissue restriction; the needle is solid and injects nothing).
WHAT_DRY_NEEDLING_IS = (
    "A physiotherapist puts very thin needles, with no medicine in them, into tight, painful "
    "spots in a muscle. It is used to ease muscle pain and to help stiff muscles move."
)

#: What happens at the first visit: (heading, words). After-effects: Brady S, McEvoy J,
#: Dommerholt J, Doody C. J Man Manip Ther 2014;22(3):134-40 (7,629 treatments: bruising,
#: bleeding, pain during and after treatment were the common mild events; no significant ones).
#: Consent: clinical.md §1.4 (inform of the risks, obtain consent).
FIRST_VISIT: tuple[tuple[str, str], ...] = (
    (
        "Assessment",
        "A physiotherapist asks about your pain and health, examines you, and decides with you "
        "whether dry needling is right for you.",
    ),
    (
        "Your agreement",
        "Needles are used only if you agree, after the risks are explained. You can ask to "
        "stop at any time.",
    ),
    ("How it feels", "You may feel a short ache or some discomfort while a needle is in."),
    (
        "Afterwards",
        "Some people have a small bruise, a little bleeding or soreness where a needle went in. "
        "This usually passes quickly, and serious problems are rare.",
    ),
)

#: What the evidence honestly says about each goal a patient can choose (questionnaire.yaml,
#: question `goals`), in the words of clinical.md §12: never a promise.
GOAL_EVIDENCE: dict[str, str] = {
    "less_pain": "Studies show it can ease muscle pain in the short term, for up to about "
    "3 months. We cannot promise it will help you.",
    "more_movement": "It may help stiff muscles move more easily, usually alongside exercise.",
    "return_to_sport": "It may ease pain that holds back your training. Evidence that it "
    "speeds up recovery is limited.",
    "less_medication": "There is not enough evidence to say whether it helps people take less "
    "pain medicine. Talk to your doctor or pharmacist before changing any medicine.",
}

#: For pain that has lasted 3 months or more (clinical.md §12, NICE NG193).
LONG_TERM_PAIN_EVIDENCE = (
    "For some long-term pain, it is one of the treatments recommended, as one course within a "
    "wider plan."
)
#: `pain_duration` answers that mean pain of 3 months or more.
LONG_TERM_DURATIONS = frozenset({"over_12_weeks"})

#: When to stop waiting for a doctor's appointment: the "emergency now" red flags of
#: clinical.md §2.2, in plain words.
SAFETY_NET_INTRO = (
    "Call {emergency_number} or go to an emergency department straight away if, while you "
    "wait, you get any of these:"
)
SAFETY_NET_SIGNS: tuple[str, ...] = (
    "new problems controlling your bladder or bowels",
    "numbness or tingling between your legs or around your bottom or genitals",
    "weakness or numbness in your legs that is getting worse",
    "pain spreading down both legs",
    "a fever or chills, or feeling very unwell, with back pain",
)
