"""Fuzzing: random and hostile bodies posted to every form endpoint, public and staff.

The endpoints come from `app.url_map` (every rule accepting POST), so a new form cannot be
left out. Before each body the patient's state is reset (a live draft with a whole
questionnaire answered, a screened submission without a booking, an unused resume link) and
staff are logged in as an admin with a booking request, an email and a second account in the
database, so bodies reach validation rather than bouncing off a redirect.

Whatever arrives: never a 5xx; only the statuses a person can be shown a page for; a 422 page
has an error summary whose links lead to field error messages; hostile markup is never echoed.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from intake.extensions import db
from intake.models import Draft, OutboxMessage, Submission
from intake.patient.resume_links import create_resume_token
from intake.patient.submissions import new_reference, new_token
from intake.screening import questionnaire
from intake.staff.rules.rulesets import current_version
from tests import journeys
from tests.conftest import (
    POSTGRES_URL,
    STAFF_PASSWORD,
    create_staff,
    login,
    make_app,
    require_service,
)

ALLOWED = {200, 302, 400, 404, 410, 413, 415, 422, 429}
SCRIPT = "<script>alert(1)</script>"

#: 422 pages known not to use the error summary yet, with what they show instead.
PARTIAL_422: dict[str, str] = {}
#: 422 pages that refuse the whole request rather than a field: an error summary of reasons.
REFUSAL_422 = {
    "staff_rules.publish_draft": "the draft has problems or a failing test",
    "staff_rules.restore": "the version has problems or a failing test",
}

HOSTILE = [
    "",
    " ",
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1' --",
    "1; DROP TABLE submissions; --",
    "{{ 7*7 }}",
    "{% print(1) %}",
    "${7*7}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "a\r\nBcc: victim@example.com",
    '=HYPERLINK("http://evil.example")',
    "\u202egnp.exe",  # right-to-left override
    "\u200b\u200c\u200d\ufeff",  # zero-width characters
    "\x00",
    "nul\x00inside",
    "١٢",  # Arabic-Indic digits
    "１２",  # full-width digits
    "²",
    "Ⅻ",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-0",
    "99999999999999999999999999",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "yes",
    "no",
    "none",
    "true",
    "null",
    "[]",
    "{}",
    "🙂" * 50,
    "e\u0301" * 20,  # combining accents
]


def huge(size: int) -> str:
    return "x" * size


def values(known: list[str]) -> st.SearchStrategy[str]:
    """One form value: a real choice, a hostile string, random unicode or something huge."""
    return st.one_of(
        st.sampled_from(known or [""]),
        st.sampled_from(HOSTILE),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.integers(-(10**12), 10**12).map(str),
        st.integers(1_000, 70_000).map(huge),  # past MAX_CONTENT_LENGTH sometimes
    )


def form_bodies(names: list[str], known: list[str]) -> st.SearchStrategy:
    """Fields from the endpoint's own names and random ones; 0 to 3 values each (repeats)."""
    key = st.one_of(
        st.sampled_from(names or ["x"]),
        st.sampled_from(names or ["x"]),
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20),
    )
    return st.dictionaries(key, st.lists(values(known), min_size=1, max_size=3), max_size=12)


def raw_bodies() -> st.SearchStrategy:
    """Bodies that are not a form at all, or a broken one."""
    return st.tuples(
        st.binary(max_size=2_000),
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=xyz",
                "multipart/form-data",
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded; charset=latin-1",
            ]
        ),
    )


@dataclass(repr=False)
class Target:
    """One POST rule of the url_map and how to fill its URL and body."""

    endpoint: str
    rule: Any
    names: list[str]
    known: list[str]

    @property
    def staff(self) -> bool:
        return self.rule.rule.startswith("/staff")

    def __repr__(self) -> str:
        return f"<{self.endpoint} {self.rule.rule}>"


class Fuzz:
    """A module-wide app with its people and records, and how to reset them."""

    def __init__(self, app, admin_cookie: str, answers: dict, submission: dict, ints, strings):
        self.app = app
        #: the admin's signed session cookie: a copy logs a new client in
        self.admin_cookie = admin_cookie
        #: profile name -> a whole questionnaire's answers
        self.answers = answers
        #: the columns of a screened submission, to copy
        self.submission = submission
        #: ids and names that exist, for URL variables
        self.ints = ints
        self.strings = strings
        self.targets: list[Target] = []

    def __repr__(self) -> str:
        return f"<Fuzz {self.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}>"


