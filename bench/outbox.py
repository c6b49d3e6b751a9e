"""Outbox delivery: how fast queued emails drain through real `outbox work` processes.

Run: .venv/bin/python bench/outbox.py [--messages 2000] [--workers 1,2]
     [--databases sqlite,postgresql] [--compare REV] [--postgres-url URL] [--keep]

What runs, all on 127.0.0.1:

- a fresh database: SQLite in a temporary folder and PostgreSQL in a database of its own
  (`intake_bench_outbox`, created and dropped), both made by `flask db upgrade`;
- an SMTP sink (aiosmtpd, in this process) that accepts everything and counts the
  connections it was offered and each (Message-ID, recipient) it received;
- 1, then 2 `flask --app wsgi outbox work` processes: the real command, started through a
  small shim that counts, inside each process, database commits (a SQLAlchemy event), the
  time spent in ``Session.commit`` (flush + COMMIT), and SMTP connections opened.

Each run seeds M queued messages (half clinic emails of 2.9 KB text + 12 KB HTML to two
addresses, half patient confirmations of 0.5 + 1.7 KB to one: the sizes of the real ones) that
are not due yet, starts the workers, waits until every worker has polled, makes all the
messages due in one UPDATE, and times until every message is recorded sent. It prints emails/s,
commits and SMTP connections per email, the share of worker time spent committing, and checks
every (message, recipient) was received at least once and, with no faults injected, none twice.
Exit status 1 when one was lost or duplicated.

`--compare REV` runs the workers of commit REV (unpacked with `git archive`, the repository
untouched) beside this tree's, alternately, on the same databases and sink: ratios within one
run are what to trust on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.journey import unpack  # noqa: E402
from tests.smtp import free_port  # noqa: E402

PG_DATABASE = "intake_bench_outbox"
CLINIC = ["front-desk@clinic.example.com", "physio@clinic.example.com"]
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)

#: Runs inside each worker process before the real `flask --app wsgi outbox work`: counts
#: commits, time in Session.commit and SMTP connections, and writes them on SIGUSR1.
SHIM = r"""
import json, os, signal, smtplib, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

stats = {"commits": 0, "commit_seconds": 0.0, "smtp_connections": 0}
began = {}

@event.listens_for(Engine, "commit")
def counted(connection):
    stats["commits"] += 1

@event.listens_for(Session, "before_commit")
def before(session):
    began[id(session)] = time.perf_counter()

@event.listens_for(Session, "after_commit")
def after(session):
    stats["commit_seconds"] += time.perf_counter() - began.pop(id(session), time.perf_counter())

connect = smtplib.SMTP.connect

def counted_connect(self, *args, **kwargs):
    stats["smtp_connections"] += 1
    return connect(self, *args, **kwargs)

smtplib.SMTP.connect = counted_connect

def dump(signum, frame):
    path = os.environ["BENCH_STATS"]
    with open(path + ".tmp", "w") as file:
        json.dump(stats, file)
    os.replace(path + ".tmp", path)

signal.signal(signal.SIGUSR1, dump)
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", "outbox", "work", "--interval", os.environ["BENCH_POLL"]]
main()
"""


# The SMTP sink -----------------------------------------------------------------------------


class CountingSink:
    """Accepts every message; counts (Message-ID, recipient) pairs received."""

    def __init__(self) -> None:
        self.received: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content[:4096])
        message_id = found.group(1).decode() if found else "?"
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[(message_id, address)] += 1
        return "250 OK"


class CountingController(Controller):
    """aiosmtpd's controller, counting the connections it serves."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


# Databases ---------------------------------------------------------------------------------


