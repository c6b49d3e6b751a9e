"""How long the rule-change impact preview takes over many stored submissions.

Run: .venv/bin/python bench/preview.py [--n 100000] [--database-url URL] [--workers N]
                                       [--old-share 0.2] [--no-baseline]

Stores N submissions in a fresh database (SQLite in a temporary folder, removed afterwards,
unless a URL is given; give PostgreSQL an empty database of its own: the tables are dropped
afterwards) as patients leave them: answers from bench/screening.py's generator (it walks the
questionnaire, so branching is realistic; --distinct different sets, repeated), with the
scores, fired rules and outcome that the rules in force at the time gave. The oldest 20 %
(--old-share) were screened by version 1 (the default rules without the `frail` rule), the
rest by version 2 (the default rules), the version in force; the preview must screen the older
ones again, so --old-share 1 is the slowest case.

Then, for each of a few drafts, it times ``preview.preview`` over all of them and, in the same
run, today's preview before issue 16 (``baseline``: every row read through the ORM's JSON type
and screened in full), and checks that both give the same counts and the same changed
submissions. ``--no-baseline`` skips the old one.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The preview's worker processes run this file again, as "__mp_main__" (as they run
# gunicorn's script in production); like that one, it then imports next to nothing, rather
# than a second of the whole app in each.
if __name__ != "__mp_main__":
    from sqlalchemy import select

    from intake import create_app
    from intake.extensions import db
    from intake.models import RuleSetVersion, Submission
    from intake.screening import questionnaire, rules
    from intake.staff.rules import preview

SEED = 20261123


def _generator():
    spec = importlib.util.spec_from_file_location("screening_bench", ROOT / "bench/screening.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def _edited(change) -> dict:
    data = rules.default_data()
    change(data)
    return data


def _rule(data: dict, rule_id: str) -> dict:
    return next(rule for rule in data["rules"] if rule["id"] == rule_id)


#: The drafts previewed: (what changes, the change).
DRAFTS = [
    (
        "anticoagulant: review -> not advised",
        lambda d: _rule(d, "anticoagulant").update(outcome="not_advised"),
    ),
    (
        "G4 new back pain: age 50 -> 55",
        lambda d: _rule(d, "G4_age_new_onset")["condition"]["all"][1]["any"][0].update(value=55),
    ),
    (
        "first trimester: review -> not advised",
        lambda d: _rule(d, "pregnancy_first_trimester").update(outcome="not_advised"),
    ),
    (
        "diabetes: patient message reworded",
        lambda d: _rule(d, "diabetes").update(patient_message="Reworded."),
    ),
]


def seed(n: int, distinct: int, old_share: float = 0.2) -> None:
    """Publish versions 1 and 2 and store n screened submissions (old_share by version 1)."""
    old_data = _edited(lambda d: d["rules"].remove(_rule(d, "frail")))
    versions = []
    for number, data in ((1, old_data), (2, rules.default_data())):
        version = RuleSetVersion(number=number, data=data, note=f"bench version {number}")
        db.session.add(version)
        db.session.flush()
        versions.append((version.id, rules.compile_ruleset(data)))
    answer_sets = _generator()(min(n, distinct), SEED, questionnaire.MIN_AGE_SELF_CONSENT)
    screened = {}
    batch: list[dict[str, Any]] = []
    for i in range(n):
        version_id, ruleset = versions[0] if i < n * old_share else versions[1]
        key = (i % len(answer_sets), version_id)
        if key not in screened:
            result = rules.screen(answer_sets[key[0]], ruleset)
            screened[key] = (result.scores, [r.to_dict() for r in result.fired], result.outcome)
        scores, fired, outcome = screened[key]
        batch.append(
            {
                "token": f"t{i}",
                "reference": f"DN-B{i:07d}",
                "answers": answer_sets[key[0]],
                "scores": scores,
                "fired": fired,
                "outcome": outcome,
                "questionnaire_version": questionnaire.VERSION,
                "ruleset_version_id": version_id,
            }
        )
        if len(batch) == 10_000 or i == n - 1:
            db.session.execute(Submission.__table__.insert(), batch)
            batch = []
    db.session.commit()


def baseline(data: dict, pain_band_cuts=(4, 6), show: int = 200) -> tuple:
    """Today's preview before issue 16, for comparison: every row read through the ORM's JSON
    type and screened with `rules.screen`; the stored outcome is "before" when the rules in
    force gave it."""
    after_rules = rules.compile_ruleset(data)
    current = db.session.scalars(
        select(RuleSetVersion).order_by(RuleSetVersion.number.desc()).limit(1)
    ).one()
    before_rules = rules.compile_ruleset(current.data)
    query = select(
        Submission.id, Submission.answers, Submission.outcome, Submission.ruleset_version_id
    ).order_by(Submission.id.desc())
    before: Counter = Counter()
    after: Counter = Counter()
    changed = []
    for submission_id, answers, stored, version_id in db.session.execute(
        query.execution_options(yield_per=2000)
    ):
        if version_id == current.id and stored in rules.OUTCOMES:
            old = stored
        else:
            old = rules.screen(answers, before_rules, pain_band_cuts=pain_band_cuts).outcome
        new = rules.screen(answers, after_rules, pain_band_cuts=pain_band_cuts).outcome
        before[old] += 1
        after[new] += 1
        if old != new:
            changed.append((submission_id, old, new))
    return before, after, changed[:show]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=20_000, help="different answer sets")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=None, help="default min(cores, 4)")
    parser.add_argument("--old-share", type=float, default=0.2, help="screened by version 1")
    parser.add_argument("--no-baseline", action="store_true", help="skip the old preview")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())  # the SQLite file, unless a URL is given
    url = args.database_url or f"sqlite:///{folder / 'preview.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    failures = 0
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        seed(args.n, args.distinct, args.old_share)
        took = time.perf_counter() - started
        print(f"stored {args.n:,} screened submissions in {took:.1f} s ({url.split(':')[0]})")
        stored = Counter(db.session.scalars(select(Submission.outcome)))
        print("stored outcomes:", ", ".join(f"{o} {stored[o]:,}" for o in rules.OUTCOMES))
        for label, change in DRAFTS:
            draft = _edited(change)
            result = preview.preview(draft, None, workers=args.workers)
            where = f"{result.workers} worker processes" if result.workers else "one process"
            print(
                f"{label}: {result.seconds:.2f} s, read {result.read:,} of "
                f"{result.screened:,} ({where}), {sum(1 for _ in result.changed)} changed listed"
            )
            if args.no_baseline:
                continue
            started = time.perf_counter()
            before, after, changed = baseline(draft)
            took = time.perf_counter() - started
            same = (before, after, changed) == (
                result.before,
                result.after,
                [(s.id, old, new) for s, old, new in result.changed],
            )
            failures += not same
            print(
                f"  before issue 16: {took:.2f} s ({took / result.seconds:.1f}x); "
                f"same result: {'yes' if same else 'NO'}; "
                f"outcomes changed: {sum(after[o] != before[o] for o in rules.OUTCOMES)} "
                f"({', '.join(f'{o} {after[o] - before[o]:+,}' for o in rules.OUTCOMES)})"
            )
        db.session.remove()
        db.drop_all()
    shutil.rmtree(folder)  # dropped tables leave the file its size (hundreds of MB)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