def build(database_url: str, tmp_path) -> Fuzz:
    """The app, a screened patient of each profile, a booking request, staff."""
    high = "1000000 per minute"
    app = make_app(
        database_url,
        tmp_path,
        PATIENT_RATE_LIMIT=high,
        BOOKING_RATE_LIMIT=high,
        LOGIN_LIMIT=high,
    )
    answers = {}
    for name in ("BACK_PAIN_SUITABLE", "SPORTS_INJURY", "FIBROMYALGIA"):
        client = app.test_client()
        journeys.walk(client, getattr(journeys, name))
        with client.session_transaction() as session:
            draft_id = session["draft_id"]
        with app.app_context():
            answers[name] = dict(db.session.get(Draft, draft_id).answers)
        assert client.post("/check").status_code == 302
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    admin_id = create_staff(app, "admin@clinic.example.com", "admin")
    other_id = create_staff(app, "other@clinic.example.com", "staff")
    admin = app.test_client()
    assert login(admin, "admin@clinic.example.com").status_code == 302
    with app.app_context():
        submission = db.session.scalars(sa.select(Submission)).first()
        columns = {
            "answers": submission.answers,
            "scores": submission.scores,
            "fired": submission.fired,
            "outcome": "suitable",
            "questionnaire_version": submission.questionnaire_version,
            "ruleset_version_id": submission.ruleset_version_id,
        }
        rule_ids = [rule["id"] for rule in current_version().data["rules"]]
        ints = sorted(
            {1, 2, admin_id, other_id, submission.id}
            | set(db.session.scalars(sa.select(OutboxMessage.id)))
        )
    fuzz = Fuzz(
        app=app,
        admin_cookie=admin.get_cookie("session").value,
        answers=answers,
        submission=columns,
        ints=ints,
        strings=rule_ids + [step.id for step in questionnaire.STEPS],
    )
    fuzz.targets = targets(fuzz)
    return fuzz


def page_fields(page: str) -> tuple[list[str], list[str]]:
    """The field names and values a page's forms use."""
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page)
    found = re.findall(r'\bvalue="([^"]*)"', page)
    return sorted(set(map(html.unescape, names))), sorted(set(map(html.unescape, found)))


def targets(fuzz: Fuzz) -> list[Target]:
    """Every POST rule, with the names and values of its own form where a page shows it."""
    found = []
    staff = staff_client(fuzz)
    all_names: set[str] = set()
    all_known: set[str] = set()
    for rule in fuzz.app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        names: list[str] = []
        known: list[str] = []
        if rule.endpoint == "patient.question_page":
            for step in questionnaire.STEPS:
                for question in step.questions:
                    names += [question.id, *question.item_ids]
                    known += [str(choice.value) for choice in question.choices]
            names += ["action", "save_later"]
            known += ["save_later", "continue", "yes", "no", "none"]
        elif rule.endpoint == "patient.booking":
            client = patient_client(fuzz)
            names, known = page_fields(client.get("/booking").get_data(as_text=True))
        elif rule.rule.startswith("/staff") and "GET" in rule.methods and not rule.arguments:
            names, known = page_fields(staff.get(rule.rule).get_data(as_text=True))
        found.append(Target(rule.endpoint, rule, names, known))
        all_names.update(names)
        all_known.update(known)
    # Forms posting to a rule without a GET page of its own (status, notes, retry…) are on
    # other pages: offer every name and value seen on the staff pages.
    names, known = page_fields(staff.get("/staff/requests/1").get_data(as_text=True))
    all_names.update(names)
    all_known.update(known)
    all_names.update(["status", "body", "password", "email", "csrf_token", "next"])
    all_known.update(["contacted", "booked", "declined", "closed", "new", STAFF_PASSWORD])
    # the status form of a contacted or booked request (request 1 is new)
    all_names.update(["first_appointment_on", "treated"])
    all_known.update(["finished", "not_treated", "2026-11-23", "23/11/2026", "31/02/2026"])
    for target in found:
        if not target.names:
            target.names = sorted(all_names)
            target.known = sorted(all_known)
    return found


def patient_client(fuzz: Fuzz, profile: str = "BACK_PAIN_SUITABLE"):
    """A new patient: a live draft with every page answered, and a screened submission."""
    with fuzz.app.app_context():
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        draft = Draft(
            id=new_token(),
            answers=fuzz.answers[profile],
            last_step="needling_safety",
            created_at=now,
            updated_at=now,
            expires_at=now + dt.timedelta(hours=1),
        )
        db.session.add(draft)
        submission = Submission(token=new_token(), reference=new_reference(), **fuzz.submission)
        db.session.add(submission)
        db.session.flush()
        resume = create_resume_token(draft, 3600)
        db.session.commit()
        draft_id, token = draft.id, submission.token
    client = fuzz.app.test_client()
    with client.session_transaction() as session:
        session["draft_id"] = draft_id
        session["submission"] = token
        session["_permanent"] = True
    client.resume_token = resume
    return client


def staff_client(fuzz: Fuzz):
    """A client logged in as the admin (a copy of the admin's signed session cookie)."""
    client = fuzz.app.test_client()
    client.set_cookie("session", fuzz.admin_cookie)
    return client


#: a path segment: any text but "/" (which would make another path, answered by a 308)
SEGMENT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1, max_size=40
)


