"""Fibromyalgia criteria: ACR 2016, and 2010 / 2011 for comparison (clinical.md §4.1-4.3)."""

from collections.abc import Mapping
from typing import Any, Final

from intake.screening.scoring.values import Get, getter, int_in

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


def _wpi(get: Get) -> tuple[bool, int, int]:
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


def _symptom_sum(get: Get, ratings: tuple[str, ...], flags: tuple[str, ...]) -> tuple[bool, int]:
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
            value = int_in(value, 0, 3)
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
            value = int_in(value, 0, 1)  # 1 and 0 are accepted; "1" is not
            if value is not None:
                answered = True
                total += value
    return answered, total


def acr2016_from(get: Get) -> dict[str, Any] | None:
    """The ACR 2016 criteria from an answer getter."""
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
    get: Get, ratings: tuple[str, ...], flags: tuple[str, ...]
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


def acr2016(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the ACR 2016 fibromyalgia criteria result (§4.3), or None if nothing was answered."""
    return acr2016_from(getter(answers))


def acr2010(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the ACR 2010 criteria result with clinician-rated SS (§4.2-4.3), or None."""
    return _acr2010_2011(getter(answers), ACR2010_SS_ITEMS, ())


def acr2011(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """Return the ACR 2011 criteria result with self-reported SS and FS (§4.2-4.3), or None."""
    get = getter(answers)
    result = _acr2010_2011(get, _SEVERITY_2010_2011, _SIX_MONTH_2011)
    if result is not None:
        result["fs"] = result["wpi"] + result["ss"]
    return result
