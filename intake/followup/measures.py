"""The follow-up measures, their meaningful changes and the clinic's five claims (pure: no Flask,
no database). Facts and sources: ../shared/clinical.md §11 (measures, MCIDs) and §12 (what the
evidence says about each claim); docs/clinical-basis.md names them for staff.

The baseline is the intake itself (pain now and on average, the PEG items, pain-medicine days,
sport) plus the PSFS activities asked at booking of those who opt in. A patient is a
*responder* on a measure when the change from baseline reaches its meaningful change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake.screening import facts as screening_facts
from intake.screening.scoring import compute_scores, nprs_change
from intake.screening.scoring.values import int_in, plain_text

#: The follow-up form's answer ids. The pain items keep the intake's ids, so a baseline and a
#: follow-up answer the same question under the same name.
NPRS_NOW = "nprs_now"
NPRS_AVG = "peg_pain_avg_week"
PEG_ENJOYMENT = "peg_enjoyment_interference"
PEG_ACTIVITY = "peg_activity_interference"
PEG_ITEMS = (NPRS_AVG, PEG_ENJOYMENT, PEG_ACTIVITY)
#: list of 0-10 ratings (or None), one per baseline PSFS activity, in the baseline's order
PSFS = "psfs"
PGIC = "pgic"
MEDICINE_DAYS = "pain_medicine_days"
MEDICINE_KINDS = "pain_medicine_kinds"
SPORT_RETURN = "sport_return"
SPORT_RETURN_DATE = "sport_return_date"
AFTER_EFFECTS = "after_effects"
AFTER_EFFECTS_OTHER = "after_effects_other"
ANSWER_IDS = (
    NPRS_NOW,
    *PEG_ITEMS,
    PSFS,
    PGIC,
    MEDICINE_DAYS,
    MEDICINE_KINDS,
    SPORT_RETURN,
    SPORT_RETURN_DATE,
    AFTER_EFFECTS,
    AFTER_EFFECTS_OTHER,
)

#: PGIC (NINDS common data element; public domain): value -> words. Responder: 1 or 2.
PGIC_CHOICES = {
    1: "Very much improved",
    2: "Much improved",
    3: "Minimally improved",
    4: "No change",
    5: "Minimally worse",
    6: "Much worse",
    7: "Very much worse",
}
PGIC_QUESTION = "Since you started treatment, how would you describe the change in your condition?"
#: the pain-medicine kinds asked at follow-up: the pain classes of clinical.md §0.7, and other
MEDICINE_KIND_CHOICES = {
    "nsaid": "Anti-inflammatory painkillers, such as ibuprofen or naproxen",
    "opioid": "Opioid painkillers, such as codeine or tramadol",
    "gabapentinoid": "Gabapentin or pregabalin",
    "muscle_relaxant": "Muscle relaxants",
    "other": "Other painkillers",
}
SPORT_RETURN_CHOICES = {"no": "Not yet", "partly": "Partly", "fully": "Fully, as before"}
AFTER_EFFECT_CHOICES = {
    "none": "None",
    "soreness": "Soreness or aching",
    "bruising": "Bruising",
    "faint": "Feeling faint or dizzy",
    "other": "Something else",
}
#: the intake's pain-medicine answer (days in a typical week, in bands) -> its fewest days
MEDICINE_BAND_LEAST = {"0": 0, "1_2": 1, "3_5": 3, "6_7": 6}
MEDICINE_BAND_WORDS = {
    "0": "none",
    "1_2": "1 or 2 days a week",
    "3_5": "3 to 5 days a week",
    "6_7": "6 or 7 days a week",
}

#: Why a clinician should look at a follow-up: flag -> words for staff.
FLAG_TEXT = {
    "pain_worse": "Pain is at least 2 points worse than at intake",
    "much_worse": "The patient says their condition is much worse",
    "after_effect_faint": "Felt faint or dizzy after treatment",
    "after_effect_other": "Reported another after-effect (read their words)",
}
#: Points of worsening on the 0-10 pain scale that flag a follow-up (the NPRS MCID, §11).
PAIN_WORSE_POINTS = 2


@dataclass(frozen=True)
class Measure:
    """One follow-up measure, as staff read it."""

    id: str
    label: str
    #: what a meaningful change is, in words, with its source
    meaningful: str
    #: lowest and highest value (None for categories)
    scale: tuple[int, int] | None
    #: True when a higher value is better (PSFS), False when lower is (pain)
    higher_is_better: bool | None
    #: False for a plain question with no validated meaningful change
    validated: bool = True


MEASURES = {
    m.id: m
    for m in (
        Measure(
            "nprs_now",
            "Pain now (0-10)",
            "2 points less, or 30 % less (Farrar 2001)",
            (0, 10),
            False,
        ),
        Measure(
            "nprs_avg",
            "Average pain, past week (0-10)",
            "2 points less, or 30 % less (Farrar 2001)",
            (0, 10),
            False,
        ),
        Measure(
            "peg",
            "PEG: pain and how much it gets in the way (0-10)",
            "1 point less (Reed 2024 found 1.0 to 1.75)",
            (0, 10),
            False,
        ),
        Measure(
            "psfs",
            "PSFS: the patient's own activities (0 unable - 10 as before)",
            "2 points more on average (Stratford 1995)",
            (0, 10),
            True,
        ),
        Measure(
            "pgic",
            "PGIC: the patient's view of the change (1-7)",
            "Much or very much improved (Farrar 2001)",
            (1, 7),
            False,
        ),
        Measure(
            "medicine_days",
            "Days with pain medicine, past 7",
            "Fewer days than at intake (not a validated scale)",
            (0, 7),
            False,
            validated=False,
        ),
        Measure(
            "sport_return",
            "Back to sport",
            "Fully back, as before (descriptive)",
            None,
            None,
            validated=False,
        ),
    )
}
#: Meaningful change of the PEG score, in points (lower end of Reed 2024's anchor-based MIDs).
PEG_MCID = 1.0
#: Meaningful change of the PSFS mean, in points (minimum detectable change, 90 % CI).
PSFS_MCID = 2.0

#: Condition groups of the outcomes report, in the order they are decided and shown.
GROUPS = {
    "sport_injury": "Sport injury",
    "widespread_pain": "Fibromyalgia or widespread pain",
    "back_pain": "Back pain",
    "other": "Other muscle pain",
}


@dataclass(frozen=True)
class Claim:
    """One promise a clinic makes, the measure that tests it and who it applies to."""

    id: str
    promise: str
    measure: str
    #: who is counted (Baseline attribute that must be true), or None for everyone
    population: str | None
    #: what the evidence says, in the project's own plain words (clinical.md §12)
    evidence: str
    caveat: str = ""


CLAIMS = (
    Claim(
        "pain_relief",
        "Fast pain relief",
        "nprs_avg",
        None,
        "Studies show it can ease muscle pain in the short term.",
    ),
    Claim(
        "movement",
        "Regained movement",
        "psfs",
        "has_psfs",
        "It may help stiff muscles move more easily, usually alongside exercise.",
        "PSFS measures the activities each patient chose, not joint range in degrees.",
    ),
    Claim(
        "athletes",
        "Athletes' recovery",
        "sport_return",
        "sport_injury",
        "It may ease pain that holds back training; evidence that it speeds recovery is limited.",
    ),
    Claim(
        "chronic_pain",
        "Relief of chronic pain",
        "peg",
        "chronic",
        "It is one of the treatments recommended for some long-term pain, as one course "
        "within a wider plan.",
    ),
    Claim(
        "less_medicine",
        "Less pain medicine",
        "medicine_days",
        "takes_pain_medicine",
        "There is not enough evidence on whether it reduces pain medicine; never promise it.",
        "Days with pain medicine is a plain question, not a validated scale.",
    ),
)


@dataclass(frozen=True)
class Baseline:
    """What the intake (and the PSFS at booking) says before treatment."""

    values: dict[str, Any]
    #: [(activity, score)] from booking; empty when not given
    psfs_activities: tuple[tuple[str, int | None], ...] = ()
    medicine_band: str | None = None
    group: str = "other"
    sport_injury: bool = False
    chronic: bool = False

    @property
    def has_psfs(self) -> bool:
        return bool(self.psfs_activities)

    @property
    def takes_pain_medicine(self) -> bool:
        return MEDICINE_BAND_LEAST.get(self.medicine_band or "", 0) > 0


def condition_group(answers: Mapping[str, Any], scores: Mapping[str, Any] | None = None) -> str:
    """The report's condition group of an intake: a sport injury first, then fibromyalgia or
    widespread pain (diagnosed, or the ACR 2016 criteria met), then back pain, else other.
    `scores`: the submission's stored scores, when at hand (ACR 2016 is not worked out again)."""
    if answers.get("pain_onset") == "sport":
        return "sport_injury"
    if answers.get("fibromyalgia_diagnosed") is True:
        return "widespread_pain"
    stored = scores is not None and "acr2016" in scores
    acr = scores["acr2016"] if stored else compute_scores(answers).get("acr2016")
    if isinstance(acr, dict) and acr.get("criteria_met"):
        return "widespread_pain"
    if screening_facts.derive(answers).get("back_pain"):
        return "back_pain"
    return "other"


