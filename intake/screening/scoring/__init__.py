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

One module per instrument family (``back_pain``, ``fibromyalgia``, ``pain``) on top of strict
value reading (``values``); this package is their public API and ``compute_scores``.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from intake.screening.scoring.back_pain import (
    ODI_SECTIONS,
    STARTBACK_ITEMS,
    odi,
    odi_from,
    startback,
    startback_from,
)
from intake.screening.scoring.fibromyalgia import (
    ACR2010_SS_ITEMS,
    ACR2011_SS_ITEMS,
    ACR2016_SSS_ITEMS,
    GENERALIZED_PAIN_EXCLUDED_AREAS,
    WPI_AREAS,
    WPI_REGIONS,
    acr2010,
    acr2011,
    acr2016,
    acr2016_from,
)
from intake.screening.scoring.pain import (
    DEFAULT_PAIN_BAND_CUTS,
    PEG_ITEMS,
    band_table_for,
    duration_class,
    duration_class_of,
    nprs_change,
    pain_band,
    peg,
    peg_from,
)
from intake.screening.scoring.values import getter, int_in

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


def compute_scores(
    answers: Mapping[str, object],
    *,
    pain_band_cuts: Sequence[int] = DEFAULT_PAIN_BAND_CUTS,
) -> dict[str, Any]:
    """Return every screening score for one answer set; never raises on any mapping."""
    get = getter(answers)
    table = band_table_for(pain_band_cuts)
    nprs = get("nprs_now")
    if type(nprs) is not int or not 0 <= nprs <= 10:
        nprs = int_in(nprs, 0, 10)
    return {
        "startback": startback_from(get),
        # Everyone marks where they have pain (the WPI areas); the criteria are worked out only
        # for those asked the symptom questions, so nobody reads "not met" for a screen not done.
        "acr2016": acr2016_from(get) if _symptoms_asked(get) else None,
        "pain_band": None if nprs is None else table[nprs],
        "peg": peg_from(get),
        "odi": odi_from(get),
        "duration_class": duration_class_of(get("pain_duration")),
    }


_SYMPTOM_IDS = (
    "sss_fatigue",
    "sss_waking_unrefreshed",
    "sss_cognitive",
    "sss_headaches_6m",
    "sss_lower_abdominal_pain_6m",
    "sss_depression_6m",
    "symptoms_3_months",
)


def _symptoms_asked(get: Any) -> bool:
    """Whether any ACR 2016 symptom question (beyond the pain areas) has an answer."""
    return any(get(key) is not None for key in _SYMPTOM_IDS)
