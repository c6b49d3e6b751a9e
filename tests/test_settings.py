"""Settings that cannot be read stop the app with every problem listed in plain words, never a
bare traceback from deep inside a parser."""

from __future__ import annotations

import pytest

from intake.config import SettingsError, load_config


def test_every_unreadable_setting_is_listed_with_what_it_takes():
    with pytest.raises(SettingsError) as raised:
        load_config(
            "",
            {"CLINIC_TIMEZONE": "Europe/Londn", "DIGEST_HOUR": "25", "MAIL_PORT": "twenty-five"},
        )
    problems = raised.value.problems
    by_name = {p.split("=")[0]: p for p in problems}
    assert sorted(by_name) == ["CLINIC_TIMEZONE", "DIGEST_HOUR", "MAIL_PORT"]
    assert (
        "Europe/Londn" in by_name["CLINIC_TIMEZONE"] and "Time zone" in by_name["CLINIC_TIMEZONE"]
    )
    assert "an hour of the day is 0 to 23" in by_name["DIGEST_HOUR"]
    assert "SMTP port" in by_name["MAIL_PORT"]
    assert str(raised.value).startswith("These settings could not be read")


def test_readable_settings_load():
    config = load_config("", {"CLINIC_TIMEZONE": "America/New_York", "DIGEST_HOUR": "7"})
    assert config["CLINIC_TIMEZONE"] == "America/New_York" and config["DIGEST_HOUR"] == 7
    assert load_config("", {})["DIGEST_HOUR"] is None


def test_closed_days_settings_are_read_or_refused_in_words():
    import datetime as dt

    config = load_config(
        "",
        {"CLINIC_HOLIDAYS": "GB-SCT", "CLINIC_CLOSED_DAYS": "2026-12-24..2027-01-01, 2027-04-02"},
    )
    assert config["CLINIC_HOLIDAYS"] == "GB-SCT"
    assert config["CLINIC_CLOSED_DAYS"] == (
        (dt.date(2026, 12, 24), dt.date(2027, 1, 1)),
        (dt.date(2027, 4, 2), dt.date(2027, 4, 2)),
    )
    assert load_config("", {})["CLINIC_HOLIDAYS"] == "GB-ENG"
    spaced = load_config("", {"CLINIC_CLOSED_DAYS": " 2026-12-24 .. 2026-12-31 ,"})
    assert spaced["CLINIC_CLOSED_DAYS"] == ((dt.date(2026, 12, 24), dt.date(2026, 12, 31)),)
    with pytest.raises(SettingsError) as raised:
        load_config(
            "", {"CLINIC_HOLIDAYS": "GB-XYZ", "CLINIC_CLOSED_DAYS": "2027-01-01..2026-12-24"}
        )
    by_name = {p.split("=")[0]: p for p in raised.value.problems}
    assert "Public holidays the clinic is closed on" in by_name["CLINIC_HOLIDAYS"]
    assert "ends before it starts" in by_name["CLINIC_CLOSED_DAYS"]
    with pytest.raises(SettingsError, match="CLINIC_CLOSED_DAYS='24/12/2026'"):
        load_config("", {"CLINIC_CLOSED_DAYS": "24/12/2026"})
