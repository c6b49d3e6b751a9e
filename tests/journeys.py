"""Patient journeys as form data, one dict per step, shared by client, browser and bench tests.

Each profile maps step id -> the form fields a patient would send on that page. Steps a
profile does not mention must not be shown to that patient (walk() fails if one is).
"""

from __future__ import annotations

import copy
from typing import Any

NO_RED_FLAGS = {"rf_urgent_checklist": ["none"], "rf_other_checklist": ["none"]}
#: Back pain that started at 45 or later: the spondyloarthritis features are then not asked.
NO_AXSPA = {"axspa_onset_before_45": ["no"]}

LOW_RISK_STARTBACK = {
    "sb1_leg_pain": ["agree"],
    "sb2_shoulder_neck": ["disagree"],
    "sb3_walk_short": ["disagree"],
    "sb4_dress_slow": ["disagree"],
    "sb5_not_safe_active": ["disagree"],
    "sb6_worrying": ["disagree"],
    "sb7_terrible_never_better": ["disagree"],
    "sb8_not_enjoyed": ["disagree"],
    "sb9_bothersome": ["moderately"],
}

#: A 45-year-old with chronic lower back pain and nothing of concern: `suitable`.
BACK_PAIN_SUITABLE: dict[str, dict[str, list[str]]] = {
    "about_you": {"respondent": ["self"], "age": ["45"], "sex": ["female"], "pregnant": ["no"]},
    "pain_areas": {"pain_map": ["wpi_lower_back"]},
    "your_pain": {
        "pain_duration": ["over_12_weeks"],
        "pain_onset": ["gradual"],
        "fibromyalgia_diagnosed": ["no"],
    },
    "pain_impact": {
        "nprs_now": ["6"],
        "peg_pain_avg_week": ["5"],
        "peg_enjoyment_interference": ["4"],
        "peg_activity_interference": ["5"],
        "goals": ["less_pain", "more_movement"],
    },
    "back_warning_signs": dict(NO_RED_FLAGS),
    "back_pain_pattern": dict(NO_AXSPA),
    "back_pain_outlook": dict(LOW_RISK_STARTBACK),
    "medication": {"medication_classes": ["none"], "pain_medication_days": ["1_2"]},
    "needling_safety": {"safety_checklist": ["none"], "previous_needling": ["no"]},
}


def variant(base: dict, **steps: dict[str, list[str]]) -> dict:
    """A copy of a profile with some steps' fields replaced or added."""
    profile = copy.deepcopy(base)
    for step_id, fields in steps.items():
        profile.setdefault(step_id, {}).update(fields)
    return profile


#: The same patient on blood thinners: `review`.
BLOOD_THINNERS = variant(
    BACK_PAIN_SUITABLE,
    medication={"medication_classes": ["anticoagulant"], "pain_medication_days": ["0"]},
)

#: The same patient with saddle numbness: `emergency`, no booking form.
SADDLE_NUMBNESS = variant(
    BACK_PAIN_SUITABLE,
    back_warning_signs={"rf_urgent_checklist": ["rf_saddle"]},
)

#: A 38-year-old with back pain for more than 12 weeks and three features of axial
#: spondyloarthritis: never asked when the pain started (under 45 it was before 45), so the
#: features come at once; `see_doctor` (G7_axial_spa).
AXSPA_UNDER_45 = variant(BACK_PAIN_SUITABLE, about_you={"age": ["38"]})
AXSPA_UNDER_45["back_pain_pattern"] = {
    "axspa_checklist": ["axspa_buttock_pain", "axspa_improves_with_movement", "axspa_psoriasis"]
}

#: A runner with a calf strain and no back pain: sports page, no back pages.
SPORTS_INJURY: dict[str, dict[str, list[str]]] = {
    "about_you": {"respondent": ["self"], "age": ["29"], "sex": ["male"]},
    "pain_areas": {"pain_map": ["wpi_lower_leg_l"]},
    "your_pain": {
        "pain_duration": ["under_6_weeks"],
        "pain_onset": ["sport"],
        "fibromyalgia_diagnosed": ["no"],
    },
    "pain_impact": {
        "nprs_now": ["4"],
        "peg_pain_avg_week": ["4"],
        "peg_enjoyment_interference": ["3"],
        "peg_activity_interference": ["6"],
        "goals": ["return_to_sport"],
    },
    "sports_injury": {
        "sport_name": ["Running"],
        "sport_injury_kind": ["muscle"],
        "sport_level": ["competitive"],
        "sport_return_goal": ["Half marathon in spring"],
    },
    "medication": {"medication_classes": ["nsaid"], "pain_medication_days": ["3_5"]},
    "needling_safety": {"safety_checklist": ["none"], "previous_needling": ["yes_fine"]},
}

#: Someone with diagnosed fibromyalgia and widespread pain.
FIBROMYALGIA: dict[str, dict[str, list[str]]] = {
    "about_you": {"respondent": ["self"], "age": ["52"], "sex": ["female"], "pregnant": ["no"]},
    "pain_areas": {
        "pain_map": [
            "wpi_shoulder_l",
            "wpi_shoulder_r",
            "wpi_upper_arm_l",
            "wpi_upper_arm_r",
            "wpi_hip_l",
            "wpi_hip_r",
            "wpi_upper_leg_l",
            "wpi_upper_leg_r",
            "wpi_neck",
            "wpi_upper_back",
        ]
    },
    "your_pain": {
        "pain_duration": ["over_12_weeks"],
        "pain_onset": ["gradual"],
        "fibromyalgia_diagnosed": ["yes"],
    },
    "pain_impact": {
        "nprs_now": ["7"],
        "peg_pain_avg_week": ["7"],
        "peg_enjoyment_interference": ["8"],
        "peg_activity_interference": ["7"],
        "goals": ["less_pain", "less_medication"],
    },
    "widespread_pain": {
        "sss_fatigue": ["2"],
        "sss_waking_unrefreshed": ["2"],
        "sss_cognitive": ["1"],
    },
    "other_symptoms": {
        "sss_6m_checklist": ["sss_headaches_6m", "sss_depression_6m"],
        "symptoms_3_months": ["yes"],
    },
    "medication": {"medication_classes": ["gabapentinoid"], "pain_medication_days": ["6_7"]},
    "needling_safety": {"safety_checklist": ["none"], "previous_needling": ["no"]},
}

BOOKING = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "07911 123456",
    "preferred_days": ["mon", "wed"],
    "preferred_times": ["morning"],
    "message": "Mornings are best.",
    "consent": "y",
}


def walk(client: Any, profile: dict[str, dict[str, list[str]]]) -> list[str]:
    """Start and answer every page the app shows, following its redirects to /check.

    Returns the step ids in the order they were shown.
    """
    response = client.post("/start")
    shown: list[str] = []
    while True:
        location = response.headers.get("Location", "")
        assert response.status_code == 302, (response.status_code, shown)
        if location.endswith("/check"):
            return shown
        step_id = location.rsplit("/", 1)[-1].split("?")[0]
        assert step_id in profile, f"unexpected step {step_id!r} after {shown}"
        assert step_id not in shown, f"step {step_id!r} shown twice"
        shown.append(step_id)
        response = client.post(location, data=profile[step_id])
