"""Load benchmark: many patients doing whole journeys against gunicorn and PostgreSQL.

Run: .venv/bin/python bench/load.py [--duration 25] [--concurrency 20] [--hello-duration 8]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

What it does, in about 80 s by default:

1. Makes a new PostgreSQL schema in the given database, migrates it (`flask db upgrade`) and
   publishes the default rules (`flask rules seed`).
2. Measures a bare Flask "Hello, World!" under gunicorn (2 sync workers) with the same client,
   as the ceiling of this machine: client and servers share its cores.
3. Phase "SMTP up": gunicorn with this repository's gunicorn.conf.py (2 sync workers, no
   control socket) and an `outbox work` process, both pointed at a working SMTP server
   (aiosmtpd). N patients (threads, one cookie jar each, a new connection per request as
   sync workers close them) walk tests/journeys.BACK_PAIN_SUITABLE over and over: start page,
   start, GET and POST of every question page, check, result, booking form, booking,
   confirmation, sending the CSRF token scraped from each form.
4. Phase "SMTP stalled": the same, with gunicorn and the worker restarted against a server
   that accepts TCP connections and never answers. Requests never talk to SMTP (emails go
   through the outbox), so the booking POST must be as fast as in phase 3.

It prints journeys/s, requests/s and their ratio to the hello-world, p50/p95/p99 per step,
the booking latency in both phases, what the outbox delivered, and the errors (which must be
0: any is a non-zero exit). The rate limits are raised for the run (one address, many
patients); SECRET_KEY is random; the session cookie goes over plain http.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.journeys import BACK_PAIN_SUITABLE, BOOKING  # noqa: E402
from tests.smtp import SilentServer, SmtpServer, free_port  # noqa: E402

DEFAULT_DATABASE = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CSRF_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
REFERENCE = re.compile(rb"DN-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}")
UNLIMITED = "1000000 per minute"


def hello_app():
    """The baseline: one route, no database, no templates (gunicorn 'bench.load:hello_app()')."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app


# Processes ---------------------------------------------------------------------------------


class Process:
    """A child process (gunicorn, flask) with its output in a log file, stopped by pid."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.popen = subprocess.Popen(
            list(args), env=env, cwd=env["INTAKE_INSTANCE_PATH"], stdout=self.handle,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self, grace: float = 30) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.handle.close()


def gunicorn(target: str, port: int, env: dict[str, str], log: Path) -> Process:
    """gunicorn with 2 sync workers on 127.0.0.1:port (the repository's gunicorn.conf.py)."""
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    args += ["-w", "2", "-k", "sync", "--no-control-socket", "-b", f"127.0.0.1:{port}", target]
    process = Process(args, env, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}:\n{log.read_text()[-2000:]}")
        try:
            status, _, _ = request(port, "GET", "/", {})
            if status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer; see {log}")


def flask(env: dict[str, str], *args: str) -> None:
    """Run a `flask --app wsgi` command to completion."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        env=env,
        cwd=env["INTAKE_INSTANCE_PATH"],
        check=True,
        capture_output=True,
    )


# The client --------------------------------------------------------------------------------


def request(port: int, method: str, path: str, headers: dict[str, str], body: str | None = None):
    """(status, headers, body) of one request on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


class ClientError(Exception):
    """A response a patient should never get."""


class Patient:
    """One simulated patient: a cookie jar, the last CSRF token, timings by step."""

    def __init__(self, port: int, timings: dict[str, list[float]]) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.timings = timings

    def call(self, step: str, method: str, path: str, form: dict | None, expect: int):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrf_token": self.token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        status, response_headers, content = request(self.port, method, path, headers, body)
        self.timings[step].append(time.perf_counter() - started)
        if status != expect:
            raise ClientError(f"{method} {path}: {status}, expected {expect}")
        for cookie in response_headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";")[0].partition("=")
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        found = CSRF_TOKEN.search(content)
        if found:
            self.token = found.group(1).decode()
        return response_headers.get("Location", ""), content

    def journey(self) -> None:
        """Start to confirmation, as a person would click through it."""
        self.cookies.clear()
        self.call("start page", "GET", "/", None, 200)
        location, _ = self.call("start", "POST", "/start", {}, 302)
        while not location.endswith("/check"):
            step_id = location.rsplit("/", 1)[-1]
            self.call(f"{step_id} GET", "GET", location, None, 200)
            location, _ = self.call(
                f"{step_id} POST", "POST", location, BACK_PAIN_SUITABLE[step_id], 302
            )
        self.call("check GET", "GET", "/check", None, 200)
        self.call("check POST", "POST", "/check", {}, 302)
        self.call("result", "GET", "/result", None, 200)
        self.call("booking GET", "GET", "/booking", None, 200)
        self.call("booking POST", "POST", "/booking", BOOKING, 302)
        _, page = self.call("confirmation", "GET", "/booking/sent", None, 200)
        if not REFERENCE.search(page):
            raise ClientError("no reference on the confirmation page")


@dataclass
class Run:
    """What one load phase measured."""

    seconds: float
    journeys: int = 0
    errors: list[str] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.timings.values())


