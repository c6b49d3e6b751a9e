"""The dashboard's "Today's work" (issue 13): each count, its first rows and its link to the
requests list agree exactly (new, overdue, call-backs due, see-a-doctor not yet reached, open
and assigned to me), overdue on a controlled clock across a weekend in the clinic's zone,
empty states in plain words, no names, and the same few queries whatever the data. On SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from intake.staff.dashboard import today
from intake.staff.requests import finding
from tests.staff import test_reception_list as reception
from tests.staff.test_reception_list import (
    FRI,
    NEW_YORK,
    NEXT_MON,
    NOW,
    SAT,
    THU,
    WED,
    add,
    at,
    listed_ids,
    staff_client_of,
)
from tests.staff.test_requests_at_scale import statements

# the list's fixtures: a controlled clock, a desk of requests, a clinic in New York
clock, desk, new_york_app = reception.clock, reception.desk, reception.new_york_app

PILES = ("new", "overdue", "call_back", "doctor", "mine")


def pile(page_html: str, key: str) -> dict:
    """A box of Today's work: its count (as shown), link, listed request ids and text."""
    found = re.search(
        rf'<section class="work work--{key}[^"]*"[^>]*>(.*?)</section>', page_html, re.S
    )
    assert found, key
    box = found.group(1)
    count = re.search(r"<strong>([^<]+)</strong>", box)
    link = re.search(r'<a href="(/staff/requests\?[^"]*)">', box)
    return {
        "count": count.group(1) if count else None,
        "link": html.unescape(link.group(1)) if link else None,
        "ids": listed_ids(box),
        "text": re.sub(r"<[^>]+>", " ", box),
    }


def test_todays_work_comes_first_with_one_box_per_kind_of_work(staff_client, desk):
    page = staff_client.get("/staff/").text
    assert page.index("Today's work") < page.index("Booking requests per week")
    assert [pile(page, key)["count"] for key in PILES] == ["4", "1", "3", "2", "2"]
    assert "<strong>4</strong> new requests</a> waiting to be contacted." in page
    assert (
        "<strong>1</strong> overdue request</a> still new after the promised 2 working days" in page
    )
    ids, _, _ = desk
    assert pile(page, "doctor")["ids"] == [ids["new doctor"], ids["tried doctor"]]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("new", ["new", "new overdue", "new doctor", "new colleague's"]),
        ("overdue", ["new overdue"]),
        ("call_back", ["call back yesterday", "call back today", "call back no day"]),
        ("doctor", ["new doctor", "tried doctor"]),
        ("mine", ["contacted mine", "tried doctor"]),
    ],
)
def test_each_count_and_its_link_give_exactly_those_requests(
    staff_client, desk, monkeypatch, key, expected
):
    monkeypatch.setattr(today, "ROWS_SHOWN", 2)
    ids, _, _ = desk
    box = pile(staff_client.get("/staff/").text, key)
    assert box["count"] == str(len(expected))
    listed = listed_ids(staff_client.get(box["link"]).text)
    assert sorted(listed) == sorted(ids[label] for label in expected)
    assert "sort=oldest" in box["link"]
    assert box["ids"] == listed[:2]  # the first few, longest waiting first, as the list shows
    assert ("See all" in box["text"]) == (len(expected) > 2)


def test_call_backs_say_when_they_were_due(staff_client, desk):
    text = pile(staff_client.get("/staff/").text, "call_back")["text"]
    assert "call back since Wed 9 Dec 2026" in text
    assert "call back today" in text
    assert "call back no day given" in text
    assert "Fri 11 Dec" not in text  # due tomorrow: not today's work


def test_the_dashboard_shows_no_names_phones_or_emails(staff_client, desk):
    page = staff_client.get("/staff/").text
    work = page[page.index("Today's work") : page.index("Booking requests per week")]
    assert "Patient " not in work and "@example.com" not in work and "+4420" not in work
    assert "DN-R" in work


def test_empty_piles_say_so_in_plain_words(app, staff_client):
    add(app, {"status": "closed"})
    page = staff_client.get("/staff/").text
    for key, words in [
        ("new", "No new requests."),
        ("overdue", "Nothing overdue."),
        ("call_back", "No call-backs due."),
        ("doctor", "No see-a-doctor requests waiting."),
        ("mine", "Nothing open is assigned to you."),
    ]:
        box = pile(page, key)
        assert words in box["text"] and box["link"] is None and box["count"] is None


def test_overdue_on_the_dashboard_follows_the_clinics_clock(new_york_app, clock):
    """Wednesday's and Thursday's requests (New York days) through a weekend: due by the
    end of Friday and of Monday, overdue from midnight in New York, not in UTC."""
    client = staff_client_of(new_york_app)
    wednesday, thursday = add(
        new_york_app,
        {"created_at": at(WED, 18, 0, NEW_YORK)},
        {"created_at": at(THU, 23, 30, NEW_YORK)},  # Friday in UTC
    )
    for moment, overdue in [
        (at(FRI, 23, 59, NEW_YORK), []),
        (at(SAT, 0, 0, NEW_YORK), [wednesday]),
        (at(NEXT_MON, 23, 59, NEW_YORK), [wednesday]),
        (at(NEXT_MON + dt.timedelta(days=1), 0, 0, NEW_YORK), [wednesday, thursday]),
    ]:
        clock(moment)
        box = pile(client.get("/staff/").text, "overdue")
        assert box["ids"] == overdue, moment
        if overdue:
            assert box["count"] == str(len(overdue))
            assert listed_ids(client.get(box["link"]).text) == overdue


def test_counts_stop_at_the_cap_and_say_so(app, staff_client, monkeypatch):
    monkeypatch.setattr(finding, "COUNT_CAP", 3)
    add(app, *({} for _ in range(5)))
    box = pile(staff_client.get("/staff/").text, "new")
    assert box["count"] == "more than 3" and "See them all" in box["text"]


def test_todays_work_takes_the_same_two_queries_whatever_the_data(app, staff_client, clock):
    def dashboard_statements() -> list[str]:
        with statements(app) as seen:
            assert staff_client.get("/staff/").status_code == 200
        return seen

    empty = dashboard_statements()
    add(
        app,
        *(
            {
                "created_at": NOW - dt.timedelta(days=number % 9),
                "status": ("new", "tried_to_call", "contacted")[number % 3],
                "outcome": ("see_doctor", "review", "suitable")[number % 3],
            }
            for number in range(40)
        ),
    )
    full = dashboard_statements()
    assert len(full) == len(empty) <= 10
    booking_statements = [s for s in full if "booking_requests" in s]
    assert len([s for s in booking_statements if "pile" in s]) == 1  # every pile's rows
