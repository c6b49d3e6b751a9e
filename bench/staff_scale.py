"""The staff pages at clinic-chain scale: the requests list, its filters and search, the CSV
export and the dashboard over N booking requests on PostgreSQL.

Run: .venv/bin/python bench/staff_scale.py [--n 1000000] [--database-url URL] [--keep]

It creates its own database (intake_bench_staff on 127.0.0.1 unless --database-url names
another), builds the schema with the app's migrations, and seeds N booking requests with their
submissions in SQL (generate_series; about a minute for a million): eight years of requests,
realistic outcomes (answers, scores and fired rules of generated, screened questionnaires),
statuses that age (new and contacted this week, closed years ago), names, emails and UK mobile
numbers, plus the last 30 days of unfinished questionnaires and unbooked screenings (what the
dashboard counts). Secondary indexes are dropped while seeding and rebuilt after, then ANALYZE.

Then it times each staff page --runs times (after one warm-up) through the Flask test client,
logged in as staff, and prints p50/p95 in ms and the SQL statements each page runs (counted
with a SQLAlchemy before_cursor_execute listener). --keep reuses a database already seeded
with N requests (migrations still run, so a new one is applied and timed). --drop drops the
database at the end (a million requests take about 3 GB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402

from intake import create_app  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.screening import questionnaire, rules  # noqa: E402
from intake.staff.accounts import auth  # noqa: E402
from intake.staff.rules import rulesets  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench_staff"
STAFF_EMAIL, STAFF_PASSWORD = "bench@clinic.example.com", "bench password for staff pages"
YEARS_DAYS = 2920  # eight years, RETENTION_DAYS
#: Outcome shares of booking requests, per mille (emergencies are never offered a booking).
OUTCOME_SHARES = (
    ("suitable", 550),
    ("review", 250),
    ("see_doctor", 100),
    ("not_advised", 70),
    ("not_indicated", 30),
)
FIRST = (  # noqa: SIM905 (a list of words reads best as words)
    "Ada Grace Alan Mary Olu Amara Priya Arjun Wei Mei Tom Sarah James Emma Mohammed Fatima "
    "Liam Olivia Noah Ava Jack Isla Harry Zoe Oscar Ruby Leo Chloe Ravi Aisha Chen Yusuf Ewan "
    "Niamh Siobhan Dylan Cerys Rhys Freya Hamish Kwame Abena Tariq Leila Piotr Zofia Andrei "
    "Elena Tomasz Agnieszka Kofi Ama Hugo Ines Mateo Lucia Sven Ingrid Jonah Maya"
).split()
LAST = (  # noqa: SIM905
    "Lovelace Hopper Turing Seacole Smith Jones Taylor Brown Williams Wilson Johnson Davies "
    "Robinson Wright Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke Patel "
    "Khan Lewis James Phillips Mason Mitchell Rose Davis Rodriguez Cox Alexander Okafor Adeyemi "
    "Mensah Nwosu Chowdhury Begum Hussain Ahmed Ali Singh Kaur Sharma Gupta Nguyen Tran Wong "
    "Chan Lin Kowalski Nowak Wisniewska Popescu Ionescu Murphy Kelly Byrne Ryan OBrien Walsh "
    "MacDonald Campbell Stewart Anderson Scott Reid Murray Fraser Morgan Hughes Price Griffiths "
    "Rees Jenkins Howells Garcia Martinez Lopez Fernandes Silva Costa Rossi Russo Bianchi "
    "Muller Schmidt Weber Larsen Hansen Berg Novak Horvat Petrov Ivanova Yilmaz Demir Haddad "
    "Nasser Farouk Osei Boateng Achterberg Vermeulen Dubois Lefebvre Moreau Girard Fontaine"
).split()
DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "icloud.com",
    "btinternet.com",
    "hotmail.co.uk",
)
DAYS = ('["mon", "wed"]', '["tue", "thu"]', "[]", '["fri"]', '["sat"]', '["mon", "tue", "wed"]')
TIMES = ('["morning"]', '["afternoon"]', '["evening"]', "[]", '["morning", "evening"]')
MESSAGES = ("", "", "", "", "Mornings are best.", "Please call after 5pm.", "Happy to travel.")
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as in intake/patient (no 0/O, 1/I/L)


def sql_array(values) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def h(expr: str, salt: int, modulo: int) -> str:
    """A deterministic pseudo-random number in [0, modulo) from the row number."""
    return f"(abs(hashint8({expr}::bigint * 7919 + {salt})) % {modulo})"


def ensure_database(url: str) -> None:
    target = sa.engine.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def drop_database(url: str) -> None:
    target = sa.engine.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


def seeded_count() -> int:
    if not sa.inspect(db.engine).has_table("booking_requests"):
        return -1
    return db.session.scalar(sa.text("SELECT count(*) FROM booking_requests"))


def screened_templates() -> dict[str, list[tuple[str, str, str]]]:
    """(answers, scores, fired) as JSON, by outcome, of generated and screened questionnaires."""
    spec = importlib.util.spec_from_file_location("screening_bench", ROOT / "bench/screening.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    by_outcome: dict[str, list[tuple[str, str, str]]] = {}
    for answers in module.generate(1500, 20261202, questionnaire.MIN_AGE_SELF_CONSENT):
        result = rules.screen(answers)
        by_outcome.setdefault(result.outcome, []).append(
            (
                json.dumps(answers),
                json.dumps(result.scores),
                json.dumps([rule.to_dict() for rule in result.fired]),
            )
        )
    return by_outcome


def fill_templates(connection) -> None:
    """bench_templates: 1,000 buckets, each an outcome (by OUTCOME_SHARES) and its data."""
    by_outcome = screened_templates()
    fallback = by_outcome.get("suitable") or next(iter(by_outcome.values()))
    connection.execute(
        sa.text(
            "CREATE UNLOGGED TABLE bench_templates (bucket int PRIMARY KEY, outcome text, "
            "answers jsonb, scores jsonb, fired jsonb)"
        )
    )
    rows, bucket = [], 0
    for outcome, share in OUTCOME_SHARES:
        pool = by_outcome.get(outcome) or [(a, s, "[]") for a, s, _ in fallback]
        for i in range(share):
            answers, scores, fired = pool[i % len(pool)]
            rows.append({"b": bucket, "o": outcome, "a": answers, "s": scores, "f": fired})
            bucket += 1
    connection.execute(
        sa.text(
            "INSERT INTO bench_templates VALUES "
            "(:b, :o, CAST(:a AS jsonb), CAST(:s AS jsonb), CAST(:f AS jsonb))"
        ),
        rows,
    )


def reference_sql(i: str) -> str:
    """A unique reference per row: a bijection of the row number onto six alphabet letters."""
    size = len(REFERENCE_ALPHABET)
    x = f"(({i}::bigint * 387420491 + 12345) % {size**6})"
    letters = " || ".join(
        f"substr('{REFERENCE_ALPHABET}', (({x} / {size**k}) % {size})::int + 1, 1)"
        for k in range(5, -1, -1)
    )
    return f"'DN-' || {letters}"


def drop_secondary_indexes(connection) -> list[str]:
    """Drop the non-constraint indexes of the seeded tables; returns their definitions."""
    rows = connection.execute(
        sa.text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
            "current_schema() AND i.tablename IN ('submissions', 'booking_requests', 'drafts') "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
    ).all()
    for name, _ in rows:
        connection.execute(sa.text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


def seed(n: int, ruleset_id: int) -> None:
    """N booking requests over eight years, with submissions; recent drafts and screenings."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    start = now - dt.timedelta(days=YEARS_DAYS)
    step = YEARS_DAYS * 86400 / n
    with db.engine.begin() as connection:
        connection.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_templates"))
        fill_templates(connection)
        definitions = drop_secondary_indexes(connection)
        jitter = f"{h('i', 1, 1000)} / 1000.0"
        at = f"(TIMESTAMP '{start}' + make_interval(secs => (i - 1 + {jitter}) * {step}))"
        t0 = time.perf_counter()
        connection.execute(
            sa.text(
                "INSERT INTO submissions (id, token, reference, answers, scores, fired, outcome, "
                "questionnaire_version, ruleset_version_id, created_at) "
                f"SELECT i, 'bench-' || i, {reference_sql('i')}, t.answers, t.scores, t.fired, "
                f"t.outcome, :version, :ruleset, {at} - make_interval(mins => 2 + {h('i', 2, 20)}) "
                f"FROM generate_series(1, {n}) i "
                f"JOIN bench_templates t ON t.bucket = {h('i', 3, 1000)}"
            ),
            {"version": questionnaire.VERSION, "ruleset": ruleset_id},
        )
        print(f"  submissions: {time.perf_counter() - t0:.1f} s", flush=True)
        age = f"(TIMESTAMP '{now}' - {at})"
        roll = h("i", 4, 100)
        status = (
            f"CASE WHEN {age} < interval '7 days' "
            f"THEN (CASE WHEN {roll} < 60 THEN 'new' ELSE 'contacted' END) "
            f"WHEN {age} < interval '30 days' THEN (CASE WHEN {roll} < 10 THEN 'contacted' "
            f"WHEN {roll} < 85 THEN 'booked' ELSE 'declined' END) "
            f"ELSE (CASE WHEN {roll} < 90 THEN 'closed' WHEN {roll} < 95 THEN 'declined' "
            "ELSE 'booked' END) END"
        )
        first = f"({sql_array(FIRST)})[{h('i', 5, len(FIRST))} + 1]"
        last = f"({sql_array(LAST)})[{h('i', 6, len(LAST))} + 1]"
        t0 = time.perf_counter()
        connection.execute(
            sa.text(
                "INSERT INTO booking_requests (id, submission_id, name, email, phone, "
                "preferred_days, preferred_times, message, consent_privacy, consent_contact, "
                "status, created_at) "
                f"SELECT i, i, {first} || ' ' || {last}, "
                f"lower({first}) || '.' || lower({last}) || {h('i', 7, 100)} || '@' || "
                f"({sql_array(DOMAINS)})[{h('i', 8, len(DOMAINS))} + 1], "
                f"'+447' || lpad({h('i', 9, 1000000000)}::text, 9, '0'), "
                f"(({sql_array(DAYS)})[{h('i', 10, len(DAYS))} + 1])::jsonb, "
                f"(({sql_array(TIMES)})[{h('i', 11, len(TIMES))} + 1])::jsonb, "
                f"({sql_array(MESSAGES)})[{h('i', 12, len(MESSAGES))} + 1], true, true, "
                f"{status}, {at} FROM generate_series(1, {n}) i"
            )
        )
        print(f"  booking requests: {time.perf_counter() - t0:.1f} s", flush=True)
        recent(connection, n, now, ruleset_id)
        t0 = time.perf_counter()
        for definition in definitions:
            connection.execute(sa.text(definition))
        print(f"  {len(definitions)} indexes rebuilt: {time.perf_counter() - t0:.1f} s")
        for table in ("submissions", "booking_requests"):
            connection.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n + 10**6})")
            )
        connection.execute(sa.text("DROP TABLE bench_templates"))


