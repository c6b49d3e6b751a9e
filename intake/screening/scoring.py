"""Published instrument scoring for the intake questionnaire: pure, standard library only.

Every rule follows the project's clinical reference, clinical.md, whose sections are cited:
STarT Back (§3.2), ACR 2010 / 2011 / 2016 fibromyalgia criteria (§4.1-4.3), Oswestry
Disability Index v2.1a (§5.2-5.3), NPRS bands and change and the PEG (§6). Answer ids are
those of its data dictionary (§0); the duration classes (acute < 6 weeks, subacute 6-12,
chronic > 12) are the product design's.

Input is always a mapping of answer id to value. Answers may be partial, empty or malformed:
a value of the wrong type or out of range counts as "not answered", and no function raises on
any mapping. Types are strict: booleans must be ``True``/``False`` and integers must be real
``int`` values, never ``bool``; strings such as ``"1"`` are never read as numbers.
"""

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "ACR2010_SS_ITEMS",
    "ACR2011_SS_ITEMS",
    "ACR2016_SSS_ITEMS",
    "DEFAULT_PAIN_BAND_CUTS",
    "GENERALIZED_PAIN_EXCLUDED_AREAS",
    "ODI_SECTIONS",
    "PEG_ITEMS",
    "STARTBACK_ITEMS",
    "WPI_AREAS",
    "WPI_REGIONS",
    "acr2010",
    "acr2011",
    "acr2016",
    "compute_scores",
    "duration_class",
    "nprs_change",
    "odi",
    "pain_band",
    "peg",
    "startback",
]

_Get = Callable[[str], object]
_EMPTY: Final[dict[str, object]] = {}

# --------------------------------------------------------------------------- answer ids (§0)

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

#: The five 2016 generalized-pain regions and their WPI area ids (§0.3): 4 + 4 + 3 + 3 + 5 = 19.
WPI_REGIONS: Final[dict[str, tuple[str, ...]]] = {
    "left_upper": ("wpi_jaw_l", "wpi_shoulder_l", "wpi_upper_arm_l", "wpi_lower_arm_l"),
    "right_upper": ("wpi_jaw_r", "wpi_shoulder_r", "wpi_upper_arm_r", "wpi_lower_arm_r"),
    "left_lower": ("wpi_hip_l", "wpi_upper_leg_l", "wpi_lower_leg_l"),
    "right_lower": ("wpi_hip_r", "wpi_upper_leg_r", "wpi_lower_leg_r"),
    "axial": ("wpi_neck", "wpi_upper_back", "wpi_lower_back", "wpi_chest", "wpi_abdomen"),
}
#: All 19 Widespread Pain Index areas (§4.1), in region order.
WPI_AREAS: Final[tuple[str, ...]] = tuple(a for areas in WPI_REGIONS.values() for a in areas)
#: Areas counted in the WPI that never make a 2016 region positive (§4.3).
GENERALIZED_PAIN_EXCLUDED_AREAS: Final[tuple[str, ...]] = (
    "wpi_jaw_l",
    "wpi_jaw_r",
    "wpi_chest",
    "wpi_abdomen",
)
# (area id, bit of the region it makes positive, or 0 for jaw/chest/abdomen), for all 19 areas.
_AREA_SPEC: Final[tuple[tuple[str, int], ...]] = tuple(
    (area, 0 if area in GENERALIZED_PAIN_EXCLUDED_AREAS else 1 << index)
    for index, areas in enumerate(WPI_REGIONS.values())
    for area in areas
)
# Region bit mask -> region names in WPI_REGIONS order.
_REGIONS_BY_MASK: Final[tuple[tuple[str, ...], ...]] = tuple(
    tuple(name for index, name in enumerate(WPI_REGIONS) if mask >> index & 1)
    for mask in range(1 << len(WPI_REGIONS))
)

