"""Stored answer sets for the pure-core tests (the form-data profiles are in journeys.py)."""

from __future__ import annotations

from typing import Any

from intake.screening import questionnaire as q


def none_of(checklist: str) -> dict[str, bool]:
    """A checklist answered "None of these"."""
    return dict.fromkeys(q.QUESTIONS[checklist].item_ids, False)


def pain_map(*areas: str) -> dict[str, bool]:
    """The pain map answered with these areas ticked (and every other area unticked)."""
    items = q.QUESTIONS["pain_map"].item_ids
    unknown = set(areas) - set(items)
    assert not unknown, f"not pain map areas: {sorted(unknown)}"
    return {item: item in areas for item in items}


def patient(**overrides: Any) -> dict[str, Any]:
    """A complete, valid, indicated back-pain patient with nothing of concern (outcome
    `suitable`); keyword overrides replace answers (None removes one)."""
    answers: dict[str, Any] = {
        "respondent": "self",
        "age": 35,
        "sex": "female",
        "wpi_lower_back": True,
        "pain_duration": "6_to_12_weeks",
        "pain_onset": "gradual",
        "fibromyalgia_diagnosed": False,
        "nprs_now": 5,
        "peg_pain_avg_week": 5,
        "peg_enjoyment_interference": 4,
        "peg_activity_interference": 4,
        **none_of("rf_urgent_checklist"),
        **none_of("rf_other_checklist"),
        "sb1_leg_pain": "disagree",
        "sb2_shoulder_neck": "disagree",
        "sb3_walk_short": "disagree",
        "sb4_dress_slow": "disagree",
        "sb5_not_safe_active": "disagree",
        "sb6_worrying": "disagree",
        "sb7_terrible_never_better": "disagree",
        "sb8_not_enjoyed": "disagree",
        "sb9_bothersome": "slightly",
        "medication_classes": [],
        "pain_medication_days": "0",
        **none_of("safety_checklist"),
        "pregnant": False,
        "previous_needling": "no",
        "goals": ["less_pain"],
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}