def baseline_of(
    answers: Mapping[str, Any],
    psfs_baseline: Sequence[Mapping[str, Any]] | None = None,
    scores: Mapping[str, Any] | None = None,
) -> Baseline:
    """The baseline of one patient: intake answers, PSFS from booking, stored scores if any."""
    activities = tuple(
        (str(item.get("activity", "")), int_in(item.get("score"), 0, 10))
        for item in (psfs_baseline or [])
        if isinstance(item, Mapping) and plain_text(item.get("activity"))
    )
    band = plain_text(answers.get("pain_medication_days"))
    values = measure_values(answers, [score for _, score in activities])
    values.pop("pgic", None)
    values.pop("sport_return", None)
    values["medicine_days"] = MEDICINE_BAND_LEAST.get(band) if band else None
    group = condition_group(answers, scores)
    return Baseline(
        values=values,
        psfs_activities=activities,
        medicine_band=band if band in MEDICINE_BAND_LEAST else None,
        group=group,
        sport_injury=group == "sport_injury",
        chronic=answers.get("pain_duration") == "over_12_weeks" or group == "widespread_pain",
    )


def _peg(answers: Mapping[str, Any]) -> float | None:
    items = [int_in(answers.get(key), 0, 10) for key in PEG_ITEMS]
    return None if None in items else round(sum(items) / 3, 2)  # type: ignore[arg-type]


