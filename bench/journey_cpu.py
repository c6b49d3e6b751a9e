"""What one patient request costs the app, counted in CPU instructions, beside bare Flask.

Run: .venv/bin/python bench/journey_cpu.py [--n 200] [--compare REV] [--jobs 2]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/EMPTY_DB
      --compare-database-url postgresql+psycopg://postgres@127.0.0.1:5432/ANOTHER_EMPTY_DB]
     [--time]

journey.py and journey_wrk.py time requests against gunicorn, which needs an idle machine:
other work on the two cores moves their figures by a factor of two. This one counts the
instructions the app's own process runs per request, which stay the same however busy the
machine is (within about 1 %). Each phase runs in a process of its own under valgrind's
callgrind (`apt-get install valgrind`), counting only while the requests run (not while the
app starts): N requests through the WSGI app itself, no server and no sockets to the client:

- bare GET and bare POST: a two-route Flask app (as in journey_wrk.py);
- the start page (GET /, no cookie);
- question GET and question POST: one waiting patient per back-pain question page, who
  answered the pages before it; the requests cycle through them (the POST sends valid answers
  and its CSRF token, and is answered with a redirect).

The rate limits count in the local Redis, as in journey_wrk.py. The database is migrated and
seeded once (SQLite in a temporary folder unless --database-url names an empty one). The
database server's own work is not counted (on PostgreSQL it adds to what a request costs).
`--compare REV` counts commit REV's app too (unpacked with `git archive`; its own database).
`--time` measures CPU time instead (best of 3 rounds of N, in one process per phase), which
needs no valgrind but varies with the machine's load.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from journey import prepare_database, unpack  # noqa: E402

PHASES = ("bare GET", "bare POST", "start GET", "question GET", "question POST")
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def child(phase: str, n: int, timed: bool) -> None:
    """In the process of one phase (the app of the current directory): prepare, warm up, then
    run the N requests inside sys.call_tracing, the only place callgrind counts."""
    sys.path.insert(0, os.getcwd())
    import logging

    from flask import Flask, request
    from werkzeug.test import EnvironBuilder

    from tests.journeys import BACK_PAIN_SUITABLE

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "Hello, World!")
    hello.add_url_rule(
        "/form", "form", lambda: f"Thanks, {request.form.get('name', '')}", methods=["POST"]
    )
    target, requests = hello, [("GET", "/", None, None)]
    if phase == "bare POST":
        requests = [("POST", "/form", None, {"name": "Ada"})]
    elif not phase.startswith("bare"):
        from wsgi import app as target

        logging.disable(logging.INFO)  # a log line per request would be counted too
        requests = [("GET", "/", None, None)]
        if phase.startswith("question"):
            waiting = [
                waiting_patient(target, step, BACK_PAIN_SUITABLE) for step in BACK_PAIN_SUITABLE
            ]
            method = phase.split()[1]
            requests = [(method, path, cookie, form if method == "POST" else None)
                        for cookie, form, path in waiting]  # fmt: skip
    environs = []
    for method, path, cookie, form in requests:
        body = urllib.parse.urlencode(form, doseq=True).encode() if form else None
        builder = EnvironBuilder(
            path=path,
            method=method,
            headers={"Cookie": cookie} if cookie else {},
            data=body,
            content_type="application/x-www-form-urlencoded" if body else None,
        )
        environs.append((builder.get_environ(), body))
    statuses: list[str] = []

    def run(count: int) -> float:
        started = time.process_time()
        for i in range(count):
            environ, body = environs[i % len(environs)]
            environ = dict(environ)
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)
            answer = target(environ, lambda status, headers, info=None: statuses.append(status))
            for _ in answer:
                pass
            getattr(answer, "close", lambda: None)()
        return (time.process_time() - started) / max(count, 1)

    run(20)  # warm up: compiled templates and rules, pooled connections, kept fields
    if timed:
        seconds = min(run(n) for _ in range(3))
    else:
        seconds = sys.call_tracing(run, (n,))
    bad = [s for s in statuses if not s.startswith(("200", "302"))]
    print(json.dumps({"seconds": seconds, "bad": len(bad)}))


def waiting_patient(app, step: str, profile: dict) -> tuple[str, dict, str]:
    """A new patient who answered the pages before `step`: (Cookie, its page's form, path)."""
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    path = client.post("/start", data={"csrf_token": CSRF_TOKEN.search(html)[1]}).location
    while True:
        html = client.get(path).get_data(as_text=True)
        form = {**profile[path.rsplit("/", 1)[-1]], "csrf_token": CSRF_TOKEN.search(html)[1]}
        if path.endswith(f"/{step}"):
            cookie = f"session={client.get_cookie('session').value}"
            return cookie, form, path
        path = client.post(path, data=form).location


def measure(phase: str, tree: Path, env: dict, args: argparse.Namespace, tmp: Path) -> dict:
    """Run one phase's process (under callgrind unless --time); its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", phase, "--n", str(args.n)]
    out = tmp / f"callgrind.{secrets.token_hex(4)}"
    if args.time:
        command.append("--time")
    else:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=sys_call_tracing",
            f"--callgrind-out-file={out}",
            *command,
        ]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{phase} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    result = json.loads(lines[-1])
    if not args.time:
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        result["instructions"] = int(totals[1]) / args.n
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="requests per phase (200)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--compare", metavar="REV", help="also count the app of commit REV")
    parser.add_argument("--compare-database-url", help="an empty database for REV's app")
    parser.add_argument("--jobs", type=int, default=2, help="phases counted at once (2)")
    parser.add_argument("--time", action="store_true", help="CPU time instead of valgrind")
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.time)
        return 0
    if not args.time and shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind), or use --time")
    if args.compare and args.database_url and not args.compare_database_url:
        raise SystemExit("--compare with --database-url needs --compare-database-url")
    tmp = Path(tempfile.mkdtemp(prefix="intake-cpu-"))
    try:
        trees = {"this tree": (ROOT, args.database_url or f"sqlite:///{tmp / 'this.db'}")}
        if args.compare:
            url = args.compare_database_url or f"sqlite:///{tmp / 'compare.db'}"
            trees[args.compare] = (unpack(args.compare, tmp / "compare"), url)
        jobs = []
        for name, (tree, url) in trees.items():
            env = {
                **os.environ,
                "SECRET_KEY": secrets.token_hex(32),
                "SESSION_COOKIE_SECURE": "false",
                "INTAKE_INSTANCE_PATH": str(tmp / f"instance-{len(jobs)}"),
                "DATABASE_URL": url,
                "FLASK_DEBUG": "0",
                "PATIENT_RATE_LIMIT": "100000000 per minute",
                "BOOKING_RATE_LIMIT": "100000000 per minute",
                "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
                or "redis://127.0.0.1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0",
            }
            prepare_database(env, tree)
            phases = PHASES if name == "this tree" else PHASES[2:]
            jobs += [(name, phase, tree, env) for phase in phases]
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda job: measure(*job[1:], args, tmp), jobs))
        report(jobs, results, args)
        return 1 if any(result["bad"] for result in results) else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(jobs: list, results: list[dict], args: argparse.Namespace) -> None:
    """Per phase: instructions (or CPU µs) per request and the share of bare Flask's."""
    key = "seconds" if args.time else "instructions"
    unit = "CPU µs" if args.time else "instructions"
    scale = 1e6 if args.time else 1
    figures = {
        (name, phase): result[key] * scale
        for (name, phase, *_), result in zip(jobs, results, strict=True)
    }
    bare = {phase: figures["this tree", phase] for phase in ("bare GET", "bare POST")}
    print(f"\n{'app':<12}{'phase':<16}{unit + ' per request':>26}  bare Flask's share")
    for (name, phase), value in figures.items():
        share = "" if phase.startswith("bare") else f"{bare['bare GET'] / value:.1%} of bare GET"
        if phase == "question POST":
            share += f", {bare['bare POST'] / value:.1%} of bare POST"
        print(f"{name:<12}{phase:<16}{value:>26,.0f}  {share}")
    print(
        f"({args.n} requests per phase; {'CPU time, best of 3' if args.time else 'callgrind'};"
        f" load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"took {time.perf_counter() - started:.0f} s")
    raise SystemExit(code)
