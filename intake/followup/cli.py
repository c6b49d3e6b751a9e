"""Flask CLI `followups`: run the follow-up schedule once (the outbox worker runs it every
minute on its own)."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from intake.followup import schedule

followups_cli = AppGroup("followups", help="Outcome follow-up questions after treatment.")


def moment(value: str | None) -> dt.datetime | None:
    """--now as naive UTC (an offset, if given, is converted)."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO date and time, like 2026-11-23T09:00") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


#: `--now ISO-DATETIME` for commands that run what is due (follow-ups, the digest)
now_option = click.option(
    "--now",
    "now",
    default=None,
    metavar="ISO-DATETIME",
    help="Run as if it were this moment (UTC unless an offset is given) [default: now].",
)


@followups_cli.command("run")
@now_option
def followups_run(now: str | None) -> None:
    """Queue the follow-up emails and reminders that are due, and mark expired ones missed;
    print the counts."""
    counts = schedule.run_due(moment(now))
    click.echo(str(counts))
