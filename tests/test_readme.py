"""The README stays true: every setting and command it must document is there."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from intake.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def test_make_run_links_point_at_the_port_it_serves():
    """`PORT=5150 make run` writes links to :5150 into emails, unless BASE_URL says otherwise."""
    printed = subprocess.run(
        ["make", "-n", "run", "PORT=5150"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    defaults = re.findall(r"BASE_URL=(\$\{BASE_URL:-[^}\s]*\})", printed)
    assert len(defaults) == 2, printed  # the outbox worker and the server

    def shell(env: dict[str, str]) -> str:
        done = subprocess.run(
            ["sh", "-c", f"echo {defaults[0]}"],
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    assert shell({}) == "http://127.0.0.1:5150"
    assert shell({"BASE_URL": "https://intake.example-clinic.org"}) == (
        "https://intake.example-clinic.org"
    )


def test_the_validation_example_is_what_validation_says():
    """The README quotes a validation message for a misspelt question; it is the real one."""
    from intake.screening.condition_words import validate_condition
    from intake.screening.questionnaire import data_dictionary

    quoted = re.search(r'\("(Rule \'x\' refers to question \'(\w+)\'.*?)"\)', README, re.S)
    assert quoted, "the README's validation example is gone"
    message, misspelt = " ".join(quoted.group(1).split()), quoted.group(2)
    said = validate_condition({"fact": misspelt, "op": "is_true"}, data_dictionary(), "Rule 'x'")
    assert said == [message]
