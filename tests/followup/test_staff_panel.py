"""The request page's follow-up panel: opted in or not, timeline, charts and their table,
verdicts with reasons, flags marked as seen (CSRF, audited), the dashboard's count."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.followup import measures, timeline
from intake.followup.models import FollowUp
from intake.models import AuditEvent, BookingRequest
from tests.answers import patient
from tests.conftest import create_staff, login, make_app
from tests.followup.outcome_data import add_followup, add_patient

PSFS = [{"activity": "Climbing stairs", "score": 3}, {"activity": "Gardening", "score": 5}]


def seed_patient() -> int:
    """Pain now 6 and average 6 at intake, PSFS 3 and 5, pain medicine "3_5" (counted as 3).

    2 weeks: pain 4 / 5, PSFS 4 and 6 (mean 4 -> 5), PGIC 3, medicine 3 days, soreness.
    6 weeks: pain 8 (2 points worse: flagged), average 3 (3 points, 50 % less: met), PSFS 6
    and 8 (4 -> 7: +3, met), PGIC 6 (flagged), medicine 1 day (met), felt faint (flagged).
    12 weeks: sent, not answered yet.
    """
    booking = add_patient(
        patient(nprs_now=6, peg_pain_avg_week=6, pain_medication_days="3_5"), psfs=PSFS
    )
    add_followup(
        booking,
        2,
        {
            "nprs_now": 4,
            "peg_pain_avg_week": 5,
            "peg_enjoyment_interference": 3,
            "peg_activity_interference": 3,
            "psfs": [4, 6],
            "pgic": 3,
            "pain_medicine_days": 3,
            "pain_medicine_kinds": ["nsaid"],
            "after_effects": ["soreness"],
        },
        reminded=True,
    )
    add_followup(
        booking,
        6,
        {
            "nprs_now": 8,
            "peg_pain_avg_week": 3,
            "psfs": [6, 8],
            "pgic": 6,
            "pain_medicine_days": 1,
            "after_effects": ["faint", "other"],
            "after_effects_other": "A <b>rash</b>",
        },
        flags=["pain_worse", "much_worse", "after_effect_faint", "after_effect_other"],
    )
    add_followup(booking, 12)
    db.session.commit()
    return booking


def row_of(html: str, label: str) -> str:
    match = re.search(rf'<th scope="row"[^>]*>{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert match, label
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_a_patient_who_did_not_opt_in_gets_one_quiet_line(app, staff_client):
    with app.app_context():
        booking = add_patient(consent=False)
        db.session.commit()
    html = staff_client.get(f"/staff/requests/{booking}").get_data(as_text=True)
    assert "The patient did not ask for follow-up questions." in html
    assert "Timeline" not in html and "Measures over time" not in html


def test_the_panel_shows_timeline_charts_table_and_verdicts(app, staff_client):
    with app.app_context():
        booking = seed_patient()
    response = staff_client.get(f"/staff/requests/{booking}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "First appointment Mon 5 Jan 2026" in html
    assert row_of(html, "2 weeks").startswith(
        "Mon 19 Jan 2026 Answered Mon 19 Jan 2026 Thu 22 Jan 2026 Tue 20 Jan 2026"
    )
    assert "Soreness or aching" in row_of(html, "2 weeks")
    assert "Sent, waiting for an answer" in row_of(html, "12 weeks")
    # one chart per measure with numbers over time: pain now, average, PEG, PSFS, medicine
    assert html.count('class="chart chart--small"') == 5
    assert " style=" not in html and "<style" not in html
    average = row_of(html, "Average pain, past week (0-10)")
    assert average.startswith("6 5 3 Meaningful improvement")
    assert "6 at intake, 3 at 6 weeks: 3 points less (50 % less)" in average
    now = row_of(html, "Pain now (0-10)")
    assert now.startswith("6 4 8 Worse") and "6 at intake, 8 at 6 weeks: 2 points more." in now
    psfs = row_of(html, "PSFS: the patient&#39;s own activities (0 unable - 10 as before)")
    assert psfs.startswith("4 5 7 Meaningful improvement")
    assert row_of(html, "Climbing stairs") == "3 4 6"
    assert row_of(html, "Gardening") == "5 6 8"
    medicine = row_of(html, "Days with pain medicine, past 7")
    assert medicine.startswith("3 to 5 days a week (counted as 3) 3 1 Meaningful improvement")
    assert "3 at intake, 1 at 6 weeks: 2 days less." in medicine
    pgic = row_of(html, "PGIC: the patient&#39;s view of the change (1-7)")
    assert pgic.startswith("– 3: minimally improved 6: much worse Worse")
    sport = row_of(html, "Back to sport")
    assert "Can&#39;t tell" in sport and "Asked only after a sport injury" in sport
    assert row_of(html, "Kinds of pain medicine").startswith("– Anti-inflammatory painkillers")
    # the PEG needs all three items: not answered at 6 weeks, so the 2-week answer counts
    assert "at 2 weeks" in row_of(html, "PEG: pain and how much it gets in the way (0-10)")


def test_flags_are_at_the_top_until_marked_as_seen(app, staff_client):
    with app.app_context():
        booking = seed_patient()
        assert timeline.unseen_flag_count() == 1
    html = staff_client.get(f"/staff/requests/{booking}").get_data(as_text=True)
    box = html[html.index("Needs a look") : html.index("Mark flags as seen")]
    assert "6-week follow-up" in box
    assert "Pain is at least 2 points worse than at intake" in box
    assert "Felt faint or dizzy after treatment" in box
    assert "A &lt;b&gt;rash&lt;/b&gt;" in box  # the patient's words, escaped
    assert html.index("Needs a look") < html.index("Timeline")
    # and named at the top of the request page, before its status, linking down to the panel
    top = html[: html.index('id="status"')]
    assert "A follow-up needs a look" in top and 'href="#followup"' in top
    assert "Felt faint or dizzy after treatment" in top
    dashboard = staff_client.get("/staff/").get_data(as_text=True)
    assert "<strong>1</strong> follow-up that needs a look" in dashboard
    flagged = staff_client.get("/staff/followups/flagged").get_data(as_text=True)
    assert f"/staff/requests/{booking}#followup" in flagged

    response = staff_client.post(f"/staff/requests/{booking}/followups/seen")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/requests/{booking}#followup")
    html = staff_client.get(f"/staff/requests/{booking}").get_data(as_text=True)
    assert "Needs a look" not in html and "(seen " in html
    assert "A follow-up needs a look" not in html
    with app.app_context():
        seen = db.session.scalars(select(FollowUp).where(FollowUp.weeks == 6)).one()
        assert seen.flags_seen_at is not None
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "followup_flags_seen")
        ).one()
        assert event.target == f"booking_request:{booking}" and event.details == {"followups": [2]}
        assert timeline.unseen_flag_count() == 0
    assert "<strong>0</strong> follow-ups that need a look" in staff_client.get("/staff/").get_data(
        as_text=True
    )
    # nothing more to mark: no second audit event
    staff_client.post(f"/staff/requests/{booking}/followups/seen")
    with app.app_context():
        events = select(AuditEvent).where(AuditEvent.action == "followup_flags_seen")
        assert len(db.session.scalars(events).all()) == 1


def test_the_panel_says_when_nothing_is_answered_yet(app, staff_client):
    with app.app_context():
        booking = add_patient()
        add_followup(booking, 2)
        db.session.commit()
    html = staff_client.get(f"/staff/requests/{booking}").get_data(as_text=True)
    assert "No follow-up answered yet." in html and "Measures over time" not in html


def test_marking_as_seen_needs_login_and_a_csrf_token(database_url, tmp_path):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        booking = seed_patient()
    anonymous = app.test_client()
    response = anonymous.post(f"/staff/requests/{booking}/followups/seen")
    assert response.status_code in (302, 400)
    create_staff(app)
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"email": "staff@clinic.example.com", "password": "correct horse battery staple"}
    assert client.post("/staff/login", data={**data, "csrf_token": token}).status_code == 302
    assert client.post(f"/staff/requests/{booking}/followups/seen").status_code == 400
    html = client.get(f"/staff/requests/{booking}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    seen = client.post(f"/staff/requests/{booking}/followups/seen", data={"csrf_token": token})
    assert seen.status_code == 302
    with app.app_context():
        assert db.session.get(BookingRequest, booking) is not None
        assert timeline.unseen_flag_count() == 0
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    assert login  # the shared helper logs in without CSRF; this test does it by hand


@pytest.mark.parametrize(
    ("measure", "intake", "answers", "verdict"),
    [
        # the intake's "1 or 2 days a week" allows at most 2: 3 days is more, so worse
        ("medicine_days", {"pain_medication_days": "1_2"}, {"pain_medicine_days": 3}, "Worse"),
        (
            "medicine_days",
            {"pain_medication_days": "1_2"},
            {"pain_medicine_days": 2},
            "No meaningful change",
        ),
        (
            "medicine_days",
            {"pain_medication_days": "3_5"},
            {"pain_medicine_days": 1},
            "Meaningful improvement",
        ),
        # back to sport is descriptive: the verdict is the patient's answer
        ("sport_return", {"pain_onset": "sport"}, {"sport_return": "no"}, "Not back yet"),
        ("sport_return", {"pain_onset": "sport"}, {"sport_return": "partly"}, "Partly back"),
        ("sport_return", {"pain_onset": "sport"}, {"sport_return": "fully"}, "Fully back"),
    ],
)
def test_verdicts_say_worse_and_sport_in_plain_words(measure, intake, answers, verdict):
    baseline = measures.baseline_of(intake)
    followup = SimpleNamespace(answers=answers)
    found, why, _ = timeline._verdict(measures.MEASURES[measure], baseline, [followup], ["2 weeks"])
    assert found == verdict
    assert "Meaningful:" not in why
