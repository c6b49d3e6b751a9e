"""Free text from patients and staff on the requests desk: the CSV export is safe in any
spreadsheet, and bidi or zero-width characters are dropped where text is typed and again where
it is shown (CSV, the clinic email, staff pages), for values stored before the filter."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.mail import emails
from intake.models import BookingRequest, Draft, Note, Submission
from intake.staff.requests import bookings
from tests import journeys

#: What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Invisible characters of each kind the issue names.
RLO, LRI, PDI, ZWSP, ZWJ, BOM = "\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff"
INVISIBLE = (RLO, LRI, PDI, ZWSP, ZWJ, BOM, "\u200e", "\u2060")


def book(app, profile=journeys.SPORTS_INJURY, **booking) -> int:
    client = app.test_client()
    journeys.walk(client, profile)
    client.post("/check")
    assert client.post("/booking", data=dict(journeys.BOOKING, **booking)).status_code == 302
    with app.app_context():
        return db.session.scalars(
            select(BookingRequest.id).order_by(BookingRequest.id.desc())
        ).first()


def export(staff_client) -> str:
    response = staff_client.get("/staff/requests.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return response.text


def naive_cells(text: str, separator: str) -> list[str]:
    """The cells a spreadsheet that ignores quoting makes: lines split on line breaks, cells on
    `separator`, with the quotes and spaces around them dropped (as an import that trims)."""
    return [
        cell.strip('" ')
        for line in text.replace("\r\n", "\n").split("\n")
        for cell in line.split(separator)
    ]


# --- Finding 9: CSV formula injection through another separator ------------------------------


HOSTILE_CELLS = {
    "name": "Ada;=1+1",
    "message": 'x,=1 and a; -2 and b,@SUM(A1) then;\t=3 or, =HYPERLINK("http://evil")',
}


def test_csv_cells_are_quoted_and_never_start_a_formula_whatever_the_separator(app, staff_client):
    book(app, **HOSTILE_CELLS)
    text = export(staff_client)
    for separator in (";", ","):
        cells = naive_cells(text, separator)
        assert len(cells) > (22 if separator == "," else 3)
        started = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
        assert not started, (separator, started)
    # every cell quoted, numbers too
    header, row = text.splitlines()[:2]
    assert header.startswith('"Reference","Received (Europe/London)",')
    assert row.startswith('"DN-') and row.endswith('"1"') and row.count('","') == 17
    # read back properly, the text is all there, with a ' where a formula could have started
    header, parsed = list(csv.reader(io.StringIO(text)))[:2]
    assert parsed[header.index("Name")] == "Ada;'=1+1"
    assert parsed[header.index("Message")] == (
        "x,'=1 and a;' -2 and b,'@SUM(A1) then;'\t'=3 or,' =HYPERLINK(\"http://evil\")"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ada;=1+1", "Ada;'=1+1"),
        ("x,=1", "x,'=1"),
        ("a|+1", "a|'+1"),
        ("a\t-1", "a\t'-1"),
        ("line one\n@two", "line one\n'@two"),
        ("a;  =1", "a;'  =1"),  # past spaces a trimming import would drop
        (" =1", "' =1"),
        ("a;\tb", "a;'\tb"),  # a cell starting with a tab
        ("Ada, Grace; Linus", "Ada, Grace; Linus"),  # separators alone are fine
        ("2026-11-23 10:00", "2026-11-23 10:00"),
        ("ada+1@example.com", "ada+1@example.com"),
        (f"A{RLO}da{ZWSP}", "Ada"),
    ],
)
def test_safe_cell_neutralises_every_place_a_cell_could_start(value, expected):
    assert bookings.safe_cell(value) == expected


# --- Finding 12: invisible characters on the way in ------------------------------------------


def test_booking_name_message_and_text_answers_lose_invisible_characters(app, staff_client):
    """Stripped silently, not refused: the booking goes through."""
    profile = journeys.variant(
        journeys.SPORTS_INJURY,
        sports_injury={"sport_name": [f"{RLO}gnihtoo{ZWSP}hs"]},
    )
    booking_id = book(
        app,
        profile,
        name=f"{LRI}Ada{PDI} Love{ZWSP}lace{BOM}",
        message=f"Mornings{ZWJ} are{RLO} best.",
    )
    with app.app_context():
        booking = db.session.get(BookingRequest, booking_id)
        assert booking.name == "Ada Lovelace"
        assert booking.message == "Mornings are best."
        assert booking.submission.answers["sport_name"] == "gnihtoohs"


def test_a_name_made_only_of_invisible_characters_is_missing(app):
    client = app.test_client()
    journeys.walk(client, journeys.SPORTS_INJURY)
    client.post("/check")
    client.post("/booking", data=dict(journeys.BOOKING, name=f"{ZWSP}{RLO} {BOM}"))
    response = client.get("/booking")
    assert response.status_code == 422 and "Enter your full name" in response.text
    with app.app_context():
        assert db.session.scalars(select(BookingRequest)).first() is None


def test_questionnaire_text_answers_lose_them_when_saved(app):
    client = app.test_client()
    client.post("/start")
    journeys.walk(client, journeys.SPORTS_INJURY)
    with client.session_transaction() as session:
        draft_id = session["draft_id"]
    answers = dict(journeys.SPORTS_INJURY["sports_injury"], sport_return_goal=[f"5k{RLO}{ZWJ}"])
    assert client.post("/questions/sports_injury", data=answers).status_code == 302
    with app.app_context():
        assert db.session.get(Draft, draft_id).answers["sport_return_goal"] == "5k"


def test_staff_notes_lose_them_and_a_note_of_nothing_else_is_missing(app, staff_client):
    booking_id = book(app)
    url = f"/staff/requests/{booking_id}/notes"
    blank = staff_client.post(url, data={"body": f"{ZWSP}{RLO}"}, follow_redirects=True)
    assert blank.status_code == 422 and "Enter a note" in blank.text
    assert staff_client.post(url, data={"body": f"Called{RLO} back{ZWSP}"}).status_code == 302
    with app.app_context():
        assert [n.body for n in db.session.scalars(select(Note))] == ["Called back"]


# --- Finding 12: on the way out, for what was stored before ----------------------------------


def test_stored_invisible_characters_never_reach_csv_email_or_staff_pages(app, staff_client):
    booking_id = book(app)
    dirty = {
        "name": f"{RLO}ecalevoL adA",
        "message": f"Call{ZWSP} me{LRI} after{PDI} 5",
        "sport_name": f"Run{BOM}ning{ZWJ}",
        "note": f"Left{RLO} a message",
    }
    with app.app_context():
        booking = db.session.get(BookingRequest, booking_id)
        booking.name, booking.message = dirty["name"], dirty["message"]
        booking.submission.answers = dict(
            booking.submission.answers, sport_name=dirty["sport_name"]
        )
        db.session.add(Note(booking_request_id=booking_id, body=dirty["note"]))
        db.session.commit()
        with app.test_request_context():
            clinic, _ = emails.queue_booking_emails(db.session.get(BookingRequest, booking_id))
            bodies = [clinic.text_body, clinic.html_body]
        db.session.rollback()
        stored = db.session.get(Submission, booking.submission_id).answers["sport_name"]
        assert stored == dirty["sport_name"]  # the data itself is as it was
    page = staff_client.get(f"/staff/requests/{booking_id}").text
    listing = staff_client.get("/staff/requests").text
    for shown in [*bodies, page, listing, export(staff_client)]:
        assert not any(char in shown for char in INVISIBLE)
    assert "ecalevoL adA" in page and "Call me after 5" in page and "Running" in page
    assert "Left a message" in page and "ecalevoL adA" in listing
    assert "Call me after 5" in bodies[0] and "Running" in bodies[0]
