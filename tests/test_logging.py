"""No health data or names in logs.

Every log record with the root logger at DEBUG (the app's, werkzeug's request lines from a real
HTTP server, SQLAlchemy's pool, alembic's, any library's) is captured while a patient answers a
questionnaire, saves it for later, sends a booking request, the emails are delivered to a real
SMTP server, and staff read and update the request. No distinctive answer or contact detail may
appear in any record's message, arguments or exception text. References (DN-…) may: they are
pseudonymous and are what staff and patients quote.

The deployed entry points log what the README promises: under a real gunicorn (with
gunicorn.conf.py), the outbox worker (`flask outbox work`) and the dev server (`flask run`),
every line has a timestamp, level, logger and request id, as text or JSON (LOG_FORMAT).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from werkzeug.serving import make_server

from intake import create_app, logs
from intake.extensions import db
from intake.mail import outbox
from tests import journeys
from tests.conftest import STAFF_PASSWORD, create_staff, make_app
from tests.servers import server_env, wait_for_port
from tests.smtp import SmtpServer, free_port

NAME = "Quintessa Verity-Lovelace"
EMAIL = "q.verity.lovelace@example.com"
PHONE = "07911 123456"
MESSAGE = "Tuesdays clash with my zyzzyva lessons"
SPORT = "Underwater zorbing"
GOAL = "Win the zyzzyva cup"
SAVE_EMAIL = "later.zyzzyva@example.com"
#: what must never be logged (the phone also in its stored E.164 form and as bare digits)
SECRETS = [NAME, "Quintessa", EMAIL, PHONE, "+447911123456", "7911123456", MESSAGE, SPORT, GOAL]
SECRETS += [SAVE_EMAIL, "zyzzyva", "zorbing"]

PROFILE = journeys.variant(
    journeys.SPORTS_INJURY,
    sports_injury={"sport_name": [SPORT], "sport_return_goal": [GOAL]},
)
BOOKING = dict(journeys.BOOKING, name=NAME, email=EMAIL, phone=PHONE, message=MESSAGE)

#: The test's own SMTP server (aiosmtpd logs the envelope it receives; in production that is
#: another machine's log, not the app's).
SMTP_SERVER_LOGGERS = ("mail.log",)


class Everything(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def all_logs():
    """The root logger and werkzeug's at DEBUG (how an operator turns debug logging on), every
    logger enabled, and a handler on the root logger that keeps every record."""
    handler = Everything()
    root = logging.getLogger()
    loggers = [root, logging.getLogger("werkzeug")] + [
        item for item in root.manager.loggerDict.values() if isinstance(item, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    root.setLevel(logging.DEBUG)
    logging.getLogger("werkzeug").setLevel(logging.DEBUG)
    for logger in loggers:
        logger.disabled = False
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled


@dataclass
class Response:
    status_code: int
    headers: http.client.HTTPMessage
    text: str


class LiveClient:
    """Just enough of an HTTP client with cookies for journeys.walk() against a real server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body, headers=headers)
        raw = connection.getresponse()
        for cookie in raw.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";")[0].partition("=")
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        response = Response(raw.status, raw.headers, raw.read().decode())
        connection.close()
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict | None = None) -> Response:
        return self.request("POST", path, data or {})


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def live(database_url, tmp_path, smtp):
    """The app behind a real (werkzeug) HTTP server, mailing a real SMTP server."""
    app = make_app(
        database_url,
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server.server_port
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def leaks(records: list[logging.LogRecord]) -> list[tuple[str, str, str]]:
    """(logger, secret, text) for every record that shows a secret."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    found = []
    for record in records:
        if record.name.startswith(SMTP_SERVER_LOGGERS):
            continue
        shown = formatter.format(record) + " " + repr(record.args)
        for secret in SECRETS:
            if secret.lower() in shown.lower():
                found.append((record.name, secret, shown[:300]))
    return found


def test_a_whole_journey_logs_no_answers_or_contact_details(live, smtp, all_logs):
    app, port = live
    patient = LiveClient(port)
    assert patient.get("/").status_code == 200

    # someone saves for later first (their email goes into the outbox)
    patient.post("/start")
    patient.post("/questions/about_you", PROFILE["about_you"])
    assert patient.post("/save?step=your_pain", {"email": SAVE_EMAIL}).status_code == 200

    journeys.walk(patient, PROFILE)
    assert patient.post("/check").status_code == 302
    assert SPORT not in patient.get("/result").text  # the result page, not the answers
    assert patient.get("/booking").status_code == 200
    assert patient.post("/booking", BOOKING).headers["Location"].endswith("/booking/sent")
    assert "DN-" in patient.get("/booking/sent").text

    with app.app_context():
        result = outbox.deliver_due()
    assert result.sent == 3
    assert len(smtp.sink.messages) == 3
    clinic_email = smtp.sink.by_subject("New booking request")[0]
    assert SPORT in clinic_email.get_body(("plain",)).get_content()  # the detail is there…

    create_staff(app)
    staff = LiveClient(port)
    login = staff.post(
        "/staff/login", {"email": "staff@clinic.example.com", "password": STAFF_PASSWORD}
    )
    assert login.status_code == 302
    assert staff.get("/staff/").status_code == 200
    assert staff.get("/staff/requests").status_code == 200
    page = staff.get("/staff/requests/1")
    assert NAME in page.text and SPORT in page.text  # …and staff see it
    assert staff.post("/staff/requests/1/notes", {"body": f"Rang {NAME}"}).status_code == 302
    assert staff.post("/staff/requests/1/status", {"status": "contacted"}).status_code == 302
    assert staff.get("/staff/requests.csv").status_code == 200
    assert staff.get("/staff/outbox").status_code == 200

    records = all_logs.records
    names = {record.name for record in records}
    # the capture really saw the app and the HTTP server
    assert {"intake.patient", "intake.outbox", "werkzeug"} <= names
    assert sum(record.name == "werkzeug" for record in records) > 20
    assert leaks(records) == []


def test_database_errors_never_show_the_values(live, all_logs):
    """A failing statement is logged with its SQL but never its parameters (hide_parameters)."""
    app, port = live

    def fail():
        db.session.execute(sql("INSERT INTO no_such_table (name) VALUES (:name)"), {"name": NAME})

    app.add_url_rule("/fail-for-test", view_func=fail)
    assert LiveClient(port).get("/fail-for-test").status_code == 500
    errors = [r for r in all_logs.records if r.name == "intake.errors" and r.exc_info]
    assert errors, "the unexpected error was logged with its traceback"
    assert "no_such_table" in logging.Formatter().format(errors[0])
    assert leaks(all_logs.records) == []


# Logging as deployed: gunicorn, the outbox worker, the dev server ---------------------------

ROOT = Path(__file__).resolve().parent.parent
#: `2026-11-23T10:15:02.123+00:00 INFO intake.patient [3f2a9c1e0b4d5a6f] draft started …`
TEXT_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<logger>\S+) \[(?P<request_id>[^\]]+)\] "
    r"(?P<message>.*)"
)


class CsrfClient(LiveClient):
    """A LiveClient for an app with CSRF on: keeps the token from the last page and sends it."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.token = ""
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        if data is not None:
            data = {**data, "csrf_token": self.token}
        response = super().request(method, path, data)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
        found = found or re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        if found:
            self.token = found.group(1)
        return response


class Process:
    """A child process (gunicorn, flask) with stdout and stderr in files, stopped by pid."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self.stderr_path = cwd / f"{name}.stderr"
        self.stdout_path = cwd / f"{name}.stdout"
        with self.stderr_path.open("wb") as err, self.stdout_path.open("wb") as out:
            self.process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=err)

    def wait_for_port(self, port: int) -> None:
        wait_for_port(self.process, port, self.stderr)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", "replace")


@pytest.fixture
def deployed(tmp_path):
    """Environment for the real entry points (wsgi:app) on a fresh SQLite file; stops them."""
    env = server_env(tmp_path, "deployed.db", ("LOG_", "MAIL_"), CLINIC_EMAIL="clinic@example.test")
    started: list[Process] = []

    def start(args: list[str], name: str, **extra: str) -> Process:
        process = Process(args, env | extra, tmp_path, name)  # cwd: no .env file from the repo
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def text_lines(output: str) -> list[dict[str, str]]:
    """Every line of a text-format log, parsed; a line that is not one fails the test."""
    parsed = []
    for line in output.splitlines():
        if line.startswith((" ", "Traceback", "\t")):  # a traceback's continuation lines
            continue
        match = TEXT_LINE.fullmatch(line)
        assert match, f"not a log line with time, level, logger and request id: {line!r}"
        parsed.append(match.groupdict())
    return parsed


def book_over_http(client: LiveClient) -> None:
    """A whole patient journey with distinctive details, as a browser sends it."""
    assert client.get("/").status_code == 200
    journeys.walk(client, PROFILE)
    assert client.post("/check").status_code == 302
    assert client.get("/booking").status_code == 200
    assert client.post("/booking", BOOKING).headers["Location"].endswith("/booking/sent")


def test_gunicorn_and_the_outbox_worker_log_the_apps_lines(deployed, tmp_path):
    port = free_port()
    server = deployed(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        "gunicorn",
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    server.wait_for_port(port)
    patient = CsrfClient(port)
    book_over_http(patient)
    # a request id from the proxy is kept when it is sane, and sent back
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/privacy", headers={"X-Request-ID": "proxy-id-42"})
    assert connection.getresponse().getheader("X-Request-ID") == "proxy-id-42"
    connection.close()
    server.stop()

    lines = text_lines(server.stderr())
    messages = [(line["logger"], line["message"]) for line in lines]
    app_lines = [line for line in lines if line["logger"].startswith("intake")]
    assert any(m.startswith("draft started draft=") for _, m in messages), messages
    assert any(m.startswith("booking requested submission=") for _, m in messages), messages
    assert any(logger == "gunicorn.error" and "Booting worker" in m for logger, m in messages)
    # each request's lines carry that request's id, a fresh one per request
    ids = [line["request_id"] for line in app_lines]
    assert all(re.fullmatch(r"[0-9a-f]{16}", request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)
    assert {line["level"] for line in lines} <= {"INFO", "WARNING"}

    worker = deployed(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--interval", "0.2"],
        "outbox-work",
    )
    deadline = time.monotonic() + 30
    while worker.stderr().count("outbox sent") < 2 and time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.stderr()
        time.sleep(0.2)
    worker.stop()
    assert worker.process.returncode == 0, worker.stderr()
    lines = text_lines(worker.stderr())
    messages = [line["message"] for line in lines if line["logger"] == "intake.outbox"]
    # the first line says where the emails go, so a newcomer can find them
    assert messages[0] == (
        f"outbox worker delivers to .eml files in {tmp_path / 'instance' / 'mail'} "
        "(no MAIL_SERVER set)"
    ), messages
    written = [m for m in messages if m.startswith("outbox wrote message=")]
    assert len(written) == 2, messages  # where each email went (no MAIL_SERVER: .eml files)
    assert str(tmp_path / "instance" / "mail") in written[0]
    assert sum(m.startswith("outbox sent message=") for m in messages) == 2
    assert all(line["request_id"] == "-" for line in lines)  # no request in a command

    everything = server.stderr() + worker.stderr()
    assert [secret for secret in SECRETS if secret.lower() in everything.lower()] == []


def test_the_dev_server_logs_json_lines_without_query_strings(deployed):
    port = free_port()
    server = deployed(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
        "flask-run",
        LOG_FORMAT="json",
    )
    server.wait_for_port(port)
    patient = CsrfClient(port)
    assert patient.get(f"/?q={urllib.parse.quote(NAME)}").status_code == 200
    assert patient.post("/start").status_code == 302
    assert patient.get("/resume/Zyzzyva-resume-token").status_code in (404, 410)
    server.stop()

    entries = [json.loads(line) for line in server.stderr().splitlines()]
    for entry in entries:
        assert set(entry) >= {"time", "level", "logger", "request_id", "message"}, entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", entry["time"])
    started = [e for e in entries if e["message"].startswith("draft started draft=")]
    assert len(started) == 1 and started[0]["logger"] == "intake.patient"
    assert re.fullmatch(r"[0-9a-f]{16}", started[0]["request_id"])
    request_lines = [e["message"] for e in entries if e["logger"] == "werkzeug"]
    assert any('"GET / HTTP/1.1" 200' in line for line in request_lines), request_lines
    assert any('"GET /resume/<token> HTTP/1.1"' in line for line in request_lines), request_lines
    assert "Quintessa" not in server.stderr()  # the query string is not logged
    assert "Zyzzyva" not in server.stderr()  # nor a resume link's token


# Logging in-process: settings, idempotence, request ids -------------------------------------


def our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER]


def test_configuring_again_keeps_one_handler_and_pytests_capture(tmp_path, caplog):
    for fmt in ("json", "text", "text"):
        create_app({"TESTING": True, "LOG_FORMAT": fmt, "MAIL_DIR": str(tmp_path)})
        assert len(our_handlers()) == 1
        assert caplog.handler in logging.getLogger().handlers  # not clobbered by dictConfig
    with caplog.at_level(logging.INFO):
        logging.getLogger("intake.patient").info("draft started draft=%s", "0123abcd")
    assert "draft started draft=0123abcd" in caplog.text


@pytest.mark.parametrize(
    ("name", "value"), [("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml")], ids=["level", "format"]
)
def test_unknown_log_settings_are_refused_with_the_choices(tmp_path, name, value):
    with pytest.raises(ValueError, match=f"{name} must be one of"):
        create_app({"TESTING": True, name: value, "MAIL_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("7f3e9a2b-1c44-4d5e-9f00-123456789abc", True),
        ("proxy.id_42", True),
        ("x" * 65, False),
        ("two words", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_a_sane_request_id_is_kept_and_any_other_replaced(client, given, kept):
    response = client.get("/privacy", headers={"X-Request-ID": given})
    sent = response.headers["X-Request-ID"]
    if kept:
        assert sent == given
    else:
        assert re.fullmatch(r"[0-9a-f]{16}", sent)


def test_the_log_formats(app):
    record = logging.LogRecord("intake.outbox", logging.WARNING, "", 1, "retry m=%s", (7,), None)
    with app.test_request_context(headers={"X-Request-ID": "abc-123"}):
        logs.RequestIdFilter().filter(record)
    assert record.request_id == "abc-123"
    line = TEXT_LINE.fullmatch(logs.TextFormatter().format(record))
    assert line and line["level"] == "WARNING" and line["logger"] == "intake.outbox"
    assert line["request_id"] == "abc-123" and line["message"] == "retry m=7"
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["level"] == "WARNING" and entry["request_id"] == "abc-123"
    assert entry["message"] == "retry m=7"
