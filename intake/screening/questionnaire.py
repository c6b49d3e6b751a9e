"""The patient questionnaire as data: steps, questions, choices, branching and validation.

Question ids are the answer ids of shared/clinical.md §0 where one exists; new questions get
stable snake_case ids that are never reused. Answers are plain JSON-able values:

    yes_no -> bool      single -> the choice value      multi -> list of choice values
    integer/scale -> int     text -> str      date -> "YYYY-MM-DD"
    checklist -> one bool per item id (an unticked item is False; "None of these" = all False)

Branching (which steps and questions are shown) lives here and only here: ``visible_steps``,
``next_step``, ``previous_step`` and ``visible_questions``. Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening.conditions import (
    BOOLEAN,
    CHOICE,
    CHOICES,
    DATE,
    NUMBER,
    TEXT,
    FactSpec,
    Predicate,
    compile_condition,
    is_number,
)

#: Questionnaire version, stored with each submission. Bump when questions change meaning.
VERSION = "2026-11-1"

#: Default age from which patients consent for themselves (clinical.md §8); rule sets override.
MIN_AGE_SELF_CONSENT = 18

YES_NO, SINGLE, MULTI, INTEGER, SCALE, TEXT_KIND, DATE_KIND, CHECKLIST = (
    "yes_no",
    "single",
    "multi",
    "integer",
    "scale",
    "text",
    "date",
    "checklist",
)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a choice question, or one item of a checklist (value = boolean answer id)."""

    value: Any
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Question:
    """One question: what is asked, how it is answered, and when it is shown."""

    id: str
    kind: str
    label: str
    hint: str = ""
    choices: tuple[Choice, ...] = ()
    required: bool = True
    show_if: dict | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    none_label: str = ""  # checklist / multi: the exclusive "None of these" option
    anchors: tuple[str, str] = ("", "")  # scale: words for the lowest and highest value

    @property
    def item_ids(self) -> tuple[str, ...]:
        """A checklist's boolean answer ids; other questions answer under their own id."""
        if self.kind == CHECKLIST:
            return tuple(choice.value for choice in self.choices)
        return (self.id,)


@dataclass(frozen=True)
class Step:
    """One page of the questionnaire."""

    id: str
    title: str
    section: str
    questions: tuple[Question, ...]
    intro: str = ""
    show_if: dict | None = None
    notice: str = ""  # e.g. a copyright statement shown under the questions


def _yes_no(qid: str, label: str, hint: str = "", **kw: Any) -> Question:
    return Question(qid, YES_NO, label, hint, **kw)


