"""Result pages that explain, per outcome (issue 11 point 3), and the start page (point 6).

Most pages are built from Submission rows with chosen fired rules, so each test names the
reasons it is about; the six journeys of tests.e2e.OUTCOMES are walked once as well.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markupsafe import escape

from intake.extensions import db
from intake.models import Submission
from intake.patient import results
from intake.patient.submissions import new_reference, new_token
from intake.screening import outcomes, questionnaire, rules
from intake.staff.rules.rulesets import current_version
from tests import journeys
from tests.e2e import OUTCOMES

RULES = {rule.id: rule for rule in rules.default_ruleset().rules}
CONTEXT = {"emergency_number": "999", "clinic_name": "Test Clinic"}

#: name -> (outcome, fired rule ids, answers): one page per outcome, and the harder mixtures.
CASES: dict[str, tuple[str, tuple[str, ...], dict]] = {
    "emergency": (
        "emergency",
        ("E1_bladder", "E3_saddle", "G1_cancer_history", "G2_weight_loss", "anticoagulant"),
        {"goals": ["less_pain"]},
    ),
    "see_doctor": (
        "see_doctor",
        ("G1_cancer_history", "G2_weight_loss", "G3_night_pain", "anticoagulant"),
        {"goals": ["less_pain"], "pain_duration": "over_12_weeks"},
    ),
    "not_advised": ("not_advised", ("needle_phobia", "anticoagulant"), {"goals": ["less_pain"]}),
    "review": (
        "review",
        ("anticoagulant", "antiplatelet", "opioid_use_review_with_prescriber"),
        {
            "goals": ["less_pain", "less_medication"],
            "pain_duration": "over_12_weeks",
            "nprs_now": 7,
            "peg_pain_avg_week": 6,
        },
    ),
    "suitable": (
        "suitable",
        (),
        {
            "goals": ["more_movement", "return_to_sport"],
            "pain_duration": "under_6_weeks",
            "sport_name": "Running",
            "sport_return_goal": "A half marathon in May",
            "nprs_now": 4,
        },
    ),
    "not_indicated": ("not_indicated", (), {"goals": ["less_pain"]}),
}

#: Words that invite a booking request (never on an emergency page).
INVITATIONS = re.compile(
    r"send us|request|ask for an appointment|ask us|appointment with us|book", re.IGNORECASE
)


def fired_dicts(rule_ids: tuple[str, ...]) -> list[dict]:
    """The stored form of these default rules having fired, in rule-set order."""
    order = list(RULES)
    return [
        rules.FiredRule(
            id=r.id,
            title=r.title,
            outcome=r.outcome,
            patient_message=r.patient_message,
            staff_note=r.staff_note,
            source=r.source,
            safety=r.safety,
            evidence=[],
        ).to_dict()
        for r in sorted((RULES[i] for i in rule_ids), key=lambda r: order.index(r.id))
    ]


def add_submission(app, outcome: str, rule_ids=(), answers=None, commit_only=False) -> str:
    """Store a screened submission; its patient token."""

    def add() -> str:
        submission = Submission(
            token=new_token(),
            reference=new_reference(),
            answers=answers or {},
            scores={},
            fired=fired_dicts(tuple(rule_ids)),
            outcome=outcome,
            questionnaire_version=questionnaire.VERSION,
            ruleset_version_id=current_version().id,
        )
        db.session.add(submission)
        db.session.commit()
        return submission.token

    if commit_only:  # already inside a request
        return add()
    with app.app_context():
        return add()


def result_of(app, client, name: str) -> str:
    """The result page of CASES[name], as this client's patient sees it."""
    outcome, rule_ids, answers = CASES[name]
    token = add_submission(app, outcome, rule_ids, answers)
    with client.session_transaction() as session:
        session["submission"] = token
    response = client.get("/result")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def main_text(page: str) -> str:
    """The words of <main>, tags dropped, whitespace collapsed."""
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def message(rule_id: str) -> str:
    return " ".join(rules.render_message(RULES[rule_id].patient_message, CONTEXT).split())


def count_booking_links(page: str) -> int:
    return page.count('href="/booking"')


# --- Every outcome ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_every_result_page_keeps_guidance_and_finish(app, client, name):
    page = result_of(app, client, name)
    outcome = outcomes.OUTCOME_TEXT[CASES[name][0]]
    assert f'<h1 class="panel__title">{escape(outcome.title)}</h1>' in page
    assert "This is guidance, not a diagnosis." in main_text(page)
    assert 'action="/finish"' in page and "Finish and clear my answers" in page
    assert count_booking_links(page) == (0 if name == "emergency" else 1)
    assert "{emergency_number}" not in page and "{clinic_name}" not in page
    assert 'media="print"' in page and "css/print.css" in page


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_walked_journeys_reach_their_outcome_page(client, outcome):
    journeys.walk(client, OUTCOMES[outcome])
    assert client.post("/check").headers["Location"].endswith("/result")
    page = client.get("/result").get_data(as_text=True)
    title = outcomes.OUTCOME_TEXT[outcome].title
    assert f'<h1 class="panel__title">{escape(title)}</h1>' in page


