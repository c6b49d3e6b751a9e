"""bench/journey_length.py's personas walk the questionnaire as it is now (no browser, no
timing): each reaches check your answers, and every answer it carries is asked somewhere."""

from __future__ import annotations

import re

import pytest

from bench.journey_length import PERSONAS, Persona

FIELD = re.compile(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"')


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.name for p in PERSONAS])
def test_persona_walks_to_the_check_page(client, persona: Persona):
    response = client.post("/start")
    asked: set[str] = set()
    for _ in range(30):
        location = response.headers["Location"]
        if location.endswith("/check"):
            break
        assert "/questions/" in location, location
        names = set(FIELD.findall(client.get(location).get_data(as_text=True)))
        data = {name: persona.answers[name] for name in names if name in persona.answers}
        asked |= set(data)
        response = client.post(location, data=data)
        assert response.status_code in (302, 303), location
        assert response.headers["Location"] != location, f"{location} refused {data}"
    else:
        pytest.fail("the walk never reached the check page")
    assert set(persona.answers) - asked == set()


def test_taps_are_split_into_answers_navigation_and_booking_fields():
    from bench.journey_length import PageCost, Walk, page_lines, table

    walk = Walk("someone", pages=1, questions=2, answer_taps=3, navigation_taps=5, booking_taps=5)
    walk.shown = [
        PageCost("start", 900, 0, 1),
        PageCost("about_you", 1200, 2, 4),  # 3 answers and Continue
        PageCost("check", 1500, 0, 1),
        PageCost("result", 1000, 0, 1),
        PageCost("booking", 2000, 5, 6),  # 5 fields and Send request
    ]
    assert walk.taps == 13 == sum(page.taps for page in walk.shown)
    header, _, row = table([walk]).splitlines()
    assert "| taps | answers | navigation | booking form fields |" in header
    assert "| 13 | 3 | 5 | 5 |" in row
    lines = page_lines(walk).splitlines()
    assert [line.split()[0] for line in lines[2:]] == [
        "start", "about_you", "check", "result", "booking", "total"
    ]  # fmt: skip
    assert lines[-1].split()[-1] == "13"
