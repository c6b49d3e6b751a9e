"""The axial spondyloarthritis questions (rule G7_axial_spa, NICE NG65, clinical.md §2.2) are
asked only where an answer can change the result: "Did your back pain first start before you
were 45?" from age 45 (younger, it did), and the 9 features only when onset before 45 holds.
Screening gives what asking everything would give, and stored answers screen as they did."""

from __future__ import annotations

import itertools

import pytest

from intake.screening import questionnaire as q
from intake.screening import rule_analysis, rules, ruleset_format
from intake.screening.answers import parse_step, validate_answers
from intake.screening.branching import FOLLOW_UPS, follow_up_page, prune, visible_questions
from intake.screening.condition_words import NOT_ASKED, evidence_words
from intake.screening.facts import derive, worked_out_from_others
from tests.answers import none_of, patient

STEP = q.STEPS_BY_ID["back_pain_pattern"]
FEATURES = q.QUESTIONS["axspa_checklist"].item_ids
ONSET = "axspa_onset_before_45"


def long_back_pain(age: int, **answers) -> dict:
    """A back-pain patient of this age, pain for more than 12 weeks (the pattern page shown)."""
    return patient(age=age, pain_duration="over_12_weeks", **answers)


def features(*ticked: str) -> dict[str, bool]:
    return {item: item in ticked for item in FEATURES}


def asked(answers: dict) -> list[str]:
    return [question.id for question in visible_questions(STEP, answers)]


@pytest.mark.parametrize("age", [16, 30, 44])
def test_under_45_the_onset_question_is_not_asked_and_holds(age):
    answers = long_back_pain(age)
    assert asked(answers) == ["axspa_checklist"]
    assert derive(answers)[ONSET] is True


@pytest.mark.parametrize("age", [45, 50, 90])
def test_from_45_the_onset_question_is_asked_and_the_features_follow_a_yes(age):
    assert asked(long_back_pain(age)) == [ONSET]
    assert asked(long_back_pain(age, **{ONSET: False})) == [ONSET]
    assert asked(long_back_pain(age, **{ONSET: True})) == [ONSET, "axspa_checklist"]
    assert ONSET not in derive(long_back_pain(age))  # unanswered: nothing worked out


def test_the_features_are_a_follow_up_of_a_yes_on_the_same_page():
    assert FOLLOW_UPS["axspa_checklist"] == (ONSET, ("yes",))


def test_onset_is_worked_out_for_back_pain_only():
    assert ONSET not in derive({"age": 30, "wpi_neck": True, "pain_duration": "over_12_weeks"})
    assert ONSET not in derive({"wpi_lower_back": True})  # no age given
    assert worked_out_from_others(ONSET)
    assert not worked_out_from_others("axspa_buttock_pain")


@pytest.mark.parametrize("age", [30, 50])
def test_an_onset_answer_is_used_as_given(age):
    """Answers stored before the question depended on the age (a 30-year-old's "No" too)."""
    assert derive(long_back_pain(age, **{ONSET: False}))[ONSET] is False
    assert derive(long_back_pain(age, **{ONSET: True}))[ONSET] is True


@pytest.mark.parametrize(
    ("age", "onset", "expected"),
    [(50, False, "suitable"), (30, False, "suitable"), (50, True, "see_doctor")],
)
def test_stored_answers_with_every_question_answered_screen_as_before(age, onset, expected):
    stored = long_back_pain(age, **{ONSET: onset}, **features(*FEATURES[:4]))
    screening = rules.screen(stored)
    assert screening.outcome == expected
    assert ("G7_axial_spa" in screening.fired_ids) is onset


def _truthful(age: int, onset_before_45: bool, ticked: tuple[str, ...]) -> dict:
    """Every question answered, as before: the onset question and all 9 features."""
    return long_back_pain(age, **{ONSET: onset_before_45}, **features(*ticked))


def _cases():
    """Ages either side of 45, each set of ticked features, and every possible onset answer."""
    every_set = [
        combo for n in range(len(FEATURES) + 1) for combo in itertools.combinations(FEATURES, n)
    ]
    for age, ticked in itertools.product((18, 35, 44, 45, 46, 60), every_set):
        for onset in (True, False):
            if age < 45 and not onset:
                continue  # impossible: pain felt now started before the age the patient is
            yield age, onset, ticked


