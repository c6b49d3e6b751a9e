"""Browser tests, and the catalogue of patient pages shared with the page-weight test.

``PATIENT_PAGES`` lists every page a patient can see, each with how to reach it. ``prepare``
gets a session there over plain HTTP (the Flask test client, or Playwright's request context,
which shares the browser's cookies), so each test only renders the page it is about.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tests import journeys

#: The three journeys whose question pages are all checked (between them, every step).
JOURNEYS: dict[str, dict] = {
    "back_pain": journeys.BACK_PAIN_SUITABLE,
    "sports": journeys.SPORTS_INJURY,
    "fibromyalgia": journeys.FIBROMYALGIA,
}

#: A profile for each of the six screening outcomes.
OUTCOMES: dict[str, dict] = {
    "suitable": journeys.BACK_PAIN_SUITABLE,
    "review": journeys.BLOOD_THINNERS,
    "emergency": journeys.SADDLE_NUMBNESS,
    "see_doctor": journeys.variant(
        journeys.BACK_PAIN_SUITABLE,
        back_warning_signs={"rf_other_checklist": ["rf_cancer_history"]},
    ),
    "not_advised": journeys.variant(
        journeys.BACK_PAIN_SUITABLE, needling_safety={"safety_checklist": ["needle_phobia"]}
    ),
    "not_indicated": journeys.variant(
        journeys.BACK_PAIN_SUITABLE, pain_impact={"nprs_now": ["0"], "peg_pain_avg_week": ["0"]}
    ),
}

#: A route the test apps add, so the 500 page can be looked at too.
BOOM_PATH = "/__test__/boom"

CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_boom_route(app) -> None:
    """Add a view that raises, before the app serves its first request."""

    def boom():
        raise RuntimeError("deliberate test error")

    app.add_url_rule(BOOM_PATH, "test_boom", boom)


@dataclass(frozen=True)
class PatientPage:
    """A patient page and how to get there."""

    name: str
    path: str
    status: int = 200
    profile: dict | None = None  # answer this journey's pages first...
    until: str | None = None  # ...up to (not including) this step; None: every step
    start: bool = False  # only start a questionnaire first
    screen: bool = False  # then confirm the answers (POST /check)
    book: bool = False  # then send the booking request
    expire: bool = False  # then let the draft expire
    save_for_later: bool = False  # then ask for a "carry on later" link; open that link
    submit: dict | None = None  # open `path`, then send its form with these fields filled in
    drop_cookies: bool = False  # lose the session cookie before sending the form


SAVE_EMAIL = "later@example.com"
#: The booking form's required fields as a patient fills them in ("y": tick the box).
SEND = {k: v for k, v in journeys.BOOKING.items() if k in ("name", "email", "phone", "consent")}


def _catalogue() -> list[PatientPage]:
    pages = [
        PatientPage("start", "/"),
        PatientPage("start-resume", "/", start=True),
        PatientPage("privacy", "/privacy"),
    ]
    seen: set[str] = set()
    for profile in JOURNEYS.values():
        for step in profile:
            if step in seen:
                continue
            seen.add(step)
            path = f"/questions/{step}"
            pages.append(PatientPage(f"question-{step}", path, profile=profile, until=step))
            pages.append(
                PatientPage(
                    f"question-{step}-errors", path, 422, profile=profile, until=step, submit={}
                )
            )
    pages.append(PatientPage("check", "/check", profile=journeys.BACK_PAIN_SUITABLE))
    for outcome, profile in OUTCOMES.items():
        pages.append(PatientPage(f"result-{outcome}", "/result", profile=profile, screen=True))
    suitable = journeys.BACK_PAIN_SUITABLE
    pages += [
        PatientPage("booking", "/booking", profile=suitable, screen=True),
        PatientPage("booking-errors", "/booking", 422, profile=suitable, screen=True, submit={}),
        PatientPage("booking-sent", "/booking", profile=suitable, screen=True, submit=SEND),
        PatientPage(
            "booking-sent-again", "/booking/sent", profile=suitable, screen=True, book=True
        ),
        PatientPage("result-finished", "/result", profile=suitable, screen=True, submit={}),
        PatientPage("error-404", "/no-such-page", 404),
        PatientPage("error-500", BOOM_PATH, 500),
        PatientPage("draft-expired", "/questions/about_you", 410, start=True, expire=True),
        PatientPage("draft-missing", "/questions/your_pain", 404),
        PatientPage("csrf-expired", "/", 400, submit={}, drop_cookies=True),
        PatientPage("save", "/save?step=about_you", start=True),
        PatientPage("save-errors", "/save?step=about_you", 422, start=True, submit={}),
        PatientPage("save-sent", "/save?step=about_you", start=True, submit={"email": SAVE_EMAIL}),
        PatientPage("resume", "/resume/<token>", start=True, save_for_later=True),
    ]
    return pages


PATIENT_PAGES: list[PatientPage] = _catalogue()


class Http(Protocol):
    """A cookie-keeping HTTP session that follows redirects: (final path, HTML)."""

    def get(self, path: str) -> tuple[str, str]: ...

    def post(self, path: str, data: dict) -> tuple[str, str]: ...


def encode(data: dict) -> str:
    """Form data (values are strings or lists of strings), URL-encoded."""
    return urllib.parse.urlencode(data, doseq=True)


def token(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = CSRF_TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def answer(http: Http, profile: dict, until: str | None = None) -> None:
    """Start a questionnaire and answer the pages the app shows, until `until` or /check."""
    _, html = http.get("/")
    path, html = http.post("/start", {"csrf_token": token(html)})
    while path.startswith("/questions/"):
        step = path.rsplit("/", 1)[-1]
        if step == until:
            return
        assert step in profile, f"unexpected step {step!r}"
        path, html = http.post(path, {**profile[step], "csrf_token": token(html)})
    assert until is None, f"step {until!r} was never shown"
    assert path == "/check", path


class Server(Protocol):
    """What a test can do behind the app's back, for the session being tested."""

    def expire_draft(self) -> None: ...

    def resume_path(self, email: str) -> str: ...


