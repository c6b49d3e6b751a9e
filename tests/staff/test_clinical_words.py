"""What fired for a request, in the words staff read (desk walk): the facts behind each fired
rule are labelled as the rules list and the rule editor label them ("You have had cancer: Yes",
never "rf_cancer_history = True") on the request page and in the clinic email at
CLINIC_EMAIL_DETAIL=full (the only level that carries answers); and no score line wraps its
meaning in a second pair of brackets. On SQLite and PostgreSQL (the app fixture)."""

from __future__ import annotations

import re

import pytest

from intake.screening.condition_words import FactWords, evidence_words
from intake.screening.conditions import BOOLEAN, CHOICE, CHOICES, DATE, NUMBER, FactSpec
from intake.screening.ruleset_format import dictionary
from tests import journeys
from tests.conftest import make_app
from tests.staff.test_plain_words import clinic_email
from tests.staff.test_staff import book

#: a red flag (history of cancer, a see-a-doctor rule) and a precaution (blood thinners)
RED_FLAG_AND_PRECAUTION = journeys.variant(
    journeys.BLOOD_THINNERS,
    back_warning_signs={
        "rf_urgent_checklist": ["none"],
        "rf_other_checklist": ["rf_cancer_history"],
    },
)
#: what the old page showed: fact ids and Python values
RAW = re.compile(r"\b(rf_cancer_history|anticoagulant)\b\s*=|= (True|False|None)\b")

FACTS = {
    "smoker": FactSpec("smoker", "You smoke", BOOLEAN),
    "age": FactSpec("age", "How old are you?", NUMBER),
    "risk": FactSpec("risk", "STarT Back risk", CHOICE, ("low", "high"), ("Low", "High")),
    "meds": FactSpec(
        "meds", "Medicines", CHOICES, ("nsaid", "opioid"), ("Anti-inflammatories", "Opioids")
    ),
    "peg": FactSpec("peg", "PEG score", NUMBER),
    "surgery_on": FactSpec("surgery_on", "Date of the operation", DATE),
}


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("smoker", True, "You smoke: Yes"),
        ("smoker", False, "You smoke: No"),
        ("smoker", None, "You smoke: not answered"),
        ("age", 62, "How old are you? 62"),  # a question's label: no colon after its "?"
        ("risk", "high", "STarT Back risk: High"),
        ("meds", ["opioid", "nsaid"], "Medicines: Opioids; Anti-inflammatories"),
        ("meds", [], "Medicines: none"),
        ("peg", 6.333333, "PEG score: 6.33"),
        ("peg", 6.0, "PEG score: 6"),
        ("surgery_on", "2026-12-04", "Date of the operation: Fri 4 Dec 2026"),
        ("surgery_on", "not a date", "Date of the operation: not a date"),
        ("gone_since.then", True, "Gone since then: Yes"),  # no longer in the dictionary
    ],
)
def test_a_fact_in_words(name, value, text):
    assert [w.text for w in evidence_words({name: value}, FACTS)] == [text]


def test_evidence_that_is_not_a_mapping_says_nothing():
    assert evidence_words(None, FACTS) == [] and evidence_words(["x"], FACTS) == []


def test_the_real_dictionary_labels_the_default_rules_facts():
    words = evidence_words({"rf_cancer_history": True, "anticoagulant": True}, dictionary())
    assert words == [
        FactWords("You have had cancer", "Yes"),
        FactWords("Takes blood thinners (anticoagulants)", "Yes"),
    ]


def test_the_request_page_says_what_fired_in_words(app, staff_client):
    request_id = book(app, RED_FLAG_AND_PRECAUTION)
    page = staff_client.get(f"/staff/requests/{request_id}").text
    clinical = page[page.index('id="clinical"') : page.index('id="scores"')]
    assert "Based on: You have had cancer: Yes" in clinical
    assert "Based on: Takes blood thinners (anticoagulants): Yes" in clinical
    assert not RAW.search(clinical), RAW.search(clinical)


def test_the_full_clinic_email_says_what_fired_in_words(app):
    book(app, RED_FLAG_AND_PRECAUTION)
    text, html = clinic_email(app)
    assert "     Based on: You have had cancer: Yes\n" in text
    assert "     Based on: Takes blood thinners (anticoagulants): Yes\n" in text
    assert "Based on: You have had cancer: Yes" in html
    for body in (text, html):
        assert not RAW.search(body), RAW.search(body)


@pytest.mark.parametrize("detail", ["summary", "minimal"])
def test_a_clinic_email_without_the_answers_leaves_out_the_facts_too(tmp_path, detail):
    app = make_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, CLINIC_EMAIL_DETAIL=detail)
    book(app, RED_FLAG_AND_PRECAUTION)
    for body in clinic_email(app):
        assert "Based on" not in body and "You have had cancer" not in body


def nested_brackets(text: str) -> list[str]:
    """Every "(… (" where a bracket opens inside another one, with what leads up to it."""
    found, depth = [], 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth > 1:
                found.append(text[max(0, position - 60) : position + 30])
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "\n":
            depth = 0
    return found


@pytest.mark.parametrize(
    "profile", [journeys.FIBROMYALGIA, journeys.BACK_PAIN_SUITABLE, RED_FLAG_AND_PRECAUTION]
)
def test_no_score_line_wraps_its_meaning_in_a_second_pair_of_brackets(app, staff_client, profile):
    request_id = book(app, profile)
    text, html = clinic_email(app)
    assert "(a screen for fibromyalgia, not a diagnosis)" in text
    page = staff_client.get(f"/staff/requests/{request_id}").text
    for name, body in (("text", text), ("html", html), ("page", page)):
        words = re.sub(r"<[^>]+>", "\n", body)  # tags end a line: no bracket spans them
        assert nested_brackets(words) == [], (name, nested_brackets(words))
