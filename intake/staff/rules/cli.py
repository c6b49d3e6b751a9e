"""Flask CLI `rules`: seed, check, export, import and test the screening rules."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from intake.audit import audit
from intake.extensions import db
from intake.screening import rules, ruleset_format
from intake.staff.rules import rulesets

rules_cli = AppGroup("rules", help="Screening rules.")


@rules_cli.command("seed")
def seed_rules() -> None:
    """Publish the shipped default rules as version 1 and add the shipped test cases."""
    version = rulesets.seed_default()
    added = rulesets.seed_test_cases()
    db.session.commit()
    if version is None:
        click.echo("Rules already published; nothing to do.")
    else:
        click.echo(f"Published the default rules as version {version.number}.")
    if added:
        click.echo(f"Added {added} test cases.")


@rules_cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check_rules(path: str) -> None:
    """Validate a rule-set YAML file; non-zero exit when it has problems."""
    problems = rules.validate(_read_rules(path))
    for problem in problems:
        click.echo(f"- {problem.message}")
    if problems:
        raise SystemExit(1)
    click.echo("No problems found.")


def _read_rules(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        try:
            data = ruleset_format.load_yaml(handle.read())
        except Exception as error:  # yaml errors carry the line and column
            raise click.ClickException(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} does not hold a rule set")
    return data


@rules_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--version", "number", type=int, help="A published version [default: current].")
def export_rules(path: str, number: int | None) -> None:
    """Write a published rule set to a YAML file (for version control)."""
    version = rulesets.version_by_number(number) if number else rulesets.current_version()
    if version is None:
        raise click.ClickException(f"There is no version {number}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(ruleset_format.dump_yaml(version.data))
    click.echo(f"Wrote version {version.number} to {path}.")


@rules_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--publish", is_flag=True, help="Publish it (tests must pass) instead of a draft.")
@click.option("--note", default="", help="Why (required with --publish).")
def import_rules(path: str, publish: bool, note: str) -> None:
    """Validate a rule-set YAML file and make it the draft, or publish it."""
    data = _read_rules(path)
    problems = rules.validate(data)
    for problem in problems:
        click.echo(f"- {problem.message}")
    if publish:
        try:
            version = rulesets.publish(
                data, "cli", note or f"Imported from {path}", current_app.config["PAIN_BAND_CUTS"]
            )
        except rulesets.PublishRefused as refused:
            for reason in refused.reasons:
                if not problems:
                    click.echo(f"- {reason}")
            raise click.ClickException("Not published.") from None
        audit(
            "rules_publish",
            f"ruleset_version:{version.number}",
            actor="cli",
            note=version.note,
            source=path,
        )
        db.session.commit()
        click.echo(f"Published version {version.number}.")
        return
    draft = rulesets.current_draft()
    if draft is None:
        draft = rulesets.start_draft("cli")
    draft.data = data
    audit("rules_import_draft", "ruleset_draft", actor="cli", source=path)
    db.session.commit()
    click.echo("Saved as the draft" + (" (it has problems)." if problems else "."))


@rules_cli.command("test")
@click.option("--draft", "use_draft", is_flag=True, help="Test the draft, not the published set.")
def test_rules(use_draft: bool) -> None:
    """Run every test case; non-zero exit when one fails."""
    if use_draft:
        draft = rulesets.current_draft()
        if draft is None:
            raise click.ClickException("There is no draft.")
        data = draft.data
    else:
        data = rulesets.current_version().data
    problems = rules.validate(data)
    if problems:
        for problem in problems:
            click.echo(f"- {problem.message}")
        raise SystemExit(1)
    results = rulesets.run_test_cases(data, current_app.config["PAIN_BAND_CUTS"])
    failed = [r for r in results if not r.passed]
    for result in failed:
        click.echo(f"FAIL {result.case.name}: {result.why}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed.")
    if failed:
        raise SystemExit(1)
