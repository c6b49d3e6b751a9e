"""Full patient journeys per second against gunicorn, beside a bare Flask hello-world.

Run: .venv/bin/python bench/journey.py [--duration 30] [--concurrency 8] [--hello-duration 10]

Starts two servers on 127.0.0.1, each gunicorn with 2 sync workers: the app (wsgi:app) on a
fresh, migrated and seeded SQLite database in a temporary folder (or DATABASE_URL when set),
and a one-route Flask "Hello, World!". Then N simulated patients (threads, one cookie jar
each, a new connection per request as sync workers close them) walk BACK_PAIN_SUITABLE from
tests/journeys.py: start, GET and POST of every question page, check, result, booking form
and confirmation, sending the CSRF token scraped from each form. The same client then
measures the hello-world for comparison. Client and servers share this machine's cores.
Dependency-free on purpose (http.client).
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import io
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.journeys import BACK_PAIN_SUITABLE, BOOKING  # noqa: E402

CSRF_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
REFERENCE = re.compile(rb"DN-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}")
HELLO_APP = """from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"


@app.post("/form")
def form():
    return f"Thanks, {request.form.get('name', '')}"
"""
#: Request types, in journey order (the report's rows).
KINDS = (
    "GET start",
    "POST start",
    "GET step",
    "POST step",
    "GET check",
    "POST check",
    "GET result",
    "GET booking",
    "POST booking",
    "GET confirmation",
)


class JourneyError(Exception):
    """A response the journey did not expect."""


def unpack(rev: str, folder: Path) -> Path:
    """The files of commit `rev` in `folder`, for benches that compare against an earlier commit
    (git archive: the repository is left untouched)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True, check=False
    )
    if archive.returncode:
        raise SystemExit(f"git archive {rev} failed: {archive.stderr.decode()}")
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stats:
    """Latencies per request type, and errors; shared by all client threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    journeys: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())


class Client:
    """One browser-like session: cookies kept, redirects not followed (timed separately)."""

    def __init__(self, port: int, stats: Stats | None):
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}

    def request(
        self, kind: str, method: str, path: str, form: dict | None = None, expect: int = 200
    ) -> tuple[bytes, str]:
        """Send one request; (body, Location). Times it under `kind`."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - start
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.status != expect:
            raise JourneyError(f"{kind}: HTTP {response.status} (expected {expect})")
        if self.stats is not None:
            self.stats.add(kind, elapsed)
        location = response.headers.get("Location", "")
        return data, urllib.parse.urlsplit(location).path


def token(html: bytes, kind: str) -> str:
    found = CSRF_TOKEN.search(html)
    if not found:
        raise JourneyError(f"{kind}: no CSRF token on the page")
    return found.group(1).decode()


def journey(port: int, stats: Stats | None) -> None:
    """One new patient, from the start page to the booking confirmation."""
    client = Client(port, stats)
    html, _ = client.request("GET start", "GET", "/")
    _, path = client.request(
        "POST start", "POST", "/start", {"csrf_token": token(html, "GET start")}, expect=302
    )
    seen = 0
    while path.startswith("/questions/"):
        step = path.rsplit("/", 1)[-1]
        if step not in BACK_PAIN_SUITABLE:
            raise JourneyError(f"unexpected step {step!r}")
        html, _ = client.request("GET step", "GET", path)
        form = {**BACK_PAIN_SUITABLE[step], "csrf_token": token(html, "GET step")}
        _, path = client.request("POST step", "POST", path, form, expect=302)
        seen += 1
    if path != "/check" or seen != len(BACK_PAIN_SUITABLE):
        raise JourneyError(f"questions ended at {path!r} after {seen} pages")
    html, _ = client.request("GET check", "GET", "/check")
    _, path = client.request(
        "POST check", "POST", "/check", {"csrf_token": token(html, "GET check")}, expect=302
    )
    if path != "/result":
        raise JourneyError(f"POST check: redirected to {path!r}")
    client.request("GET result", "GET", "/result")
    html, _ = client.request("GET booking", "GET", "/booking")
    form = {**BOOKING, "csrf_token": token(html, "GET booking")}
    _, path = client.request("POST booking", "POST", "/booking", form, expect=302)
    if path != "/booking/sent":
        raise JourneyError(f"POST booking: redirected to {path!r}")
    html, _ = client.request("GET confirmation", "GET", "/booking/sent")
    if not REFERENCE.search(html):
        raise JourneyError("GET confirmation: no DN- reference on the page")


def run_journeys(
    port: int, concurrency: int, duration: float, limit: int | None
) -> tuple[Stats, float]:
    """Patients in `concurrency` threads until `duration` passes (or `limit` journeys)."""
    stats = Stats()
    deadline = time.perf_counter() + duration
    started = 0
    counter = threading.Lock()

    def patient() -> None:
        nonlocal started
        while time.perf_counter() < deadline:
            with counter:
                if limit is not None and started >= limit:
                    return
                started += 1
            try:
                journey(port, stats)
            except JourneyError as error:
                stats.error(str(error))
                continue
            except (OSError, http.client.HTTPException) as error:
                stats.error(f"{type(error).__name__}: {error}")
                continue
            with stats.lock:
                stats.journeys += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=patient) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.perf_counter() - start


def run_hello(port: int, concurrency: int, duration: float) -> tuple[Stats, float]:
    """The same client, GET / on the hello-world, for `duration` seconds."""
    stats = Stats()
    deadline = time.perf_counter() + duration

    def visitor() -> None:
        client = Client(port, stats)
        while time.perf_counter() < deadline:
            try:
                client.request("GET hello", "GET", "/")
            except (JourneyError, OSError, http.client.HTTPException) as error:
                stats.error(type(error).__name__)

    start = time.perf_counter()
    threads = [threading.Thread(target=visitor) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.perf_counter() - start


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f}"


