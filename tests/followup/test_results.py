"""Each answered follow-up's result, stored when the patient answers (intake/followup/results.py):
what is stored equals what the report would work out from the answers, the report reads the
stored result, and follow-ups without a current one (answered before results were stored, or of
an older results.VERSION) are worked out again and counted the same."""

from __future__ import annotations

import json
import random

from sqlalchemy import select, update

from intake.extensions import db
from intake.followup import measures, report, report_data, responses, results
from intake.followup.models import FollowUp
from intake.models import BookingRequest
from tests.answers import patient
from tests.followup.outcome_data import (
    add_followup,
    add_patient,
    effect_of,
    followup_answers,
    realistic_intake,
    seed_realistic,
)
from tests.followup.test_patient_followup import answer, booked, followup_link, get_followup

SCHEDULE = (2, 6, 12)


def summary(built: report.Report) -> list:
    """Every number of a report, suppressed cells included (their hidden counts too)."""
    found: list = [built.weeks, built.opted_in, built.answered]
    for item in built.claims:
        rows = [item.overall, item.pgic] + [r for _, rows in item.breakdowns for r in rows]
        for row in rows:
            found.append(
                (item.claim.id, row.label, [(c.met, c.n, c.suppressed) for c in row.cells])
            )
    found += [(r.weeks, r.sent, r.still_open, r.rate.met, r.rate.n) for r in built.response]
    return found


def store_results(version: int = results.VERSION) -> int:
    """Store every answered follow-up's result as answering does; how many were stored."""
    answered = db.session.scalars(select(FollowUp).where(FollowUp.status == "answered")).all()
    for followup in answered:
        followup.results = {
            **results.of(responses.baseline(followup), followup.answers),
            "version": version,
        }
    db.session.commit()
    return len(answered)


def test_a_result_holds_what_the_report_counts():
    """For plausible patients: the claims counting the patient, the responder of each claim's
    measure and of PGIC are what the report works out from the answers, after a JSON trip."""
    rng = random.Random(12)
    met_seen = set()
    for _ in range(300):
        intake, _, psfs = realistic_intake(rng)
        baseline = measures.baseline_of(intake, psfs)
        answers = followup_answers(rng, intake, psfs, rng.choice(SCHEDULE), effect_of(rng))
        stored = json.loads(json.dumps(results.of(baseline, answers)))
        version, group, claims, *met = results.report_fields(stored)
        assert (version, group) == (results.VERSION, baseline.group)
        for claim in measures.CLAIMS:
            assert (claim.id in claims) is measures.in_population(claim, baseline)
            i = results.REPORT_MEASURES.index(claim.measure)
            assert met[i] == report.responder_of(claim.measure, baseline, answers)
            met_seen.add((claim.measure, met[i]))
        pgic = measures.responder("pgic", None, measures.measure_values(answers)["pgic"])
        assert met[results.REPORT_MEASURES.index("pgic")] == pgic
    for measure in ("nprs_avg", "psfs", "peg", "medicine_days", "sport_return"):
        assert {(measure, True), (measure, False)} <= met_seen  # both outcomes were met


def test_answering_stores_the_result_and_the_report_reads_it(app):
    followup_id, token = followup_link(app, booked(app))
    answer(app.test_client(), token)
    followup = get_followup(app, followup_id)
    with app.app_context():
        booking = db.session.get(BookingRequest, followup.booking_request_id)
        submission = booking.submission
        baseline = measures.baseline_of(
            submission.answers, booking.psfs_baseline, submission.scores
        )
        expected = json.loads(json.dumps(results.of(baseline, followup.answers)))
        assert followup.results == expected
        assert followup.results["version"] == results.VERSION
        assert "movement" in followup.results["claims"]  # named PSFS activities at booking
        assert followup.results["measures"]["psfs"] == {
            "before": 3.5,
            "after": 6.5,
            "responder": True,
        }
        rows, patients = report_data.answered([])
        assert patients == {booking.id} and rows[0][5] == results.report_fields(expected)
        assert movement(rows) == [1, 1]  # PSFS 3.5 -> 6.5: met
        # the report counts what is stored: a stored "not met" is counted as not met
        changed = json.loads(json.dumps(followup.results))
        changed["measures"]["psfs"]["responder"] = False
        db.session.execute(
            update(FollowUp).where(FollowUp.id == followup_id).values(results=changed)
        )
        db.session.commit()
        assert movement(report_data.answered([])[0]) == [0, 1]


def movement(rows: list) -> list[int]:
    """[met, counted] of "Regained movement" at 2 weeks, all patients (small cells included)."""
    tallies = report._tally(report._latest(rows).values())
    return tallies[("movement", "measure", "all", "all", 2)]


def test_stored_and_worked_out_results_give_the_same_report(app, monkeypatch):
    worked_out = []
    original = report_data._worked_out

    def spy(*args):
        rows, patients = original(*args)
        worked_out.append(len(rows))
        return rows, patients

    monkeypatch.setattr(report_data, "_worked_out", spy)
    with app.app_context():
        seed_realistic(70, seed=4)
        before = summary(report.build(report.ReportFilter(), SCHEDULE))  # none stored
        assert worked_out and worked_out[-1] > 100
        assert store_results() > 100
        worked_out.clear()
        stored = summary(report.build(report.ReportFilter(), SCHEDULE))
        assert worked_out == []  # every result read as stored
        assert stored == before
        # some answered before results were stored, some of an older version
        ids = db.session.scalars(select(FollowUp.id).where(FollowUp.status == "answered")).all()
        db.session.execute(update(FollowUp).where(FollowUp.id.in_(ids[::3])).values(results=None))
        old = [
            {**f.results, "version": 0}
            for f in db.session.scalars(select(FollowUp).where(FollowUp.id.in_(ids[1::3])))
        ]
        for followup_id, result in zip(ids[1::3], old, strict=True):
            db.session.execute(
                update(FollowUp).where(FollowUp.id == followup_id).values(results=result)
            )
        db.session.commit()
        mixed = summary(report.build(report.ReportFilter(), SCHEDULE))
        assert worked_out == [len(ids[::3]) + len(ids[1::3])]
        assert mixed == before
    counted = [
        n
        for claim in before[3:]
        if isinstance(claim, tuple) and len(claim) == 3
        for _, n, _ in claim[2]
    ]
    assert max(counted) >= 20  # a report with something in it


def test_a_follow_up_answered_before_results_were_stored_is_still_counted(app):
    with app.app_context():
        stored = add_patient(patient(peg_pain_avg_week=6))
        unstored = add_patient(patient(peg_pain_avg_week=6))
        add_followup(stored, 2, {"peg_pain_avg_week": 2, "pgic": 1})
        add_followup(unstored, 2, {"peg_pain_avg_week": 5, "pgic": 4})
        # answered twice at 2 weeks: the later answer (not stored) counts
        later = add_followup(stored, 2, {"peg_pain_avg_week": 6, "pgic": 4}, number=9)
        later.answered_at = later.answered_at.replace(hour=23)
        db.session.commit()
        store_results()
        db.session.execute(update(FollowUp).where(FollowUp.id == later.id).values(results=None))
        db.session.commit()
        built = report.build(report.ReportFilter(), SCHEDULE)
    pain = next(item for item in built.claims if item.claim.id == "pain_relief")
    cell = pain.overall.cells[0]
    assert built.answered == 2 and (cell.met, cell.n) == (0, 2)
    assert (pain.pgic.cells[0].met, pain.pgic.cells[0].n) == (0, 2)