def recent(connection, n: int, now: dt.datetime, ruleset_id: int) -> None:
    """The last 30 days of screenings never booked and of drafts (kept 30 days, then purged)."""
    per_day = max(1, n // YEARS_DAYS)
    unbooked = per_day * 30 // 2
    at = f"(TIMESTAMP '{now}' - make_interval(secs => {h('i', 13, 30 * 86400)}))"
    connection.execute(
        sa.text(
            "INSERT INTO submissions (id, token, reference, answers, scores, fired, outcome, "
            "questionnaire_version, ruleset_version_id, created_at) "
            f"SELECT i, 'bench-' || i, {reference_sql('i')}, t.answers, t.scores, t.fired, "
            f"t.outcome, :version, :ruleset, {at} "
            f"FROM generate_series({n + 1}, {n + unbooked}) i "
            f"JOIN bench_templates t ON t.bucket = {h('i', 3, 1000)}"
        ),
        {"version": questionnaire.VERSION, "ruleset": ruleset_id},
    )
    steps = [step.id for step in questionnaire.STEPS]
    connection.execute(
        sa.text(
            "INSERT INTO drafts (id, answers, last_step, completed_at, purpose, created_at, "
            "updated_at, expires_at) "
            f"SELECT 'bench-draft-' || i, '{{}}'::jsonb, "
            f"({sql_array(steps)})[{h('i', 14, len(steps))} + 1], "
            f"CASE WHEN {h('i', 15, 10)} < 6 THEN {at} + interval '20 minutes' END, 'patient', "
            f"{at}, {at} + interval '10 minutes', {at} + interval '1 day' "
            f"FROM generate_series(1, {per_day * 30 * 2}) i"
        )
    )


def prepare(app, n: int, keep: bool) -> None:
    with app.app_context():
        count = seeded_count()
        db.session.remove()  # end its transaction: the migrations need the table's locks
        if keep and count >= n:
            print(f"Reusing the database: {count:,} booking requests.")
        else:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        t0 = time.perf_counter()
        flask_migrate.upgrade()
        print(f"Migrations: {time.perf_counter() - t0:.1f} s")
        version = rulesets.seed_default()
        if auth.find_user(STAFF_EMAIL) is None:
            auth.create_user(STAFF_EMAIL, STAFF_PASSWORD, "staff")
        db.session.commit()
        if keep and count >= n:
            return
        version_id = (
            version.id
            if version
            else db.session.scalar(sa.text("SELECT min(id) FROM ruleset_versions"))
        )
        db.session.remove()
        print(f"Seeding {n:,} booking requests…", flush=True)
        t0 = time.perf_counter()
        seed(n, version_id)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        print(f"Seeded and analysed in {time.perf_counter() - t0:.1f} s")


class QueryCounter:
    """Counts the SQL statements the engine sends."""

    def __init__(self, engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.count += 1


def time_page(client, counter: QueryCounter, url: str, runs: int) -> dict:
    """Warm up once, then time `runs` GETs (reading the whole body, streamed or not)."""
    samples, queries, size, status = [], 0, 0, 0
    for attempt in range(runs + 1):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        response.close()
        status, size, queries = response.status_code, len(body), counter.count
        if attempt:
            samples.append(elapsed)
        if elapsed > 5000 and attempt >= 3:
            break  # slow pages: a few samples are enough
    return {
        "p50": statistics.median(samples),
        "p95": statistics.quantiles(samples, n=20, method="inclusive")[18]
        if len(samples) > 1
        else samples[0],
        "runs": len(samples),
        "queries": queries,
        "status": status,
        "bytes": size,
        "rows": body.count(b"\n") - 1 if url.startswith("/staff/requests.csv") else None,
    }


def pages(app, big_export: bool) -> list[tuple[str, str]]:
    """(label, URL) of each page to time, with search terms taken from the data."""
    with app.app_context():
        total = db.session.scalar(sa.text("SELECT count(*) FROM booking_requests"))
        deep_page = max(2, min(2000, total // 50))  # page 2000: OFFSET 49,975 in pages of 25
        deep = db.session.execute(
            sa.text(
                "SELECT created_at, id FROM booking_requests ORDER BY created_at DESC, id DESC "
                "OFFSET :offset LIMIT 1"
            ),
            {"offset": (deep_page - 1) * 25 - 1},
        ).first()
        sample = db.session.execute(
            sa.text(
                "SELECT s.reference, b.name, b.phone FROM booking_requests b JOIN submissions s "
                "ON s.id = b.submission_id ORDER BY b.id LIMIT 1 OFFSET "
                "(SELECT count(*) / 3 FROM booking_requests)"
            )
        ).first()
        newest = db.session.scalar(sa.text("SELECT max(created_at) FROM booking_requests"))
    month_end = newest.date().replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    cursor = f"{deep.created_at.isoformat(timespec='microseconds')}~{deep.id}"
    national = "0" + sample.phone[3:8]  # +447412345678 -> 07412
    urls = [
        ("list page 1", "/staff/requests"),
        (f"deep page (page {deep_page})", f"/staff/requests?page={deep_page}&after={cursor}"),
        ("outcome filter (see a doctor)", "/staff/requests?outcome=see_doctor"),
        (
            "outcome + status (not indicated, new)",
            "/staff/requests?outcome=not_indicated&status=new",
        ),
        ("search: reference", f"/staff/requests?q={sample.reference.lower()}"),
        ("search: surname", f"/staff/requests?q={sample.name.split()[1]}"),
        ("search: phone digits", f"/staff/requests?q={national}+{sample.phone[8:10]}"),
        (
            "CSV export, one month",
            f"/staff/requests.csv?date_from={month_start}&date_to={month_end}",
        ),
        ("dashboard", "/staff/"),
    ]
    if big_export:
        since = newest.date() - dt.timedelta(days=YEARS_DAYS * 200_000 // 1_000_000)
        urls.append(("CSV export, about 200,000 rows", f"/staff/requests.csv?date_from={since}"))
    return urls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--big-export", action="store_true", help="also time one export of ~200,000 rows"
    )
    parser.add_argument("--only", default="", help="time only pages whose label contains this")
    args = parser.parse_args()
    ensure_database(args.database_url)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "LOGIN_LIMIT": "1000 per minute",
        }
    )
    prepare(app, args.n, args.keep)
    client = app.test_client()
    login = client.post("/staff/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert login.status_code == 302, login.status_code
    with app.app_context():
        counter = QueryCounter(db.engine)
        total = db.session.scalar(sa.text("SELECT count(*) FROM booking_requests"))
    print(f"\n{total:,} booking requests; {args.runs} runs per page after one warm-up\n")
    print(f"{'page':40} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8} {'runs':>5}  notes")
    for label, url in pages(app, args.big_export):
        if args.only and args.only not in label:
            continue
        runs = 1 if "200,000" in label else args.runs
        result = time_page(client, counter, url, runs)
        note = f"HTTP {result['status']}, {result['bytes']:,} bytes"
        if result["rows"] is not None:
            note += f", {result['rows']:,} rows"
        print(
            f"{label:40} {result['p50']:9.1f} {result['p95']:9.1f} {result['queries']:8d} "
            f"{result['runs']:5d}  {note}",
            flush=True,
        )
    if args.drop:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(args.database_url)
        print("Database dropped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