def load(port: int, seconds: float, concurrency: int) -> Run:
    """`concurrency` patients doing journeys for `seconds`; unfinished journeys don't count."""
    run = Run(seconds)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def patient() -> None:
        timings: dict[str, list[float]] = defaultdict(list)
        done = 0
        errors: list[str] = []
        while time.monotonic() < stop:
            try:
                Patient(port, timings).journey()
                done += 1
            except (ClientError, OSError) as error:
                errors.append(str(error))
        with lock:
            run.journeys += done
            run.errors += errors
            for step, values in timings.items():
                run.timings[step] += values

    threads = [threading.Thread(target=patient) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.monotonic() - started
    return run


def hello(port: int, seconds: float, concurrency: int) -> float:
    """Requests per second to the hello-world with the same kind of client."""
    counts = [0] * concurrency
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        while time.monotonic() < stop:
            status, _, _ = request(port, "GET", "/", {})
            if status != 200:
                raise SystemExit(f"hello-world answered {status}")
            counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


# Reporting ---------------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(values) < 2:
        value = values[0] * 1000 if values else float("nan")
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def print_steps(run: Run) -> None:
    print(f"  {'step':28} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for step, values in run.timings.items():
        p50, p95, p99 = percentiles(values)
        print(f"  {step:28} {len(values):6d} {p50:8.1f} {p95:8.1f} {p99:8.1f}")


def outbox_counts(database_url: str) -> dict[str, int]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status"))
        counts = dict(rows.all())
    engine.dispose()
    return counts


# The benchmark -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=25, help="seconds of each phase")
    parser.add_argument("--concurrency", type=int, default=20, help="simultaneous patients")
    parser.add_argument("--hello-duration", type=float, default=8)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args(argv)

    schema = f"intake_bench_{os.getpid()}"
    admin = sa.create_engine(args.database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        server_version = connection.execute(sa.text("SHOW server_version")).scalar()
    separator = "&" if "?" in args.database_url else "?"
    database_url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"

    work = Path(tempfile.mkdtemp(prefix="intake-load-"))
    base_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "GUNICORN_"))
    } | {
        "PYTHONPATH": str(ROOT),
        "INTAKE_INSTANCE_PATH": str(work),  # also the working directory: no .env is read
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": "false",
        "PATIENT_RATE_LIMIT": UNLIMITED,
        "BOOKING_RATE_LIMIT": UNLIMITED,
        "MAIL_TIMEOUT": "10",
        # several workers share the rate-limit counts, or gunicorn.conf.py refuses to start
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "redis://127.0.0.1",
    }
    processes: list[Process] = []
    smtp = SmtpServer().start()
    silent = SilentServer()
    import gunicorn as gunicorn_package

    print(
        f"Intake load benchmark: gunicorn {gunicorn_package.__version__}, 2 sync workers, "
        f"PostgreSQL {server_version}, {args.concurrency} patient(s), {os.cpu_count()} cores "
        f"shared by client and servers"
    )
    began = time.monotonic()
    try:
        flask(base_env, "db", "upgrade")
        flask(base_env, "rules", "seed")
        print(f"  migrated and seeded in {time.monotonic() - began:.1f} s")

        port = free_port()
        baseline = gunicorn("bench.load:hello_app()", port, base_env, work / "hello.log")
        hello_rate = hello(port, args.hello_duration, args.concurrency)
        baseline.stop()
        print(f"\nhello world (bare Flask, same client): {hello_rate:,.0f} requests/s")

        runs = {}
        delivered = {}
        for phase, mail_port in (("SMTP up", smtp.port), ("SMTP stalled", silent.port)):
            env = base_env | {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_port)}
            port = free_port()
            log = work / f"{phase.replace(' ', '-')}.log"
            processes.append(gunicorn("wsgi:app", port, env, log))
            args_worker = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work"]
            processes.append(Process([*args_worker, "--interval", "0.5"], env, log))
            before = outbox_counts(database_url)
            run = runs[phase] = load(port, args.duration, args.concurrency)
            time.sleep(2)  # let the worker catch up
            after = outbox_counts(database_url)
            delivered[phase] = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            for process in processes:
                # a worker stuck on the stalled server would finish its message first (10 s)
                process.stop(grace=3)
            processes.clear()

            rate = run.requests / run.seconds
            print(
                f"\n{phase}: {run.journeys / run.seconds:.1f} journeys/s, {rate:,.0f} requests/s "
                f"({rate / hello_rate:.0%} of hello world), {run.journeys} journeys of "
                f"{run.requests // max(run.journeys, 1)} requests, errors {len(run.errors)}"
            )
            print(f"  outbox after the phase: {delivered[phase]}")
            if phase == "SMTP up":
                print_steps(run)

        up, stalled = (runs[p].timings["booking POST"] for p in ("SMTP up", "SMTP stalled"))
        (up50, up95, up99), (st50, st95, st99) = percentiles(up), percentiles(stalled)
        print("\nbooking POST latency (ms)      p50     p95     p99")
        print(f"  SMTP up                   {up50:7.1f} {up95:7.1f} {up99:7.1f}  n={len(up)}")
        print(f"  SMTP stalled              {st50:7.1f} {st95:7.1f} {st99:7.1f}  n={len(stalled)}")
        # "Equal within noise": the medians are within a third of each other, and nowhere
        # near MAIL_TIMEOUT (10 s), which a request talking to the stalled server would take.
        equal = abs(st50 - up50) <= max(up50, st50) / 3 and st99 < 5000
        print(f"  {'equal within noise' if equal else 'NOT EQUAL'}")

        errors = [e for run in runs.values() for e in run.errors]
        for error in errors[:10]:
            print(f"  error: {error}")
        print(f"\nerrors: {len(errors)}   (whole run {time.monotonic() - began:.0f} s)")
        passed = not errors and equal
        if passed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"server logs: {work}")
        return 0 if passed else 1
    finally:
        for process in processes:
            process.stop()
        smtp.stop()
        silent.close()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
