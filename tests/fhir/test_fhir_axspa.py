"""The FHIR Questionnaire says when the spondyloarthritis questions are asked only where
enableWhen can say exactly what the app does: the onset question from age 45; the features
(asked after "Yes" to it, or at once under 45, where the app works the onset out from the
age) carry no enableWhen, which reads answers only, and so are not "required"."""

from __future__ import annotations

from intake.fhir import naming, questionnaires
from intake.screening import questionnaire as intake


def pattern_items() -> dict[str, dict]:
    made = questionnaires.intake_questionnaire(naming.Naming("https://clinic.example"))
    [step] = [item for item in made["item"] if item["linkId"] == "back_pain_pattern"]
    return {item["linkId"]: item for item in step["item"]}


def test_the_onset_question_is_enabled_from_age_45():
    onset = pattern_items()["axspa_onset_before_45"]
    assert onset["enableWhen"] == [{"question": "age", "operator": ">=", "answerInteger": 45}]
    assert "required" not in onset  # its page is shown for lower back pain, a derived fact


def test_the_features_have_no_enable_when_that_would_hide_them_under_45():
    features = pattern_items()["axspa_checklist"]
    assert "enableWhen" not in features and "required" not in features
    names = naming.Naming("https://clinic.example")
    condition = intake.QUESTIONS["axspa_checklist"].show_if
    assert condition == {"fact": "axspa_onset_before_45", "op": "is_true"}
    assert questionnaires.enable_when(names, condition, intake.ASKED_BY) is None
    # a plain yes/no answer is still said with enableWhen
    plain = {"fact": "pregnant", "op": "is_true"}
    assert questionnaires.enable_when(names, plain, intake.ASKED_BY) is not None