# --- Emergency --------------------------------------------------------------------------------


def test_emergency_page_has_only_emergency_reasons_and_no_invitation(app, client):
    page = result_of(app, client, "emergency")
    words = main_text(page)
    assert 'href="tel:999"><strong class="big">999</strong>' in page
    assert "You told us about new problems with your bladder." in words
    assert "You told us about numbness or tingling between your legs" in words
    for lower in ("G1_cancer_history", "G2_weight_loss", "anticoagulant"):
        assert message(lower) not in words
    assert "Needs a doctor first" not in words and "first visit" not in words
    # Only what to do now: no request, booking or appointment offer of any kind.
    without_wait = words.replace("Do not wait for an appointment with us.", "")
    assert not INVITATIONS.search(without_wait), INVITATIONS.search(without_wait)
    assert 'href="/booking"' not in page


def test_emergency_advice_is_said_once_however_many_rules_fired(app, client):
    words = main_text(result_of(app, client, "emergency"))
    advice = "Please get urgent medical help now: call 999 or go to an emergency department."
    assert words.count(advice) == 1
    assert words.count("a serious problem with the nerves in your back") == 1


# --- See a doctor -----------------------------------------------------------------------------


def test_see_doctor_page_gives_each_reason_once_a_timescale_and_a_safety_net(app, client):
    page = result_of(app, client, "see_doctor")
    words = main_text(page)
    for rule_id in ("G1_cancer_history", "G2_weight_loss", "G3_night_pain"):
        assert words.count(message(rule_id)) == 1, rule_id
    assert words.count("a doctor should check you before dry needling starts") == 1
    assert "send us your request" not in words.lower()
    assert outcomes.OUTCOME_TEXT["see_doctor"].timescale in words
    assert "in the next few days" in words
    assert "Call 999 or go to an emergency department straight away" in words
    for sign in outcomes.SAFETY_NET_SIGNS:
        assert sign in words
    # Reasons are grouped: the doctor's first, the physiotherapist's precautions after.
    assert words.index("Needs a doctor first") < words.index(message("G1_cancer_history"))
    assert words.index("To check with you at your first visit") > words.index(
        message("G3_night_pain")
    )
    assert words.index(message("anticoagulant")) > words.index("first visit")


def test_see_doctor_page_offers_booking_second_and_a_printable_summary(app, client):
    page = result_of(app, client, "see_doctor")
    words = main_text(page)
    booking = re.search(r'<a class="([^"]+)" href="/booking"', page)
    assert booking and "button--secondary" in booking.group(1)
    assert page.index('href="/booking"') > page.index("If things get worse")
    with app.app_context():
        submission = db.session.query(Submission).order_by(Submission.id.desc()).first()
        assert submission.reference in words
        assert results.date_in_words(submission.created_at) in words
    # Buttons, forms and the booking offer are in print-hidden blocks (static/css/print.css).
    for part in re.findall(r'<div class="no-print">(.*?)</div>', page, re.S):
        assert "button" in part
    assert page.count('class="no-print"') == 2


def test_print_stylesheet_hides_buttons_forms_and_draws_black_on_white(app):
    css = (Path(app.static_folder) / "css" / "print.css").read_text()
    rule = re.search(r"([^{}]*)\{\s*display:\s*none", css)
    assert rule, "print.css hides nothing"
    for selector in (".no-print", ".button", "form", ".footer", ".back-link"):
        assert selector in rule.group(1)
    assert re.search(r"\.panel\s*\{[^}]*background:\s*none", css)


def test_identical_messages_are_merged():
    fired = fired_dicts(("G1_cancer_history",)) * 3 + fired_dicts(("anticoagulant",)) * 2
    groups = results.reason_groups(fired, "see_doctor", CONTEXT)
    assert [(g.tier, len(g.reasons)) for g in groups] == [("see_doctor", 1), ("review", 1)]


def test_repeated_sentences_across_messages_are_said_once():
    fired = [
        {"outcome": "review", "patient_message": "You take A. Ask us first."},
        {"outcome": "review", "patient_message": "You take B.  Ask us\nfirst."},
        {"outcome": "review", "patient_message": "Ask us first."},
        {"outcome": "info", "patient_message": "Staff only."},
        {"outcome": "review", "patient_message": "  "},
    ]
    (group,) = results.reason_groups(fired, "review", CONTEXT)
    assert group.reasons == ("You take A. Ask us first.", "You take B.")


@pytest.mark.parametrize(
    ("outcome", "fired", "shown"),
    [
        ("emergency", ["emergency", "see_doctor", "review"], ["emergency"]),
        ("see_doctor", ["see_doctor", "not_advised", "review"], ["see_doctor", "not_advised"]),
        ("see_doctor", ["review", "see_doctor"], ["see_doctor", "review"]),
        ("not_advised", ["not_advised", "review"], ["not_advised"]),
        ("review", ["review", "info"], ["review"]),
        ("suitable", ["info"], []),
    ],
)
def test_tiers_shown_per_outcome(outcome, fired, shown):
    assert results.shown_tiers(outcome, fired) == shown