def _choices(*pairs: tuple[Any, str] | tuple[Any, str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(*pair) for pair in pairs)


_AGREE = _choices(("agree", "Agree"), ("disagree", "Disagree"))
_SSS_LEVELS = _choices(
    (0, "No problem"),
    (1, "Slight or mild problem", "Generally mild or comes and goes"),
    (2, "Moderate problem", "Considerable problems, often present"),
    (3, "Severe problem", "Continuous and disturbs daily life"),
)


def _wpi(side_word: str, suffix: str) -> list[tuple[str, str]]:
    return [
        (f"wpi_jaw_{suffix}", f"Jaw, {side_word} side"),
        (f"wpi_shoulder_{suffix}", f"Shoulder, {side_word}"),
        (f"wpi_upper_arm_{suffix}", f"Upper arm, {side_word}"),
        (f"wpi_lower_arm_{suffix}", f"Lower arm, {side_word}"),
        (f"wpi_hip_{suffix}", f"Hip or buttock, {side_word}"),
        (f"wpi_upper_leg_{suffix}", f"Upper leg, {side_word}"),
        (f"wpi_lower_leg_{suffix}", f"Lower leg, {side_word}"),
    ]


_WPI_ITEMS = (
    _wpi("left", "l")
    + _wpi("right", "r")
    + [
        ("wpi_neck", "Neck"),
        ("wpi_upper_back", "Upper back"),
        ("wpi_lower_back", "Lower back"),
        ("wpi_chest", "Chest"),
        ("wpi_abdomen", "Abdomen (tummy)"),
    ]
)

_NOT_MALE = {"fact": "sex", "op": "in", "value": ["female", "intersex", "prefer_not_to_say"]}

STEPS: tuple[Step, ...] = (
    Step(
        "about_you",
        "About you",
        "About you",
        intro="If you are answering for someone else, answer every question about them.",
        questions=(
            Question(
                "respondent",
                SINGLE,
                "Who is answering these questions?",
                choices=_choices(
                    ("self", "I am answering for myself"),
                    ("someone_else", "I am a parent, guardian or carer answering for someone"),
                ),
            ),
            Question(
                "age",
                INTEGER,
                "How old are you?",
                "Age in years. If you are answering for someone else, give their age.",
                minimum=1,
                maximum=120,
            ),
            Question(
                "sex",
                SINGLE,
                "What sex were you registered at birth?",
                "This tells us whether to ask about pregnancy.",
                choices=_choices(
                    ("female", "Female"),
                    ("male", "Male"),
                    ("intersex", "Intersex"),
                    ("prefer_not_to_say", "Prefer not to say"),
                ),
            ),
        ),
    ),
    Step(
        "your_pain",
        "Your pain",
        "Your pain",
        questions=(
            Question(
                "pain_regions",
                MULTI,
                "Where do you have pain?",
                "Select all that apply.",
                choices=_choices(
                    ("lower_back", "Lower back"),
                    ("upper_back", "Upper back"),
                    ("neck", "Neck"),
                    ("shoulder", "Shoulder"),
                    ("arm_hand", "Arm, elbow, wrist or hand"),
                    ("hip_buttock", "Hip or buttock"),
                    ("leg_knee_foot", "Leg, knee, ankle or foot"),
                    ("head_jaw", "Head or jaw"),
                    ("chest_abdomen", "Chest or abdomen (tummy)"),
                ),
            ),
            Question(
                "pain_duration",
                SINGLE,
                "How long have you had this pain?",
                choices=_choices(
                    ("under_6_weeks", "Less than 6 weeks"),
                    ("6_to_12_weeks", "6 to 12 weeks"),
                    ("over_12_weeks", "More than 12 weeks"),
                ),
            ),
            Question(
                "pain_onset",
                SINGLE,
                "How did the pain start?",
                choices=_choices(
                    ("sport", "During sport or exercise"),
                    ("work", "At work"),
                    ("accident", "In an accident or fall"),
                    ("gradual", "Gradually, for no clear reason"),
                    ("other", "Another way, or I am not sure"),
                ),
            ),
            _yes_no(
                "fibromyalgia_diagnosed",
                "Has a doctor told you that you have fibromyalgia?",
            ),
        ),
    ),
    Step(
        "pain_impact",
        "How much it hurts",
        "Your pain",
        questions=(
            Question(
                "nprs_now",
                SCALE,
                "How bad is your pain right now?",
                minimum=0,
                maximum=10,
                anchors=("No pain", "Worst pain you can imagine"),
            ),
            Question(
                "peg_pain_avg_week",
                SCALE,
                "On average, how bad has your pain been in the past week?",
                minimum=0,
                maximum=10,
                anchors=("No pain", "As bad as you can imagine"),
            ),
            Question(
                "peg_enjoyment_interference",
                SCALE,
                "In the past week, how much has pain got in the way of enjoying life?",
                minimum=0,
                maximum=10,
                anchors=("Not at all", "Completely"),
            ),
            Question(
                "peg_activity_interference",
                SCALE,
                "In the past week, how much has pain got in the way of your everyday activities?",
                minimum=0,
                maximum=10,
                anchors=("Not at all", "Completely"),
            ),
        ),
    ),
    Step(
        "back_warning_signs",
        "Back pain: warning signs",
        "Back pain red flags",
        intro="A few back problems need a doctor quickly. Please answer carefully.",
        show_if={"fact": "back_pain", "op": "is_true"},
        questions=(
            Question(
                "rf_urgent_checklist",
                CHECKLIST,
                "Since your back pain started, do any of these apply to you?",
                "Select all that apply.",
                choices=_choices(
                    (
                        "rf_saddle",
                        "Numbness or tingling between your legs, around your bottom or genitals",
                    ),
                    ("rf_bladder", "New problems passing urine or controlling your bladder"),
                    (
                        "rf_bowel",
                        "New problems controlling your bowels, or not feeling when they are full",
                    ),
                    ("rf_sexual", "New loss of feeling or function in your genitals"),
                    ("rf_bilateral_leg", "Pain spreading down both legs"),
                    (
                        "rf_progressive_weakness",
                        "Weakness or numbness in your legs that is "
                        "getting worse, or difficulty walking",
                    ),
                    ("rf_fever", "Fever, chills or feeling very unwell"),
                    (
                        "rf_major_trauma",
                        "The pain started after a serious accident or fall, "
                        "such as a fall from a height or a car crash",
                    ),
                ),
                none_label="None of these",
            ),
            Question(
                "rf_other_checklist",
                CHECKLIST,
                "Do any of these apply to you?",
                "Select all that apply.",
                choices=_choices(
                    ("rf_new_onset", "This is the first time you have had back pain"),
                    ("rf_cancer_history", "You have had cancer"),
                    ("rf_weight_loss", "You have lost weight recently without trying"),
                    (
                        "rf_night_pain",
                        "Constant pain at night that does not ease when you change position",
                    ),
                    ("rf_osteoporosis", "You have osteoporosis (thin or weak bones)"),
                    (
                        "rf_minor_trauma_or_sudden",
                        "The pain came on suddenly, or after a minor fall or strain",
                    ),
                    ("rf_ivdu", "You have injected drugs that were not prescribed to you"),
                ),
                none_label="None of these",
            ),
            _yes_no(
                "axspa_onset_before_45",
                "Did your back pain first start before you were 45?",
                show_if={"fact": "pain_duration", "op": "eq", "value": "over_12_weeks"},
            ),
            Question(
                "axspa_checklist",
                CHECKLIST,
                "Do any of these describe your back pain or health?",
                "Select all that apply.",
                show_if={"fact": "pain_duration", "op": "eq", "value": "over_12_weeks"},
                choices=_choices(
                    ("axspa_onset_before_35", "It first started before you were 35"),
                    (
                        "axspa_wakes_second_half_night",
                        "It wakes you in the second half of the night",
                    ),
                    ("axspa_buttock_pain", "You also have pain in your buttocks"),
                    ("axspa_improves_with_movement", "It gets better when you move"),
                    (
                        "axspa_improves_with_nsaids",
                        "It gets better within 2 days of taking "
                        "anti-inflammatory painkillers such as ibuprofen",
                    ),
                    (
                        "axspa_family_history",
                        "A parent, brother, sister or child has spondyloarthritis",
                    ),
                    ("axspa_arthritis", "You have or have had arthritis"),
                    (
                        "axspa_enthesitis",
                        "You have or have had enthesitis (painful swelling "
                        "where a tendon meets the bone, such as the heel)",
                    ),
                    ("axspa_psoriasis", "You have or have had psoriasis"),
                ),
                none_label="None of these",
            ),
        ),
    ),
    Step(
        "back_pain_outlook",
        "Back pain: the last 2 weeks",
        "Back pain prognosis",
        intro="Thinking about the last 2 weeks, do you agree or disagree with each statement?",
        show_if={"fact": "back_pain", "op": "is_true"},
        notice="Questions based on the Keele STarT Back Screening Tool. "
        "Copyright ©2007 Keele University.",
        questions=(
            Question(
                "sb1_leg_pain", SINGLE, "My back pain has spread down my leg(s)", choices=_AGREE
            ),
            Question(
                "sb2_shoulder_neck",
                SINGLE,
                "I have had pain in my shoulder or neck",
                choices=_AGREE,
            ),
            Question(
                "sb3_walk_short",
                SINGLE,
                "I have only walked short distances because of my back pain",
                choices=_AGREE,
            ),
            Question(
                "sb4_dress_slow",
                SINGLE,
                "I have dressed more slowly than usual because of my back pain",
                choices=_AGREE,
            ),
            Question(
                "sb5_not_safe_active",
                SINGLE,
                "It is not really safe for a person with a condition like mine to be "
                "physically active",
                choices=_AGREE,
            ),
            Question(
                "sb6_worrying",
                SINGLE,
                "Worrying thoughts have been going through my mind a lot of the time",
                choices=_AGREE,
            ),
            Question(
                "sb7_terrible_never_better",
                SINGLE,
                "I feel that my back pain is terrible and it is never going to get any better",
                choices=_AGREE,
            ),
            Question(
                "sb8_not_enjoyed",
                SINGLE,
                "In general I have not enjoyed all the things I used to enjoy",
                choices=_AGREE,
            ),
            Question(
                "sb9_bothersome",
                SINGLE,
                "Overall, how bothersome has your back pain been in the last 2 weeks?",
                choices=_choices(
                    ("not_at_all", "Not at all"),
                    ("slightly", "Slightly"),
                    ("moderately", "Moderately"),
                    ("very_much", "Very much"),
                    ("extremely", "Extremely"),
                ),
            ),
        ),
    ),
    Step(
        "sports_injury",
        "Your sports injury",
        "Sports injury",
        show_if={"fact": "pain_onset", "op": "eq", "value": "sport"},
        questions=(
            Question(
                "sport_name", TEXT_KIND, "Which sport or exercise were you doing?", max_length=80
            ),
            Question(
                "sport_injury_date",
                DATE_KIND,
                "When did the injury happen?",
                "For example, 27 3 2026. An approximate date is fine.",
            ),
            Question(
                "sport_injury_kind",
                SINGLE,
                "What kind of injury do you think it is?",
                choices=_choices(
                    ("muscle", "Muscle strain or tear"),
                    ("ligament", "Sprain (ligament)"),
                    ("tendon", "Tendon problem"),
                    ("joint", "Joint problem"),
                    ("overuse", "Overuse, it built up over time"),
                    ("impact", "Knock or bruise"),
                    ("not_sure", "I am not sure"),
                ),
            ),
            Question(
                "sport_level",
                SINGLE,
                "At what level do you take part?",
                choices=_choices(
                    ("recreational", "For fun or fitness"),
                    ("competitive", "Club or competitive"),
                    ("elite", "Elite or professional"),
                ),
            ),
            Question(
                "sport_return_goal",
                TEXT_KIND,
                "What do you want to get back to, and by when?",
                "For example, a half marathon in May.",
                required=False,
                max_length=200,
            ),
        ),
    ),
    Step(
        "widespread_pain",
        "Pain in different parts of the body",
        "Widespread pain",
        show_if={
            "any": [
                {"fact": "fibromyalgia_diagnosed", "op": "is_true"},
                # ACR 2016 counts pain as generalised from 4 of 5 body regions (clinical.md §4.3).
                {"fact": "pain_region_count", "op": "ge", "value": 4},
            ]
        },
        questions=(
            Question(
                "wpi_checklist",
                CHECKLIST,
                "In the past week, where have you had pain?",
                "Select all that apply.",
                choices=_choices(*_WPI_ITEMS),
                none_label="None of these",
            ),
            Question(
                "sss_fatigue",
                SINGLE,
                "In the past week, how much of a problem has tiredness (fatigue) been?",
                choices=_SSS_LEVELS,
            ),
            Question(
                "sss_waking_unrefreshed",
                SINGLE,
                "In the past week, how much of a problem has waking up tired (unrefreshed) been?",
                choices=_SSS_LEVELS,
            ),
            Question(
                "sss_cognitive",
                SINGLE,
                "In the past week, how much of a problem have "
                "trouble thinking or remembering been?",
                choices=_SSS_LEVELS,
            ),
            Question(
                "sss_6m_checklist",
                CHECKLIST,
                "In the past 6 months, have you been bothered by any of these?",
                "Select all that apply.",
                choices=_choices(
                    ("sss_headaches_6m", "Headaches"),
                    ("sss_lower_abdominal_pain_6m", "Pain or cramps in your lower abdomen"),
                    ("sss_depression_6m", "Depression"),
                ),
                none_label="None of these",
            ),
            _yes_no("symptoms_3_months", "Have these symptoms been present for at least 3 months?"),
        ),
    ),
    Step(
        "medication",
        "Your medicines",
        "Medication",
        intro="We ask so the physiotherapist can plan safely. Do not stop or change any "
        "medicine because of this questionnaire.",
        questions=(
            Question(
                "medication_classes",
                MULTI,
                "Do you take any of these medicines?",
                "Select all that apply.",
                choices=_choices(
                    (
                        "anticoagulant",
                        "Blood thinners (anticoagulants)",
                        "For example warfarin, apixaban, rivaroxaban, edoxaban, dabigatran or "
                        "heparin injections",
                    ),
                    (
                        "antiplatelet",
                        "Antiplatelet medicines",
                        "For example aspirin, clopidogrel, prasugrel or ticagrelor",
                    ),
                    (
                        "nsaid",
                        "Anti-inflammatory painkillers",
                        "For example ibuprofen, naproxen or diclofenac",
                    ),
                    (
                        "opioid",
                        "Opioid painkillers",
                        "For example codeine, tramadol, morphine or oxycodone",
                    ),
                    ("gabapentinoid", "Gabapentin or pregabalin"),
                    (
                        "muscle_relaxant",
                        "Muscle relaxants",
                        "For example baclofen, methocarbamol or diazepam",
                    ),
                    (
                        "oral_corticosteroid_long_term",
                        "Steroid tablets taken for a long time",
                        "For example prednisolone",
                    ),
                    (
                        "immunosuppressant",
                        "Medicines that weaken the immune system",
                        "For example methotrexate, azathioprine, biologics or chemotherapy",
                    ),
                ),
                none_label="None of these",
            ),
            Question(
                "pain_medication_days",
                SINGLE,
                "On how many days in a typical week do you take medicine for this pain?",
                choices=_choices(
                    ("0", "None"),
                    ("1_2", "1 or 2 days"),
                    ("3_5", "3 to 5 days"),
                    ("6_7", "6 or 7 days"),
                ),
            ),
        ),
    ),
    Step(
        "needling_safety",
        "Is needling safe for you?",
        "Needling safety",
        questions=(
            Question(
                "safety_checklist",
                CHECKLIST,
                "Do any of these apply to you?",
                "Select all that apply.",
                choices=_choices(
                    ("needle_phobia", "You have a strong fear of needles"),
                    ("unwilling", "You would rather not have needles used in your treatment"),
                    ("bleeding_disorder", "You have a bleeding disorder, such as haemophilia"),
                    (
                        "lymphoedema_in_area",
                        "You have lymphoedema (long-term swelling) in the area that hurts",
                    ),
                    (
                        "immunocompromised",
                        "Your immune system is weakened by an illness or treatment",
                    ),
                    ("diabetes", "You have diabetes"),
                    ("epilepsy", "You have epilepsy"),
                    ("metal_allergy", "You are allergic to metals such as nickel or chromium"),
                    (
                        "implanted_electrical_device",
                        "You have a pacemaker, defibrillator or "
                        "another implanted electrical device",
                    ),
                    ("recent_surgery_in_area", "You have had surgery in the painful area recently"),
                    (
                        "local_infection_or_lesion_at_site",
                        "You have an infection, wound or skin problem where it hurts",
                    ),
                    (
                        "vascular_disease_in_area",
                        "You have blood vessel problems, such as "
                        "varicose veins, in the painful area",
                    ),
                    ("frail", "You are frail"),
                    (
                        "acute_medical_condition",
                        "You are unwell at the moment with another illness that needs medical care",
                    ),
                ),
                none_label="None of these",
            ),
            _yes_no("pregnant", "Are you pregnant?", show_if=_NOT_MALE),
            Question(
                "pregnancy_trimester",
                SINGLE,
                "How many weeks pregnant are you?",
                "Only if you are pregnant.",
                show_if={"fact": "pregnant", "op": "is_true"},
                choices=_choices(
                    (1, "Up to 12 weeks"),
                    (2, "13 to 26 weeks"),
                    (3, "27 weeks or more"),
                ),
            ),
            Question(
                "previous_needling",
                SINGLE,
                "Have you had dry needling or acupuncture before?",
                choices=_choices(
                    ("no", "No"),
                    ("yes_fine", "Yes, without problems"),
                    ("yes_reaction", "Yes, and I had a reaction or problem"),
                ),
            ),
            Question(
                "previous_needling_reaction",
                TEXT_KIND,
                "What happened?",
                "Only if you had a reaction or problem.",
                show_if={"fact": "previous_needling", "op": "eq", "value": "yes_reaction"},
                max_length=300,
            ),
            _yes_no(
                "unable_to_consent",
                "Does the person you are answering for find it hard to understand or agree to "
                "treatment themselves?",
                "For example because of communication or memory difficulties.",
                show_if={"fact": "respondent", "op": "eq", "value": "someone_else"},
            ),
            _yes_no(
                "guardian_consent_given",
                "Does a parent or guardian agree to dry needling being considered?",
                "Under the age of consent, a parent or guardian must agree before treatment.",
                show_if={"fact": "guardian_consent_required", "op": "is_true"},
            ),
        ),
    ),
    Step(
        "goals",
        "Your goals",
        "Goals",
        questions=(
            Question(
                "goals",
                MULTI,
                "What would you like treatment to help with?",
                "Select all that apply.",
                choices=_choices(
                    ("less_pain", "Less pain"),
                    ("more_movement", "Moving more easily"),
                    ("return_to_sport", "Getting back to sport or exercise"),
                    ("less_medication", "Relying less on pain medicine"),
                ),
            ),
            Question(
                "goal_notes",
                TEXT_KIND,
                "Anything else you would like us to know?",
                required=False,
                max_length=500,
            ),
        ),
    ),
)

STEPS_BY_ID: dict[str, Step] = {step.id: step for step in STEPS}
QUESTIONS: dict[str, Question] = {q.id: q for step in STEPS for q in step.questions}
#: answer id -> the question that asks it (a checklist asks several)
ASKED_BY: dict[str, Question] = {
    item: q for step in STEPS for q in step.questions for item in q.item_ids
}
SECTION_OF: dict[str, str] = {
    item: step.section for step in STEPS for q in step.questions for item in q.item_ids
}

_STEP_SHOWN: dict[str, Predicate | None] = {
    s.id: compile_condition(s.show_if) if s.show_if else None for s in STEPS
}
_QUESTION_SHOWN: dict[str, Predicate | None] = {
    q.id: compile_condition(q.show_if) if q.show_if else None for q in QUESTIONS.values()
}

_MEDICATION_FLAGS = ("anticoagulant", "antiplatelet")
_IMMUNE_MEDICINES = frozenset({"immunosuppressant", "oral_corticosteroid_long_term"})
_AXSPA_ITEMS = tuple(c.value for c in QUESTIONS["axspa_checklist"].choices)

#: Facts derived from the answers (never asked), usable in rules and show-if conditions.
DERIVED: dict[str, FactSpec] = {
    spec.id: spec
    for spec in (
        FactSpec("back_pain", "Has lower back pain", BOOLEAN, origin="derived"),
        FactSpec(
            "pain_region_count",
            "Number of painful body regions",
            NUMBER,
            minimum=0,
            maximum=9,
            origin="derived",
        ),
        FactSpec(
            "anticoagulant",
            "Takes blood thinners (anticoagulants)",
            BOOLEAN,
            section="Medication",
            origin="derived",
        ),
        FactSpec(
            "antiplatelet",
            "Takes antiplatelet medicines",
            BOOLEAN,
            section="Medication",
            origin="derived",
        ),
        FactSpec(
            "rf_steroid_long_term",
            "Takes steroid tablets long term",
            BOOLEAN,
            section="Back pain red flags",
            origin="derived",
        ),
        FactSpec(
            "rf_immunosuppressed",
            "Immune system weakened (back pain)",
            BOOLEAN,
            section="Back pain red flags",
            origin="derived",
        ),
        FactSpec(
            "axspa_duration_over_3m",
            "Back pain for more than 3 months",
            BOOLEAN,
            section="Back pain red flags",
            origin="derived",
        ),
        FactSpec(
            "axspa_additional_criteria_count",
            "Number of spondyloarthritis features",
            NUMBER,
            minimum=0,
            maximum=9,
            section="Back pain red flags",
            origin="derived",
        ),
        FactSpec(
            "guardian_consent_required",
            "Under the self-consent age",
            BOOLEAN,
            section="About you",
            origin="derived",
        ),
        FactSpec(
            "pregnancy_first_trimester",
            "Pregnant, up to 12 weeks",
            BOOLEAN,
            section="Needling safety",
            origin="derived",
        ),
    )
}


def derive(answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT) -> dict:
    """Answers plus the derived facts: one fact asked once gives the same facts in any form.

    `anticoagulant`/`antiplatelet` (clinical.md §0.6) and `medication_classes` (§0.7) name one
    fact twice: whichever form the answers use, both are filled in. Likewise long-term steroid
    and immunosuppressant medicines imply `immunocompromised` (§7.2) and, for back pain,
    the red-flag facts `rf_steroid_long_term` and `rf_immunosuppressed` (§2.2).
    """
    facts = dict(answers)
    regions = facts.get("pain_regions")
    regions = regions if isinstance(regions, list) else []
    back_pain = "lower_back" in regions
    facts["back_pain"] = back_pain
    facts["pain_region_count"] = len({r for r in regions if type(r) is str})

    classes = facts.get("medication_classes")
    classes = [c for c in classes if type(c) is str] if isinstance(classes, list) else None
    for flag in _MEDICATION_FLAGS:
        given = facts.get(flag)
        if classes is not None:
            on_list = flag in classes
            if given is True and not on_list:
                classes.append(flag)
            facts[flag] = on_list or given is True
        elif type(given) is bool:
            classes = [flag] if given else []
    if classes is not None:
        facts["medication_classes"] = classes
        immune_medicine = not _IMMUNE_MEDICINES.isdisjoint(classes)
        steroid = "oral_corticosteroid_long_term" in classes
    else:
        immune_medicine = steroid = False
    if immune_medicine:
        facts["immunocompromised"] = True
    if back_pain:
        if steroid:
            facts["rf_steroid_long_term"] = True
        if immune_medicine or facts.get("immunocompromised") is True:
            facts["rf_immunosuppressed"] = True
        duration = facts.get("pain_duration")
        if type(duration) is str and "axspa_duration_over_3m" not in answers:
            facts["axspa_duration_over_3m"] = duration == "over_12_weeks"
        if "axspa_additional_criteria_count" not in answers and any(
            item in facts for item in _AXSPA_ITEMS
        ):
            facts["axspa_additional_criteria_count"] = sum(
                facts.get(item) is True for item in _AXSPA_ITEMS
            )

    age = facts.get("age")
    if is_number(age):
        facts["guardian_consent_required"] = age < min_age_self_consent
    if facts.get("pregnant") is True:
        trimester = facts.get("pregnancy_trimester")
        facts["pregnancy_first_trimester"] = type(trimester) is int and trimester == 1
    return facts


def step_is_shown(step: Step, facts: Mapping[str, Any]) -> bool:
    """Whether a step's show-if holds for these facts (answers plus derived facts)."""
    shown = _STEP_SHOWN[step.id]
    return shown is None or shown(facts)


def question_is_shown(question: Question, facts: Mapping[str, Any]) -> bool:
    """Whether a question's show-if holds for these facts."""
    shown = _QUESTION_SHOWN[question.id]
    return shown is None or shown(facts)


def visible_steps(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[Step]:
    """The steps this patient sees, in order, given what they have answered so far."""
    facts = derive(answers, min_age_self_consent)
    return [step for step in STEPS if step_is_shown(step, facts)]


def visible_questions(
    step: Step, answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[Question]:
    """The questions of a step that apply, given the answers (including this step's own)."""
    facts = derive(answers, min_age_self_consent)
    return [q for q in step.questions if question_is_shown(q, facts)]


def next_step(
    answers: Mapping[str, Any],
    current: str | None,
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
) -> Step | None:
    """The step after `current` (the first step for None); None when the questionnaire ends."""
    steps = visible_steps(answers, min_age_self_consent)
    if current is None:
        return steps[0] if steps else None
    order = [step.id for step in STEPS]
    position = order.index(current) if current in order else -1
    for step in steps:
        if order.index(step.id) > position:
            return step
    return None


def previous_step(
    answers: Mapping[str, Any], current: str, min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> Step | None:
    """The visible step before `current`, or None on the first step."""
    order = [step.id for step in STEPS]
    position = order.index(current) if current in order else len(order)
    before = [
        s for s in visible_steps(answers, min_age_self_consent) if order.index(s.id) < position
    ]
    return before[-1] if before else None


def first_unanswered_step(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> Step | None:
    """The first visible step with a required question still unanswered, or None when done."""
    for step in visible_steps(answers, min_age_self_consent):
        if step_errors(step, answers, min_age_self_consent, only_missing=True):
            return step
    return None


def prune(answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT) -> dict:
    """Only the answers to questions that are still shown: a change can hide earlier pages."""
    kept: dict[str, Any] = {}
    # Visibility can depend on other answers; repeat until nothing more is dropped.
    current = dict(answers)
    while True:
        kept = {}
        for step in visible_steps(current, min_age_self_consent):
            for question in visible_questions(step, current, min_age_self_consent):
                for item in question.item_ids:
                    if item in current:
                        kept[item] = current[item]
        if kept == current:
            return kept
        current = kept


# --- Parsing form input and validating answers ---------------------------------------------


class AnswerError(ValueError):
    """A value that cannot be an answer to its question; the message is for the patient."""


def parse_value(question: Question, raw: list[str]) -> Any:
    """Turn submitted form strings into the typed answer; None when left blank.

    For a checklist, returns a dict of item id -> bool. Raises AnswerError with a message
    for the patient.
    """
    if isinstance(raw, str):  # a single value given bare rather than as a list
        raw = [raw]
    elif not isinstance(raw, list | tuple):
        raw = []
    values = [v.strip() for v in raw if isinstance(v, str)]
    values = [v for v in values if v]
    kind = question.kind
    if kind in (CHECKLIST, MULTI):
        if not values:
            return None
        offered = {str(c.value): c.value for c in question.choices}
        none_chosen = "none" in values
        chosen = [v for v in values if v != "none"]
        unknown = [v for v in chosen if v not in offered]
        if unknown or (none_chosen and not question.none_label):
            raise AnswerError("Select from the options given")
        if none_chosen and chosen:
            raise AnswerError(
                f"Select '{question.none_label}' on its own, or the options that apply"
            )
        if kind == MULTI:
            return [offered[v] for v in dict.fromkeys(chosen)]
        return {item: item in chosen for item in question.item_ids}
    if not values:
        return None
    if len(values) > 1:
        raise AnswerError("Give one answer")
    value = values[0]
    if kind == YES_NO:
        if value not in ("yes", "no"):
            raise AnswerError("Select yes or no")
        return value == "yes"
    if kind == SINGLE:
        for choice in question.choices:
            if str(choice.value) == value:
                return choice.value
        raise AnswerError("Select one of the options")
    if kind in (INTEGER, SCALE):
        if not (value.isascii() and value.isdigit()) or len(value) > 6:
            raise AnswerError(
                "Enter a whole number, like 42"
                if kind == INTEGER
                else "Select a number from 0 to 10"
            )
        number = int(value)
        _check_range(question, number)
        return number
    if kind == TEXT_KIND:
        if len(value) > question.max_length:
            raise AnswerError(f"Use {question.max_length} characters or fewer")
        return value
    if kind == DATE_KIND:
        return _parse_date(value)
    raise AnswerError("This question cannot be answered")  # pragma: no cover


def _check_range(question: Question, number: int) -> None:
    low, high = question.minimum, question.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise AnswerError(f"Enter a number from {low} to {high}")


def _parse_date(value: str) -> str:
    parts = re.split(r"[\s/.-]+", value)
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        elif len(parts) == 3:
            day = dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
        else:
            raise ValueError
    except (ValueError, OverflowError):  # a year too big for a C long overflows
        raise AnswerError("Enter a real date, for example 27 3 2026") from None
    if day > dt.date.today():
        raise AnswerError("The date must be today or in the past")
    if day.year < 1900:
        raise AnswerError("Enter a date after 1900")
    return day.isoformat()


def parse_step(
    step: Step,
    form: Mapping[str, list[str]],
    answers: Mapping[str, Any],
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Read one step's form: (the answers with this step's applied, errors by question id).

    Questions hidden by a show-if (for example trimester when not pregnant) are dropped, and
    only questions still shown need an answer.
    """
    updated = {k: v for k, v in answers.items() if ASKED_BY.get(k) not in step.questions}
    errors: dict[str, str] = {}
    for question in step.questions:
        try:
            value = parse_value(question, form.get(question.id, []))
        except AnswerError as error:
            errors[question.id] = str(error)
            continue
        if value is None:
            continue
        if question.kind == CHECKLIST:
            updated.update(value)
        else:
            updated[question.id] = value
    facts = derive(updated, min_age_self_consent)
    for question in step.questions:
        if question_is_shown(question, facts):
            if question.id not in errors and question.required and not _answered(question, updated):
                errors[question.id] = missing_message(question)
        else:
            errors.pop(question.id, None)
            for item in question.item_ids:
                updated.pop(item, None)
    return updated, errors


def missing_message(question: Question) -> str:
    """The message for a required question left blank."""
    if question.kind in (YES_NO, SINGLE):
        return "Select an answer"
    if question.kind in (MULTI, CHECKLIST):
        if question.none_label:
            return f"Select all that apply, or '{question.none_label}'"
        return "Select at least one option"
    if question.kind == SCALE:
        return "Select a number from 0 to 10"
    if question.kind == DATE_KIND:
        return "Enter a date"
    return "Enter an answer"


def _answered(question: Question, answers: Mapping[str, Any]) -> bool:
    if question.kind == CHECKLIST:
        return any(item in answers for item in question.item_ids)
    return answers.get(question.id) is not None


def form_values(question: Question, answers: Mapping[str, Any]) -> list[str]:
    """The answer(s) as form strings, to fill a page back in."""
    if question.kind == CHECKLIST:
        if not _answered(question, answers):
            return []
        ticked = [item for item in question.item_ids if answers.get(item) is True]
        return ticked or ["none"]
    value = answers.get(question.id)
    if value is None:
        return []
    if question.kind == YES_NO:
        return ["yes" if value else "no"] if isinstance(value, bool) else []
    if question.kind == MULTI:
        if not isinstance(value, list):
            return []
        return [str(v) for v in value] or (["none"] if question.none_label else [])
    return [str(value)]


def step_errors(
    step: Step,
    answers: Mapping[str, Any],
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
    *,
    only_missing: bool = False,
) -> dict[str, str]:
    """Errors of one step's stored answers (missing required ones, or invalid values)."""
    facts = derive(answers, min_age_self_consent)
    errors: dict[str, str] = {}
    for question in step.questions:
        if not question_is_shown(question, facts):
            continue
        if question.required and not _answered(question, answers):
            errors[question.id] = missing_message(question)
        elif not only_missing:
            for item in question.item_ids:
                if item in answers:
                    problem = _value_problem(question, item, answers[item])
                    if problem:
                        errors[item] = problem
    return errors


def _value_problem(question: Question, item: str, value: Any) -> str | None:
    kind = question.kind
    if kind in (YES_NO, CHECKLIST):
        return None if isinstance(value, bool) else "must be yes or no"
    if kind == SINGLE:
        if any(_same(value, c.value) for c in question.choices):
            return None
        return "is not one of the choices"
    if kind == MULTI:
        if not isinstance(value, list):
            return "must be a list of choices"
        if len(set(map(repr, value))) != len(value):
            return "lists a choice more than once"
        if not all(any(_same(v, c.value) for c in question.choices) for v in value):
            return "includes a value that is not one of the choices"
        return None
    if kind in (INTEGER, SCALE):
        # Strictly int: scoring counts only ints, so 5.0 must not pass validation either.
        if type(value) is not int:
            return "must be a whole number"
        try:
            _check_range(question, int(value))
        except AnswerError as error:
            return str(error).replace("Enter a number", "must be a number")
        return None
    if kind == TEXT_KIND:
        if not isinstance(value, str):
            return "must be text"
        return None if len(value) <= question.max_length else "is too long"
    if kind == DATE_KIND:
        if not isinstance(value, str):
            return "must be a date"
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return "must be a date like 2026-03-27"
        return None
    return None  # pragma: no cover


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def validate_answers(
    answers: Any, min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> dict[str, str]:
    """Field errors of a whole answer set: unknown id, wrong type, choice, range, missing.

    Never raises, whatever it is given.
    """
    if not isinstance(answers, Mapping):
        return {"": "Answers must be a mapping of question ids to values"}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in answers.items():
        if not isinstance(key, str) or key not in ASKED_BY:
            errors[str(key)] = "is not a question of this questionnaire"
            continue
        if value is None:
            continue
        problem = _value_problem(ASKED_BY[key], key, value)
        if problem:
            errors[key] = problem
        else:
            clean[key] = value
    for step in visible_steps(clean, min_age_self_consent):
        for qid, message in step_errors(
            step, clean, min_age_self_consent, only_missing=True
        ).items():
            errors.setdefault(qid, message)
    return errors


# --- The data dictionary ------------------------------------------------------------------


_FACT_TYPE = {
    YES_NO: BOOLEAN,
    SINGLE: CHOICE,
    MULTI: CHOICES,
    INTEGER: NUMBER,
    SCALE: NUMBER,
    TEXT_KIND: TEXT,
    DATE_KIND: DATE,
}


def data_dictionary() -> dict[str, FactSpec]:
    """Every answer id with its type, choices, range, section and label, then derived facts."""
    entries: dict[str, FactSpec] = {}
    for step in STEPS:
        for q in step.questions:
            if q.kind == CHECKLIST:
                for choice in q.choices:
                    entries[choice.value] = FactSpec(
                        choice.value, choice.label, BOOLEAN, section=step.section
                    )
                continue
            entries[q.id] = FactSpec(
                q.id,
                q.label,
                _FACT_TYPE[q.kind],
                choices=tuple(c.value for c in q.choices),
                choice_labels=tuple(c.label for c in q.choices),
                minimum=q.minimum,
                maximum=q.maximum,
                section=step.section,
            )
    for spec in DERIVED.values():
        entries.setdefault(spec.id, spec)
    return entries


def iter_answer_rows(answers: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(section, question label, answer in words) for every answer, in questionnaire order."""
    for step in STEPS:
        for q in step.questions:
            if q.kind == CHECKLIST:
                if not _answered(q, answers):
                    continue
                ticked = [c.label for c in q.choices if answers.get(c.value) is True]
                yield step.section, q.label, "; ".join(ticked) or q.none_label
                continue
            if q.id not in answers or answers[q.id] is None:
                continue
            yield step.section, q.label, answer_text(q, answers[q.id])


def answer_sections(answers: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The answers in words grouped by section: [(section, [(question label, answer)])]."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for section, label, answer in iter_answer_rows(answers):
        if not sections or sections[-1][0] != section:
            sections.append((section, []))
        sections[-1][1].append((label, answer))
    return sections


def answers_by_step(
    answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT
) -> list[tuple[Step, list[tuple[str, str, str]]]]:
    """Each visible step with its answers in words, for "check your answers"."""
    return [
        (
            step,
            list(
                iter_answer_rows(
                    {k: v for k, v in answers.items() if ASKED_BY.get(k) in step.questions}
                )
            ),
        )
        for step in visible_steps(answers, min_age_self_consent)
    ]


def answer_text(question: Question, value: Any) -> str:
    """One answer in words, as the patient chose it."""
    if question.kind == YES_NO:
        return "Yes" if value is True else "No" if value is False else str(value)
    if question.kind == SINGLE:
        for choice in question.choices:
            if _same(choice.value, value):
                return choice.label
        return str(value)
    if question.kind == MULTI and isinstance(value, list):
        labels = {str(c.value): c.label for c in question.choices}
        return "; ".join(labels.get(str(v), str(v)) for v in value) or question.none_label or "-"
    if question.kind == DATE_KIND and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%-d %B %Y")
        except ValueError:
            return value
    return str(value)
