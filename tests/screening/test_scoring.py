"""Tests for intake.scoring: every worked example of clinical.md §3.4, §4.5, §5.5 and §6."""

import enum
import math
from fractions import Fraction
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.screening.questionnaire import STEPS_BY_ID
from intake.screening.scoring import (
    ACR2010_SS_ITEMS,
    ACR2011_SS_ITEMS,
    ACR2016_SSS_ITEMS,
    DEFAULT_PAIN_BAND_CUTS,
    GENERALIZED_PAIN_EXCLUDED_AREAS,
    ODI_SECTIONS,
    PEG_ITEMS,
    STARTBACK_ITEMS,
    WPI_AREAS,
    WPI_REGIONS,
    acr2010,
    acr2011,
    acr2016,
    compute_scores,
    duration_class,
    nprs_change,
    odi,
    pain_band,
    peg,
    startback,
)

# ----------------------------------------------------------------------------- builders


def sb_answers(positive: set[int], item9: str) -> dict[str, object]:
    """STarT Back answers: items in `positive` (1-8) agree, the others disagree."""
    answers: dict[str, object] = {
        key: "agree" if number in positive else "disagree"
        for number, key in enumerate(STARTBACK_ITEMS[:8], start=1)
    }
    answers["sb9_bothersome"] = item9
    return answers


def wpi_answers(areas: str) -> dict[str, object]:
    """All 19 WPI areas answered: the space-separated short names True, the rest False."""
    painful = {f"wpi_{name}" for name in areas.split()}
    unknown = painful - set(WPI_AREAS)
    assert not unknown, unknown
    return {area: area in painful for area in WPI_AREAS}


def acr2016_answers(areas: str, sss: tuple[object, ...], three_months: object) -> dict[str, object]:
    """ACR 2016 answers; `sss` = (fatigue, waking, cognitive, headaches, abdominal, depression)."""
    return {
        **wpi_answers(areas),
        **dict(zip(ACR2016_SSS_ITEMS, sss, strict=True)),
        "symptoms_3_months": three_months,
    }


def acr2010_2011_answers(
    areas: str, items: tuple[str, ...], ss: tuple[object, ...], similar: bool, no_other: bool
) -> dict[str, object]:
    """ACR 2010/2011 answers (ss_ prefix) with the two extra requirements of §4.3."""
    return {
        **wpi_answers(areas),
        **dict(zip(items, ss, strict=True)),
        "symptoms_3_months_similar_level": similar,
        "no_other_disorder_explains_pain": no_other,
    }


def odi_answers(scores: str) -> dict[str, object]:
    """ODI answers from "32-..." (one character per section 1-10; "-" = None, not answered)."""
    values = [None if item == "-" else int(item) for item in scores]
    return dict(zip(ODI_SECTIONS, values, strict=True))


# Area sets (short names) chosen to reproduce each row's WPI, region count and note.
ELEVEN_ALL_REGIONS = (
    "shoulder_l upper_arm_l shoulder_r upper_arm_r hip_l upper_leg_l hip_r upper_leg_r "
    "neck upper_back lower_back"
)
SEVEN_ALL_REGIONS = "shoulder_l upper_arm_l shoulder_r hip_l hip_r neck lower_back"
SIX_ALL_REGIONS = "shoulder_l shoulder_r hip_l hip_r neck lower_back"
FOUR_LIMB_REGIONS = "shoulder_l shoulder_r hip_l hip_r"  # no axial area: 4 regions
THREE_AREAS = "shoulder_l shoulder_r neck"
LEFT_SIDED_NINE = (
    "jaw_l shoulder_l upper_arm_l lower_arm_l hip_l upper_leg_l lower_leg_l neck upper_back"
)
# Jaw, chest and abdomen count in the WPI (8) but only the two lower regions are positive.
JAW_CHEST_ABDOMEN_EIGHT = "jaw_l jaw_r chest abdomen hip_l upper_leg_l hip_r upper_leg_r"

ALL5 = ["left_upper", "right_upper", "left_lower", "right_lower", "axial"]

# -------------------------------------------------------------------- STarT Back §3.4

STARTBACK_CASES = [
    # positive items 1-8, item 9, total, subscale, risk
    pytest.param(set(), "not_at_all", 0, 0, "low", id="startback_01"),
    pytest.param({1, 2, 3}, "moderately", 3, 0, "low", id="startback_02"),
    pytest.param({1, 2, 3, 4}, "slightly", 4, 0, "medium", id="startback_03"),
    pytest.param({5, 6, 7}, "very_much", 4, 4, "high", id="startback_04"),
    pytest.param({1, 2, 5, 6, 7}, "moderately", 5, 3, "medium", id="startback_05"),
    pytest.param(set(range(1, 9)), "extremely", 9, 5, "high", id="startback_06"),
    pytest.param({5, 6, 7, 8}, "moderately", 4, 4, "high", id="startback_07"),
    pytest.param({1, 2, 3}, "extremely", 4, 1, "medium", id="startback_08"),
    pytest.param({5, 6, 8}, "moderately", 3, 3, "low", id="startback_09"),
    pytest.param(set(range(1, 8)), "slightly", 7, 3, "medium", id="startback_10"),
    pytest.param({1, 5, 6, 7}, "extremely", 5, 4, "high", id="startback_11"),
]


