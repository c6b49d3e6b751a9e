"""Flask CLI commands: `rules`, `questionnaire`."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from intake import retention
from intake.audit import audit
from intake.extensions import db
from intake.mail import outbox
from intake.screening import questionnaire, rules
from intake.staff.accounts import auth
from intake.staff.rules import rulesets

rules_cli = AppGroup("rules", help="Screening rules.")
questionnaire_cli = AppGroup("questionnaire", help="The patient questionnaire.")


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
            data = rules.load_yaml(handle.read())
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
        handle.write(rules.dump_yaml(version.data))
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


outbox_cli = AppGroup("outbox", help="The email outbox.")
staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(auth.ROLES), default="staff", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def staff_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; the password is prompted for (never an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth.create_user(email, password, role)
    except auth.AccountError as error:
        raise click.ClickException(str(error)) from None
    audit("user_create", f"user:{user.id}", actor="cli", email=user.email, role=role)
    db.session.commit()
    click.echo(f"Created {role} {user.email}.")


@staff_cli.command("deactivate")
@click.argument("email")
def staff_deactivate(email: str) -> None:
    """Deactivate an account: it can no longer log in."""
    user = auth.find_user(email)
    if user is None:
        raise click.ClickException(f"No account for {email}")
    auth.deactivate(user, actor="cli")
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")


@outbox_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Most messages to attempt.")
def outbox_send(limit: int) -> None:
    """Deliver the messages that are due, once."""
    total = outbox.RunResult()
    while total.claimed < limit:
        result = outbox.deliver_due(min(20, limit - total.claimed))
        if not result.claimed:
            break
        total.sent += result.sent
        total.retried += result.retried
        total.failed += result.failed
    click.echo(f"sent {total.sent}, to retry {total.retried}, failed {total.failed}")


@outbox_cli.command("work")
@click.option(
    "--interval",
    type=float,
    default=None,
    help="Seconds between polls [default: OUTBOX_POLL_INTERVAL].",
)
def outbox_work(interval: float | None) -> None:
    """Deliver continuously until SIGTERM or SIGINT (finishes the message in hand)."""
    interval = current_app.config["OUTBOX_POLL_INTERVAL"] if interval is None else interval
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"outbox worker started (poll every {interval:g}s)")
    while not stop.is_set():
        try:
            result = outbox.deliver_due()
        except Exception:  # a database hiccup must not end the worker
            db.session.rollback()
            logging.getLogger("intake.outbox").exception("outbox run failed")
            result = outbox.RunResult()
        if result.claimed == 0:
            stop.wait(interval)
    click.echo("outbox worker stopped")


def register(app: Flask) -> None:
    """Attach the command groups."""
    app.cli.add_command(rules_cli)
    app.cli.add_command(questionnaire_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(retention.purge_command)