def postgres_database(server_url: str) -> tuple[str, sa.Engine]:
    """A new, empty database of its own on the PostgreSQL server; (its URL, an admin engine)."""
    admin = sa.create_engine(f"{server_url.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
        connection.execute(sa.text(f"CREATE DATABASE {PG_DATABASE}"))
    return f"{server_url.rstrip('/')}/{PG_DATABASE}", admin


def body(size: int, word: str) -> str:
    """Plain text of about `size` characters in lines of 72, like a rendered email."""
    line = (f"{word} " * 12)[:72]
    return "\n".join(line for _ in range(max(1, size // 73)))


def seed(database_url: str, count: int) -> int:
    """Empty the outbox and queue `count` messages that are not due yet."""
    engine = sa.create_engine(database_url)
    outbox = sa.Table("outbox", sa.MetaData(), autoload_with=engine)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    later = now + dt.timedelta(days=1)
    rows = []
    for number in range(count):
        clinic = number % 2 == 0
        rows.append(
            {
                "kind": "clinic_booking" if clinic else "patient_confirmation",
                "recipients": CLINIC if clinic else [f"p{number}@example.com"],
                "reply_to": f"p{number}@example.com" if clinic else None,
                "subject": f"New booking request DN-{number:06d}: Suitable for dry needling",
                "text_body": body(2884 if clinic else 511, "answer"),
                "html_body": f"<p>{body(12259 if clinic else 1721, 'cell')}</p>",
                "message_id": make_msgid(domain="clinic.example.com"),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": later,
                "give_up_at": now + dt.timedelta(days=2),
                "created_at": now,
                "updated_at": now,
                "permanent_failures": 0,
            }
        )
    with engine.begin() as connection:
        connection.execute(outbox.delete())
        connection.execute(outbox.insert(), rows)
    engine.dispose()
    return count


def expected(database_url: str) -> set[tuple[str, str]]:
    """Every (Message-ID, recipient) the seeded messages must reach."""
    engine = sa.create_engine(database_url)
    outbox = sa.Table("outbox", sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(outbox.c.message_id, outbox.c.recipients)).all()
    engine.dispose()
    return {(mid, address) for mid, recipients in rows for address in recipients}


# Workers -----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Worker:
    """One `outbox work` process and the file its counters are written to."""

    popen: subprocess.Popen
    stats: Path
    log: Path

    def snapshot(self) -> dict[str, float]:
        """The process's counters now (asks with SIGUSR1, waits for the file)."""
        self.stats.unlink(missing_ok=True)
        self.popen.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while not self.stats.exists():
            if time.monotonic() > deadline or self.popen.poll() is not None:
                raise SystemExit(f"worker gave no counters; see {self.log}")
            time.sleep(0.01)
        counters = json.loads(self.stats.read_text())
        counters["cpu_seconds"] = cpu_seconds(self.popen.pid)
        return counters

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_worker(tree: Path, env: dict[str, str], work: Path, name: str) -> Worker:
    stats, log = work / f"{name}.json", work / f"{name}.log"
    handle = log.open("ab")
    popen = subprocess.Popen(
        [sys.executable, "-c", SHIM],
        env=env | {"PYTHONPATH": str(tree), "BENCH_STATS": str(stats)},
        cwd=work,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return Worker(popen, stats, log)


def wait_started(workers: list[Worker]) -> None:
    deadline = time.monotonic() + 60
    for worker in workers:
        while "outbox worker started" not in worker.log.read_text(errors="replace"):
            if time.monotonic() > deadline or worker.popen.poll() is not None:
                raise SystemExit(f"worker did not start; see {worker.log}")
            time.sleep(0.05)
    time.sleep(0.5)  # each has polled (and found nothing due) at least once


# One run -----------------------------------------------------------------------------------


@dataclass
class Result:
    code: str
    database: str
    workers: int
    messages: int
    seconds: float
    commits: float
    commit_seconds: float
    cpu_seconds: float
    sink_cpu_seconds: float
    connections_worker: int
    connections_sink: int
    missing: int
    duplicates: int
    errors: int

    def line(self) -> str:
        rate = self.messages / self.seconds
        share = self.commit_seconds / (self.seconds * self.workers)
        return (
            f"{self.code:>10} {self.database:>10} {self.workers:>7} {rate:9.1f} "
            f"{self.seconds:7.2f} {self.commits / self.messages:9.3f} "
            f"{self.connections_worker / self.messages:8.3f} {share:8.0%} "
            f"{self.cpu_seconds / self.messages * 1000:8.2f} "
            f"{self.sink_cpu_seconds / self.messages * 1000:8.2f} "
            f"{self.missing:>7} {self.duplicates:>5} {self.errors:>6}"
        )


HEADER = (
    f"{'code':>10} {'database':>10} {'workers':>7} {'emails/s':>9} {'seconds':>7} "
    f"{'commits/e':>9} {'SMTP/e':>8} {'commit%':>8} {'CPU ms/e':>8} {'sink ms':>8} "
    f"{'missing':>7} {'twice':>5} {'errors':>6}"
)


def sent_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT count(*) FROM outbox WHERE status = 'sent'")
        ).scalar_one()


def run(
    code: str, tree: Path, database: str, url: str, workers: int, args, base: dict, sink, ctl
) -> Result:
    """Seed, start `workers` processes, release every message, time the drain."""
    count = seed(url, args.messages)
    want = expected(url)
    sink.received.clear()
    ctl.connections = 0
    work = Path(tempfile.mkdtemp(prefix="intake-outbox-run-", dir=base["INTAKE_INSTANCE_PATH"]))
    env = base | {"DATABASE_URL": url, "INTAKE_INSTANCE_PATH": str(work)}
    procs = [start_worker(tree, env, work, f"worker{n}") for n in range(workers)]
    engine = sa.create_engine(url)
    try:
        wait_started(procs)
        before = [w.snapshot() for w in procs]
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE outbox SET next_attempt_at = :now"), {"now": now()})
        began, sink_began = time.perf_counter(), time.process_time()
        deadline = began + max(120, count / 10)
        while sum(sink.received.values()) < len(want) and time.perf_counter() < deadline:
            time.sleep(0.01)
        while sent_count(engine) < count and time.perf_counter() < deadline:
            time.sleep(0.02)
        seconds = time.perf_counter() - began
        sink_cpu = time.process_time() - sink_began
        after = [w.snapshot() for w in procs]
    finally:
        for worker in procs:
            worker.stop()
        engine.dispose()
    delta = {k: sum(a[k] - b[k] for a, b in zip(after, before, strict=True)) for k in after[0]}
    logs = "".join(w.log.read_text(errors="replace") for w in procs)
    errors = len(re.findall(r"Traceback|outbox run failed|could not record", logs))
    received = sink.received
    result = Result(
        code=code,
        database=database,
        workers=workers,
        messages=count,
        seconds=seconds,
        commits=delta["commits"],
        commit_seconds=delta["commit_seconds"],
        cpu_seconds=delta["cpu_seconds"],
        sink_cpu_seconds=sink_cpu,
        connections_worker=delta["smtp_connections"],
        connections_sink=ctl.connections,
        missing=len(want - set(received)),
        duplicates=sum(1 for pair in want if received[pair] > 1),
        errors=errors,
    )
    if not args.keep and not errors:
        shutil.rmtree(work, ignore_errors=True)
    return result


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def migrate(url: str, base: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        env=base | {"DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        cwd=base["INTAKE_INSTANCE_PATH"],
        check=True,
        capture_output=True,
    )


def batch_size(tree: Path) -> str:
    """The tree's batch size (OUTBOX_BATCH_SIZE, or the fixed 20 before the setting)."""
    config = (tree / "intake" / "config.py").read_text()
    found = re.search(r'"OUTBOX_BATCH_SIZE": \((\d+)', config)
    if not found:
        return "20 (fixed)"
    return os.environ.get("OUTBOX_BATCH_SIZE", found.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma list")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--compare", metavar="REV", help="also run the workers of commit REV")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--poll", default="0.05", help="the workers' --interval, in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the database")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="intake-outbox-"))
    sink = CountingSink()
    ctl = CountingController(sink, hostname="127.0.0.1", port=free_port())
    ctl.start()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "BENCH_"))} | {
        "INTAKE_INSTANCE_PATH": str(work),  # also the working directory: no .env is read
        "SECRET_KEY": secrets.token_hex(32),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(ctl.port),
        "MAIL_TIMEOUT": "10",
        "MAIL_DEFAULT_SENDER": "intake@clinic.example.com",
        "BENCH_POLL": args.poll,
    }
    trees = [("this tree", ROOT)]
    if args.compare:
        trees.insert(0, (args.compare[:10], unpack(args.compare, work / "rev")))
    admin = None
    databases = {}
    try:
        for database in args.databases.split(","):
            if database == "sqlite":
                databases[database] = f"sqlite:///{work / 'outbox.db'}"
            else:
                databases[database], admin = postgres_database(args.postgres_url)
            migrate(databases[database], base)
        print(
            f"Intake outbox benchmark: {args.messages} emails, {os.cpu_count()} cores shared "
            f"by the workers, the SMTP sink and this script; load average before "
            f"{os.getloadavg()[0]:.1f}"
        )
        for label, tree in trees:
            print(f"  {label}: batch size {batch_size(tree)}")
        print(HEADER)
        results = []
        for database, url in databases.items():
            for workers in (int(n) for n in args.workers.split(",")):
                for label, tree in trees:
                    result = run(label, tree, database, url, workers, args, base, sink, ctl)
                    results.append(result)
                    print(result.line(), flush=True)
        print(f"load average after {os.getloadavg()[0]:.1f}")
        print(
            "commits/e and SMTP/e are counted inside the workers (SMTP connections the sink "
            f"saw: {', '.join(str(r.connections_sink) for r in results)}); commit% is the share "
            "of worker time in Session.commit (flush + COMMIT); CPU ms/e is the workers' CPU "
            "time per email (steadier than emails/s on a busy machine), sink ms this process's "
            "(the SMTP sink and the polling)"
        )
        bad = [r for r in results if r.missing or r.duplicates or r.errors]
        return 1 if bad else 0
    finally:
        ctl.stop()
        if admin is not None:
            if not args.keep:
                with admin.connect() as connection:
                    connection.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
            admin.dispose()
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
