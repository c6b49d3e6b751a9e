"""Invisible characters (bidi controls, zero-width characters) are dropped from typed text. Pure."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from markupsafe import Markup

from intake.screening.answers import parse_value
from intake.screening.invisible import INVISIBLE, strip_invisible, visible
from intake.screening.questionnaire import ASKED_BY

#: Every character the issue names: bidi embeddings and overrides, isolates, zero-width
#: characters, the word joiner and the byte-order mark.
NAMED = [
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    *map(chr, range(0x200B, 0x2010)),
    "\u2060",
    "\ufeff",
]


def test_every_format_character_of_this_python_is_dropped():
    """The list is written out (fast); this says when a newer Unicode adds one to it."""
    found = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(found) >= 160
    assert strip_invisible("".join(found)) == ""
    assert INVISIBLE.findall("".join(map(chr, range(0x80, 0x3000)))) == [
        c for c in map(chr, range(0x80, 0x3000)) if unicodedata.category(c) == "Cf"
    ]  # and nothing else


@pytest.mark.parametrize("char", NAMED, ids=lambda c: f"U+{ord(c):04X}")
def test_each_named_character_is_dropped(char):
    assert unicodedata.category(char) == "Cf"
    assert strip_invisible(f"A{char}da{char}") == "Ada"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u202egnp.exe", "gnp.exe"),
        ("Ad\u200ba", "Ada"),
        ("\u2067مرحبا\u2069 Ada", "مرحبا Ada"),
        ("soft\u00adhyphen, tag\U000e0041s", "softhyphen, tags"),  # other format characters
        ("José Ñúñez, 日本, 🙂", "José Ñúñez, 日本, 🙂"),  # visible letters stay
        ("line\nbreak\ttab", "line\nbreak\ttab"),  # control characters are not this filter's
        ("", ""),
    ],
)
def test_strip_invisible(text, expected):
    assert strip_invisible(text) == expected


def test_template_values_keep_their_type():
    """Safe markup stays safe (not escaped twice); other values are untouched."""
    cleaned = visible(Markup("<b>A\u202eda</b>"))
    assert cleaned == "<b>Ada</b>" and isinstance(cleaned, Markup)
    assert visible("x\u200by") == "xy" and type(visible("x\u200by")) is str
    assert visible(None) is None and visible(3) == 3
    plain = "Ada"
    assert visible(plain) is plain


def test_a_text_answer_loses_them_and_one_made_only_of_them_is_blank():
    question = ASKED_BY["sport_name"]
    assert parse_value(question, ["\u202eRun\u200bning\u2066"]) == "Running"
    assert parse_value(question, ["\u200b\u200d\ufeff"]) is None  # left blank
    assert parse_value(ASKED_BY["age"], ["4\u200b2"]) == 42