@pytest.mark.parametrize(("positive", "item9", "total", "subscale", "risk"), STARTBACK_CASES)
def test_startback_worked_examples(positive, item9, total, subscale, risk):
    result = startback(sb_answers(positive, item9))
    assert result == {"total": total, "psychosocial_subscale": subscale, "risk": risk}


def test_startback_not_administered_is_none():
    assert startback({}) is None
    assert startback({"nprs_now": 5, "unknown": "agree"}) is None


def test_startback_partial_answers_count_unanswered_as_not_positive():
    answers = {"sb5_not_safe_active": "agree", "sb9_bothersome": "extremely"}
    assert startback(answers) == {"total": 2, "psychosocial_subscale": 2, "risk": "low"}


@pytest.mark.parametrize(
    "value", ["Agree", "AGREE", " agree", "yes", True, 1, 1.0, None, ["agree"], {"agree": 1}]
)
def test_startback_garbage_item_is_not_answered(value):
    assert startback({"sb1_leg_pain": value}) is None
    answers = sb_answers({2, 3, 4}, "slightly") | {"sb1_leg_pain": value}
    assert startback(answers) == {"total": 3, "psychosocial_subscale": 0, "risk": "low"}


@pytest.mark.parametrize("value", ["Very much", "very much", "agree", 4, True, None, ["extremely"]])
def test_startback_garbage_item9_is_not_positive(value):
    answers = sb_answers({5, 6, 7}, "extremely") | {"sb9_bothersome": value}
    assert startback(answers) == {"total": 3, "psychosocial_subscale": 3, "risk": "low"}


def test_startback_accepts_str_enum_values():
    class Choice(enum.StrEnum):
        AGREE = "agree"
        EXTREMELY = "extremely"

    answers = {"sb5_not_safe_active": Choice.AGREE, "sb9_bothersome": Choice.EXTREMELY}
    assert startback(answers) == {"total": 2, "psychosocial_subscale": 2, "risk": "low"}


# ---------------------------------------------------------------------- ACR 2016 §4.5

