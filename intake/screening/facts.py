"""Facts derived from the answers (never asked), for rules and show-if conditions.

Their labels and sections are data (``derived:`` in questionnaire.yaml, loaded as
``questionnaire.DERIVED``); how each is worked out from the answers is here. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from intake.screening.conditions import is_number
from intake.screening.questionnaire import (
    ASKED_BY,
    DERIVED,
    MIN_AGE_SELF_CONSENT,
    QUESTIONS,
    QuestionnaireFileError,
)

#: The facts `derive` works out: questionnaire.yaml must give words to each, and to no other.
WORKED_OUT = frozenset(
    {
        "back_pain",
        "pain_region_count",
        "anticoagulant",
        "antiplatelet",
        "rf_steroid_long_term",
        "rf_immunosuppressed",
        "axspa_duration_over_3m",
        "axspa_additional_criteria_count",
        "guardian_consent_required",
        "pregnancy_first_trimester",
    }
)
if set(DERIVED) != WORKED_OUT:  # a derived fact without words, or words without a fact
    raise QuestionnaireFileError(
        "questionnaire.yaml: the derived facts must be exactly the ones worked out in code "
        f"({', '.join(sorted(WORKED_OUT))}); it lists {', '.join(DERIVED)}"
    )

#: The pain map's areas grouped into the nine body regions that rules count
#: (`pain_region_count`); answers stored before the map name the regions themselves.
_REGION_OF = {
    "pain_head": "head_jaw", "wpi_jaw_l": "head_jaw", "wpi_jaw_r": "head_jaw",
    "wpi_neck": "neck", "wpi_shoulder_l": "shoulder", "wpi_shoulder_r": "shoulder",
    "wpi_upper_arm_l": "arm_hand", "wpi_upper_arm_r": "arm_hand", "wpi_lower_arm_l": "arm_hand",
    "wpi_lower_arm_r": "arm_hand", "pain_hand": "arm_hand",
    "wpi_chest": "chest_abdomen", "wpi_abdomen": "chest_abdomen",
    "wpi_upper_back": "upper_back", "wpi_lower_back": "lower_back",
    "wpi_hip_l": "hip_buttock", "wpi_hip_r": "hip_buttock",
    "wpi_upper_leg_l": "leg_knee_foot", "wpi_upper_leg_r": "leg_knee_foot",
    "wpi_lower_leg_l": "leg_knee_foot", "wpi_lower_leg_r": "leg_knee_foot",
    "pain_foot": "leg_knee_foot",
}  # fmt: skip
if set(_REGION_OF) != set(QUESTIONS["pain_map"].item_ids):
    raise QuestionnaireFileError("questionnaire.yaml: every pain map area needs a body region")
_MEDICATION_FLAGS = ("anticoagulant", "antiplatelet")
_IMMUNE_MEDICINES = frozenset({"immunosuppressant", "oral_corticosteroid_long_term"})
_AXSPA_ITEMS = QUESTIONS["axspa_checklist"].item_ids
#: "Did your back pain first start before you were 45?" is asked from this age only: younger,
#: the pain cannot have started at 45 or later, so `axspa_onset_before_45` is worked out.
AXSPA_ONSET_AGE = 45
_ONSET_ASKED = {"fact": "age", "op": "ge", "value": AXSPA_ONSET_AGE}
if QUESTIONS["axspa_onset_before_45"].show_if != _ONSET_ASKED:
    raise QuestionnaireFileError(
        "questionnaire.yaml: axspa_onset_before_45 must be asked exactly when age is at least "
        f"{AXSPA_ONSET_AGE} (show_if: {{fact: age, op: ge, value: {AXSPA_ONSET_AGE}}}): under "
        "that age its answer is worked out"
    )

_REGIONS = frozenset({"pain_regions", *_REGION_OF})
_MEDICINES = frozenset({"medication_classes", *_MEDICATION_FLAGS})
#: Every fact `derive` may write, with the answers its value is worked out from (its own
#: answer too where one can stand). A fact not listed is its answer, as given. An answer set
#: holding none of a fact's inputs gives it the value an empty answer set gives it (the same
#: minimum age): the impact preview relies on this to leave out stored answers a rule change
#: cannot affect, and tests/screening/test_fact_inputs.py checks it on generated answers.
#: Keep it in step with `derive`.
INPUTS: dict[str, frozenset[str]] = {
    "back_pain": _REGIONS,
    "pain_region_count": _REGIONS,
    "anticoagulant": _MEDICINES,
    "antiplatelet": _MEDICINES,
    "medication_classes": _MEDICINES,
    "immunocompromised": _MEDICINES | {"immunocompromised"},
    "rf_steroid_long_term": _REGIONS | _MEDICINES | {"rf_steroid_long_term"},
    "rf_immunosuppressed": _REGIONS | _MEDICINES | {"immunocompromised", "rf_immunosuppressed"},
    "axspa_onset_before_45": _REGIONS | {"age", "axspa_onset_before_45"},
    "axspa_duration_over_3m": _REGIONS | {"pain_duration", "axspa_duration_over_3m"},
    "axspa_additional_criteria_count": _REGIONS
    | {*_AXSPA_ITEMS, "axspa_additional_criteria_count"},
    "guardian_consent_required": frozenset({"age", "guardian_consent_required"}),
    "pregnancy_first_trimester": frozenset(
        {"pregnant", "pregnancy_trimester", "pregnancy_first_trimester"}
    ),
}
if not WORKED_OUT.issubset(INPUTS):
    raise AssertionError("facts.INPUTS must list every derived fact")


def inputs_of(fact: str) -> frozenset[str]:
    """The answers a fact's value is worked out from (a plain answer: itself)."""
    return INPUTS.get(fact) or frozenset({fact})


