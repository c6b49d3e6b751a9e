"""Flask CLI `rules`: seed, check, export, import and test the screening rules."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from intake.audit import audit
from intake.extensions import db
from intake.screening import change_words, rules, ruleset_format
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
@click.option("--note", default="", help="What changed and why (required with --publish).")
@click.option(
    "--confirm-safety",
    is_flag=True,
    help="Publish even though it changes safety rules (they are listed first).",
)
def import_rules(path: str, publish: bool, note: str, confirm_safety: bool) -> None:
    """Validate a rule-set YAML file and make it the draft, or publish it.

    Publishing needs --note; one that changes safety rules also needs --confirm-safety; a file
    identical to the version in force publishes nothing (exit 0)."""
    if publish and not note.strip():
        raise click.UsageError("--note is required with --publish: say what changed and why.")
    data = _read_rules(path)
    problems = rules.validate(data)
    for problem in problems:
        click.echo(f"- {problem.message}")
    current = rulesets.current_version()
    safety = [] if problems else _echo_changes(current.data, data)
    if not publish:
        _import_draft(data, path, problems, safety)
        return
    if _as_json(data) == _as_json(current.data):
        click.echo(f"No changes: version {current.number} is already this rule set.")
        return
    try:
        version = rulesets.publish(data, "cli", note, current_app.config["PAIN_BAND_CUTS"])
    except rulesets.PublishRefused as refused:
        for reason in refused.reasons:
            if not problems:
                click.echo(f"- {reason}")
        raise click.ClickException("Not published.") from None
    if safety and not confirm_safety:
        db.session.rollback()  # the version was only flushed
        raise click.ClickException(
            f"Not published: it changes safety rules ({', '.join(safety)}). Check the changes "
            "above with a clinician, then run again with --confirm-safety."
        )
    audit(
        "rules_publish",
        f"ruleset_version:{version.number}",
        actor="cli",
        note=version.note,
        source=path,
        safety_rules=safety,
    )
    db.session.commit()
    click.echo(f"Published version {version.number}.")


def _as_json(data: Any) -> str:
    """Rule-set data as the database stores it, for comparing."""
    return json.dumps(data, sort_keys=True, default=str)


def _echo_changes(before: dict, after: dict) -> list[str]:
    """Print every change in the rules list's words ("E1_bladder changed: Title: … → …"),
    safety rules marked; returns the ids of the safety rules changed."""
    safety = rulesets.safety_changes(before, after)
    described = change_words.words(before, after, rules.dictionary())
    lines = []
    for rule in described.rules:
        mark = " [safety rule]" if rule.rule_id in safety else ""
        if rule.kind != "changed":
            lines.append(f"{rule.rule_id} {rule.kind}{mark}: {rule.summary}")
        lines += [f"{rule.rule_id} changed{mark}: {change.text}" for change in rule.changes]
    lines += [f"Setting changed: {change.text}" for change in described.settings]
    if lines:
        click.echo("Changes from the version in force:")
    for line in lines:
        click.echo(f"  {line}")
    return safety


def _import_draft(data: dict, path: str, problems: list, safety: list[str]) -> None:
    draft = rulesets.current_draft()
    if draft is None:
        draft = rulesets.start_draft("cli")
    draft.data = data
    audit("rules_import_draft", "ruleset_draft", actor="cli", source=path)
    db.session.commit()
    click.echo("Saved as the draft" + (" (it has problems)." if problems else "."))
    if safety:
        click.echo(
            f"It changes safety rules ({', '.join(safety)}): an admin confirms them when "
            "publishing."
        )


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
