"""Flask CLI commands: `rules`, `questionnaire`."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from intake import questionnaire, rules, rulesets
from intake.extensions import db

rules_cli = AppGroup("rules", help="Screening rules.")
questionnaire_cli = AppGroup("questionnaire", help="The patient questionnaire.")


@rules_cli.command("seed")
def seed_rules() -> None:
    """Publish the shipped default rules as version 1 (does nothing when rules exist)."""
    version = rulesets.seed_default()
    db.session.commit()
    if version is None:
        click.echo("Rules already published; nothing to do.")
    else:
        click.echo(f"Published the default rules as version {version.number}.")


@rules_cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check_rules(path: str) -> None:
    """Validate a rule-set YAML file; non-zero exit when it has problems."""
    with open(path, encoding="utf-8") as handle:
        data = rules.load_yaml(handle.read())
    problems = rules.validate(data)
    for problem in problems:
        click.echo(f"- {problem.message}")
    if problems:
        raise SystemExit(1)
    click.echo("No problems found.")


@questionnaire_cli.command("dictionary")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def print_dictionary(fmt: str) -> None:
    """Print the data dictionary: every answer id with its type, choices and section."""
    entries = {**questionnaire.data_dictionary(), **rules.SCORE_FACTS}
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


def register(app: Flask) -> None:
    """Attach the command groups."""
    app.cli.add_command(rules_cli)
    app.cli.add_command(questionnaire_cli)