def test_asking_less_screens_as_asking_everything():
    """What the questionnaire now keeps of a truthful patient's answers (only the questions it
    asks them) gives the same outcome and rules as every question answered."""
    outcomes = set()
    for age, onset, ticked in _cases():
        everything = _truthful(age, onset, ticked)
        kept = prune(everything)
        assert (ONSET in kept) is (age >= 45)
        assert all(item in kept for item in FEATURES) is (age < 45 or onset)
        full, now = rules.screen(everything), rules.screen(kept)
        assert (now.outcome, now.fired_ids) == (full.outcome, full.fired_ids), (age, ticked)
        outcomes.add(now.outcome)
    assert outcomes == {"suitable", "see_doctor"}  # both sides of G7 were tried
    assert validate_answers(prune(_truthful(30, True, FEATURES[:3]))) == {}
    assert validate_answers(prune(_truthful(50, False, FEATURES[:3]))) == {}


def test_no_for_onset_drops_features_sent_with_it():
    """Server-side: features sent with "No" (a stale form, a script) are neither kept nor
    required."""
    form = {ONSET: ["no"], "axspa_checklist": ["axspa_buttock_pain", "axspa_psoriasis"]}
    answers, errors = parse_step(STEP, form, long_back_pain(50))
    assert errors == {}
    assert answers[ONSET] is False
    assert not any(item in answers for item in FEATURES)


def test_under_45_the_features_are_required_on_the_page():
    answers, errors = parse_step(STEP, {}, long_back_pain(30))
    assert list(errors) == ["axspa_checklist"]
    answers, errors = parse_step(STEP, {"axspa_checklist": ["none"]}, long_back_pain(30))
    assert errors == {} and ONSET not in answers
    assert {item: answers[item] for item in FEATURES} == none_of("axspa_checklist")


def test_from_45_a_yes_without_the_features_asks_them_next():
    answers, errors = parse_step(
        STEP, {ONSET: ["yes"]}, long_back_pain(50), deferred=["axspa_checklist"]
    )
    assert errors == {}
    page = follow_up_page(STEP, answers)
    assert page is not None and [question.id for question in page.questions] == ["axspa_checklist"]


def test_a_changed_age_asks_what_the_new_age_needs():
    """50 with "No", then 30: the onset answer goes and the features are asked; 30 with the
    features, then 50: the onset question is asked and the features wait for its answer."""
    was_50 = prune(long_back_pain(50, **{ONSET: False}))
    now_30 = prune(dict(was_50, age=30))
    assert ONSET not in now_30 and asked(now_30) == ["axspa_checklist"]
    was_30 = prune(long_back_pain(30, **features("axspa_psoriasis")))
    now_50 = prune(dict(was_30, age=50))
    assert asked(now_50) == [ONSET]
    assert not any(item in now_50 for item in FEATURES)  # screening never keeps them
    # A draft keeps them while the onset question waits for its answer: "Yes" finds them.
    waiting = prune(dict(was_30, age=50), keep_waiting=True)
    assert asked(waiting) == [ONSET] and waiting["axspa_psoriasis"] is True
    assert prune(dict(waiting, **{ONSET: True}))["axspa_psoriasis"] is True
    said_no = prune(dict(waiting, **{ONSET: False}), keep_waiting=True)
    assert not any(item in said_no for item in FEATURES)


def test_the_page_intro_reads_well_with_one_question():
    assert "These questions" not in STEP.intro
    assert STEP.intro.endswith("Your answers on this page help us spot it.")


def test_rule_checks_know_onset_can_hold_without_its_question():
    facts = ruleset_format.dictionary()
    younger = {
        "all": [
            {"fact": ONSET, "op": "is_true"},
            {"fact": "age", "op": "lt", "value": 40},
        ]
    }
    assert rule_analysis.never_shown_together(younger, facts) is None
    features_after_45 = {
        "all": [
            {"fact": "axspa_buttock_pain", "op": "is_true"},
            {"fact": ONSET, "op": "is_false"},
        ]
    }
    assert rule_analysis.never_shown_together(features_after_45, facts)


def test_the_words_for_a_fired_rule_say_which_answer_was_not_asked():
    facts = ruleset_format.dictionary()
    evidence = {ONSET: True, "axspa_duration_over_3m": True, "axspa_additional_criteria_count": 3}
    under_45 = [w.text for w in evidence_words(evidence, facts, long_back_pain(30))]
    assert under_45[0] == f"{q.QUESTIONS[ONSET].label} Yes {NOT_ASKED}"
    assert NOT_ASKED not in " ".join(under_45[1:])  # derived facts are never asked
    answered = evidence_words(evidence, facts, long_back_pain(50, **{ONSET: True}))
    assert not any(NOT_ASKED in w.text for w in answered)
    assert not any(NOT_ASKED in w.text for w in evidence_words(evidence, facts))