_SEVERITY_2016: Final = ("sss_fatigue", "sss_waking_unrefreshed", "sss_cognitive")
_SIX_MONTH_2016: Final = ("sss_headaches_6m", "sss_lower_abdominal_pain_6m", "sss_depression_6m")
#: ACR 2016 Symptom Severity Scale items (§0.3, §4.2): three 0-3 ratings, three 0/1 symptoms.
ACR2016_SSS_ITEMS: Final[tuple[str, ...]] = (*_SEVERITY_2016, *_SIX_MONTH_2016)

_SEVERITY_2010_2011: Final = ("ss_fatigue", "ss_waking_unrefreshed", "ss_cognitive")
_SIX_MONTH_2011: Final = ("ss_headaches_6m", "ss_lower_abdominal_pain_6m", "ss_depression_6m")
#: ACR 2010 SS items (§0.3): four 0-3 ratings, the last one clinician-rated.
ACR2010_SS_ITEMS: Final[tuple[str, ...]] = (*_SEVERITY_2010_2011, "ss_somatic_symptoms_general")
#: ACR 2011 SS items (§0.3): three 0-3 ratings and three self-reported 0/1 symptoms.
ACR2011_SS_ITEMS: Final[tuple[str, ...]] = (*_SEVERITY_2010_2011, *_SIX_MONTH_2011)
_ACR2010_2011_REQUIREMENTS: Final = (
    "symptoms_3_months_similar_level",
    "no_other_disorder_explains_pain",
)

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

#: PEG items: average pain, interference with enjoyment, with general activity (§0.4, §6.2).
PEG_ITEMS: Final[tuple[str, ...]] = (
    "peg_pain_avg_week",
    "peg_enjoyment_interference",
    "peg_activity_interference",
)

#: Serlin 1995 NPRS cut points (§6.1): 1-4 mild, 5-6 moderate, 7-10 severe.
DEFAULT_PAIN_BAND_CUTS: Final[tuple[int, int]] = (4, 6)

_DURATION_CLASSES: Final[dict[str, str]] = {
    "under_6_weeks": "acute",
    "6_to_12_weeks": "subacute",
    "over_12_weeks": "chronic",
}

# ------------------------------------------------------------------ precomputed lookup tables


def _psd_category(fs: int) -> str:
    if fs <= 3:
        return "none"
    if fs <= 7:
        return "mild"
    if fs <= 11:
        return "moderate"
    if fs <= 19:
        return "severe"
    return "very_severe"


# Polysymptomatic distress category by WPI + SSS, 0-31 (§4.3, Wolfe 2015).
_PSD_CATEGORY: Final[tuple[str, ...]] = tuple(_psd_category(fs) for fs in range(32))


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


# PEG score by item sum 0-30: the mean to 2 dp. A sum over 3 never ends in an exact half,
# so round() has no tie to break (11/3 -> 3.67).
_PEG_SCORES: Final[tuple[float, ...]] = tuple(round(total / 3, 2) for total in range(31))


@lru_cache(maxsize=32, typed=True)
def _band_table(mild_max: int, moderate_max: int) -> tuple[str, ...]:
    return tuple(
        "none"
        if n == 0
        else "mild"
        if n <= mild_max
        else "moderate"
        if n <= moderate_max
        else "severe"
        for n in range(11)
    )


_DEFAULT_BAND_TABLE: Final = _band_table(*DEFAULT_PAIN_BAND_CUTS)

# ------------------------------------------------------------------------- value coercion


def _getter(answers: object) -> _Get:
    if type(answers) is dict or isinstance(answers, Mapping):
        return answers.get  # type: ignore[attr-defined,no-any-return]
    return _EMPTY.get


def _int_in(value: object, low: int, high: int) -> int | None:
    """Return value if it is a real int (not bool) within [low, high], else None."""
    if type(value) is not int:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        value = int.__int__(value)  # plain int, whatever the subclass overrides
    return value if low <= value <= high else None


