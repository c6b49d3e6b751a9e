"""Flask CLI `digest`: queue the morning digest once, for cron or by hand (the outbox worker
checks for it every minute on its own)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from intake.followup.cli import moment, now_option
from intake.mail import digest

digest_cli = AppGroup("digest", help="The morning digest of requests waiting (DIGEST_HOUR).")


@digest_cli.command("send")
@now_option
def digest_send(now: str | None) -> None:
    """Queue today's digest if it is DIGEST_HOUR or later in clinic time and it has not gone
    yet (at most one a day, however often this runs); say what happened. The outbox sends it."""
    click.echo(str(digest.run_due(moment(now))))