def url_arguments(fuzz: Fuzz, target: Target, data, client) -> dict[str, Any]:
    """Values for the rule's variables: mostly real ids and names, sometimes anything."""
    arguments = {}
    for name, converter in target.rule._converters.items():
        if isinstance(converter, IntegerConverter):
            arguments[name] = data.draw(
                st.one_of(st.sampled_from(fuzz.ints), st.integers(0, 10**20)), label=name
            )
        elif name == "token":
            arguments[name] = data.draw(
                st.one_of(st.just(client.resume_token), SEGMENT),
                label=name,
            )
        else:
            arguments[name] = data.draw(
                st.one_of(st.sampled_from(fuzz.strings), SEGMENT),
                label=name,
            )
    return arguments


def check(target: Target, response, sent: str) -> None:
    """What every answer to a hostile body must be."""
    status = response.status_code
    page = response.get_data(as_text=True)
    assert status < 500, f"{target.endpoint}: {status}"
    assert status in ALLOWED, f"{target.endpoint}: unexpected {status}"
    if SCRIPT in sent:
        assert SCRIPT not in page, f"{target.endpoint} echoed markup unescaped"
    if status != 422:
        return
    summary = re.search(r'<div class="error-summary".*?</ul>', page, re.S)
    if target.endpoint in REFUSAL_422:
        reasons = re.findall(r"<li>(.*?)</li>", summary.group(0) if summary else "", re.S)
        assert any(reason.strip() for reason in reasons), f"{target.endpoint}: no reasons"
        return
    errors = re.findall(r'class="error-message"[^>]*>(.*?)</p>', page, re.S)
    assert errors and all(re.sub(r"<[^>]+>|Error:", "", e).strip() for e in errors), (
        f"{target.endpoint}: 422 without a field error message"
    )
    if target.endpoint in PARTIAL_422:
        return
    assert summary, f"{target.endpoint}: 422 without an error summary"
    links = re.findall(r'href="#([^"]+)"', summary.group(0))
    assert links, f"{target.endpoint}: the error summary links to no field"
    for anchor in links:
        assert f'id="{anchor}"' in page, f"{target.endpoint}: summary links to missing #{anchor}"


def post_one(fuzz: Fuzz, staff: bool, data) -> None:
    """Draw an endpoint of the group and a body; post it; check the answer."""
    group = [target for target in fuzz.targets if target.staff == staff]
    target = group[data.draw(st.sampled_from(range(len(group))).map(int), label="target")]
    data.draw(st.just(target.rule.rule), label="rule")  # named in a failure report
    if staff:
        client = staff_client(fuzz)
    else:
        profile = data.draw(st.sampled_from(sorted(fuzz.answers)), label="profile")
        client = patient_client(fuzz, profile)
    with fuzz.app.test_request_context():
        url = url_for(target.endpoint, **url_arguments(fuzz, target, data, client))
    if data.draw(st.integers(0, 9), label="raw?") == 0:
        body, content_type = data.draw(raw_bodies(), label="raw body")
        response = client.post(url, data=body, content_type=content_type)
        sent = body.decode("utf-8", "replace")
    else:
        form = data.draw(form_bodies(target.names, target.known), label="form")
        response = client.post(url, data=form)
        sent = repr(form)
    check(target, response, sent)


def fuzz_settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


@pytest.fixture(scope="module")
def sqlite_fuzz(tmp_path_factory) -> Fuzz:
    tmp_path = tmp_path_factory.mktemp("fuzz")
    fuzz = build(f"sqlite:///{tmp_path / 'fuzz.db'}", tmp_path)
    yield fuzz
    with fuzz.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def postgres_fuzz(postgres_url, tmp_path_factory) -> Fuzz:
    """The same on PostgreSQL (which refuses what SQLite lets through: NUL, long text…)."""
    require_service(postgres_url is not None, f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"intake_fuzz_{os.getpid()}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    fuzz = build(url, tmp_path_factory.mktemp("fuzz-pg"))
    yield fuzz
    with fuzz.app.app_context():
        db.session.remove()
        db.engine.dispose()
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def test_every_post_rule_is_fuzzed(sqlite_fuzz):
    endpoints = {target.endpoint for target in sqlite_fuzz.targets}
    assert {"patient.question_page", "patient.booking", "staff.login", "staff.add_note"} <= (
        endpoints
    )
    # every staff form has field names to try
    assert all(target.names for target in sqlite_fuzz.targets)


@given(data=st.data())
@fuzz_settings(1000)
def test_patient_forms_on_sqlite(sqlite_fuzz, data):
    post_one(sqlite_fuzz, staff=False, data=data)


@given(data=st.data())
@fuzz_settings(1000)
def test_staff_forms_on_sqlite(sqlite_fuzz, data):
    post_one(sqlite_fuzz, staff=True, data=data)


@given(data=st.data())
@fuzz_settings(200)
def test_patient_forms_on_postgresql(postgres_fuzz, data):
    post_one(postgres_fuzz, staff=False, data=data)


@given(data=st.data())
@fuzz_settings(200)
def test_staff_forms_on_postgresql(postgres_fuzz, data):
    post_one(postgres_fuzz, staff=True, data=data)