def worked_out_from_others(fact: str) -> bool:
    """Whether `derive` may give this fact a value from other questions' answers, so that it
    can hold where its own question (if any) is not asked (`axspa_onset_before_45` under 45)."""
    return any(name != fact and name in ASKED_BY for name in inputs_of(fact))


#: Inside `derived_once`: (id of the answers, minimum age) -> (those answers, a copy of them as
#: they were, their facts).
_once: ContextVar[dict[tuple[int, int], tuple[Mapping, dict, dict]] | None] = ContextVar(
    "derived_once", default=None
)


@contextmanager
def derived_once() -> Iterator[None]:
    """Within this block (or a function decorated with `derived_once()`), `derive` works out
    the facts of one answer set once: a question page asks for them about ten times (each step
    and question shown, the first unanswered step, the step before). Every caller gets its
    own copy. Answers changed since (a key added, removed or given another value) get their
    facts worked out again; a list inside them changed in place would not be noticed, so code
    in the block replaces answers rather than editing their lists (as parse_step does)."""
    token = _once.set({})
    try:
        yield
    finally:
        _once.reset(token)


def derive(answers: Mapping[str, Any], min_age_self_consent: int = MIN_AGE_SELF_CONSENT) -> dict:
    """Answers plus the derived facts (see `work_out`), once per answer set in `derived_once`."""
    once = _once.get()
    if once is None:
        return work_out(answers, min_age_self_consent)
    key = (id(answers), min_age_self_consent)
    kept = once.get(key)
    if kept is None or kept[0] is not answers or kept[1] != answers:
        kept = (answers, dict(answers), work_out(answers, min_age_self_consent))
        once[key] = kept
    return dict(kept[2])


def work_out(
    answers: Mapping[str, Any],
    min_age_self_consent: int = MIN_AGE_SELF_CONSENT,
    *,
    in_place: bool = False,
) -> dict:
    """Answers plus the derived facts: one fact asked once gives the same facts in any form.
    `in_place`: add them to `answers` itself, a dict nobody needs as it was (the impact
    preview's freshly decoded ones), rather than to a copy; `answers` is then the facts, so
    ask whether something was answered before adding a fact of that name (tests/screening/
    test_impact.py compares the two on generated answers).

    `anticoagulant`/`antiplatelet` (clinical.md §0.6) and `medication_classes` (§0.7) name one
    fact twice: whichever form the answers use, both are filled in. Likewise long-term steroid
    and immunosuppressant medicines imply `immunocompromised` (§7.2) and, for back pain,
    the red-flag facts `rf_steroid_long_term` and `rf_immunosuppressed` (§2.2). Back pain
    in someone under 45 started before 45 (`axspa_onset_before_45`, NICE NG65, §2.2): only
    worked out where not answered, so stored answers screen as they did.
    """
    # Whether these were answered, looked up before any fact is added (`in_place`).
    duration_given = "axspa_duration_over_3m" in answers
    count_given = "axspa_additional_criteria_count" in answers
    facts = answers if in_place and type(answers) is dict else dict(answers)
    regions = facts.get("pain_regions")  # answers stored before the pain map (2026-11-1)
    if isinstance(regions, list):
        regions = {r for r in regions if type(r) is str}
    else:
        regions = {region for item, region in _REGION_OF.items() if facts.get(item) is True}
    back_pain = "lower_back" in regions
    facts["back_pain"] = back_pain
    facts["pain_region_count"] = len(regions)

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
    age = facts.get("age")
    if back_pain:
        if "axspa_onset_before_45" not in answers and is_number(age) and age < AXSPA_ONSET_AGE:
            facts["axspa_onset_before_45"] = True
        if steroid:
            facts["rf_steroid_long_term"] = True
        if immune_medicine or facts.get("immunocompromised") is True:
            facts["rf_immunosuppressed"] = True
        duration = facts.get("pain_duration")
        if type(duration) is str and not duration_given:
            facts["axspa_duration_over_3m"] = duration == "over_12_weeks"
        if not count_given and any(item in facts for item in _AXSPA_ITEMS):
            facts["axspa_additional_criteria_count"] = sum(
                facts.get(item) is True for item in _AXSPA_ITEMS
            )

    if is_number(age):
        facts["guardian_consent_required"] = age < min_age_self_consent
    if facts.get("pregnant") is True:
        trimester = facts.get("pregnancy_trimester")
        facts["pregnancy_first_trimester"] = type(trimester) is int and trimester == 1
    return facts
