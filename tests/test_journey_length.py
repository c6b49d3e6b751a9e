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
