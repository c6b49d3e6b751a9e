"""Flask CLI `questionnaire`: the patient questionnaire's data dictionary.

Kept on the Flask side: the questionnaire itself (intake.screening) imports neither Flask nor click.
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from intake.screening import questionnaire, ruleset_format

questionnaire_cli = AppGroup("questionnaire", help="The patient questionnaire.")


@questionnaire_cli.command("dictionary")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def print_dictionary(fmt: str) -> None:
    """Print the data dictionary: every answer id with its type, choices and section."""
    entries = {**questionnaire.data_dictionary(), **ruleset_format.SCORE_FACTS}
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "label": e.label,
                        "type": e.type,
                        "choices": list(e.choices),
                        "minimum": e.minimum,
                        "maximum": e.maximum,
                        "section": e.section,
                        "origin": e.origin,
                    }
                    for e in entries.values()
                ],
                indent=2,
            )
        )
        return
    for entry in entries.values():
        extra = ""
        if entry.choices:
            extra = " choices: " + ", ".join(str(c) for c in entry.choices)
        elif entry.minimum is not None:
            extra = f" range: {entry.minimum:g}–{entry.maximum:g}"
        section = entry.section or entry.origin
        click.echo(f"{entry.id:40} {entry.type:8} [{section}] {entry.label}{extra}")
