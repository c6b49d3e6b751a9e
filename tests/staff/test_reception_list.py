"""The requests list as a reception desk (issue 13): overdue rows marked (the promise counted in
working days in the clinic's zone, on a controlled clock), the desk's filters (status incl.
"Tried to call", open, not yet reached, see a doctor or emergency, overdue, call-backs due,
assigned to me / nobody / a colleague), dates as clinic days typed as pickers send them or as
staff type them, oldest first with keyset paging both ways, and the shown columns. On SQLite
and PostgreSQL (the database_url fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from intake import clinic_time
from intake.extensions import db
from intake.models import BookingRequest, RuleSetVersion, Submission, User
from intake.staff.requests import bookings, desk_clock
from tests.conftest import create_staff, login, make_app

LONDON = clinic_time.zone("Europe/London")
NEW_YORK = clinic_time.zone("America/New_York")
# 2026-12-07 is a Monday
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2026, 12, 7) + dt.timedelta(days=i) for i in range(7))
NEXT_MON = MON + dt.timedelta(days=7)
#: the controlled clock's default: Thursday 10 December 2026, 10:00 in London (and UTC)
NOW = dt.datetime(2026, 12, 10, 10, 0)


def at(day: dt.date, hour: int, minute: int = 0, tz: dt.tzinfo = LONDON) -> dt.datetime:
    """Naive UTC of a clinic wall time."""
    return clinic_time.to_utc(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz))


def add(app, *people: dict) -> list[int]:
    """Booking requests (with small submissions) written straight to the database; each dict
    may set outcome, reference and any BookingRequest column. Their ids, in the order given."""
    with app.app_context():
        version_id = db.session.scalar(select(RuleSetVersion.id))
        start = db.session.scalar(select(func.count(Submission.id)))
        made = []
        for number, given in enumerate(people, start + 1):
            person = dict(given)
            created = person.pop("created_at", NOW - dt.timedelta(minutes=number))
            submission = Submission(
                token=f"token-{number}",
                reference=person.pop("reference", f"DN-R{number:05d}"),
                answers={"age": 40},
                scores={},
                fired=[],
                outcome=person.pop("outcome", "suitable"),
                questionnaire_version="test",
                ruleset_version_id=version_id,
                created_at=created,
            )
            person.setdefault("name", f"Patient {number}")
            person.setdefault("email", f"patient{number}@example.com")
            person.setdefault("phone", f"+4420{number:08d}")
            made.append(BookingRequest(submission=submission, created_at=created, **person))
        db.session.add_all(made)
        db.session.commit()
        return [booking.id for booking in made]


def listed_ids(page_html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/staff/requests/(\d+)"', page_html)]


def overdue_ids(page_html: str) -> list[int]:
    found = re.findall(
        r'<tr class="row--overdue">\s*<td class="cell--ref"><a href="/staff/requests/(\d+)"',
        page_html,
    )
    return [int(number) for number in found]


def link(page_html: str, label: str) -> str | None:
    found = re.search(rf'href="([^"]+)">{label}</a>', page_html)
    return html.unescape(found.group(1)) if found else None


def field_error(page_html: str, field: str) -> str:
    found = re.search(
        rf'<p id="{field}-error" class="error-message">'
        r'<span class="visually-hidden">Error:</span> ([^<]+)</p>',
        page_html,
    )
    return html.unescape(found.group(1)) if found else ""


@pytest.fixture
def clock(monkeypatch) -> Iterator:
    """Sets what "now" is to the requests desk: clock(moment) (naive UTC); NOW to begin with."""
    moments = [NOW]
    monkeypatch.setattr(desk_clock, "utcnow", lambda: moments[-1])
    yield moments.append


@pytest.fixture
def new_york_app(database_url, tmp_path) -> Iterator:
    """An app whose clinic is in New York."""
    app = make_app(database_url, tmp_path, CLINIC_TIMEZONE="America/New_York")
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def staff_client_of(app, email: str = "staff@clinic.example.com"):
    create_staff(app, email)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


# --- Overdue: the promise in working days, in the clinic's zone -------------------------------


@pytest.mark.parametrize(
    ("now", "received", "overdue"),
    [
        # Thursday: Monday's requests were due by the end of Wednesday
        (at(THU, 0), [at(MON, 23, 59), at(TUE, 0, 1), at(WED, 9)], [True, False, False]),
        (at(WED, 23, 59), [at(MON, 0, 1)], [False]),
        # across a weekend: Wednesday's were due Friday; Thursday's are due Monday
        (at(SAT, 10), [at(WED, 18), at(THU, 8)], [True, False]),
        (
            at(NEXT_MON, 10),
            [at(WED, 18), at(THU, 8), at(FRI, 20), at(SAT, 11)],
            [True] + [False] * 3,
        ),
        (at(NEXT_MON + dt.timedelta(days=1), 0), [at(THU, 8), at(FRI, 20)], [True, False]),
        # a weekend request counts as Friday's (+2 working days: due by Tuesday's end)
        (at(NEXT_MON + dt.timedelta(days=1), 23), [at(SAT, 11), at(SUN, 22)], [False, False]),
        (at(NEXT_MON + dt.timedelta(days=2), 0), [at(SAT, 11), at(SUN, 22)], [True, True]),
    ],
)
def test_overdue_rows_are_marked_and_filtered_across_a_weekend(
    app, staff_client, clock, now, received, overdue
):
    clock(now)
    ids = add(app, *({"created_at": moment} for moment in received))
    contacted = add(app, {"created_at": at(MON - dt.timedelta(days=7), 9), "status": "contacted"})
    expected = [booking for booking, late in zip(ids, overdue, strict=True) if late]
    page = staff_client.get("/staff/requests").text
    assert sorted(overdue_ids(page)) == sorted(expected)
    assert page.count('<span class="badge badge--overdue">Overdue</span>') == len(expected)
    assert ("“Overdue” marks new requests" in page) == bool(expected)
    only = staff_client.get("/staff/requests?due=overdue").text
    assert sorted(listed_ids(only)) == sorted(expected)
    assert contacted[0] not in listed_ids(only)


def test_overdue_counts_clinic_days_in_the_clinics_own_zone(new_york_app, clock):
    """23:30 on Monday in New York is 04:30 on Tuesday in UTC: a Monday request there, due by
    the end of Wednesday (New York time), overdue from midnight."""
    client = staff_client_of(new_york_app)
    monday_night, tuesday_morning = add(
        new_york_app,
        {"created_at": at(MON, 23, 30, NEW_YORK), "name": "Ada Lovelace"},
        {"created_at": at(TUE, 0, 30, NEW_YORK)},
    )
    assert at(MON, 23, 30, NEW_YORK).date() == TUE  # Tuesday in UTC
    clock(at(WED, 23, 59, NEW_YORK))
    page = client.get("/staff/requests").text
    assert overdue_ids(page) == []
    assert 'Mon 7 Dec 2026 <span class="nowrap">23:30</span>' in page  # received, clinic time
    clock(at(THU, 0, 0, NEW_YORK))  # 05:00 UTC on Thursday
    page = client.get("/staff/requests").text
    assert overdue_ids(page) == [monday_night]
    assert listed_ids(client.get("/staff/requests?due=overdue").text) == [monday_night]
    assert tuesday_morning not in overdue_ids(page)
    # in London the same moment is a Tuesday request, due by the end of Thursday
    assert not clinic_time.is_overdue(at(MON, 23, 30, NEW_YORK), at(THU, 0, 0, NEW_YORK), 2, LONDON)


def test_the_promise_follows_response_working_days(database_url, tmp_path, clock):
    app = make_app(database_url, tmp_path, RESPONSE_WORKING_DAYS=1)
    try:
        client = staff_client_of(app)
        tuesday, _wednesday = add(app, {"created_at": at(TUE, 9)}, {"created_at": at(WED, 9)})
        clock(at(THU, 9))
        page = client.get("/staff/requests").text
        assert overdue_ids(page) == [tuesday]
        assert "within the promised 1 working day" in page
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_bank_holidays_and_the_clinics_own_closures_are_not_working_days(
    database_url, tmp_path, clock
):
    """Christmas Eve 2026 in England (the default CLINIC_HOLIDAYS): Christmas Day and Boxing
    Day's Monday are bank holidays, so a request that afternoon is due by the end of Wednesday
    30 December, and the request page says so. Closed 29 to 31 December as well: Tuesday 5
    January."""
    christmas_eve = dt.date(2026, 12, 24)
    for closed, due_by, overdue_from in [
        ((), "Wed 30 Dec 2026", dt.date(2026, 12, 31)),
        (
            ((dt.date(2026, 12, 29), dt.date(2026, 12, 31)),),
            "Tue 5 Jan 2027",
            dt.date(2027, 1, 6),
        ),
    ]:
        app = make_app(database_url, tmp_path, CLINIC_CLOSED_DAYS=closed)
        try:
            client = staff_client_of(app)
            (request_id,) = add(app, {"created_at": at(christmas_eve, 15)})
            clock(at(christmas_eve, 16))
            page = client.get(f"/staff/requests/{request_id}").text
            assert f"Call them back by {due_by}" in html.unescape(page), due_by
            clock(at(overdue_from - dt.timedelta(days=1), 23, 59))
            assert overdue_ids(client.get("/staff/requests").text) == []
            clock(at(overdue_from, 0))
            assert overdue_ids(client.get("/staff/requests").text) == [request_id]
        finally:
            with app.app_context():
                db.session.remove()
                db.drop_all()
                db.engine.dispose()


# --- Columns ----------------------------------------------------------------------------------


def test_the_list_shows_what_the_desk_needs_to_call_back(app, staff_client, clock):
    colleague = create_staff(app, "clinician@clinic.example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "staff@clinic.example.com"))
    waiting, tried, booked, mine = add(
        app,
        {"created_at": NOW - dt.timedelta(hours=5), "preferred_days": ["mon", "thu"]},
        {
            "created_at": NOW - dt.timedelta(days=3),
            "status": "tried_to_call",
            "call_back_on": THU,
            "assigned_to_id": colleague,
            "preferred_times": ["evening"],
            "phone": "+447412345678",
        },
        {"created_at": NOW - dt.timedelta(days=9), "status": "booked", "outcome": "review"},
        {"created_at": NOW - dt.timedelta(days=20), "status": "contacted", "assigned_to_id": me},
    )
    page = staff_client.get("/staff/requests").text
    rows = dict(zip(listed_ids(page), page.split('<td class="cell--ref">')[1:], strict=True))
    assert '<td data-label="Waiting">5 hours</td>' in rows[waiting]
    assert 'Monday, Thursday<span class="cell__more">Any time</span>' in rows[waiting]
    assert ">Nobody<" in rows[waiting]
    assert '<td data-label="Waiting">3 days</td>' in rows[tried]
    assert 'Tried to call</span><span class="cell__more">Call back today</span>' in rows[tried]
    assert '<a href="tel:+447412345678">07412 345678</a>' in rows[tried]
    assert 'Any day<span class="cell__more">Evening</span>' in rows[tried]
    assert "clinician@<wbr>clinic.example.com" in rows[tried]
    assert 'class="cell--blank"></td>' in rows[booked]  # no waiting time once booked
    assert "Clinician review needed" in rows[booked] and ">Booked<" in rows[booked]
    assert '<td data-label="Waiting">20 days</td>' in rows[mine] and ">You<" in rows[mine]
    assert 'Thu 10 Dec 2026 <span class="nowrap">05:00</span>' in rows[waiting]  # clinic time


def test_phone_search_still_finds_by_any_part_of_the_number(app, staff_client):
    ada, grace = add(
        app,
        {"name": "Ada Lovelace", "phone": "+447412345678"},
        {"name": "Grace Hopper", "phone": "+14155550123"},
    )
    for typed, expected in [
        ("07412", [ada]),
        ("7412 345", [ada]),
        ("(415) 555", [grace]),
        ("555", [grace]),
        ("07412", [ada]),
    ]:
        page = staff_client.get("/staff/requests", query_string={"q": typed}).text
        assert listed_ids(page) == expected, typed
    oldest = staff_client.get("/staff/requests", query_string={"q": "+44 7412", "sort": "oldest"})
    assert listed_ids(oldest.text) == [ada]


# --- Filters ----------------------------------------------------------------------------------


@pytest.fixture
def desk(app, staff_client, clock):
    """A colleague and a mix of requests: ({label: id}, my user id, the colleague's)."""
    colleague = create_staff(app, "clinician@clinic.example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "staff@clinic.example.com"))
    people = {
        "new": {"created_at": at(WED, 9)},
        "new overdue": {"created_at": at(MON, 9)},
        "new doctor": {"created_at": at(TUE, 9), "outcome": "see_doctor"},
        "call back yesterday": {"status": "tried_to_call", "call_back_on": WED},
        "call back today": {"status": "tried_to_call", "call_back_on": THU},
        "call back no day": {"status": "tried_to_call", "call_back_on": None},
        "call back tomorrow": {"status": "tried_to_call", "call_back_on": FRI},
        "tried doctor": {
            "status": "tried_to_call",
            "call_back_on": FRI,
            "outcome": "emergency",
            "assigned_to_id": me,
        },
        "contacted doctor": {"status": "contacted", "outcome": "see_doctor"},
        "contacted mine": {"status": "contacted", "assigned_to_id": me},
        "booked mine": {"status": "booked", "assigned_to_id": me},
        "new colleague's": {"assigned_to_id": colleague, "call_back_on": WED},
        "closed": {"status": "closed", "created_at": at(MON - dt.timedelta(days=30), 9)},
    }
    ids = add(app, *people.values())
    return dict(zip(people, ids, strict=True)), me, colleague


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # "call back*": every label with "call back" in it
        ("status=tried_to_call", ["call back*", "tried doctor"]),
        ("status=open", ["new*", "call back*", "tried doctor", "contacted*"]),
        ("status=unreached", ["new*", "call back*", "tried doctor"]),
        ("outcome=urgent", ["*doctor"]),
        ("outcome=urgent&status=unreached", ["new doctor", "tried doctor"]),
        ("outcome=see_doctor", ["new doctor", "contacted doctor"]),
        ("due=overdue", ["new overdue"]),
        ("due=call_back", ["call back yesterday", "call back today", "call back no day"]),
        ("assigned=me", ["contacted mine", "booked mine", "tried doctor"]),
        ("assigned=me&status=open", ["contacted mine", "tried doctor"]),
        ("assigned=COLLEAGUE", ["new colleague's"]),
        ("assigned=nobody&status=new", ["new", "new overdue", "new doctor"]),
        ("assigned=99999", []),
        ("assigned=someone&status=closed", ["closed"]),  # an unknown value is ignored
        ("due=call_back&assigned=me", []),
        ("status=nonsense&outcome=nonsense&due=nonsense&sort=sideways", ["*"]),
    ],
)
def test_the_desks_filters_give_exactly_those_requests(staff_client, desk, query, expected):
    ids, _, colleague = desk
    wanted = {
        label: number
        for label, number in ids.items()
        if any(label == part or (part.strip("*") in label and "*" in part) for part in expected)
    }
    page = staff_client.get(f"/staff/requests?{query.replace('COLLEAGUE', str(colleague))}")
    assert page.status_code == 200
    assert sorted(listed_ids(page.text)) == sorted(wanted.values()), sorted(wanted)


