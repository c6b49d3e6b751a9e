"""No health data or names in logs.

Every log record with the root logger at DEBUG (the app's, werkzeug's request lines from a real
HTTP server, SQLAlchemy's pool, alembic's, any library's) is captured while a patient answers a
questionnaire, saves it for later, sends a booking request, the emails are delivered to a real
SMTP server, and staff read and update the request. No distinctive answer or contact detail may
appear in any record's message, arguments or exception text. References (DN-…) may: they are
pseudonymous and are what staff and patients quote.
"""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.parse
from dataclasses import dataclass

import pytest
from sqlalchemy import text as sql
from werkzeug.serving import make_server

from intake.extensions import db
from intake.mail import outbox
from tests import journeys
from tests.conftest import STAFF_PASSWORD, create_staff, make_app
from tests.smtp import SmtpServer

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