def _text(value: object) -> str | None:
    """Return value as a plain str if it is a string, else None."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    return None


def _band_table_for(cut_points: object) -> tuple[str, ...]:
    if cut_points is DEFAULT_PAIN_BAND_CUTS:
        return _DEFAULT_BAND_TABLE
    try:
        mild_max, moderate_max = cut_points  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"pain band cut points must be two integers, got {cut_points!r}") from None
    low = _int_in(mild_max, 0, 10)
    high = _int_in(moderate_max, 0, 10)
    if low is None or high is None or low > high:
        raise ValueError(
            "pain band cut points must be integers with 0 <= mild_max <= moderate_max <= 10, "
            f"got {cut_points!r}"
        )
    return _band_table(low, high)


# --------------------------------------------------------------------------- instruments


def _startback(get: _Get) -> dict[str, Any] | None:
    answered = False
    physical = 0
    psychosocial = 0
    for key, psychosocial_item in _SB_AGREE_SPEC:
        value = get(key)
        if value is None:
            continue
        if type(value) is not str:
            value = _text(value)
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
            value = _text(value)
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


def _wpi(get: _Get) -> tuple[bool, int, int]:
    """Return (any area answered, WPI 0-19, bit mask of the 2016 regions positive)."""
    answered = False
    wpi = 0
    mask = 0
    for area, region_bit in _AREA_SPEC:
        value = get(area)
        if value is True:
            wpi += 1
            mask |= region_bit
        elif value is False:
            answered = True
    return answered or wpi > 0, wpi, mask


def _symptom_sum(get: _Get, ratings: tuple[str, ...], flags: tuple[str, ...]) -> tuple[bool, int]:
    """Return (any item answered, sum of 0-3 ratings and 0/1 flags)."""
    answered = False
    total = 0
    for key in ratings:
        value = get(key)
        if value is None:
            continue
        if type(value) is int:
            if not 0 <= value <= 3:
                continue
        else:
            value = _int_in(value, 0, 3)
            if value is None:
                continue
        answered = True
        total += value
    for key in flags:
        value = get(key)
        if value is None:
            continue
        if value is True:
            answered = True
            total += 1
        elif value is False:
            answered = True
        else:
            value = _int_in(value, 0, 1)  # 1 and 0 are accepted; "1" is not
            if value is not None:
                answered = True
                total += value
    return answered, total


def _acr2016(get: _Get) -> dict[str, Any] | None:
    wpi_answered, wpi, mask = _wpi(get)
    sss_answered, sss = _symptom_sum(get, _SEVERITY_2016, _SIX_MONTH_2016)
    duration = get("symptoms_3_months")
    if not (wpi_answered or sss_answered or duration is True or duration is False):
        return None
    regions = _REGIONS_BY_MASK[mask]
    region_count = len(regions)
    generalized = region_count >= 4
    threshold = (wpi >= 7 and sss >= 5) or (4 <= wpi <= 6 and sss >= 9)
    fs = wpi + sss
    return {
        "wpi": wpi,
        "sss": sss,
        "generalized_pain_regions": region_count,
        "regions_positive": list(regions),
        "generalized_pain": generalized,
        "wpi_sss_threshold_met": threshold,
        "criteria_met": threshold and generalized and duration is True,
        "fs_psd": fs,
        "psd_category": _PSD_CATEGORY[fs],
    }


def _acr2010_2011(
    get: _Get, ratings: tuple[str, ...], flags: tuple[str, ...]
) -> dict[str, Any] | None:
    wpi_answered, wpi, _ = _wpi(get)
    ss_answered, ss = _symptom_sum(get, ratings, flags)
    similar_3_months = get(_ACR2010_2011_REQUIREMENTS[0])
    no_other_disorder = get(_ACR2010_2011_REQUIREMENTS[1])
    requirements_answered = (
        similar_3_months is True
        or similar_3_months is False
        or no_other_disorder is True
        or no_other_disorder is False
    )
    if not (wpi_answered or ss_answered or requirements_answered):
        return None
    # §4.3: (WPI >= 7 and SS >= 5) or (WPI 3-6 and SS >= 9).
    threshold = (wpi >= 7 and ss >= 5) or (3 <= wpi <= 6 and ss >= 9)
    return {
        "wpi": wpi,
        "ss": ss,
        "wpi_ss_threshold_met": threshold,
        "symptoms_3_months_similar_level": similar_3_months is True,
        "no_other_disorder_explains_pain": no_other_disorder is True,
        "criteria_met": threshold and similar_3_months is True and no_other_disorder is True,
    }


def _peg(get: _Get) -> dict[str, Any] | None:
    total = 0
    for key in PEG_ITEMS:
        value = get(key)
        if type(value) is not int or not 0 <= value <= 10:
            value = _int_in(value, 0, 10)
            if value is None:
                return None
        total += value
    return {"score": _PEG_SCORES[total]}


def _odi(get: _Get) -> dict[str, Any] | None:
    answered = 0
    raw_sum = 0
    for key in ODI_SECTIONS:
        value = get(key)
        if type(value) is int and 0 <= value <= 5:
            answered += 1
            raw_sum += value
        elif value is not None:
            n = _int_in(value, 0, 5)
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


def _duration_class(value: object) -> str | None:
    if type(value) is not str:
        value = _text(value)
    return _DURATION_CLASSES.get(value)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ public API


def startback(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return STarT Back total, psychosocial subscale and risk (§3.2), or None if not given."""
    return _startback(_getter(answers))