def test_the_filter_form_offers_the_desks_choices_and_keeps_them(staff_client, desk):
    _, me, colleague = desk
    page = staff_client.get(
        f"/staff/requests?status=tried_to_call&assigned={colleague}&due=call_back&sort=oldest"
    ).text
    assert '<option value="tried_to_call" selected>Tried to call</option>' in page
    assert '<option value="unreached">Not reached yet (new, tried to call)</option>' in page
    assert '<option value="urgent">See a doctor or emergency</option>' in page
    assert '<option value="call_back" selected>Call-backs due</option>' in page
    assert '<option value="me">Me</option>' in page and '<option value="nobody">' in page
    assert f'<option value="{colleague}" selected>clinician@clinic.example.com</option>' in page
    assert f'<option value="{me}">' not in page  # "Me" already
    assert '<input type="hidden" name="sort" value="oldest">' in page
    assert 'type="date"' in page
    due = staff_client.get("/staff/requests?status=tried_to_call").text
    assert "Call back since Wed 9 Dec 2026" in due and "Call back on Fri 11 Dec 2026" in due
    assert "Call back today" in due and "No call-back day" in due
    csv_link = link(page, "Download these as CSV")
    assert "due=call_back" in csv_link and f"assigned={colleague}" in csv_link


# --- Dates: clinic days, typed as pickers send them or as staff type them ---------------------