def _psfs_mean(scores: Sequence[int | None]) -> float | None:
    rated = [s for s in scores if s is not None]
    return round(sum(rated) / len(rated), 2) if rated else None


def measure_values(answers: Mapping[str, Any], psfs: Sequence[Any] | None = None) -> dict:
    """Each measure's value in one set of answers (None where not answered). `psfs` overrides
    the answers' PSFS ratings (the baseline's come from booking)."""
    ratings = answers.get(PSFS) if psfs is None else psfs
    ratings = [int_in(r, 0, 10) for r in ratings] if isinstance(ratings, list) else []
    sport = plain_text(answers.get(SPORT_RETURN))
    return {
        "nprs_now": int_in(answers.get(NPRS_NOW), 0, 10),
        "nprs_avg": int_in(answers.get(NPRS_AVG), 0, 10),
        "peg": _peg(answers),
        "psfs": _psfs_mean(ratings),
        "pgic": int_in(answers.get(PGIC), 1, 7),
        "medicine_days": int_in(answers.get(MEDICINE_DAYS), 0, 7),
        "sport_return": sport if sport in SPORT_RETURN_CHOICES else None,
    }


def responder(measure: str, before: Any, after: Any) -> bool | None:
    """Whether a change from `before` to `after` reaches the measure's meaningful change;
    None when it cannot be told (a value missing, or nothing to improve on)."""
    if measure in ("nprs_now", "nprs_avg"):
        change = nprs_change(before, after)
        if change is None or change["percent_reduction"] is None:
            return None  # from a baseline of 0 there is nothing to reduce
        return change["points_met"] or change["percent_met"]
    if measure == "pgic":
        return None if after is None else after in (1, 2)
    if measure == "sport_return":
        return None if after is None else after == "fully"
    if before is None or after is None:
        return None
    if measure == "peg":
        return before - after >= PEG_MCID - 1e-9 if before > 0 else None
    if measure == "psfs":
        return after - before >= PSFS_MCID - 1e-9
    if measure == "medicine_days":
        return after < before if before > 0 else None
    raise KeyError(measure)


def psfs_pair(baseline: Baseline, ratings: Any) -> tuple[float | None, float | None]:
    """The PSFS means at baseline and at a follow-up over the activities rated both times."""
    pairs = zip(
        baseline.psfs_activities, ratings if isinstance(ratings, list) else [], strict=False
    )
    both = [(b, int_in(a, 0, 10)) for (_, b), a in pairs]
    both = [(b, a) for b, a in both if b is not None and a is not None]
    return _psfs_mean([b for b, _ in both]), _psfs_mean([a for _, a in both])


def changes(baseline: Baseline, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per measure: the value before and after, and whether it is a meaningful change."""
    after = measure_values(answers)
    result = {}
    for measure in MEASURES:
        before = baseline.values.get(measure)
        if measure == "psfs":
            before, after["psfs"] = psfs_pair(baseline, answers.get(PSFS))
        result[measure] = {
            "before": before,
            "after": after[measure],
            "responder": responder(measure, before, after[measure]),
        }
    return result


def flags(baseline: Baseline, answers: Mapping[str, Any]) -> list[str]:
    """What a clinician should look at in one follow-up (FLAG_TEXT keys, in that order)."""
    found = []
    before, now = baseline.values.get("nprs_now"), int_in(answers.get(NPRS_NOW), 0, 10)
    if before is not None and now is not None and now - before >= PAIN_WORSE_POINTS:
        found.append("pain_worse")
    if int_in(answers.get(PGIC), 1, 7) in (6, 7):
        found.append("much_worse")
    effects = answers.get(AFTER_EFFECTS)
    effects = effects if isinstance(effects, list) else []
    if "faint" in effects:
        found.append("after_effect_faint")
    if "other" in effects:
        found.append("after_effect_other")
    return found


def in_population(claim: Claim, baseline: Baseline) -> bool:
    """Whether a patient is counted for a claim."""
    return claim.population is None or bool(getattr(baseline, claim.population))
