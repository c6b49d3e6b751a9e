"""The staff outcomes report (issue 12) over N patients with three follow-ups each.

Run: .venv/bin/python bench/outcomes.py [--n 10000] [--runs 10] [--databases sqlite,postgresql]
                                        [--postgres-url URL] [--keep] [--unstored]

For each database (SQLite in a temporary folder; PostgreSQL in its own database,
intake_bench_outcomes on 127.0.0.1 unless --postgres-url names another, dropped afterwards
unless --keep) it creates the schema, publishes the default rules and bulk-inserts (executemany,
10,000 rows a statement batch) N booked, opted-in patients: intake answers of generated and
screened questionnaires (bench/screening.py's generator, so branching and outcomes are
realistic), PSFS activities for 70 %, first appointments over the last year; and 3 follow-ups
each (2, 6 and 12 weeks: 3N rows), about three in four answered with plausible answers
(tests/followup/outcome_data.py), the rest missed or still open, flags and stored results
(intake/followup/results.py) as answering gives them; --unstored leaves the results out, as for
follow-ups answered before results were stored, which the report works out again.

Then, logged in as staff through the Flask test client, it times GET /staff/outcomes and GET
/staff/outcomes.csv --runs times each after one warm-up, and prints p50/p95 in ms, the SQL
statements each ran, the median CPU time of this process per request (the app's own work; on
PostgreSQL the server's is not in it), and the target (1 s). Exit 1 when a p50 misses it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake import create_app  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.followup import measures, results  # noqa: E402
from intake.followup.models import FollowUp  # noqa: E402
from intake.models import BookingRequest, Submission  # noqa: E402
from intake.screening import questionnaire, rules  # noqa: E402
from intake.staff.accounts import auth  # noqa: E402
from intake.staff.rules import rulesets  # noqa: E402
from tests.followup.outcome_data import ACTIVITIES, effect_of, followup_answers  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench_outcomes"
STAFF_EMAIL, STAFF_PASSWORD = "bench@clinic.example.com", "bench password for the outcomes"
TARGET_MS = 1000
BATCH = 10_000
SEED = 20261202


def intakes(count: int) -> list[tuple[dict, dict, str]]:
    """(answers, scores, outcome) of `count` generated and screened questionnaires."""
    spec = importlib.util.spec_from_file_location("screening_bench", ROOT / "bench/screening.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sets = module.generate(count, SEED, questionnaire.MIN_AGE_SELF_CONSENT)
    screened = [(answers, rules.screen(answers)) for answers in sets]
    return [(answers, result.scores, result.outcome) for answers, result in screened]


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(table.insert(), rows[start : start + BATCH])


def seed(n: int, stored: bool = True) -> int:
    """N patients with 3 follow-ups each; returns the number of follow-ups."""
    rng = random.Random(SEED)
    today = dt.date.today()
    version = db.session.scalar(sa.select(sa.func.min(Submission.ruleset_version_id))) or 1
    pool = intakes(1500)
    submissions, bookings, followups = [], [], []
    for i in range(1, n + 1):
        answers, scores, outcome = pool[i % len(pool)]
        psfs = (
            [
                {"activity": activity, "score": rng.randint(1, 6)}
                for activity in rng.sample(ACTIVITIES, rng.randint(1, 3))
            ]
            if rng.random() < 0.7
            else []
        )
        first = today - dt.timedelta(days=rng.randint(0, 365))
        submissions.append(
            {
                "id": i,
                "token": f"bench-{i}",
                "reference": f"DN-B{i:07d}",
                "answers": answers,
                "scores": scores,
                "fired": [],
                "outcome": outcome,
                "questionnaire_version": questionnaire.VERSION,
                "ruleset_version_id": version,
            }
        )
        bookings.append(
            {
                "id": i,
                "submission_id": i,
                "name": "Bench Patient",
                "email": f"patient{i}@example.com",
                "phone": "+447700900123",
                "preferred_days": [],
                "preferred_times": [],
                "message": "",
                "status": "booked",
                "followup_consent": True,
                "psfs_baseline": psfs or None,
                "first_appointment_on": first,
            }
        )
        baseline = measures.baseline_of(answers, psfs, scores)
        effect = effect_of(rng)
        for number, weeks in enumerate((2, 6, 12), start=1):
            due = dt.datetime.combine(first + dt.timedelta(weeks=weeks), dt.time(9))
            roll = rng.random()
            status = "answered" if roll < 0.75 else "missed" if roll < 0.95 else "sent"
            reply = followup_answers(rng, answers, psfs, weeks, effect) if roll < 0.75 else None
            followups.append(
                {
                    "booking_request_id": i,
                    "number": number,
                    "weeks": weeks,
                    "due_at": due,
                    "expires_at": due + dt.timedelta(weeks=4),
                    "status": status,
                    "sent_at": due,
                    "reminded_at": None,
                    "answered_at": due + dt.timedelta(days=2) if reply else None,
                    "answers": reply,
                    "flags": measures.flags(baseline, reply) if reply else [],
                    "results": results.of(baseline, reply) if reply and stored else None,
                    "flags_seen_at": None,
                    "held": None,
                }
            )
    _insert(Submission.__table__, submissions)
    _insert(BookingRequest.__table__, bookings)
    _insert(FollowUp.__table__, followups)
    db.session.commit()
    return len(followups)


class QueryCounter:
    """Counts the SQL statements the engine sends."""

    def __init__(self, engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.count += 1


def time_page(client, counter: QueryCounter, url: str, runs: int) -> dict:
    samples, cpu, queries, size = [], [], 0, 0
    for attempt in range(runs + 1):
        counter.count = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        queries, size = counter.count, len(body)
        if attempt:
            samples.append(elapsed)
            cpu.append((time.process_time() - cpu_started) * 1000)
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18] if runs > 1 else samples[0]
    return {
        "p50": statistics.median(samples),
        "p95": p95,
        "cpu": statistics.median(cpu),
        "queries": queries,
        "bytes": size,
    }


def ensure_database(url: str, drop: bool = False) -> None:
    target = sa.engine.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop:
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def run(label: str, url: str, n: int, runs: int, stored: bool = True) -> bool:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "LOGIN_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        rulesets.seed_default()
        auth.create_user(STAFF_EMAIL, STAFF_PASSWORD, "staff")
        db.session.commit()
        started = time.perf_counter()
        count = seed(n, stored)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        print(
            f"\n{label}: {n:,} patients, {count:,} follow-ups seeded in "
            f"{time.perf_counter() - started:.1f} s"
            + ("" if stored else " (no stored results: all worked out again)"),
            flush=True,
        )
        counter = QueryCounter(db.engine)
    client = app.test_client()
    login = client.post("/staff/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert login.status_code == 302, login.status_code
    ok = True
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} cores (a busy machine slows every figure)")
    print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}  notes")
    for name, url in (
        ("outcomes report", "/staff/outcomes"),
        ("outcomes CSV", "/staff/outcomes.csv"),
    ):
        result = time_page(client, counter, url, runs)
        met = result["p50"] <= TARGET_MS
        ok = ok and met
        print(
            f"{name:24} {result['p50']:8.1f} {result['p95']:8.1f} {result['cpu']:8.1f} "
            f"{result['queries']:8d}  "
            f"{result['bytes']:,} bytes; target {TARGET_MS} ms {'met' if met else 'MISSED'}",
            flush=True,
        )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="patients (3 follow-ups each)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--unstored", action="store_true", help="seed follow-ups without stored results"
    )
    args = parser.parse_args()
    ok = True
    for database in args.databases.split(","):
        if database == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="outcomes-bench-"))
            try:
                url = f"sqlite:///{folder / 'bench.db'}"
                ok &= run("SQLite", url, args.n, args.runs, not args.unstored)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        elif database == "postgresql":
            ensure_database(args.postgres_url)
            try:
                ok &= run("PostgreSQL", args.postgres_url, args.n, args.runs, not args.unstored)
            finally:
                if not args.keep:
                    ensure_database(args.postgres_url, drop=True)
        else:
            parser.error(f"unknown database {database!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