@pytest.mark.parametrize("typed", ["2026-11-23", "23/11/2026", "23 Nov 2026", "23.11.2026"])
def test_date_filters_take_clinic_days_however_typed(new_york_app, typed):
    client = staff_client_of(new_york_app)
    early, evening, late = add(
        new_york_app,
        {"created_at": at(dt.date(2026, 11, 23), 0, 0, NEW_YORK)},  # 05:00 UTC
        {"created_at": at(dt.date(2026, 11, 23), 22, 0, NEW_YORK)},  # 03:00 UTC on the 24th
        {"created_at": at(dt.date(2026, 11, 24), 0, 0, NEW_YORK)},
    )
    add(new_york_app, {"created_at": at(dt.date(2026, 11, 22), 23, 59, NEW_YORK)})
    page = client.get("/staff/requests", query_string={"date_from": typed, "date_to": typed})
    assert page.status_code == 200
    assert sorted(listed_ids(page.text)) == [early, evening]
    assert 'id="date_from" name="date_from" type="date" value="2026-11-23"' in page.text
    assert late not in listed_ids(client.get(f"/staff/requests?date_to={typed}").text)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=yesterday", "date_from", "Enter a date like 4/12/2026"),
        ("date_to=31/02/2026", "date_to", "Enter a date like 4/12/2026"),
        ("date_from=0001-01-01", "date_from", "Enter a date like 4/12/2026"),
        (
            "date_from=2026-11-24&date_to=23/11/2026",
            "date_to",
            "Enter a date on or after the date in “Received from”",
        ),
    ],
)
def test_a_date_that_cannot_be_read_gets_a_message_next_to_its_field(
    app, staff_client, query, field, message
):
    ids = add(app, {}, {})
    page = staff_client.get(f"/staff/requests?{query}")
    assert page.status_code == 200  # the list still shows, without that filter
    assert field_error(page.text, field) == message
    assert f'<a href="#{field}">' in page.text  # the error summary links to it
    assert "<title>Error: " in page.text
    assert sorted(listed_ids(page.text)) == sorted(ids)


