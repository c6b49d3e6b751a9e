"""Patient requests per second under wrk, beside a bare Flask app, in one run.

Run: .venv/bin/python bench/journey_wrk.py [--duration 5] [--rounds 3] [--connections 16]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench_x]

bench/journey.py times whole journeys with a Python client, which on 2 cores limits itself
long before a bare Flask app does. This companion uses wrk (C, `apt-get install wrk`) so the
ratio to bare Flask says what the app costs. Both servers are gunicorn with 2 sync workers on
127.0.0.1: the app (`wsgi:app`, with this repository's gunicorn.conf.py, as deployed) on a
fresh migrated and seeded database (SQLite in a temporary folder unless --database-url or
DATABASE_URL names an empty one), and a two-route Flask app (GET "Hello, World!", POST reading
a form) with gunicorn's defaults.

Before measuring, `--per-page` patients per question page of the back-pain journey answer the
pages before theirs over HTTP; wrk cycles through them (so the figures are the mean over the
pages, and requests do not all queue on one draft row). Each round runs, with a 1 s warm-up
each: bare GET, bare POST, the start page (GET /, no cookie), the question page GET, the
question page POST (valid answers and CSRF token; a 302 to the next page). Rounds interleave
the phases, so load from other work on the machine hits bare Flask and the app alike. It
prints per phase the median req/s, p50 and p99 over the rounds and the worst p99 and max,
errors (non-2xx/3xx and socket errors), and the median of each round's ratio to bare Flask
(GET and POST to the bare GET; POST also to the bare POST). Exit 1 on any error.

`--compare REV` also serves the app of commit REV (unpacked with `git archive` into the
temporary folder, the repository untouched; its own gunicorn.conf.py and a database of its own:
a second SQLite file, or --compare-database-url) and measures its three phases in the same
rounds, so before and after meet the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from journey import HELLO_APP, Client, Server, prepare_database, token, unpack  # noqa: E402

from tests.journeys import BACK_PAIN_SUITABLE  # noqa: E402

#: wrk's Lua: each request takes the next patient (cookie, body); threads start apart.
LUA = """
local patients = %(patients)s
local method, path = "%(method)s", "%(path)s"
-- each patient is {Cookie, POST body, path}; an empty list requests `path` bare
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end
local i = 0
function request()
  i = i + 1
  local n = #patients
  if n == 0 then return wrk.format(method, path) end
  local p = patients[((i + (offset or 0)) %% n) + 1]
  local headers = {["Cookie"] = p[1]}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = p[2]
  end
  return wrk.format(method, p[3], headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %%d, "seconds": %%f, "p50": %%f, "p99": %%f, "max": %%f, '
    .. '"status": %%d, "socket": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Phase:
    """One wrk run's figures (latencies in ms)."""

    name: str
    rate: float
    p50: float
    p99: float
    max: float
    bad: int


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def patients(port: int, steps: Sequence[str], each: int) -> list[tuple[str, str, str]]:
    """`each` new patients per step, who answered every page before it: (Cookie, the body
    of a valid POST of that page, its path). wrk cycles through them, so the figures are the
    mean over the question pages, and requests do not all queue on one draft row."""
    return [patient_at(port, step) for _ in range(each) for step in steps]


def patient_at(port: int, step: str) -> tuple[str, str, str]:
    client = Client(port, None)
    html, _ = client.request("GET start", "GET", "/")
    _, path = client.request(
        "POST start", "POST", "/start", {"csrf_token": token(html, "start")}, expect=302
    )
    while path != f"/questions/{step}":
        html, _ = client.request("GET step", "GET", path)
        name = path.rsplit("/", 1)[-1]
        form = {**BACK_PAIN_SUITABLE[name], "csrf_token": token(html, name)}
        _, path = client.request("POST step", "POST", path, form, expect=302)
    html, _ = client.request("GET step", "GET", path)
    form = {**BACK_PAIN_SUITABLE[step], "csrf_token": token(html, step)}
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return cookie, urllib.parse.urlencode(form, doseq=True), path


def wrk(
    name: str,
    port: int,
    method: str,
    path: str,
    patients: list[tuple[str, str, str]],
    args: argparse.Namespace,
    folder: Path,
) -> Phase:
    """Warm up for 1 s, then run wrk for --duration and read the JSON line done() writes."""
    rows = ", ".join("{" + ", ".join(lua_string(x) for x in row) + "}" for row in patients)
    script = folder / f"{name.replace(' ', '_').replace('/', '')}.lua"
    script.write_text(LUA % {"patients": "{" + rows + "}", "method": method, "path": path})
    url = f"http://127.0.0.1:{port}{path}"
    base = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "-s", str(script)]
    subprocess.run([*base, "-d1s", url], capture_output=True, check=True)
    done = subprocess.run(
        [*base, f"-d{args.duration}s", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    got = json.loads(line[5:])
    return Phase(
        name,
        got["requests"] / got["seconds"],
        got["p50"],
        got["p99"],
        got["max"],
        got["status"] + got["socket"],
    )


def app_server(
    name: str, tree: Path, env: dict, args: argparse.Namespace, tmp: Path
) -> tuple[Server, list[tuple[str, str, str]]]:
    """A migrated and seeded app of the code in `tree`, serving; and its waiting patients."""
    prepare_database(env, tree)
    server = Server(name, "wsgi:app", tree, env, args.workers, tmp / f"{name}.log")
    try:
        server.wait()
        return server, patients(server.port, args.step or list(BACK_PAIN_SUITABLE), args.per_page)
    except BaseException:
        server.stop()
        raise


def app_phases(suffix: str, port: int, waiting: list) -> list[tuple]:
    return [
        (f"GET / (start){suffix}", port, "GET", "/", []),
        (f"GET question{suffix}", port, "GET", "/questions/", waiting),
        (f"POST question{suffix}", port, "POST", "/questions/", waiting),
    ]


def report(rounds: list[dict[str, Phase]]) -> None:
    """Medians over the rounds; ratios taken within each round, then their median."""
    names = list(rounds[0])
    width = max(map(len, names)) + 2
    print(
        f"\n{'phase':<{width}}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'worst p99':>10}{'max ms':>8}"
        f"{'errors':>7}  ratio (median of rounds)"
    )
    for name in names:
        runs = [r[name] for r in rounds]
        ratio = ""
        if not name.startswith("bare"):
            pairs = list(zip(runs, rounds, strict=True))
            ratio = f"{median(p.rate / r['bare GET'].rate for p, r in pairs):.1%} of bare GET"
            if "POST" in name:
                to_post = median(p.rate / r["bare POST"].rate for p, r in pairs)
                ratio += f", {to_post:.1%} of bare POST"
        print(
            f"{name:<{width}}{median(p.rate for p in runs):>8.0f}"
            f"{median(p.p50 for p in runs):>8.1f}{median(p.p99 for p in runs):>8.1f}"
            f"{max(p.p99 for p in runs):>10.1f}"
            f"{max(p.max for p in runs):>8.1f}{sum(p.bad for p in runs):>7}  {ratio}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per phase (5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all phases (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--per-page", type=int, default=4, help="patients per question page")
    parser.add_argument(
        "--step", action="append", help="a question page to measure (default: all 10)"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--compare", metavar="REV", help="also measure the app of commit REV")
    parser.add_argument("--compare-database-url", help="an empty database for REV's app")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="intake-wrk-"))
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": "false",
        "INTAKE_INSTANCE_PATH": str(tmp / "instance"),
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
        "FLASK_DEBUG": "0",
        "PATIENT_RATE_LIMIT": "100000000 per minute",
        "BOOKING_RATE_LIMIT": "100000000 per minute",
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "redis://127.0.0.1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    (tmp / "hello").mkdir()
    (tmp / "hello" / "hello.py").write_text(HELLO_APP)
    servers: list[Server] = []
    try:
        app, waiting = app_server("intake", ROOT, env, args, tmp)
        servers.append(app)
        plan = app_phases("", app.port, waiting)
        if args.compare:
            url = args.compare_database_url or f"sqlite:///{tmp / 'compare.db'}"
            if args.database_url and not args.compare_database_url:
                raise SystemExit("--compare with --database-url needs --compare-database-url")
            before_env = env | {"DATABASE_URL": url}
            tree = unpack(args.compare, tmp / "compare")
            before, before_waiting = app_server("compare", tree, before_env, args, tmp)
            servers.append(before)
            plan += app_phases(f" {args.compare}", before.port, before_waiting)
        hello = Server("hello", "hello:app", tmp / "hello", env, args.workers, tmp / "hello.log")
        servers.append(hello)
        hello.wait()
        plan = [
            ("bare GET", hello.port, "GET", "/", []),
            ("bare POST", hello.port, "POST", "/form", [("", "name=Ada", "/form")]),
            *plan,
        ]
        load = os.getloadavg()[0]
        print(
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.2f}; "
            f"gunicorn -w {args.workers} sync; wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s x {args.rounds} rounds; database "
            f"{env['DATABASE_URL'].split('@')[-1]}; {len(waiting)} patients over the pages"
        )
        rounds = [
            {step[0]: wrk(*step, args=args, folder=tmp) for step in plan}
            for _ in range(args.rounds)
        ]
        report(rounds)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return 1 if any(phase.bad for r in rounds for phase in r.values()) else 0
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    print(f"took {time.perf_counter() - start:.0f} s")
    raise SystemExit(code)
