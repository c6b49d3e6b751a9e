"""Soak: patient journeys for ~10 minutes with an outbox worker and an unreliable mail server.

Run: .venv/bin/python bench/soak.py [--duration 600] [--concurrency 8] [--failure-rate 0.2]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--keep]

What runs, all on 127.0.0.1 (the processes and the client come from bench/load.py):

- gunicorn with this repository's gunicorn.conf.py and 2 sync workers, on a new PostgreSQL
  schema (migrated and seeded), with worker recycling off (`--max-requests 0`) so that memory
  growth shows instead of being reset every 1,000 requests;
- an `outbox work` process (retries after 1 s doubling to 8 s, so it drains within the run);
- an SMTP server (aiosmtpd, in this process) that fails `--failure-rate` of the messages, each
  fault picked at random: 451 or 550 to the first recipient (a partial refusal for the two
  clinic addresses), 451 or 550 to the message, or the connection dropped after the data;
- `--concurrency` patients (threads) walking BACK_PAIN_SUITABLE to a booking, over and over.

After a warm-up it records the resident memory (RSS) of every server process, runs the
journeys in slices (one line each), waits for the outbox to drain, then checks every email:
each booking must have queued two, and each must have ended `sent` (every recipient's copy
received, by Message-ID) or `failed` with a reason. It prints the errors (failed journeys,
tracebacks and failed runs in the logs; target 0), the emails lost (target 0), and each
process's RSS at the start and the end (growth under 10 %). Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from tests.smtp import SmtpServer, free_port  # noqa: E402

CLINIC_EMAIL = "front-desk@clinic.example.com,physio@clinic.example.com"
FAULTS = ("451 at RCPT", "550 at RCPT", "451 at DATA", "550 at DATA", "disconnect")
MAX_GROWTH = 0.10


class FlakySink:
    """An aiosmtpd handler that fails `rate` of the messages and counts what it accepted.

    `received` counts (Message-ID, recipient) pairs of the messages it answered 250 to.
    """

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.received: Counter[tuple[str, str]] = Counter()
        self.faults: Counter[str] = Counter()
        self.transactions = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.fault = self.random.choice(FAULTS) if self.random.random() < self.rate else None
        envelope.refused_one = False
        with self.lock:
            self.transactions += 1
            if envelope.fault:
                self.faults[envelope.fault] += 1
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fault = getattr(envelope, "fault", None)
        if fault in ("451 at RCPT", "550 at RCPT") and not envelope.refused_one:
            envelope.refused_one = True
            if fault.startswith("451"):
                return "451 4.2.1 Mailbox busy, try again later"
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = getattr(envelope, "fault", None)
        if fault == "disconnect":
            server.transport.close()
            return "421 4.3.0 Closing"
        if fault == "451 at DATA":
            return "451 4.3.0 Try again later"
        if fault == "550 at DATA":
            return "550 5.7.1 Message rejected"
        headers = BytesHeaderParser(policy=policy.default).parsebytes(envelope.content)
        message_id = str(headers["Message-ID"]).strip()
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[(message_id, address)] += 1
        return "250 OK"


# Memory ------------------------------------------------------------------------------------


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers)."""
    try:
        return sorted(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return []


def processes(gunicorn: load.Process, worker: load.Process) -> dict[str, int]:
    """Role → pid of every server process."""
    roles = {"gunicorn master": gunicorn.popen.pid}
    for number, pid in enumerate(children(gunicorn.popen.pid), 1):
        roles[f"gunicorn worker {number}"] = pid
    roles["outbox worker"] = worker.popen.pid
    return roles


# The outbox, checked -----------------------------------------------------------------------


def waiting(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
        ).scalar_one()


def account(engine: sa.Engine, sink: FlakySink) -> dict:
    """Every queued email: sent (and received by each recipient) or failed with a reason."""
    with engine.connect() as connection:
        bookings = connection.execute(sa.text("SELECT count(*) FROM booking_requests")).scalar()
        rows = connection.execute(
            sa.text(
                "SELECT message_id, recipients, delivered_to, status, last_error, attempts, "
                "permanent_failures FROM outbox"
            )
        ).all()
    with sink.lock:
        received = Counter(sink.received)
    found: dict = {"bookings": bookings, "emails": len(rows), "status": Counter()}
    found["attempts"] = sum(row.attempts for row in rows)
    found["reasons"] = Counter()
    lost = {"not queued": max(0, 2 * bookings - len(rows)), "not received": 0}
    lost |= {"still waiting": 0, "failed without a reason": 0}
    for row in rows:
        found["status"][row.status] += 1
        should_have = row.recipients if row.status == "sent" else (row.delivered_to or [])
        if any(received[(row.message_id, address)] == 0 for address in should_have):
            lost["not received"] += 1
        if row.status in ("pending", "sending"):
            lost["still waiting"] += 1
        if row.status == "failed":
            if not row.last_error:
                lost["failed without a reason"] += 1
            found["reasons"][(row.last_error or "").split(":")[0]] += 1
    found["lost"] = lost
    found["duplicates"] = sum(count - 1 for count in received.values() if count > 1)
    return found


def log_errors(*logs: Path) -> Counter[str]:
    """Lines in the server logs that mean something went wrong (not a mail server's refusal)."""
    errors: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            for marker in ("Traceback", "outbox run failed", "could not record", "CRITICAL"):
                if marker in line:
                    errors[f"{log.name}: {marker}"] += 1
    return errors


# The soak ----------------------------------------------------------------------------------


def slices(duration: float) -> list[float]:
    """The run cut into report lines of about a minute (at least four lines)."""
    length = max(5.0, min(60.0, duration / 4))
    count = max(1, round(duration / length))
    return [duration / count] * count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of journeys")
    parser.add_argument("--warmup", type=float, default=None, help="seconds [min(30, 1/4)]")
    parser.add_argument("--concurrency", type=int, default=8, help="simultaneous patients")
    parser.add_argument("--failure-rate", type=float, default=0.2, help="SMTP faults")
    parser.add_argument("--drain", type=float, default=120, help="most seconds to drain")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--database-url", default=load.DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the logs and the schema")
    args = parser.parse_args(argv)
    warmup = min(30.0, args.duration / 4) if args.warmup is None else args.warmup

    schema = f"intake_soak_{os.getpid()}"
    admin = sa.create_engine(args.database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in args.database_url else "?"
    database_url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
    engine = sa.create_engine(database_url)
    work = Path(tempfile.mkdtemp(prefix="intake-soak-"))
    sink = FlakySink(args.failure_rate, args.seed)
    smtp = SmtpServer(sink=sink).start()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "GUNICORN_"))
    } | {
        "PYTHONPATH": str(ROOT),
        "INTAKE_INSTANCE_PATH": str(work),
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": "false",
        "PATIENT_RATE_LIMIT": load.UNLIMITED,
        "BOOKING_RATE_LIMIT": load.UNLIMITED,
        # several workers share the rate-limit counts, or gunicorn.conf.py refuses to start
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "redis://127.0.0.1",
        "GUNICORN_CMD_ARGS": "--max-requests 0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_TIMEOUT": "5",
        "CLINIC_EMAIL": CLINIC_EMAIL,
        "OUTBOX_RETRY_BASE": "1",
        "OUTBOX_RETRY_MAX": "8",
        "OUTBOX_LEASE": "60",
    }
    running: list[load.Process] = []
    began = time.monotonic()
    passed = False
    try:
        load.flask(env, "db", "upgrade")
        load.flask(env, "rules", "seed")
        port = free_port()
        running.append(load.gunicorn("wsgi:app", port, env, work / "gunicorn.log"))
        outbox = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work"]
        running.append(load.Process([*outbox, "--interval", "0.5"], env, work / "worker.log"))
        print(
            f"Intake soak: {args.duration:g} s of journeys by {args.concurrency} patients "
            f"(after {warmup:g} s warm-up), gunicorn 2 sync workers, an outbox worker, an SMTP "
            f"server failing {args.failure_rate:.0%} of messages; {os.cpu_count()} cores shared"
        )
        runs = [load.load(port, warmup, args.concurrency)]
        roles = processes(*running)
        start = {role: rss_mib(pid) for role, pid in roles.items()}
        print(f"\nRSS MiB columns: {', '.join(roles)}")
        print(
            f"{'minute':>6} {'journeys/s':>10} {'errors':>6} {'booking p50/p95 ms':>19} "
            f"{'emails sent':>11} {'waiting':>7}  RSS MiB"
        )
        elapsed = 0.0
        for seconds in slices(args.duration):
            run = load.load(port, seconds, args.concurrency)
            runs.append(run)
            elapsed += run.seconds
            p50, p95, _ = load.percentiles(run.timings["booking POST"])
            counts = load.outbox_counts(database_url)
            memory = " ".join(f"{rss_mib(pid) or 0:6.1f}" for pid in roles.values())
            print(
                f"{elapsed / 60:6.1f} {run.journeys / run.seconds:10.1f} {len(run.errors):6d} "
                f"{p50:9.0f} /{p95:6.0f}    {counts.get('sent', 0):11d} "
                f"{counts.get('pending', 0) + counts.get('sending', 0):7d}  {memory}"
            )

        drained = time.monotonic()
        while waiting(engine) and time.monotonic() - drained < args.drain:
            time.sleep(0.5)
        print(f"\noutbox drained in {time.monotonic() - drained:.1f} s after the journeys")
        end = {role: rss_mib(pid) for role, pid in roles.items()}
        end_roles = processes(*running)
        found = account(engine, sink)

        journey_errors = [error for run in runs for error in run.errors]
        logged = log_errors(work / "gunicorn.log", work / "worker.log")
        errors = len(journey_errors) + sum(logged.values())
        journeys = sum(run.journeys for run in runs)
        print(f"journeys: {journeys} ({found['bookings']} bookings), errors: {errors}")
        for error, count in Counter(journey_errors).most_common(5):
            print(f"  {count} x {error}")
        for error, count in logged.items():
            print(f"  {count} x {error}")

        lost = sum(found["lost"].values())
        status = ", ".join(f"{count} {name}" for name, count in sorted(found["status"].items()))
        print(
            f"\nemails: {found['emails']} queued: {status}; {found['attempts']} attempts; "
            f"SMTP transactions {sink.transactions}, faults injected {sum(sink.faults.values())} "
            f"({', '.join(f'{n} {f}' for f, n in sorted(sink.faults.items()))})"
        )
        if found["reasons"]:
            reasons = ", ".join(f"{n} x {r}" for r, n in found["reasons"].most_common())
            print(f"  failed, with their reasons: {reasons}")
        print(f"  duplicates received: {found['duplicates']}")
        print(f"emails lost: {lost}  ({', '.join(f'{k} {v}' for k, v in found['lost'].items())})")

        print(f"\n{'process':<18} {'pid':>7} {'start MiB':>10} {'end MiB':>9} {'growth':>8}")
        grown = []
        for role, pid in roles.items():
            before, after = start[role], end[role]
            if before is None or after is None or end_roles.get(role) != pid:
                grown.append(role)
                print(f"{role:<18} {pid:>7} {'':>10} {'':>9}  replaced or gone")
                continue
            growth = after / before - 1
            if growth >= MAX_GROWTH:
                grown.append(role)
            print(f"{role:<18} {pid:>7} {before:10.1f} {after:9.1f} {growth:+8.1%}")
        own = rss_mib(os.getpid()) or 0
        print(f"{'(this client + SMTP)':<18} {os.getpid():>7} {'':>10} {own:9.1f}")

        passed = not errors and not lost and not grown
        print(
            f"\n{'PASS' if passed else 'FAIL'}: errors {errors} (target 0), emails lost {lost} "
            f"(target 0), RSS growth under {MAX_GROWTH:.0%}: "
            f"{'yes' if not grown else 'no: ' + ', '.join(grown)}; "
            f"whole run {time.monotonic() - began:.0f} s"
        )
        if args.keep or not passed:
            print(f"logs: {work}" + (f"; schema {schema} kept" if args.keep else ""))
        return 0 if passed else 1
    finally:
        for process in running:
            process.stop()
        smtp.stop()
        engine.dispose()
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
        if passed and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