# --- Sorting: oldest first (longest waiting), keyset paging both ways -------------------------


@pytest.mark.parametrize("query", ["", "&q=atient", "&status=new"])
def test_oldest_first_pages_walk_every_match_once_both_ways(app, staff_client, monkeypatch, query):
    monkeypatch.setattr(bookings, "PAGE_SIZE", 3)
    people = [{"created_at": NOW - dt.timedelta(hours=number // 2)} for number in range(11)]
    add(app, *people)
    with app.app_context():
        expected = list(
            db.session.scalars(
                select(BookingRequest.id).order_by(
                    BookingRequest.created_at.asc(), BookingRequest.id.asc()
                )
            )
        )
    first = staff_client.get(f"/staff/requests?sort=oldest{query}").text
    assert 'aria-sort="ascending"' in first and "Oldest first (longest waiting)." in first
    pages, url = [first], link(first, "Newer")
    while url:
        assert "sort=oldest" in url and "after=" in url
        pages.append(staff_client.get(url).text)
        url = link(pages[-1], "Newer")
    assert [number for page in pages for number in listed_ids(page)] == expected
    assert len(pages) == 4 and "Page 4 of 4" in pages[-1]
    back, url = [], link(pages[-1], "Older")
    while url:
        assert "sort=oldest" in url
        shown = staff_client.get(url).text
        back.append(listed_ids(shown))
        url = link(shown, "Older")
    assert back == [listed_ids(page) for page in reversed(pages[:-1])]
    assert link(pages[-1], "Oldest") is not None


def test_the_received_header_switches_the_order(app, staff_client):
    older, newer = add(app, {"created_at": NOW - dt.timedelta(days=2)}, {"created_at": NOW})
    page = staff_client.get("/staff/requests?status=new").text
    assert 'aria-sort="descending"' in page and listed_ids(page) == [newer, older]
    header = re.search(r'<a class="sort-link" href="([^"]+)">', page).group(1)
    flipped = staff_client.get(html.unescape(header)).text
    assert "status=new" in html.unescape(header) and listed_ids(flipped) == [older, newer]
    assert 'aria-sort="ascending"' in flipped
    back = re.search(r'<a class="sort-link" href="([^"]+)">', flipped).group(1)
    assert "sort=" not in html.unescape(back) and "status=new" in html.unescape(back)


@pytest.mark.parametrize(
    ("query", "rows"),
    [("status=open", 11), ("due=call_back", 3), ("outcome=urgent&status=unreached&q=atient", 2)],
)
def test_the_csv_export_takes_the_same_filters(staff_client, desk, query, rows):
    """The export filters as the list does (one query per status, united, for a group)."""
    response = staff_client.get(f"/staff/requests.csv?{query}")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 1 + rows
