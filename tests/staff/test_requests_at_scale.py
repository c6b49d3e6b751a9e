"""The requests desk at scale (issue 16), as behaviour rather than timings: the list runs a
fixed number of SQL statements whatever the page size, its Older/Newer links walk every match
exactly once (keyset paging), counts stop at a cap and say so, search finds a request by any
part of its name, email, reference or phone digits (on SQLite and PostgreSQL, where the
trigram indexes answer it), the CSV export is streamed from a fixed number of queries, and the
dashboard counts in the database."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select, text

from intake.extensions import db
from intake.models import AuditEvent, BookingRequest, RuleSetVersion, Submission, utcnow
from intake.staff.dashboard import stats
from intake.staff.requests import bookings, export, finding, paging
from intake.staff.requests import views as requests_views
from tests.conftest import make_app

NOW = utcnow().replace(microsecond=0)


def add_requests(app, count: int = 0, people: list[dict] | None = None) -> list[int]:
    """Booking requests written straight to the database (with small submissions): `people`
    as given, then `count` more. Returns their ids in the order given."""
    people = list(people or []) + [{} for _ in range(count)]
    with app.app_context():
        version_id = db.session.scalar(select(RuleSetVersion.id))
        start = db.session.scalar(select(db.func.count(Submission.id)))
        bookings_made = []
        for number, person in enumerate(people, start + 1):
            submission = Submission(
                token=f"token-{number}",
                reference=person.get("reference", f"DN-T{number:05d}"),
                answers={"age": 40},
                scores={},
                fired=[],
                outcome=person.get("outcome", "suitable"),
                questionnaire_version="test",
                ruleset_version_id=version_id,
                created_at=person.get("created_at", NOW - dt.timedelta(minutes=number)),
            )
            bookings_made.append(
                BookingRequest(
                    submission=submission,
                    name=person.get("name", f"Patient {number}"),
                    email=person.get("email", f"patient{number}@example.com"),
                    phone=person.get("phone", f"+4420{number:08d}"),
                    status=person.get("status", "new"),
                    created_at=person.get("created_at", NOW - dt.timedelta(minutes=number)),
                )
            )
        db.session.add_all(bookings_made)
        db.session.commit()
        return [booking.id for booking in bookings_made]


@contextlib.contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    seen: list[str] = []

    def record(connection, cursor, statement, *args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def listed_ids(page_html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/staff/requests/(\d+)"', page_html)]


def link(page_html: str, label: str) -> str | None:
    found = re.search(rf'href="([^"]+)">{label}</a>', page_html)
    return html.unescape(found.group(1)) if found else None


def found_names(staff_client, typed: str) -> list[str]:
    response = staff_client.get("/staff/requests", query_string={"q": typed})
    assert response.status_code == 200
    return re.findall(r'<td class="cell--name">((?:Ada|Grace|Alan) [A-Za-z]+)</td>', response.text)


# --- The list: statements, paging, counts ------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 5, 25])
def test_the_list_runs_at_most_four_statements_whatever_the_page_size(
    app, staff_client, monkeypatch, page_size
):
    """The user, the counts, the rows (with each assignee's email joined) and the staff the
    "Assigned to" filter offers: no statement per row (each used to load its submission,
    answers and all), on any page, filtered, searched or sorted."""
    add_requests(app, 30, [{"name": "Ada Lovelace", "outcome": "review"}])
    monkeypatch.setattr(bookings, "PAGE_SIZE", page_size)
    first = staff_client.get("/staff/requests")
    urls = [
        "/staff/requests",
        link(first.text, "Older"),
        "/staff/requests?outcome=review&status=new&date_from=2020-01-01",
        "/staff/requests?q=lovelace",
        "/staff/requests?q=07412",
        "/staff/requests?page=3",
        "/staff/requests?sort=oldest&due=overdue&assigned=nobody&outcome=urgent&status=open",
        "/staff/requests?due=call_back&assigned=me&date_from=23/11/2020&q=patient",
    ]
    for url in urls:
        with statements(app) as seen:
            response = staff_client.get(url)
        assert response.status_code == 200, url
        assert len(listed_ids(response.text)) <= page_size
        assert len(seen) <= 4, (url, seen)
    assert len(listed_ids(first.text)) == page_size


@pytest.mark.parametrize("cap", [1000, 10])
@pytest.mark.parametrize("search", ["", "&q=atien"])
def test_older_and_newer_links_walk_every_match_exactly_once(
    app, staff_client, monkeypatch, cap, search
):
    """Keyset paging over rows that share timestamps (the id breaks ties), with a filter, and
    with a search (whose per-table queries are united); and the same when the count stops at
    a cap ("more than 10")."""
    monkeypatch.setattr(bookings, "PAGE_SIZE", 4)
    monkeypatch.setattr(finding, "COUNT_CAP", cap)
    monkeypatch.setattr(finding, "SEARCH_COUNT_CAP", cap)
    people = [
        {
            "outcome": "review" if number % 4 else "suitable",
            "created_at": NOW - dt.timedelta(hours=number // 3),  # three at each time
        }
        for number in range(40)
    ]
    ids = add_requests(app, people=people)
    with app.app_context():
        expected = list(
            db.session.scalars(
                select(BookingRequest.id)
                .join(BookingRequest.submission)
                .where(Submission.outcome == "review")
                .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc())
            )
        )
    assert len(expected) == 30 and set(expected) <= set(ids)

    pages, url = [], f"/staff/requests?outcome=review{search}"
    while url:
        response = staff_client.get(url)
        assert response.status_code == 200
        pages.append(response.text)
        url = link(response.text, "Older")
    assert [item for page in pages for item in listed_ids(page)] == expected
    assert len(pages) == 8  # 30 matches, 4 a page
    for number, page in enumerate(pages, 1):
        shown = f"Page {number} of 8" if cap > 30 else f"Page {number}</span>"
        assert shown in page
        assert ("of more than 10." in page) == (cap == 10)
        assert "outcome=review" in (link(page, "Older") or link(page, "Newer") or "")

    walked_back, url = [], link(pages[-1], "Newer")
    while url:
        response = staff_client.get(url)
        walked_back.append(listed_ids(response.text))
        url = link(response.text, "Newer")
    assert walked_back == [listed_ids(page) for page in reversed(pages[:-1])]


def test_page_numbers_still_work_and_stop_at_the_last_page(app, staff_client, monkeypatch):
    monkeypatch.setattr(bookings, "PAGE_SIZE", 5)
    add_requests(app, 12)
    third = staff_client.get("/staff/requests?page=3").text
    assert "Page 3 of 3" in third and len(listed_ids(third)) == 2
    assert "Requests 11–12 of 12." in third
    assert "Page 3 of 3" in staff_client.get("/staff/requests?page=99").text
    assert link(third, "Older") is None and link(third, "Newest") is not None


@pytest.mark.parametrize(
    "query",
    [
        "after=nonsense",
        "after=2026-13-01T00:00:00~1",
        "after=2026-01-01T00:00:00%2B02:00~1",
        "before=2026-01-01T00:00:00~99999999999999999999",
        "after=~",
        "before=2999-01-01T00:00:00~1&page=7",
    ],
)
def test_a_broken_or_stale_cursor_shows_the_first_page(app, staff_client, query):
    ids = add_requests(app, 3)
    response = staff_client.get(f"/staff/requests?{query}")
    assert response.status_code == 200
    assert listed_ids(response.text) == ids and "Page 1 of 1" in response.text


# --- Search ------------------------------------------------------------------------------------

PEOPLE = [
    {
        "name": "Ada Lovelace",
        "email": "ada.l@example.org",
        "phone": "+447412345678",
        "reference": "DN-7K3F9Q",
    },
    {
        "name": "Grace Hopper",
        "email": "grace@navy.example",
        "phone": "+14155550123",
        "reference": "DN-ABCDEF",
    },
]


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("07412", ["Ada Lovelace"]),  # the national form of +44 7412…
        ("07412 345678", ["Ada Lovelace"]),
        ("+44 7412 345", ["Ada Lovelace"]),
        ("0044 7412", ["Ada Lovelace"]),
        ("412-345", ["Ada Lovelace"]),
        ("345678", ["Ada Lovelace"]),
        ("(415) 555", ["Grace Hopper"]),
        ("lovel", ["Ada Lovelace"]),
        ("ADA LOVELACE", ["Ada Lovelace"]),
        ("ada.l@EXAMPLE", ["Ada Lovelace"]),
        ("example.org", ["Ada Lovelace"]),
        ("dn-7k3", ["Ada Lovelace"]),
        ("3F9", ["Ada Lovelace"]),
        ("hopper", ["Grace Hopper"]),
        ("navy", ["Grace Hopper"]),
        ("DN-ABCDEF", ["Grace Hopper"]),
        ("a", ["Grace Hopper", "Ada Lovelace"]),  # newest first
        ("Turing", []),
        ("12", []),  # too few digits to search numbers, and in no name
        ("%", []),  # LIKE's wildcards are searched for as typed
        ("_", []),
        ("7K3 9Q", []),
    ],
)
def test_search_finds_a_request_by_any_part_of_its_details(app, staff_client, typed, names):
    add_requests(app, people=[{**PEOPLE[0], "created_at": NOW - dt.timedelta(days=1)}])
    add_requests(app, people=[PEOPLE[1]])
    add_requests(app, 5)
    assert found_names(staff_client, typed) == names


def test_phone_digits_are_read_from_what_looks_like_a_number():
    assert finding.phone_digits("07412 345") == "7412345"
    assert finding.phone_digits("+44 (7412) 345-678") == "447412345678"
    assert finding.phone_digits("0044 7412") == "447412"
    assert finding.phone_digits("DN-7K3") == ""
    assert finding.phone_digits("ada 07412") == ""
    assert finding.phone_digits("0 12") == ""


@pytest.fixture
def pg_app(pg_url, tmp_path):
    app = make_app(pg_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def explain(app, typed: str) -> str:
    """PostgreSQL's plan for a page of the search, with plain scans of tables and of whole
    indexes priced out: on a small table they win, which says nothing about a million rows.
    What is left is bitmap scans, which need an index that answers the LIKE itself; without
    one, PostgreSQL still falls back on a sequential scan, and the test fails."""
    query = paging.rows_query(finding.RequestFilter(search=typed))
    sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    return "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))


@pytest.mark.postgres
def test_search_uses_the_trigram_indexes_on_postgresql(pg_app):
    add_requests(pg_app, 200, PEOPLE)
    with pg_app.app_context():
        db.session.execute(text("ANALYZE"))
        by_name = explain(pg_app, "lovelace")
        by_phone = explain(pg_app, "07412 345")
        db.session.rollback()
    for index in (
        "ix_booking_requests_name_trgm",
        "ix_booking_requests_email_trgm",
        "ix_submissions_reference_trgm",
    ):
        assert index in by_name, by_name
    assert "ix_booking_requests_phone_trgm" in by_phone, by_phone
    assert "Seq Scan on booking_requests" not in by_name + by_phone


# --- CSV export --------------------------------------------------------------------------------


def export_csv(app, staff_client, url: str = "/staff/requests.csv"):
    """(the CSV rows, the statements run). The rows are read only as the body is: when the
    response comes back (headers sent), the query of the rows has not run yet."""
    with statements(app) as seen:
        response = staff_client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert not [statement for statement in seen if "ruleset_versions" in statement]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len([statement for statement in seen if "ruleset_versions" in statement]) == 1
    return rows, seen


def test_the_csv_export_is_streamed_from_a_fixed_number_of_queries(app, staff_client, monkeypatch):
    """Chunks of 4 rows here: 3 rows or 60 (15 chunks) take the same statements."""
    monkeypatch.setattr(export, "CHUNK_ROWS", 4)
    add_requests(app, 3)
    few, few_statements = export_csv(app, staff_client)
    add_requests(app, 57, [{"name": "=cmd|' /C calc'!A0", "outcome": "review", "created_at": NOW}])
    many, many_statements = export_csv(app, staff_client)
    assert len(few) == 1 + 3 and len(many) == 1 + 61
    assert len(many_statements) == len(few_statements) <= 6
    assert many[0][0] == "Reference" and many[1][6] == "'=cmd|' /C calc'!A0"
    filtered, _ = export_csv(app, staff_client, "/staff/requests.csv?outcome=review&q=calc")
    assert len(filtered) == 2
    with app.app_context():
        audited = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).all()
    assert [event.details["rows"] for event in audited] == [3, 61, 1]
    assert audited[-1].details["filters"] == {"outcome": "review", "q": "calc"}


def test_the_export_view_returns_a_streamed_response(app):
    add_requests(app, 3)
    with app.test_request_context("/staff/requests.csv"):
        response = requests_views.export_requests()
        assert response.is_streamed
        assert "".join(response.response).count("\n") == 4
        response.close()


# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_counts_weeks_and_the_funnel_in_the_database(app, staff_client):
    today = NOW.date()
    monday = today - dt.timedelta(days=today.weekday())
    add_requests(
        app,
        people=[
            {"outcome": "review", "created_at": dt.datetime.combine(monday, dt.time(9))},
            {"outcome": "review", "created_at": dt.datetime.combine(monday, dt.time(0))},
            {"outcome": "suitable", "created_at": dt.datetime.combine(monday, dt.time(0))},
            {"outcome": "suitable", "created_at": NOW - dt.timedelta(days=8)},
            {"outcome": "suitable", "created_at": NOW - dt.timedelta(days=40), "status": "closed"},
            {"outcome": "review", "created_at": NOW - dt.timedelta(weeks=13)},
        ],
    )
    with app.app_context():
        labels, counts = stats.weekly_outcomes(weeks=12, today=today)
        assert len(labels) == 12
        assert counts["review"][-1] == 2 and counts["suitable"][-1] == 1
        assert sum(counts["review"]) == 2  # 13 weeks ago is off the chart
        assert counts["suitable"][-2] + counts["suitable"][-3] == 1  # 8 days ago
        assert sum(counts["suitable"]) == 3  # and 40 days ago
    page = staff_client.get("/staff/").text
    funnel = dict(re.findall(r">(Completed|Booking requested)</text>.*?>(\d+)</text>", page))
    assert funnel == {"Completed": "4", "Booking requested": "4"}  # the last 30 days
    assert "<strong>5</strong> new requests</a>" in page
