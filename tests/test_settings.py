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
