"""Pain intensity and duration: NPRS bands and change, the PEG (clinical.md §6) and the
duration classes of the product design (acute < 6 weeks, subacute 6-12, chronic > 12)."""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from intake.screening.scoring.values import Get, getter, int_in, plain_text

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


def band_table_for(cut_points: object) -> tuple[str, ...]:
    """The band of each NPRS score 0-10 for these cut points; ValueError for bad cut points."""
    if cut_points is DEFAULT_PAIN_BAND_CUTS:
        return _DEFAULT_BAND_TABLE
    try:
        mild_max, moderate_max = cut_points  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"pain band cut points must be two integers, got {cut_points!r}") from None
    low = int_in(mild_max, 0, 10)
    high = int_in(moderate_max, 0, 10)
    if low is None or high is None or low > high:
        raise ValueError(
            "pain band cut points must be integers with 0 <= mild_max <= moderate_max <= 10, "
            f"got {cut_points!r}"
        )
    return _band_table(low, high)


def peg_from(get: Get) -> dict[str, Any] | None:
    """The PEG score from an answer getter, or None unless all three items are valid."""
    total = 0
    for key in PEG_ITEMS:
        value = get(key)
        if type(value) is not int or not 0 <= value <= 10:
            value = int_in(value, 0, 10)
            if value is None:
                return None
        total += value
    return {"score": _PEG_SCORES[total]}


def duration_class_of(value: object) -> str | None:
    """acute/subacute/chronic for a pain_duration answer, or None."""
    if type(value) is not str:
        value = plain_text(value)
    return _DURATION_CLASSES.get(value)  # type: ignore[arg-type]


def pain_band(nprs: object, cut_points: Sequence[int] = DEFAULT_PAIN_BAND_CUTS) -> str | None:
    """Return the NPRS band none/mild/moderate/severe (§6.1), or None for an invalid score."""
    table = band_table_for(cut_points)
    n = int_in(nprs, 0, 10)
    return None if n is None else table[n]


def nprs_change(baseline: object, followup: object) -> dict[str, Any] | None:
    """Return the NPRS reduction in points and percent and whether 2 pt / 30 % is met (§6.1)."""
    before = int_in(baseline, 0, 10)
    after = int_in(followup, 0, 10)
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
    return peg_from(getter(answers))


def duration_class(answers: Mapping[str, object]) -> str | None:
    """Return acute/subacute/chronic from the pain_duration answer, or None."""
    return duration_class_of(getter(answers)("pain_duration"))