def prepare(http: Http, page: PatientPage, server: Server) -> str:
    """Bring a session to the point where `page` can be opened; the path to open."""
    path = page.path
    if page.start:
        _, html = http.get("/")
        http.post("/start", {"csrf_token": token(html)})
    if page.profile is not None:
        answer(http, page.profile, page.until)
    if page.screen:
        _, html = http.get("/check")
        landed, _ = http.post("/check", {"csrf_token": token(html)})
        assert landed == "/result", landed
    if page.book:
        _, html = http.get("/booking")
        landed, _ = http.post("/booking", {**journeys.BOOKING, "csrf_token": token(html)})
        assert landed == "/booking/sent", landed
    if page.expire:
        server.expire_draft()
    if page.save_for_later:
        _, html = http.get("/save")
        http.post("/save", {"email": SAVE_EMAIL, "csrf_token": token(html)})
        path = server.resume_path(SAVE_EMAIL)
    return path


class AppHooks:
    """`Server` for an app in this process; `cookie()` gives the session cookie's value."""

    def __init__(self, app, cookie: Callable[[], str]):
        self.app = app
        self.cookie = cookie

    def expire_draft(self) -> None:
        """Make this session's draft expire now."""
        import datetime as dt

        from intake.extensions import db
        from intake.models import Draft

        session = self.app.session_interface.get_signing_serializer(self.app).loads(self.cookie())
        with self.app.app_context():
            draft = db.session.get(Draft, session["draft_id"])
            draft.expires_at = dt.datetime(2000, 1, 1)
            db.session.commit()

    def resume_path(self, email: str) -> str:
        """The path of the newest "carry on later" link emailed to `email` (from the outbox)."""
        from intake.extensions import db
        from intake.models import OutboxMessage

        with self.app.app_context():
            messages = db.session.scalars(
                db.select(OutboxMessage)
                .where(OutboxMessage.kind == "resume_link")
                .order_by(OutboxMessage.id.desc())
            )
            for message in messages:
                if email in message.recipients:
                    found = re.search(r"/resume/[A-Za-z0-9_-]+", message.text_body)
                    assert found, message.text_body
                    return found.group(0)
        raise AssertionError(f"no resume link was queued for {email}")
