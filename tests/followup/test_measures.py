"""The follow-up measures (pure): baselines from the intake, meaningful changes, flags, groups.
Expected values are worked by hand from clinical.md §6.1, §6.2 and §11."""

from __future__ import annotations

import pytest

from intake.followup import measures as m
from tests.answers import pain_map, patient


# clinical.md §6.1 worked examples: (baseline, follow-up) -> responder on 2 points or 30 %
@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (6, 4, True),  # nprs_change_6_4: 2 points, 33.3 %: both met
        (8, 6, True),  # nprs_change_8_6: 2 points, 25 %: points only
        (3, 2, True),  # nprs_change_3_2: 1 point, 33.3 %: percent only
        (10, 7, True),  # nprs_change_10_7: 3 points, exactly 30 %: both
        (5, 5, False),  # nprs_change_5_5: none
        (9, 8, False),  # 1 point, 11 %: neither
        (4, 6, False),  # worse
        (0, 0, None),  # from 0 there is nothing to reduce
        (None, 3, None),
        (6, None, None),
    ],
)
def test_pain_responders_follow_farrar(before, after, expected):
    assert m.responder("nprs_now", before, after) is expected
    assert m.responder("nprs_avg", before, after) is expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(5.0, 4.0, True), (5.0, 4.33, False), (3.67, 2.67, True), (6.33, 6.0, False), (0, 0, None)],
)
def test_peg_meaningful_change_is_one_point(before, after, expected):
    assert m.responder("peg", before, after) is expected


@pytest.mark.parametrize(
    ("before", "after", "expected"), [(3.0, 5.0, True), (3.0, 4.67, False), (7.0, 5.0, False)]
)
def test_psfs_meaningful_change_is_two_points_up(before, after, expected):
    assert m.responder("psfs", before, after) is expected


@pytest.mark.parametrize(("pgic", "expected"), [(1, True), (2, True), (3, False), (7, False)])
def test_pgic_responders_are_much_or_very_much_improved(pgic, expected):
    assert m.responder("pgic", None, pgic) is expected


def test_medicine_days_count_as_reduced_only_below_the_baseline_band():
    # baseline "3_5" (3 to 5 days a week) is read as its fewest days, 3
    assert m.responder("medicine_days", 3, 2) is True
    assert m.responder("medicine_days", 3, 3) is False
    assert m.responder("medicine_days", 0, 0) is None  # nothing to reduce
    assert m.MEASURES["medicine_days"].validated is False


def test_the_baseline_is_the_intake_plus_psfs_from_booking():
    answers = patient(
        nprs_now=7,
        peg_pain_avg_week=8,
        peg_enjoyment_interference=6,
        peg_activity_interference=5,
        pain_medication_days="6_7",
    )
    baseline = m.baseline_of(
        answers, [{"activity": "Running", "score": 2}, {"activity": "Lifting"}]
    )
    assert baseline.values["nprs_now"] == 7
    assert baseline.values["nprs_avg"] == 8
    assert baseline.values["peg"] == 6.33  # 19/3
    assert baseline.values["psfs"] == 2.0  # an unrated activity does not count
    assert baseline.values["medicine_days"] == 6
    assert baseline.psfs_activities == (("Running", 2), ("Lifting", None))
    assert baseline.takes_pain_medicine and baseline.has_psfs
    assert "pgic" not in baseline.values  # a follow-up-only measure


def test_changes_put_each_measure_before_and_after():
    baseline = m.baseline_of(
        patient(nprs_now=6, pain_medication_days="3_5"), [{"activity": "Running", "score": 3}]
    )
    answers = {
        "nprs_now": 3,
        "peg_pain_avg_week": 4,
        "peg_enjoyment_interference": 3,
        "peg_activity_interference": 3,
        "psfs": [6],
        "pgic": 2,
        "pain_medicine_days": 1,
    }
    changes = m.changes(baseline, answers)
    assert changes["nprs_now"] == {"before": 6, "after": 3, "responder": True}
    assert changes["psfs"] == {"before": 3.0, "after": 6.0, "responder": True}
    assert changes["medicine_days"]["responder"] is True
    assert changes["sport_return"]["responder"] is None  # not asked


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"nprs_now": 7}, ["pain_worse"]),  # 5 -> 7: 2 points worse
        ({"nprs_now": 6}, []),
        ({"pgic": 6}, ["much_worse"]),
        ({"pgic": 5}, []),
        ({"after_effects": ["soreness", "bruising"]}, []),  # common and expected
        ({"after_effects": ["faint"]}, ["after_effect_faint"]),
        ({"after_effects": ["other"], "after_effects_other": "rash"}, ["after_effect_other"]),
        ({"nprs_now": "10", "pgic": True, "after_effects": "faint"}, []),  # wrong types
    ],
)
def test_flags_for_the_clinician(answers, expected):
    baseline = m.baseline_of(patient(nprs_now=5))
    assert m.flags(baseline, answers) == expected


@pytest.mark.parametrize(
    ("answers", "group"),
    [
        (patient(pain_onset="sport"), "sport_injury"),
        (patient(fibromyalgia_diagnosed=True), "widespread_pain"),
        (patient(), "back_pain"),
        (patient(**pain_map("wpi_shoulder_l")), "other"),
    ],
)
def test_condition_groups(answers, group):
    assert m.condition_group(answers) == group


def test_every_claim_names_a_measure_and_a_real_population():
    baseline = m.baseline_of(patient())
    for claim in m.CLAIMS:
        assert claim.measure in m.MEASURES
        assert isinstance(m.in_population(claim, baseline), bool)


def test_garbage_answers_never_raise():
    baseline = m.baseline_of(
        {"psfs": "x"}, [{"activity": 3}, "junk", {"activity": "Walk", "score": 99}]
    )
    assert baseline.psfs_activities == (("Walk", None),)
    for value in (None, [], {}, "x", 3, [None, "a", 11]):
        m.changes(baseline, dict.fromkeys(m.ANSWER_IDS, value))
        m.flags(baseline, dict.fromkeys(m.ANSWER_IDS, value))
