"""The README stays true: every setting and command it must document is there."""

from pathlib import Path

import pytest

from intake.config import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_documented(name):
    assert f"| `{name}` |" in README


@pytest.mark.parametrize(
    "command",
    [
        "make run",
        "make test",
        "rules seed",
        "outbox work",
        "outbox send",
        "questionnaire dictionary",
    ],
)
def test_commands_are_documented(command):
    assert command in README
