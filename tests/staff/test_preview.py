"""The impact preview gives what a straightforward full re-screen gives, reads only the
submissions a change can affect, and works in worker processes (issue 16). SQLite and
PostgreSQL (the `app` fixture runs each test on both)."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import RuleSetVersion, Submission
from intake.screening import facts, impact, rules
from intake.staff.rules import preview
from tests.screening.generated import walk

#: A few stored answer sets no form would make, and one stored outcome no version gives.
ODD = [{}, [], "answers", {"anticoagulant": True}, {"age": 15, "pain_regions": ["neck"]}]


def _rule(data: dict, rule_id: str) -> dict:
    return next(rule for rule in data["rules"] if rule["id"] == rule_id)


def _edited(change) -> dict:
    data = rules.default_data()
    change(data)
    return data


def _not_pregnant(data: dict) -> None:
    """A new rule that fires when nothing is answered."""
    new = dict(_rule(data, "diabetes"), id="not_pregnant")
    new["condition"] = {"not": {"fact": "pregnant", "op": "is_true"}}
    data["rules"].append(new)


DRAFTS = {
    "outcome": lambda d: _rule(d, "anticoagulant").update(outcome="not_advised"),
    "value": lambda d: _rule(d, "G4_age_new_onset")["condition"]["all"][1]["any"][0].update(
        value=45
    ),
    "derived": lambda d: _rule(d, "pregnancy_first_trimester").update(outcome="not_advised"),
    "words": lambda d: _rule(d, "diabetes").update(patient_message="Reworded."),
    "fires_on_nothing": _not_pregnant,
    "disabled": lambda d: _rule(d, "E1_bladder").update(enabled=False),
    "indication": lambda d: d["indication"].update(
        condition={"fact": "pain_region_count", "op": "ge", "value": 2}
    ),
    "minimum_age": lambda d: d["settings"].update(min_age_self_consent=16),
    "score": lambda d: _rule(d, "frail").update(
        condition={"fact": "pain_band", "op": "eq", "value": "severe"}
    ),
}


def store(
    answer_sets: list[Any],
    old_share: float = 0.3,
    odd_share: float = 0.02,
    in_force: dict | None = None,
) -> int:
    """Publish version 2 (`in_force`, default: the default rules; version 1: the default rules
    without `frail`), store these submissions as screened by 1 or 2 (real outcomes), with a
    stored outcome no version gives now and then; returns the id of version 2."""
    seed = 7
    rng = random.Random(seed)
    first = db.session.scalars(select(RuleSetVersion)).one()
    first.data = _edited(lambda d: d["rules"].remove(_rule(d, "frail")))
    current = RuleSetVersion(number=2, data=in_force or rules.default_data(), note="version 2")
    db.session.add(current)
    db.session.flush()
    by_version = {v.id: rules.compile_ruleset(v.data) for v in (first, current)}
    for i, answers in enumerate(answer_sets):
        version = first.id if rng.random() < old_share else current.id
        outcome = rules.screen(answers, by_version[version]).outcome
        db.session.add(
            Submission(
                token=f"t{i}",
                reference=f"DN-P{i:05d}",
                answers=answers,
                scores={},
                fired=[],
                outcome="unknown" if rng.random() < odd_share else outcome,
                questionnaire_version="test",
                ruleset_version_id=version,
            )
        )
    db.session.commit()
    return current.id


def mixed(n: int = 300) -> list[Any]:
    return [walk(random.Random(i)) for i in range(n)] + ODD


def full_re_screen(data: dict, limit: int | None) -> tuple:
    """Every submission screened with both rule sets, straightforwardly."""
    before_rules = rules.compile_ruleset(
        db.session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.number.desc()))
        .first()
        .data
    )
    after_rules = rules.compile_ruleset(data)
    query = select(Submission.id, Submission.answers).order_by(Submission.id.desc()).limit(limit)
    before, after, changed = Counter(), Counter(), []
    for submission_id, answers in db.session.execute(query):
        old = rules.screen(answers, before_rules).outcome
        new = rules.screen(answers, after_rules).outcome
        before[old] += 1
        after[new] += 1
        if old != new:
            changed.append((submission_id, old, new))
    return sum(before.values()), before, after, changed


def result(found: preview.Preview) -> tuple:
    changed = [(s.id, old, new) for s, old, new in found.changed]
    return found.screened, found.before, found.after, changed


@pytest.mark.parametrize("draft", sorted(DRAFTS))
def test_preview_equals_a_full_re_screen(app, draft: str) -> None:
    data = _edited(DRAFTS[draft])
    with app.app_context():
        store(mixed())
        for limit in (None, 37, 1):
            expected = full_re_screen(data, limit)
            assert result(preview.preview(data, limit, show=1000)) == expected
        shown = preview.preview(data, None, show=5).changed  # the newest changes
        assert [s.id for s, _, _ in shown] == [i for i, _, _ in full_re_screen(data, None)[3][:5]]


@pytest.mark.parametrize(
    ("draft", "in_force"),
    [("outcome", None), ("derived", None), ("minimum_age", None), ("score", None), (None, "score")],
)
def test_all_submissions_from_an_older_version(app, draft: str | None, in_force) -> None:
    """The slowest case: every submission is read and screened with the rules in force and,
    where the changed rules can fire on its facts (some only), with the draft; with the facts
    worked out once when both have the same minimum age and the rules in force read no score
    (here the draft and the rules in force swap roles too: the rules in force read one)."""
    data = _edited(DRAFTS[draft]) if draft else rules.default_data()
    with app.app_context():
        store(mixed(), old_share=1, odd_share=0, in_force=in_force and _edited(DRAFTS[in_force]))
        found = preview.preview(data, None, show=1000, workers=1)
        assert result(found) == full_re_screen(data, None)
        assert found.read == found.screened
        assert 0 < len(found.changed) < found.screened


def test_a_preview_that_fails_midway_leaves_the_session_usable(app, monkeypatch) -> None:
    """Stopped while reading (on PostgreSQL: while streaming), the query is cancelled: the
    session, rolled back, works (as it does at the end of the failed request)."""
    call = impact.Rescreen.__call__
    calls = []

    def fail_second(self, chunk: impact.Chunk) -> impact.Tally:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("stop")
        return call(self, chunk)

    monkeypatch.setattr(impact.Rescreen, "__call__", fail_second)
    monkeypatch.setattr(preview, "CHUNK", 20)
    data = _edited(DRAFTS["outcome"])
    with app.app_context():
        store(mixed(), old_share=1)
        with pytest.raises(RuntimeError, match="stop"):
            preview.preview(data, None, workers=1)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Submission)) == len(mixed())
        monkeypatch.setattr(impact.Rescreen, "__call__", call)
        assert result(preview.preview(data, None, show=1000)) == full_re_screen(data, None)


def test_worker_processes_give_the_same(app, monkeypatch) -> None:
    started = []
    start = preview._Pool.start

    def spy(pool: preview._Pool) -> None:
        start(pool)
        started.append(pool.executor is not None)

    monkeypatch.setattr(preview._Pool, "start", spy)
    monkeypatch.setattr(preview, "IN_PROCESS_ROWS", 0)
    monkeypatch.setattr(preview, "CHUNK", 20)
    data = _edited(DRAFTS["outcome"])
    with app.app_context():
        store(mixed(), old_share=0.5)
        assert result(preview.preview(data, None, show=1000, workers=2)) == full_re_screen(
            data, None
        )
        assert started and all(started)


def _die(*setup) -> None:
    """A worker that dies as it starts (in the worker process)."""
    import os

    os._exit(3)


def test_failed_workers_leave_their_rows_to_this_process(app, monkeypatch, caplog) -> None:
    monkeypatch.setattr(impact, "start_worker", _die)
    monkeypatch.setattr(preview, "IN_PROCESS_ROWS", 0)
    monkeypatch.setattr(preview, "CHUNK", 20)
    data = _edited(DRAFTS["outcome"])
    with app.app_context():
        store(mixed(), old_share=0.5)
        found = preview.preview(data, None, show=1000, workers=2)
        assert result(found) == full_re_screen(data, None)
    assert "worker processes failed" in caplog.text


def _read_ids(monkeypatch) -> list[int]:
    """The ids of the submissions the preview reads (screened in this process)."""
    read: list[int] = []
    call = impact.Rescreen.__call__

    def spy(self, chunk: impact.Chunk):
        read.extend(chunk.ids)
        return call(self, chunk)

    monkeypatch.setattr(impact.Rescreen, "__call__", spy)
    return read


def test_a_change_no_outcome_depends_on_reads_no_submission(app, monkeypatch) -> None:
    read = _read_ids(monkeypatch)
    data = _edited(DRAFTS["words"])
    with app.app_context():
        store(mixed(), old_share=0, odd_share=0)
        found = preview.preview(data, None, show=1000, workers=1)
        assert read == [] and found.read == 0
        assert result(found)[:3] == full_re_screen(data, None)[:3]


def test_a_change_reads_only_the_submissions_it_can_change(app, monkeypatch) -> None:
    """anticoagulant: review -> not advised. Read: those screened by version 1 or with an
    outcome no version gives, and, of the rest, those with blood thinners (the rule's inputs)
    whose outcome is not more severe than review."""
    read = _read_ids(monkeypatch)
    data = _edited(DRAFTS["outcome"])
    with app.app_context():
        current_id = store(mixed())
        expected = set()
        for row in db.session.execute(select(Submission)).scalars():
            trusted = row.ruleset_version_id == current_id and row.outcome in rules.OUTCOMES
            answers = row.answers if isinstance(row.answers, dict) else {}
            thinners = facts.derive(answers).get("anticoagulant") is True
            if not trusted or (thinners and row.outcome not in ("emergency", "see_doctor")):
                expected.add(row.id)
        found = preview.preview(data, None, show=1000, workers=1)
        assert sorted(read) == sorted(expected) and found.read == len(expected)
        assert 0 < len(expected) < found.screened
        assert result(found) == full_re_screen(data, None)


def test_the_database_picks_out_answers_as_json_would(app) -> None:
    answers = {
        "yes": True,
        "one": 1,
        "one_point_o": 1.0,
        "nothing": None,
        "text": 'José says "hi" \\ ok',
        "list": [1, "x", None, True],
        "nested": {"a": [2.5]},
        "big": 12345678901234567890,
    }
    with app.app_context():
        store([answers, ["yes"], "yes"], old_share=0)
        names = [*sorted(answers), "absent"]
        query = select(Submission.id, *[preview._answer(name) for name in names])
        rows = db.session.execute(query.order_by(Submission.id)).all()
        picked = dict(zip(names, rows[0][1:], strict=True))
        for name in names:
            if name == "absent":
                assert picked[name] is None
            else:
                value = json.loads(picked[name])
                assert value == answers[name] and type(value) is type(answers[name]), name
        assert all(value is None for row in rows[1:] for value in row[1:])
