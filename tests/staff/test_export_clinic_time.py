"""The requests CSV in the clinic's words (issue 13): times in clinic time with the zone in the
header, the status as staff read it, who it is assigned to and the day to call back; still
streamed from a fixed number of queries with assignees joined in (issue 16). On SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from intake.extensions import db
from intake.models import BookingRequest
from intake.staff.requests import export
from tests.conftest import create_staff, login, make_app
from tests.staff.test_requests_at_scale import add_requests, export_csv

#: a winter evening in New York that is already the next day in London, and a summer noon
WINTER = dt.datetime(2026, 12, 4, 2, 30)  # naive UTC, as stored
SUMMER = dt.datetime(2026, 7, 1, 12, 0)


def desk(database_url, tmp_path, **config):
    """An app with the given settings, a client logged in to it, and a second staff member's
    id (the physio requests are assigned to)."""
    app = make_app(database_url, tmp_path, **config)
    create_staff(app)
    physio = create_staff(app, "physio@clinic.example.com")
    client = app.test_client()
    assert login(client).status_code == 302
    return app, client, physio


def by_reference(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        ("Europe/London", "04 Dec 2026 02:30", "01 Jul 2026 13:00"),  # GMT, then BST
        ("America/New_York", "03 Dec 2026 21:30", "01 Jul 2026 08:00"),  # EST, then EDT
    ],
)
def test_times_are_in_clinic_time_with_the_zone_in_the_header(
    database_url, tmp_path, zone, winter, summer
):
    app, client, _ = desk(database_url, tmp_path, CLINIC_TIMEZONE=zone)
    add_requests(
        app,
        people=[
            {"reference": "DN-WINTER", "created_at": WINTER},
            {"reference": "DN-SUMMER", "created_at": SUMMER},
        ],
    )
    rows, _ = export_csv(app, client)
    assert rows[0][1] == f"Received ({zone})"
    found = by_reference(rows)
    assert found["DN-WINTER"][f"Received ({zone})"] == winter
    assert found["DN-SUMMER"][f"Received ({zone})"] == summer


def test_status_label_assignee_and_call_back_day(database_url, tmp_path):
    app, client, physio = desk(database_url, tmp_path)
    first, second, _ = add_requests(
        app,
        people=[
            {"reference": "DN-CALLED", "status": "tried_to_call"},
            {"reference": "DN-BOOKED", "status": "booked"},
            {"reference": "DN-NEW"},
        ],
    )
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == first)
            .values(assigned_to_id=physio, call_back_on=dt.date(2026, 12, 8))
        )
        db.session.execute(
            update(BookingRequest).where(BookingRequest.id == second).values(assigned_to_id=physio)
        )
        db.session.commit()
    found = by_reference(export_csv(app, client)[0])
    assert [found[ref]["Status"] for ref in ("DN-CALLED", "DN-BOOKED", "DN-NEW")] == [
        "Tried to call",
        "Booked",
        "New",
    ]
    assert found["DN-CALLED"]["Assigned to"] == "physio@clinic.example.com"
    assert found["DN-CALLED"]["Call back on"] == "08 Dec 2026"
    assert found["DN-BOOKED"]["Assigned to"] == "physio@clinic.example.com"
    assert found["DN-NEW"]["Assigned to"] == "" and found["DN-NEW"]["Call back on"] == ""
    assert len(found) == 3


def test_assignees_cost_no_query_per_row(database_url, tmp_path, monkeypatch):
    """Chunks of 4 rows: 3 requests or 40 (10 chunks), assigned or not, take the same
    statements (the assignee comes from an outer join of the one query)."""
    monkeypatch.setattr(export, "CHUNK_ROWS", 4)
    app, client, physio = desk(database_url, tmp_path)
    add_requests(app, 3)
    _, few = export_csv(app, client)
    add_requests(app, 37)
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id % 2 == 0)
            .values(assigned_to_id=physio, call_back_on=dt.date(2026, 12, 8))
        )
        db.session.commit()
    rows, many = export_csv(app, client)
    assert len(rows) == 1 + 40
    assert sum(row[4] == "physio@clinic.example.com" for row in rows[1:]) == 20
    assert sum(row[5] == "08 Dec 2026" for row in rows[1:]) == 20
    assert len(many) == len(few)