# --- Suitable and review ----------------------------------------------------------------------


def test_review_page_explains_dry_needling_the_first_visit_and_the_chosen_goals(app, client):
    words = main_text(result_of(app, client, "review"))
    assert outcomes.WHAT_DRY_NEEDLING_IS in words
    for heading, text in outcomes.FIRST_VISIT:
        assert f"{heading}. {text}" in words
    assert "Less pain. " + outcomes.GOAL_EVIDENCE["less_pain"] in words
    assert outcomes.GOAL_EVIDENCE["less_medication"] in words
    assert "Talk to your doctor or pharmacist before changing any medicine." in words
    assert outcomes.LONG_TERM_PAIN_EVIDENCE in words  # pain for more than 12 weeks
    assert outcomes.GOAL_EVIDENCE["return_to_sport"] not in words  # not chosen
    assert "You have had this pain for more than 12 weeks." in words
    assert "You rated your pain 7 out of 10 now, and 6 on average this week." in words
    assert "Why " + message("anticoagulant") in words  # one tier: no tier heading
    assert "To check with you at your first visit" not in words
    assert "Staff only" not in words and "prescriber" not in words  # info rules stay staff's


def test_suitable_page_reflects_the_sport_goal_and_only_the_chosen_goals(app, client):
    words = main_text(result_of(app, client, "suitable"))
    assert "You want to get back to: A half marathon in May." in words
    assert "You have had this pain for less than 6 weeks." in words
    assert outcomes.GOAL_EVIDENCE["more_movement"] in words
    assert outcomes.GOAL_EVIDENCE["return_to_sport"] in words
    assert outcomes.GOAL_EVIDENCE["less_pain"] not in words
    assert outcomes.LONG_TERM_PAIN_EVIDENCE not in words
    assert outcomes.OUTCOME_TEXT["suitable"].next_step in words


@pytest.mark.parametrize(
    "text", [*outcomes.GOAL_EVIDENCE.values(), outcomes.LONG_TERM_PAIN_EVIDENCE]
)
def test_goal_evidence_never_promises_or_advises_on_medicines(text):
    lowered = text.lower()
    promise = r"(?<!cannot promise it )\bwill (help|ease|reduce|relieve|cure)|guarantee|proven"
    assert not re.search(promise, lowered)
    if "medicine" in lowered:
        assert "talk to your doctor or pharmacist" in lowered
        assert not re.search(r"\b(stop|reduce|cut down|lower)\b[^.]*medicine", lowered)


def test_answers_reflected_back_tolerate_any_missing_or_odd_value():
    assert results.reflected_answers({}) == []
    assert results.reflected_answers({"nprs_now": 5}) == ["You rated your pain 5 out of 10."]
    assert results.reflected_answers({"pain_duration": "gone", "sport_name": ""}) == []
    both = results.reflected_answers(
        {"sport_name": "Rowing", "pain_duration": "under_6_weeks", "nprs_now": 3}
    )
    assert both == [
        "Your sport or exercise: Rowing.",
        "You have had this pain for less than 6 weeks.",
    ]
    assert results.goal_evidence({"goals": "less_pain"}) == []
    chosen = results.goal_evidence({"goals": ["unknown", "less_pain"]})
    assert [(g.goal, g.label) for g in chosen] == [("less_pain", "Less pain")]


# --- Not advised, not indicated ---------------------------------------------------------------


def test_not_advised_page_says_why_and_what_may_help_without_contradiction(app, client):
    words = main_text(result_of(app, client, "not_advised"))
    assert "Why " + message("needle_phobia") in words  # one tier: no tier heading
    assert message("needle_phobia") in words
    assert message("anticoagulant") not in words  # "may still be possible" would contradict
    assert outcomes.OUTCOME_TEXT["not_advised"].alternatives in words
    assert outcomes.OUTCOME_TEXT["not_advised"].booking_button in words


def test_not_indicated_page_says_what_dry_needling_treats(app, client):
    words = main_text(result_of(app, client, "not_indicated"))
    assert outcomes.WHAT_DRY_NEEDLING_IS in words
    assert outcomes.OUTCOME_TEXT["not_indicated"].booking_button in words


# --- The start page ---------------------------------------------------------------------------


def test_start_page_says_what_who_how_long_and_guidance(client):
    words = main_text(client.get("/").get_data(as_text=True))
    heading = "Could dry needling help your pain?"
    intro = words[words.index(heading) + len(heading) : words.index("This is not for emergencies.")]
    assert "Dry needling is a treatment for muscle pain" in intro
    assert "thin needles" in intro
    assert "for anyone with pain who is thinking about dry needling at Test Clinic" in intro
    assert "5 to 10 minutes" in intro
    assert "it is guidance, not a diagnosis" in intro
    assert len(re.findall(r"[.!?](\s|$)", intro.strip())) <= 3  # two or three sentences
    assert "call 999 now" in words
