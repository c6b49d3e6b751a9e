"""Abuse protection: rate limits on the patient forms (shared by several app servers through
Redis), and the booking form's honeypot."""

from __future__ import annotations

import http.client
import random
import re
import secrets
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake.config import SETTINGS
from intake.extensions import db, limiter
from intake.models import BookingRequest, OutboxMessage
from tests import journeys
from tests.conftest import make_app, require_service
from tests.servers import server_env, wait_for_port
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)
CONF = ROOT / "gunicorn.conf.py"


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_429(response) -> None:
    assert response.status_code == 429
    page = text(response)
    assert "Too many attempts" in page
    assert '<link rel="stylesheet"' in page  # the styled page


def test_questionnaire_posts_share_one_allowance_per_address(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'q.db'}", tmp_path, PATIENT_RATE_LIMIT="4 per minute")
    client = app.test_client()
    client.post("/start")
    profile = journeys.BACK_PAIN_SUITABLE
    assert client.post("/questions/about_you", data=profile["about_you"]).status_code == 302
    assert client.post("/questions/pain_areas", data=profile["pain_areas"]).status_code == 302
    errors = client.post("/questions/your_pain", data={})  # a page with errors counts too
    assert errors.headers["Location"].endswith("/questions/your_pain")
    assert_429(client.post("/questions/your_pain", data=profile["your_pain"]))
    assert_429(client.post("/start"))
    assert_429(client.post("/check"))
    # reading is never limited, and another address has its own allowance
    assert client.get("/questions/your_pain").status_code == 422  # the held errors
    other = app.test_client()
    assert other.post("/start", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302


def test_booking_posts_are_limited_per_address(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, BOOKING_RATE_LIMIT="2 per hour")
    client = app.test_client()
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    assert client.post("/booking", data={}).headers["Location"] == "/booking"  # errors
    assert client.post("/booking", data={"name": "Ada"}).headers["Location"] == "/booking"
    assert_429(client.post("/booking", data=journeys.BOOKING))
    assert client.get("/booking").status_code == 422  # reading is not limited: held errors


def limiter_checks_every_request(app) -> bool:
    """Whether Flask-Limiter's check runs before every request of `app`."""
    return any(
        getattr(hook, "__self__", None) is limiter for hook in app.before_request_funcs[None]
    )


def test_a_limit_for_every_request_is_still_counted_when_one_is_set(tmp_path):
    """Flask-Limiter's check before every request finds nothing to count here (every limit is
    on the views it guards), so it is dropped (hardening.drop_idle_limit_check); a limit for
    every request, once set, keeps it and is counted."""
    assert not limiter_checks_every_request(make_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path))
    try:
        app = make_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, RATELIMIT_DEFAULT="2/minute")
        assert limiter_checks_every_request(app)
        client = app.test_client()
        assert [client.get("/privacy").status_code for _ in range(3)] == [200, 200, 429]
    finally:  # the limiter is one object for every app in this process
        limiter.limit_manager.set_default_limits([])
    assert not limiter_checks_every_request(make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path))


def test_default_limits_let_a_whole_journey_through(tmp_path):
    defaults = {name: SETTINGS[name][0] for name in ("PATIENT_RATE_LIMIT", "BOOKING_RATE_LIMIT")}
    assert defaults == {"PATIENT_RATE_LIMIT": "120 per minute", "BOOKING_RATE_LIMIT": "20 per hour"}
    app = make_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, **defaults)
    client = app.test_client()
    for _ in range(3):  # three people on one address, one after the other
        journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
        assert client.post("/check").status_code == 302
        assert client.post("/booking", data=journeys.BOOKING).status_code == 302