ACR2016_CASES = [
    # areas, (fatigue, waking, cognitive, headaches, abdominal, depression), >= 3 months,
    # wpi, sss, regions positive, generalized, threshold, criteria met, psd category
    pytest.param(
        ELEVEN_ALL_REGIONS, (2, 2, 2, 1, 0, 1), True,
        11, 8, ALL5, True, True, True, "severe", id="acr2016_01",
    ),
    pytest.param(
        SEVEN_ALL_REGIONS, (2, 2, 1, 0, 0, 0), True,
        7, 5, ALL5, True, True, True, "severe", id="acr2016_02",
    ),
    pytest.param(
        SEVEN_ALL_REGIONS, (2, 1, 1, 0, 0, 0), True,
        7, 4, ALL5, True, False, False, "moderate", id="acr2016_03",
    ),
    pytest.param(
        SIX_ALL_REGIONS, (3, 3, 2, 1, 0, 0), True,
        6, 9, ALL5, True, True, True, "severe", id="acr2016_04",
    ),
    pytest.param(
        SIX_ALL_REGIONS, (3, 3, 2, 0, 0, 0), True,
        6, 8, ALL5, True, False, False, "severe", id="acr2016_05",
    ),
    pytest.param(
        FOUR_LIMB_REGIONS, (3, 3, 3, 0, 0, 0), True,
        4, 9, ["left_upper", "right_upper", "left_lower", "right_lower"],
        True, True, True, "severe", id="acr2016_06",
    ),
    pytest.param(
        THREE_AREAS, (3, 3, 3, 1, 1, 1), True,
        3, 12, ["left_upper", "right_upper", "axial"],
        False, False, False, "severe", id="acr2016_07",
    ),
    pytest.param(
        LEFT_SIDED_NINE, (2, 2, 2, 1, 0, 0), True,
        9, 7, ["left_upper", "left_lower", "axial"],
        False, True, False, "severe", id="acr2016_08",
    ),
    pytest.param(
        JAW_CHEST_ABDOMEN_EIGHT, (2, 2, 1, 1, 0, 0), True,
        8, 6, ["left_lower", "right_lower"],
        False, True, False, "severe", id="acr2016_09",
    ),
    pytest.param(
        JAW_CHEST_ABDOMEN_EIGHT + " shoulder_l neck", (2, 2, 1, 1, 0, 0), True,
        10, 6, ["left_upper", "left_lower", "right_lower", "axial"],
        True, True, True, "severe", id="acr2016_10",
    ),
    pytest.param(
        ELEVEN_ALL_REGIONS, (2, 2, 2, 1, 0, 1), False,
        11, 8, ALL5, True, True, False, "severe", id="acr2016_11",
    ),
    pytest.param(
        SEVEN_ALL_REGIONS, (1, 1, 0, 1, True, 1), True,
        7, 5, ALL5, True, True, True, "severe", id="acr2016_12",
    ),
    pytest.param(
        "", (0, 0, 0, False, False, False), True,
        0, 0, [], False, False, False, "none", id="acr2016_13",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    (
        "areas", "sss_items", "three_months", "wpi", "sss", "regions",
        "generalized", "threshold", "met", "psd_category",
    ),
    ACR2016_CASES,
)  # fmt: skip
def test_acr2016_worked_examples(
    areas, sss_items, three_months, wpi, sss, regions, generalized, threshold, met, psd_category
):
    answers = acr2016_answers(areas, sss_items, three_months)
    result = acr2016(answers)
    assert compute_scores(answers)["acr2016"] == result  # the app's scores give the same
    assert result == {
        "wpi": wpi,
        "sss": sss,
        "generalized_pain_regions": len(regions),
        "regions_positive": regions,
        "generalized_pain": generalized,
        "wpi_sss_threshold_met": threshold,
        "criteria_met": met,
        "fs_psd": wpi + sss,
        "psd_category": psd_category,
    }


def test_acr2016_02_and_12_have_psd_12():
    for sss in ((2, 2, 1, 0, 0, 0), (1, 1, 0, 1, True, 1)):
        assert acr2016(acr2016_answers(SEVEN_ALL_REGIONS, sss, True))["fs_psd"] == 12


@pytest.mark.parametrize(
    ("fs", "category"),
    [
        (0, "none"),
        (3, "none"),
        (4, "mild"),
        (7, "mild"),
        (8, "moderate"),
        (11, "moderate"),
        (12, "severe"),
        (19, "severe"),
        (20, "very_severe"),
        (31, "very_severe"),
    ],
)
def test_acr2016_psd_category_boundaries(fs, category):
    wpi = min(fs, 19)
    rest = fs - wpi  # 0-12: fill the 0-3 ratings, then the three 0/1 symptoms
    ratings = [min(3, max(0, rest - 3 * i)) for i in range(3)]
    flags = [1 if rest - 9 > i else 0 for i in range(3)]
    answers = dict.fromkeys(WPI_AREAS[:wpi], True)
    answers |= dict(zip(ACR2016_SSS_ITEMS, ratings + flags, strict=True))
    result = acr2016(answers)
    assert (result["wpi"], result["sss"], result["fs_psd"]) == (wpi, rest, fs)
    assert result["psd_category"] == category


def test_acr2016_all_19_areas_all_regions():
    result = acr2016(dict.fromkeys(WPI_AREAS, True) | {"symptoms_3_months": True})
    assert result["wpi"] == 19
    assert result["regions_positive"] == ALL5
    assert result["sss"] == 0
    assert result["criteria_met"] is False


@pytest.mark.parametrize("area", GENERALIZED_PAIN_EXCLUDED_AREAS)
def test_acr2016_excluded_area_counts_in_wpi_but_no_region(area):
    result = acr2016({area: True})
    assert result["wpi"] == 1
    assert result["regions_positive"] == []
    assert result["generalized_pain_regions"] == 0


@pytest.mark.parametrize(
    ("region", "area"),
    [
        (region, area)
        for region, areas in WPI_REGIONS.items()
        for area in areas
        if area not in GENERALIZED_PAIN_EXCLUDED_AREAS
    ],
)
def test_acr2016_each_region_area_makes_its_region_positive(region, area):
    assert acr2016({area: True})["regions_positive"] == [region]


def test_wpi_constants_match_data_dictionary():
    assert len(WPI_AREAS) == len(set(WPI_AREAS)) == 19
    assert [len(areas) for areas in WPI_REGIONS.values()] == [4, 4, 3, 3, 5]
    assert list(WPI_REGIONS) == ALL5
    assert WPI_REGIONS["axial"] == (
        "wpi_neck",
        "wpi_upper_back",
        "wpi_lower_back",
        "wpi_chest",
        "wpi_abdomen",
    )


def test_acr2016_not_administered_is_none():
    assert acr2016({}) is None
    assert acr2016({"nprs_now": 7, "ss_fatigue": 3}) is None  # 2010/2011 ids are not 2016's


@pytest.mark.parametrize(
    ("answers", "sss"),
    [
        ({"sss_headaches_6m": True}, 1),
        ({"sss_headaches_6m": 1}, 1),
        ({"sss_headaches_6m": False}, 0),
        ({"sss_headaches_6m": 0}, 0),
        ({"sss_depression_6m": 1, "sss_lower_abdominal_pain_6m": True}, 2),
        ({"sss_fatigue": 3, "sss_cognitive": 0}, 3),
    ],
)
def test_acr2016_valid_symptom_values(answers, sss):
    result = acr2016(answers)
    assert result is not None
    assert result["sss"] == sss


@pytest.mark.parametrize(
    "answers",
    [
        {"sss_headaches_6m": "1"},
        {"sss_headaches_6m": "true"},
        {"sss_headaches_6m": 2},
        {"sss_headaches_6m": 1.0},
        {"sss_headaches_6m": None},
        {"sss_fatigue": True},
        {"sss_fatigue": 4},
        {"sss_fatigue": -1},
        {"sss_fatigue": "3"},
        {"sss_fatigue": 2.0},
        {"wpi_neck": 1},
        {"wpi_neck": "yes"},
        {"wpi_neck": "True"},
        {"wpi_neck": None},
        {"symptoms_3_months": "true"},
        {"symptoms_3_months": 1},
        {"wpi_wrist_l": True, "sss_unknown": 3},
    ],
)
def test_acr2016_garbage_only_is_none(answers):
    assert acr2016(answers) is None


def test_acr2016_garbage_mixed_with_valid_answers_is_ignored():
    answers = acr2016_answers(ELEVEN_ALL_REGIONS, (2, 2, 2, 1, 0, 1), True)
    answers |= {
        "sss_fatigue": "2",  # was 2: now not answered
        "sss_headaches_6m": "1",  # was 1: now not answered
        "wpi_neck": 1,  # was True: now not answered
        "wpi_wrist_l": True,  # not a WPI area
    }
    result = acr2016(answers)
    assert (result["wpi"], result["sss"]) == (10, 5)
    assert result["regions_positive"] == ALL5  # upper and lower back keep axial positive
    assert result["criteria_met"] is True


@pytest.mark.parametrize("three_months", [1, "yes", "true", None, False])
def test_acr2016_duration_must_be_true(three_months):
    result = acr2016(acr2016_answers(ELEVEN_ALL_REGIONS, (2, 2, 2, 1, 0, 1), three_months))
    assert result["wpi_sss_threshold_met"] is True
    assert result["generalized_pain"] is True
    assert result["criteria_met"] is False


# ----------------------------------------------------------------- ACR 2010 / 2011 §4.5

ACR2010_CASES = [
    # areas, (fatigue, waking, cognitive, somatic), similar >= 3 m, no other disorder,
    # wpi, ss, threshold, criteria met
    pytest.param(THREE_AREAS, (3, 3, 2, 1), True, True, 3, 9, True, True, id="acr2010_01"),
    pytest.param("shoulder_l hip_r", (3, 3, 3, 3), True, True, 2, 12, False, False,
                 id="acr2010_02"),
    pytest.param(SEVEN_ALL_REGIONS, (2, 1, 1, 1), True, False, 7, 5, True, False, id="acr2010_03"),
    pytest.param(LEFT_SIDED_NINE, (2, 2, 2, 1), True, True, 9, 7, True, True, id="acr2010_04"),
    pytest.param(SIX_ALL_REGIONS, (3, 2, 2, 1), True, True, 6, 8, False, False, id="acr2010_05"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("areas", "ss_items", "similar", "no_other", "wpi", "ss", "threshold", "met"), ACR2010_CASES
)
def test_acr2010_worked_examples(areas, ss_items, similar, no_other, wpi, ss, threshold, met):
    result = acr2010(acr2010_2011_answers(areas, ACR2010_SS_ITEMS, ss_items, similar, no_other))
    assert result["wpi"] == wpi
    assert result["ss"] == ss
    assert result["wpi_ss_threshold_met"] is threshold
    assert result["criteria_met"] is met


ACR2011_CASES = [
    # areas, (fatigue, waking, cognitive, headaches, abdominal, depression), wpi, ss, fs, met
    pytest.param(SEVEN_ALL_REGIONS, (2, 2, 1, 0, 0, 0), 7, 5, 12, True, id="acr2011_01"),
    pytest.param(THREE_AREAS, (3, 3, 0, 1, True, 1), 3, 9, 12, True, id="acr2011_02"),
]


@pytest.mark.parametrize(("areas", "ss_items", "wpi", "ss", "fs", "met"), ACR2011_CASES)
def test_acr2011_worked_examples(areas, ss_items, wpi, ss, fs, met):
    result = acr2011(acr2010_2011_answers(areas, ACR2011_SS_ITEMS, ss_items, True, True))
    assert (result["wpi"], result["ss"], result["fs"]) == (wpi, ss, fs)
    assert result["wpi_ss_threshold_met"] is True
    assert result["criteria_met"] is met


def test_acr2010_regional_pain_passes_where_2016_fails():
    # acr2010_04 versus acr2016_08: the same left-sided areas.
    areas = wpi_answers(LEFT_SIDED_NINE)
    assert acr2010(areas | dict(zip(ACR2010_SS_ITEMS, (2, 2, 2, 1), strict=True)) | {
        "symptoms_3_months_similar_level": True,
        "no_other_disorder_explains_pain": True,
    })["criteria_met"] is True  # fmt: skip
    assert acr2016(areas | {"symptoms_3_months": True})["generalized_pain"] is False


def test_acr2010_ignores_self_reported_symptoms_and_2011_ignores_somatic():
    answers = {
        "ss_somatic_symptoms_general": 3,
        "ss_headaches_6m": True,
        "ss_lower_abdominal_pain_6m": 1,
        "ss_depression_6m": True,
    }
    assert acr2010(answers)["ss"] == 3
    assert acr2011(answers)["ss"] == 3
    assert acr2011(answers)["fs"] == 3


@pytest.mark.parametrize("func", [acr2010, acr2011])
@pytest.mark.parametrize(
    ("similar", "no_other"), [(False, True), (True, False), (None, True), ("yes", True), (1, 1)]
)
def test_acr2010_2011_requirements_must_both_be_true(func, similar, no_other):
    answers = acr2010_2011_answers(
        ELEVEN_ALL_REGIONS, ("ss_fatigue", "ss_waking_unrefreshed"), (3, 3), similar, no_other
    )
    result = func(answers)
    assert result["wpi_ss_threshold_met"] is True
    assert result["criteria_met"] is False


@pytest.mark.parametrize("func", [acr2010, acr2011])
def test_acr2010_2011_not_administered_is_none(func):
    assert func({}) is None
    assert func({"sss_fatigue": 3, "ss_fatigue": "3", "symptoms_3_months": True}) is None


# --------------------------------------------------------------------------- ODI §5.5

MINIMAL, MODERATE, SEVERE = "minimal_disability", "moderate_disability", "severe_disability"
CRIPPLED, BED_BOUND = "crippled", "bed_bound_or_exaggerating"
ODI_CASES = [
    # sections 1-10 ("-" = missing), answered, sum, max, percent_exact, percent_1dp, valid, band
    pytest.param("0000000000", 10, 0, 50, "0", 0.0, True, MINIMAL, id="odi_01"),
    pytest.param("1111111111", 10, 10, 50, "20", 20.0, True, MINIMAL, id="odi_02"),
    pytest.param("2111111111", 10, 11, 50, "22", 22.0, True, MODERATE, id="odi_03"),
    pytest.param("3222121111", 10, 16, 50, "32", 32.0, True, MODERATE, id="odi_04"),
    pytest.param("3222121-21", 9, 16, 45, "320/9", 35.6, True, MODERATE, id="odi_05"),
    pytest.param("2222222222", 10, 20, 50, "40", 40.0, True, MODERATE, id="odi_06"),
    pytest.param("3222222222", 10, 21, 50, "42", 42.0, True, SEVERE, id="odi_07"),
    pytest.param("3333333333", 10, 30, 50, "60", 60.0, True, SEVERE, id="odi_08"),
    pytest.param("4333333333", 10, 31, 50, "62", 62.0, True, CRIPPLED, id="odi_09"),
    pytest.param("4444444444", 10, 40, 50, "80", 80.0, True, CRIPPLED, id="odi_10"),
    pytest.param("5444444444", 10, 41, 50, "82", 82.0, True, BED_BOUND, id="odi_11"),
    pytest.param("5555555555", 10, 50, 50, "100", 100.0, True, BED_BOUND, id="odi_12"),
    pytest.param("1111111-11", 9, 9, 45, "20", 20.0, True, MINIMAL, id="odi_13"),
    pytest.param("2111111-11", 9, 10, 45, "200/9", 22.2, True, MODERATE, id="odi_14"),
    pytest.param("3333333-33", 9, 27, 45, "60", 60.0, True, SEVERE, id="odi_15"),
    pytest.param("2221121-1-", 8, 12, 40, "30", 30.0, False, None, id="odi_16"),
    pytest.param("33-3333-3-", 7, 21, 35, "60", 60.0, False, None, id="odi_17"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scores", "answered", "raw_sum", "max_possible", "exact", "one_dp", "valid", "band"),
    ODI_CASES,
)
def test_odi_worked_examples(scores, answered, raw_sum, max_possible, exact, one_dp, valid, band):
    assert odi(odi_answers(scores)) == {
        "sections_answered": answered,
        "raw_sum": raw_sum,
        "max_possible": max_possible,
        "percent_exact": exact,
        "percent_1dp": one_dp,
        "valid": valid,
        "band": band,
    }


def test_odi_missing_key_is_the_same_as_null():
    answers = odi_answers("3222121-21")
    del answers["odi8_sex_life"]
    assert odi(answers)["percent_exact"] == "320/9"


@pytest.mark.parametrize(
    ("raw_sum", "answered", "one_dp"),
    [
        (1, 8, 2.5),  # 2.5 exactly
        (1, 4, 5.0),
        (1, 3, 6.7),  # 6.666...
        (2, 3, 13.3),  # 13.333...
        (1, 7, 2.9),  # 2.857...
        (3, 8, 7.5),
    ],
)
def test_odi_percent_1dp_rounds_half_up(raw_sum, answered, one_dp):
    scores = [1] * raw_sum + [0] * (answered - raw_sum)
    answers = dict(zip(ODI_SECTIONS, scores, strict=False))
    result = odi(answers)
    assert result["percent_1dp"] == one_dp
    assert Fraction(result["percent_exact"]) == Fraction(100 * raw_sum, 5 * answered)


def test_odi_not_administered_is_none():
    assert odi({}) is None
    assert odi(dict.fromkeys(ODI_SECTIONS)) is None


@pytest.mark.parametrize("value", [True, False, 2.0, "3", 6, -1, [1], None])
def test_odi_garbage_section_is_not_answered(value):
    answers = odi_answers("3222121121") | {"odi8_sex_life": value}
    result = odi(answers)
    assert result["sections_answered"] == 9
    assert result["percent_exact"] == "320/9"
    assert odi(dict.fromkeys(ODI_SECTIONS, value)) is None


def test_odi_accepts_int_enum_sections():
    class Level(enum.IntEnum):
        LOW = 1

    assert odi(dict.fromkeys(ODI_SECTIONS, Level.LOW))["raw_sum"] == 10


# ---------------------------------------------------------------------- NPRS §6.1

NPRS_BAND_CASES = [
    pytest.param(n, band, id=f"nprs_band_{n:02d}")
    for n, band in enumerate(
        ["none"] + ["mild"] * 4 + ["moderate"] * 2 + ["severe"] * 4,
    )
]


@pytest.mark.parametrize(("nprs", "band"), NPRS_BAND_CASES)
def test_nprs_band_worked_examples(nprs, band):
    assert pain_band(nprs) == band
    assert compute_scores({"nprs_now": nprs})["pain_band"] == band


@pytest.mark.parametrize(
    ("nprs", "cut_points", "band"),
    [
        # The "1-3 / 4-6 / 7-10" scheme (§6.1, unsourced, so configurable).
        (3, (3, 6), "mild"),
        (4, (3, 6), "moderate"),
        (6, (3, 6), "moderate"),
        (7, (3, 6), "severe"),
        # Boonstra 2016: <= 5 mild, 6-7 moderate, >= 8 severe.
        (5, (5, 7), "mild"),
        (6, (5, 7), "moderate"),
        (7, (5, 7), "moderate"),
        (8, (5, 7), "severe"),
        (0, (5, 7), "none"),
        # Cut points read from YAML/JSON config arrive as a list.
        (4, [4, 6], "mild"),
        (5, [4, 6], "moderate"),
        (7, [4, 6], "severe"),
        # Degenerate but valid: no moderate band, no severe band.
        (5, (5, 5), "mild"),
        (6, (5, 5), "severe"),
        (10, (10, 10), "mild"),
    ],
)
def test_pain_band_custom_cut_points(nprs, cut_points, band):
    assert pain_band(nprs, cut_points) == band
    assert compute_scores({"nprs_now": nprs}, pain_band_cuts=cut_points)["pain_band"] == band


def test_pain_band_default_cut_points_are_serlin():
    assert DEFAULT_PAIN_BAND_CUTS == (4, 6)


@pytest.mark.parametrize(
    "cut_points", [(6, 4), (4,), (4, 6, 8), "46", None, (True, 6), (4.0, 6), (4, 11), (-1, 6)]
)
def test_pain_band_invalid_cut_points_raise(cut_points):
    with pytest.raises(ValueError, match="cut points"):
        pain_band(5, cut_points)
    with pytest.raises(ValueError, match="cut points"):
        compute_scores({}, pain_band_cuts=cut_points)


@pytest.mark.parametrize("nprs", [-1, 11, 100, "5", "", 5.0, math.nan, True, False, None, [5]])
def test_pain_band_invalid_score_is_none(nprs):
    assert pain_band(nprs) is None
    assert compute_scores({"nprs_now": nprs})["pain_band"] is None


NPRS_CHANGE_CASES = [
    # baseline, follow-up, points, percent (exact), points met, percent met
    pytest.param(6, 4, 2, Fraction(100, 3), True, True, id="nprs_change_6_4"),
    pytest.param(8, 6, 2, Fraction(25), True, False, id="nprs_change_8_6"),
    pytest.param(3, 2, 1, Fraction(100, 3), False, True, id="nprs_change_3_2"),
    pytest.param(10, 7, 3, Fraction(30), True, True, id="nprs_change_10_7"),
    pytest.param(5, 5, 0, Fraction(0), False, False, id="nprs_change_5_5"),
]


@pytest.mark.parametrize(
    ("baseline", "followup", "points", "percent", "points_met", "percent_met"), NPRS_CHANGE_CASES
)
def test_nprs_change_worked_examples(baseline, followup, points, percent, points_met, percent_met):
    result = nprs_change(baseline, followup)
    assert result["points_reduction"] == points
    assert isinstance(result["percent_reduction"], float)
    assert result["percent_reduction"] == pytest.approx(float(percent))
    assert result["points_met"] is points_met
    assert result["percent_met"] is percent_met


def test_nprs_change_exactly_30_percent_is_met_and_33_is_shown_as_33_3():
    assert nprs_change(10, 7)["percent_reduction"] == 30.0
    assert round(nprs_change(6, 4)["percent_reduction"], 1) == 33.3


def test_nprs_change_worsening_and_zero_baseline():
    assert nprs_change(4, 7) == {
        "points_reduction": -3,
        "percent_reduction": -75.0,
        "points_met": False,
        "percent_met": False,
    }
    assert nprs_change(0, 0) == {
        "points_reduction": 0,
        "percent_reduction": None,
        "points_met": False,
        "percent_met": False,
    }


@pytest.mark.parametrize(
    ("baseline", "followup"),
    [
        ("6", 4),
        (6, "4"),
        (6, None),
        (None, None),
        (True, 0),
        (6, False),
        (11, 5),
        (6, -1),
        (6.0, 4),
    ],
)
def test_nprs_change_invalid_is_none(baseline, followup):
    assert nprs_change(baseline, followup) is None


# ----------------------------------------------------------------------- PEG §6.2

PEG_CASES = [
    pytest.param((5, 5, 5), 5.0, id="peg_555"),
    pytest.param((7, 4, 4), 5.0, id="peg_744"),
    pytest.param((3, 4, 4), 3.67, id="peg_344"),
    pytest.param((0, 0, 0), 0.0, id="peg_000"),
    pytest.param((10, 10, 10), 10.0, id="peg_101010"),
    pytest.param((8, 6, 5), 6.33, id="peg_865"),
]


@pytest.mark.parametrize(("items", "score"), PEG_CASES)
def test_peg_worked_examples(items, score):
    assert peg(dict(zip(PEG_ITEMS, items, strict=True))) == {"score": score}


@pytest.mark.parametrize("total", range(31))
def test_peg_score_is_the_mean_to_two_decimals(total):
    items = (min(total, 10), min(max(total - 10, 0), 10), max(total - 20, 0))
    score = peg(dict(zip(PEG_ITEMS, items, strict=True)))["score"]
    assert abs(Fraction(score) - Fraction(total, 3)) <= Fraction(1, 200)
    assert score == round(total / 3, 2)


@pytest.mark.parametrize("value", [None, "5", 5.0, True, False, 11, -1, [5]])
def test_peg_needs_all_three_valid_items(value):
    for key in PEG_ITEMS:
        answers = dict.fromkeys(PEG_ITEMS, 5) | {key: value}
        assert peg(answers) is None
    answers = dict.fromkeys(PEG_ITEMS, 5)
    del answers["peg_activity_interference"]
    assert peg(answers) is None


# ----------------------------------------------------------------------- duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("under_6_weeks", "acute"),
        ("6_to_12_weeks", "subacute"),
        ("over_12_weeks", "chronic"),
        ("Over_12_weeks", None),
        ("chronic", None),
        ("", None),
        (12, None),
        (True, None),
        (None, None),
        (["over_12_weeks"], None),
    ],
)
def test_duration_class(value, expected):
    assert duration_class({"pain_duration": value}) == expected
    assert compute_scores({"pain_duration": value})["duration_class"] == expected


def test_duration_class_missing_is_none():
    assert duration_class({}) is None


# ------------------------------------------------------------------- compute_scores

SCORE_KEYS = {"startback", "acr2016", "pain_band", "peg", "odi", "duration_class"}


def full_answers() -> dict[str, object]:
    return {
        **sb_answers({5, 6, 7}, "very_much"),
        **acr2016_answers(ELEVEN_ALL_REGIONS, (2, 2, 2, 1, 0, 1), True),
        **odi_answers("3222121-21"),
        **dict(zip(PEG_ITEMS, (8, 6, 5), strict=True)),
        "nprs_now": 7,
        "pain_duration": "6_to_12_weeks",
        "age": 44,
        "rf_bladder": False,
        "medication_classes": ["nsaid"],
    }


def test_compute_scores_full_answer_set():
    scores = compute_scores(full_answers())
    assert scores == {
        "startback": {"total": 4, "psychosocial_subscale": 4, "risk": "high"},
        "acr2016": {
            "wpi": 11,
            "sss": 8,
            "generalized_pain_regions": 5,
            "regions_positive": ALL5,
            "generalized_pain": True,
            "wpi_sss_threshold_met": True,
            "criteria_met": True,
            "fs_psd": 19,
            "psd_category": "severe",
        },
        "pain_band": "severe",
        "peg": {"score": 6.33},
        "odi": {
            "sections_answered": 9,
            "raw_sum": 16,
            "max_possible": 45,
            "percent_exact": "320/9",
            "percent_1dp": 35.6,
            "valid": True,
            "band": "moderate_disability",
        },
        "duration_class": "subacute",
    }


def test_compute_scores_empty_answers():
    assert compute_scores({}) == dict.fromkeys(SCORE_KEYS)


def test_compute_scores_accepts_any_mapping():
    answers = full_answers()
    assert compute_scores(MappingProxyType(answers)) == compute_scores(answers)


@pytest.mark.parametrize("not_a_mapping", [None, [], ["nprs_now"], "nprs_now", 7])
def test_compute_scores_non_mapping_is_treated_as_empty(not_a_mapping):
    assert compute_scores(not_a_mapping) == dict.fromkeys(SCORE_KEYS)


def test_compute_scores_results_are_independent_copies():
    answers = full_answers()
    first = compute_scores(answers)
    first["acr2016"]["regions_positive"].append("tampered")
    assert compute_scores(answers)["acr2016"]["regions_positive"] == ALL5


#: The ACR 2016 symptom answers: everything asked on the "How you have been feeling" and
#: "Other symptoms" pages.
SYMPTOM_IDS = tuple(
    item
    for step in ("widespread_pain", "other_symptoms")
    for question in STEPS_BY_ID[step].questions
    for item in question.item_ids
)
#: A valid answer to each symptom question, of its own type.
SYMPTOM_ANSWERS = {
    "sss_fatigue": 0, "sss_waking_unrefreshed": 2, "sss_cognitive": 3,
    "sss_headaches_6m": False, "sss_lower_abdominal_pain_6m": True, "sss_depression_6m": False,
    "symptoms_3_months": False,
}  # fmt: skip


def test_the_symptom_questions_are_the_acr2016_ones():
    assert set(SYMPTOM_IDS) == {*ACR2016_SSS_ITEMS, "symptoms_3_months"} == set(SYMPTOM_ANSWERS)


def test_compute_scores_has_no_acr2016_from_the_pain_map_alone():
    """Everyone marks where it hurts; only those asked the symptom questions get criteria."""
    answers = wpi_answers(ELEVEN_ALL_REGIONS)
    assert acr2016(answers) is not None  # the calculation itself would count the areas
    assert compute_scores(answers)["acr2016"] is None
    assert compute_scores({**answers, "pain_head": True, "pain_foot": True})["acr2016"] is None


@pytest.mark.parametrize("symptom", sorted(SYMPTOM_ANSWERS))
def test_compute_scores_has_acr2016_once_a_symptom_question_is_answered(symptom):
    answers = {**wpi_answers(ELEVEN_ALL_REGIONS), symptom: SYMPTOM_ANSWERS[symptom]}
    result = compute_scores(answers)["acr2016"]
    assert result is not None
    assert result == acr2016(answers)
    assert result["wpi"] == 11
    assert result["regions_positive"] == ALL5
    assert result["criteria_met"] is False  # one symptom answer alone never meets the criteria


def test_compute_scores_has_acr2016_for_symptoms_without_pain_areas():
    result = compute_scores({"sss_fatigue": 2})["acr2016"]
    assert (result["wpi"], result["sss"], result["criteria_met"]) == (0, 2, False)


def test_compute_scores_ignores_unknown_keys_and_garbage():
    answers = {
        "sb1_leg_pain": "1",
        "sb9_bothersome": 5,
        "wpi_neck": "True",
        "sss_headaches_6m": "1",
        "symptoms_3_months": "yes",
        "odi1_pain_intensity": 2.5,
        "peg_pain_avg_week": True,
        "nprs_now": "7",
        "pain_duration": 3,
        "unknown": object(),
        "": None,
    }
    assert compute_scores(answers) == dict.fromkeys(SCORE_KEYS)


# --------------------------------------------------------------------- property tests

ALL_IDS = (
    *STARTBACK_ITEMS,
    *WPI_AREAS,
    *ACR2016_SSS_ITEMS,
    *ACR2010_SS_ITEMS,
    *ACR2011_SS_ITEMS,
    *ODI_SECTIONS,
    *PEG_ITEMS,
    "symptoms_3_months",
    "symptoms_3_months_similar_level",
    "no_other_disorder_explains_pain",
    "nprs_now",
    "pain_duration",
)
MEANINGFUL_TEXT = [
    "agree",
    "disagree",
    "not_at_all",
    "slightly",
    "moderately",
    "very_much",
    "extremely",
    "under_6_weeks",
    "6_to_12_weeks",
    "over_12_weeks",
    "1",
    "0",
    "true",
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=12),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(MEANINGFUL_TEXT),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.lists(st.integers(0, 5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers(0, 3)),
)
ANSWERS = st.dictionaries(
    st.one_of(st.sampled_from(ALL_IDS), st.text(max_size=12)), VALUES, max_size=60
)


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_compute_scores_never_raises_and_stays_in_range(answers):
    scores = compute_scores(answers)
    assert set(scores) == SCORE_KEYS
    assert scores["startback"] == startback(answers)
    symptoms_answered = any(answers.get(key) is not None for key in SYMPTOM_IDS)
    assert scores["acr2016"] == (acr2016(answers) if symptoms_answered else None)
    assert scores["peg"] == peg(answers)
    assert scores["odi"] == odi(answers)
    assert scores["duration_class"] == duration_class(answers)
    assert scores["pain_band"] == pain_band(answers.get("nprs_now"))
    assert scores["pain_band"] in {None, "none", "mild", "moderate", "severe"}

    sb = scores["startback"]
    if sb is not None:
        assert 0 <= sb["psychosocial_subscale"] <= min(5, sb["total"]) <= 9
        assert sb["risk"] == (
            "low" if sb["total"] <= 3 else "high" if sb["psychosocial_subscale"] >= 4 else "medium"
        )

    fm = scores["acr2016"]
    if fm is not None:
        assert 0 <= fm["wpi"] <= 19
        assert 0 <= fm["sss"] <= 12
        assert fm["fs_psd"] == fm["wpi"] + fm["sss"]
        assert fm["generalized_pain_regions"] == len(fm["regions_positive"]) <= 5
        assert fm["generalized_pain"] is (fm["generalized_pain_regions"] >= 4)
        if fm["criteria_met"]:
            assert fm["wpi_sss_threshold_met"] and fm["generalized_pain"]
            assert answers.get("symptoms_3_months") is True

    disability = scores["odi"]
    if disability is not None:
        percent = Fraction(disability["percent_exact"])
        assert 1 <= disability["sections_answered"] <= 10
        assert percent == Fraction(100 * disability["raw_sum"], disability["max_possible"])
        assert 0 <= percent <= 100
        assert abs(Fraction(disability["percent_1dp"]) - percent) <= Fraction(1, 20)
        assert (disability["band"] is None) is (not disability["valid"])

    pain = scores["peg"]
    if pain is not None:
        assert 0 <= pain["score"] <= 10


@settings(max_examples=200, deadline=None)
@given(ANSWERS)
def test_acr2010_and_2011_never_raise(answers):
    for func in (acr2010, acr2011):
        result = func(answers)
        if result is not None:
            assert 0 <= result["wpi"] <= 19
            assert 0 <= result["ss"] <= 12
    result = acr2011(answers)
    if result is not None:
        assert result["fs"] == result["wpi"] + result["ss"]


@given(st.one_of(VALUES, st.integers(0, 10)), st.one_of(VALUES, st.integers(0, 10)))
def test_nprs_change_never_raises(baseline, followup):
    result = nprs_change(baseline, followup)
    if result is not None:
        assert result["points_reduction"] == baseline - followup
        assert result["points_met"] is (baseline - followup >= 2)
