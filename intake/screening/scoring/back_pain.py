"""Back pain instruments: the STarT Back Screening Tool (clinical.md §3) and the Oswestry
Disability Index v2.1a (§5)."""

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Final

from intake.screening.scoring.values import Get, getter, int_in, plain_text

#: STarT Back items in Keele form order (§0.1, §3.1); items 5-9 form the psychosocial subscale.
STARTBACK_ITEMS: Final[tuple[str, ...]] = (
    "sb1_leg_pain",
    "sb2_shoulder_neck",
    "sb3_walk_short",
    "sb4_dress_slow",
    "sb5_not_safe_active",
    "sb6_worrying",
    "sb7_terrible_never_better",
    "sb8_not_enjoyed",
    "sb9_bothersome",
)
# (item id, belongs to the psychosocial subscale) for the agree/disagree items 1-8.
_SB_AGREE_SPEC: Final[tuple[tuple[str, bool], ...]] = tuple(
    (key, number >= 5) for number, key in enumerate(STARTBACK_ITEMS[:8], start=1)
)
_SB_AGREE_POINTS: Final[dict[str, int]] = {"agree": 1, "disagree": 0}
_SB9_POINTS: Final[dict[str, int]] = {
    "not_at_all": 0,
    "slightly": 0,
    "moderately": 0,
    "very_much": 1,
    "extremely": 1,
}

#: Oswestry Disability Index v2.1a sections 1-10 (§0.2).
ODI_SECTIONS: Final[tuple[str, ...]] = (
    "odi1_pain_intensity",
    "odi2_personal_care",
    "odi3_lifting",
    "odi4_walking",
    "odi5_sitting",
    "odi6_standing",
    "odi7_sleeping",
    "odi8_sex_life",
    "odi9_social_life",
    "odi10_travelling",
)


def _odi_band(percent: Fraction) -> str:
    # Upper-inclusive on the unrounded percent (§5.3).
    if percent <= 20:
        return "minimal_disability"
    if percent <= 40:
        return "moderate_disability"
    if percent <= 60:
        return "severe_disability"
    if percent <= 80:
        return "crippled"
    return "bed_bound_or_exaggerating"


def _odi_row(raw_sum: int, answered: int) -> tuple[str, float, str]:
    percent = Fraction(100 * raw_sum, 5 * answered)
    # Round half up to one decimal: floor(10 * percent + 1/2), exact in integers.
    tenths = (20 * percent.numerator + percent.denominator) // (2 * percent.denominator)
    return str(percent), tenths / 10, _odi_band(percent)


# (sections answered, raw sum) -> (percent_exact, percent_1dp, band); 285 rows.
_ODI_TABLE: Final[dict[tuple[int, int], tuple[str, float, str]]] = {
    (n, s): _odi_row(s, n) for n in range(1, 11) for s in range(5 * n + 1)
}


def startback_from(get: Get) -> dict[str, Any] | None:
    """STarT Back from an answer getter (compute_scores reads one answer set once)."""
    answered = False
    physical = 0
    psychosocial = 0
    for key, psychosocial_item in _SB_AGREE_SPEC:
        value = get(key)
        if value is None:
            continue
        if type(value) is not str:
            value = plain_text(value)
        point = _SB_AGREE_POINTS.get(value)  # type: ignore[arg-type]
        if point is None:
            continue
        answered = True
        if psychosocial_item:
            psychosocial += point
        else:
            physical += point
    value = get("sb9_bothersome")
    if value is not None:
        if type(value) is not str:
            value = plain_text(value)
        point = _SB9_POINTS.get(value)  # type: ignore[arg-type]
        if point is not None:
            answered = True
            psychosocial += point
    if not answered:
        return None
    total = physical + psychosocial
    # §3.2: total 0-3 low; 4-9 with subscale <= 3 medium, 4-5 high.
    if total <= 3:
        risk = "low"
    elif psychosocial <= 3:
        risk = "medium"
    else:
        risk = "high"
    return {"total": total, "psychosocial_subscale": psychosocial, "risk": risk}


def odi_from(get: Get) -> dict[str, Any] | None:
    """The Oswestry Disability Index from an answer getter."""
    answered = 0
    raw_sum = 0
    for key in ODI_SECTIONS:
        value = get(key)
        if type(value) is int and 0 <= value <= 5:
            answered += 1
            raw_sum += value
        elif value is not None:
            n = int_in(value, 0, 5)
            if n is not None:
                answered += 1
                raw_sum += n
    if not answered:
        return None
    percent_exact, percent_1dp, band = _ODI_TABLE[answered, raw_sum]
    valid = answered >= 9  # §5.2 default: score when at most one section is missing
    return {
        "sections_answered": answered,
        "raw_sum": raw_sum,
        "max_possible": 5 * answered,
        "percent_exact": percent_exact,
        "percent_1dp": percent_1dp,
        "valid": valid,
        "band": band if valid else None,
    }


def startback(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return STarT Back total, psychosocial subscale and risk (§3.2), or None if not given."""
    return startback_from(getter(answers))


def odi(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the Oswestry Disability Index percentage, validity and band (§5.2-5.3), or None."""
    return odi_from(getter(answers))