def acr2016(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the ACR 2016 fibromyalgia criteria result (§4.3), or None if nothing was answered."""
    return _acr2016(_getter(answers))


def acr2010(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the ACR 2010 criteria result with clinician-rated SS (§4.2-4.3), or None."""
    return _acr2010_2011(_getter(answers), ACR2010_SS_ITEMS, ())


def acr2011(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the ACR 2011 criteria result with self-reported SS and FS (§4.2-4.3), or None."""
    get = _getter(answers)
    result = _acr2010_2011(get, _SEVERITY_2010_2011, _SIX_MONTH_2011)
    if result is not None:
        result["fs"] = result["wpi"] + result["ss"]
    return result


def pain_band(nprs: object, cut_points: Sequence[int] = DEFAULT_PAIN_BAND_CUTS) -> str | None:
    """Return the NPRS band none/mild/moderate/severe (§6.1), or None for an invalid score."""
    table = _band_table_for(cut_points)
    n = _int_in(nprs, 0, 10)
    return None if n is None else table[n]


def nprs_change(baseline: object, followup: object) -> dict[str, Any] | None:
    """Return the NPRS reduction in points and percent and whether 2 pt / 30 % is met (§6.1)."""
    before = _int_in(baseline, 0, 10)
    after = _int_in(followup, 0, 10)
    if before is None or after is None:
        return None
    points = before - after
    return {
        "points_reduction": points,
        # Undefined from a baseline of 0: nothing to reduce.
        "percent_reduction": 100 * points / before if before else None,
        "points_met": points >= 2,
        "percent_met": bool(before) and 10 * points >= 3 * before,  # exact: 30 % inclusive
    }


def peg(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the PEG score, the mean of its three 0-10 items to 2 dp (§6.2), or None."""
    return _peg(_getter(answers))


def odi(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the Oswestry Disability Index percentage, validity and band (§5.2-5.3), or None."""
    return _odi(_getter(answers))


def duration_class(answers: Mapping[str, object]) -> str | None:
    """Return acute/subacute/chronic from the pain_duration answer, or None."""
    return _duration_class(_getter(answers)("pain_duration"))


def compute_scores(
    answers: Mapping[str, object],
    *,
    pain_band_cuts: Sequence[int] = DEFAULT_PAIN_BAND_CUTS,
) -> dict[str, Any]:
    """Return every screening score for one answer set; never raises on any mapping."""
    get = _getter(answers)
    table = _band_table_for(pain_band_cuts)
    nprs = get("nprs_now")
    if type(nprs) is not int or not 0 <= nprs <= 10:
        nprs = _int_in(nprs, 0, 10)
    return {
        "startback": _startback(get),
        "acr2016": _acr2016(get),
        "pain_band": None if nprs is None else table[nprs],
        "peg": _peg(get),
        "odi": _odi(get),
        "duration_class": _duration_class(get("pain_duration")),
    }