class Server:
    """A gunicorn on a free loopback port, stopped on exit."""

    def __init__(self, name: str, app: str, cwd: Path, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.log = log
        self.handle = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-k",
                "sync",
                "--no-control-socket",
                "-b",
                f"127.0.0.1:{self.port}",
                app,
            ],
            cwd=cwd,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        self.name = name

    def wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log.read_text()}")
            try:
                Client(self.port, None).request("ready", "GET", "/")
                return
            except (OSError, JourneyError, http.client.HTTPException):
                time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()


def prepare_database(env: dict, tree: Path = ROOT) -> None:
    """Migrate and seed, as `make setup` does (with the code in `tree`)."""
    for command in (["db", "upgrade"], ["rules", "seed"]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def report(stats: Stats, elapsed: float, hello: Stats, hello_elapsed: float) -> None:
    each = f" ({stats.requests / stats.journeys:.0f} requests each)" if stats.journeys else ""
    print(
        f"\njourneys: {stats.journeys} in {elapsed:.1f} s = "
        f"{stats.journeys / elapsed:.1f} journeys/s{each}"
    )
    print(f"requests: {stats.requests} = {stats.requests / elapsed:.0f} requests/s")
    errors = sum(stats.errors.values())
    print(f"errors:   {errors}" + "".join(f"\n  {n} x {what}" for what, n in stats.errors.items()))
    print(f"\n{'request':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in KINDS:
        values = stats.latencies.get(kind)
        if not values:
            continue
        print(
            f"{kind:<18}{len(values):>7} {ms(percentile(values, 0.5))} "
            f"{ms(percentile(values, 0.95))} {ms(percentile(values, 0.99))} {ms(max(values))}"
        )
    every = [v for values in stats.latencies.values() for v in values]
    if every:
        print(
            f"{'all requests':<18}{len(every):>7} {ms(percentile(every, 0.5))} "
            f"{ms(percentile(every, 0.95))} {ms(percentile(every, 0.99))} {ms(max(every))}"
        )
    values = hello.latencies.get("GET hello", [])
    if not values or not every:
        print("\nhello-world: no successful requests")
        return
    hello_rate = len(values) / hello_elapsed
    app_rate = len(every) / elapsed
    print(
        f"\nhello-world: {len(values)} requests in {hello_elapsed:.1f} s = {hello_rate:.0f} "
        f"requests/s, p50 {percentile(values, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(values, 0.99) * 1000:.2f} ms, errors {sum(hello.errors.values())}"
    )
    print(
        f"ratio: the app serves {app_rate / hello_rate:.1%} of hello-world's requests/s "
        f"(1 : {hello_rate / app_rate:.1f}); median request "
        f"{percentile(every, 0.5) / percentile(values, 0.5):.1f}x hello-world's"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of journeys (30)")
    parser.add_argument("--journeys", type=int, default=None, help="stop after this many")
    parser.add_argument("--concurrency", type=int, default=8, help="simulated patients (8)")
    parser.add_argument("--hello-duration", type=float, default=10, help="seconds (10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": "false",  # plain http on loopback
        "INTAKE_INSTANCE_PATH": str(tmp / "instance"),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}",
        "FLASK_DEBUG": "0",
        # the benchmark measures serving, not the per-address limits (every patient is 127.0.0.1)
        "PATIENT_RATE_LIMIT": "1000000 per minute",
        "BOOKING_RATE_LIMIT": "1000000 per minute",
        # several workers share the rate-limit counts, or gunicorn.conf.py refuses to start
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "redis://127.0.0.1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    database = env["DATABASE_URL"].split("@")[-1]
    (tmp / "hello").mkdir()
    (tmp / "hello" / "hello.py").write_text(HELLO_APP)
    servers: list[Server] = []
    try:
        start = time.perf_counter()
        prepare_database(env)
        app = Server("intake", "wsgi:app", ROOT, env, args.workers, tmp / "intake.log")
        servers.append(app)
        hello = Server("hello", "hello:app", tmp / "hello", env, args.workers, tmp / "hello.log")
        servers.append(hello)
        app.wait()
        hello.wait()
        setup = time.perf_counter() - start
        print(
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; gunicorn -w "
            f"{args.workers} sync; database {database}; setup {setup:.1f} s"
        )
        print(
            f"{args.concurrency} concurrent patients for {args.duration:g} s"
            + (f" (at most {args.journeys} journeys)" if args.journeys else "")
            + ", after one warm-up journey each"
        )
        warm, _ = run_journeys(app.port, args.concurrency, float("inf"), args.concurrency)
        if warm.errors:
            print(f"warm-up errors: {dict(warm.errors)}")
        stats, elapsed = run_journeys(app.port, args.concurrency, args.duration, args.journeys)
        Client(hello.port, None).request("warm", "GET", "/")
        hello_stats, hello_elapsed = run_hello(hello.port, args.concurrency, args.hello_duration)
        report(stats, elapsed, hello_stats, hello_elapsed)
        log = app.log.read_text(errors="replace")
        if "Traceback" in log:
            raised = re.findall(r"^[\w.]+(?:Error|Exception)\b.*$", log, re.M)
            print(f"\nthe app logged {log.count('Traceback')} tracebacks:")
            for line in dict.fromkeys(raised[-20:]):
                print(f"  {line[:200]}")
            if not args.keep:
                print("(run with --keep to keep the whole log)")
        return 1 if stats.errors or not stats.journeys else 0
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {tmp} (intake.log, hello.log)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