# Two app servers --------------------------------------------------------------------------


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Server:
    """One app server: gunicorn with this repository's gunicorn.conf.py (or `config`)."""

    def __init__(self, env: dict[str, str], cwd: Path, workers: int = 1, config: Path = CONF):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(config), "wsgi:app"],
            env=env | {"PORT": str(self.port), "WEB_CONCURRENCY": str(workers)},
            cwd=cwd,  # no .env file from the repository
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_until_up(self) -> None:
        wait_for_port(self.process, self.port, lambda: self.process.stderr.read().decode())

    def request(self, method: str, path: str, headers: dict, body: str = ""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        result = response.status, response.getheader("Set-Cookie") or "", response.read()
        connection.close()
        return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stderr.close()


def app_server_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of an app server on a fresh shared SQLite database, behind one proxy."""
    drop = ("RATELIMIT_", "WEB_CONCURRENCY")
    return server_env(tmp_path, "shared.db", drop, **({"PROXY_FIX": "1"} | settings))


@pytest.fixture
def two_servers(request, tmp_path):
    """Start two gunicorn servers on one database with the given rate-limit storage."""
    servers: list[Server] = []

    def start(storage: str) -> list[Server]:
        env = app_server_env(
            tmp_path, PATIENT_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=storage
        )
        servers.extend([Server(env, tmp_path), Server(env, tmp_path)])
        for server in servers:
            server.wait_until_up()
        return servers

    yield start
    for server in servers:
        server.stop()


def random_client_address() -> str:
    """A random address per run, so runs sharing the Redis server never share a counter."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def start_six_times_alternating(servers: list[Server]) -> list[int]:
    """A patient behind a proxy starts the questionnaire six times, on servers A, B, A, B…"""
    headers = {"X-Forwarded-For": random_client_address()}
    _, cookie, page = servers[0].request("GET", "/", headers)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    headers |= {
        "Cookie": cookie.split(";")[0],
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return [
        servers[i % 2].request("POST", "/start", headers, f"csrf_token={token}")[0]
        for i in range(6)
    ]


def test_with_redis_two_servers_share_the_limit(two_servers):
    require_service(redis_available(), f"Redis is not reachable at {REDIS[0]}:{REDIS[1]}")
    statuses = start_six_times_alternating(two_servers("redis://127.0.0.1:6379/0"))
    assert statuses == [302, 302, 302, 429, 429, 429]


def test_with_memory_storage_each_server_counts_alone(two_servers):
    """Why production with several servers needs redis://: memory:// is per process."""
    statuses = start_six_times_alternating(two_servers("memory://"))
    assert statuses == [302] * 6


# Several workers in one server ------------------------------------------------------------

#: gunicorn.conf.py, plus a hook noting which worker served each request.
RECORDING_CONF = """
exec(compile(open({conf!r}).read(), {conf!r}, "exec"))


def post_request(worker, req, environ, resp):
    with open({pids!r}, "a") as pids:
        pids.write(f"{{worker.pid}}\\n")
"""


def fail_logins(server: Server, times: int) -> list[int]:
    """`times` wrong passwords for one account from one client, four at a time."""
    headers = {"X-Forwarded-For": random_client_address()}
    _, cookies, page = server.request("GET", "/staff/login", headers)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    headers |= {
        "Cookie": re.search(r"session=[^;]+", cookies).group(0),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = f"csrf_token={token}&email=nobody-{secrets.token_hex(4)}%40example.test&password=x"
    with ThreadPoolExecutor(4) as pool:
        return list(
            pool.map(
                lambda _: server.request("POST", "/staff/login", headers, body)[0], range(times)
            )
        )


def test_with_redis_two_workers_share_the_login_limit(tmp_path):
    """Issue 14 (6): with memory:// and 5 workers, 20 failed logins met one 429."""
    require_service(redis_available(), f"Redis is not reachable at {REDIS[0]}:{REDIS[1]}")
    pids, conf = tmp_path / "pids", tmp_path / "recording.conf.py"
    conf.write_text(RECORDING_CONF.format(conf=str(CONF), pids=str(pids)))
    env = app_server_env(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert SETTINGS["LOGIN_LIMIT"][0] == "5 per minute;30 per hour"  # the default, in force
    server = Server(env, tmp_path, workers=2, config=conf)
    try:
        server.wait_until_up()
        statuses = fail_logins(server, 20)
    finally:
        server.stop()
    assert sorted(statuses) == [422] * 5 + [429] * 15
    assert len(set(pids.read_text().split())) == 2, "both workers answered"


@pytest.mark.parametrize("workers", ["WEB_CONCURRENCY", "--workers"])
def test_several_workers_with_memory_storage_refuse_to_start(tmp_path, workers):
    """memory:// counts per process: gunicorn with two workers stops, saying what to set."""
    conf = tmp_path / "gunicorn.conf.py"  # a copy away from the repository: no .env is read
    conf.write_text(CONF.read_text())
    env = app_server_env(tmp_path)  # RATELIMIT_STORAGE_URI unset: the default, memory://
    assert SETTINGS["RATELIMIT_STORAGE_URI"][0] == "memory://"
    command = [sys.executable, "-m", "gunicorn", "-c", str(conf), "-b", f"127.0.0.1:{free_port()}"]
    if workers == "--workers":
        command += ["--workers", "2"]
    else:
        env["WEB_CONCURRENCY"] = "2"
    result = subprocess.run(
        [*command, "wsgi:app"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Refusing to start" in result.stderr
    assert "2 workers would each count the rate limits on their own" in result.stderr
    assert "RATELIMIT_STORAGE_URI=redis://" in result.stderr
    assert "WEB_CONCURRENCY=1" in result.stderr
    assert "Booting worker" not in result.stderr  # stopped before any worker started


def test_one_worker_with_memory_storage_starts(tmp_path):
    """A single worker (or `make run`'s single-process server) needs nothing configured."""
    server = Server(app_server_env(tmp_path), tmp_path, workers=1)
    try:
        server.wait_until_up()
        assert server.request("GET", "/", {})[0] == 200
    finally:
        server.stop()


# The honeypot -----------------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    page = text(client.get("/booking"))
    wrapper = re.search(r'<div class="visually-hidden" aria-hidden="true">(.*?)</div>', page, re.S)
    assert wrapper, "the honeypot is wrapped in an aria-hidden, visually hidden element"
    inner = wrapper.group(1)
    assert '<label for="website">Leave this empty</label>' in inner
    field = re.search(r"<input[^>]*>", inner).group(0)
    for attribute in ('name="website"', 'tabindex="-1"', 'autocomplete="off"', 'value=""'):
        assert attribute in field
    assert page.index("website") > page.index('name="consent"')  # after the real fields


def test_a_filled_honeypot_stores_nothing_but_looks_like_success(app, client, caplog):
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    caplog.set_level("INFO", logger="intake")
    response = client.post("/booking", data=dict(journeys.BOOKING, website="http://spam.example"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/booking/sent")
    with app.app_context():
        assert db.session.scalar(select(func.count(BookingRequest.id))) == 0
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    (line,) = [r.getMessage() for r in caplog.records if "honeypot" in r.getMessage()]
    assert re.fullmatch(r"booking dropped, honeypot filled submission=\d+", line)
    # a person whose browser filled it anyway is not told it was sent: the form comes back
    assert client.get("/booking/sent").headers["Location"].endswith("/booking")
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(BookingRequest.id))) == 1
