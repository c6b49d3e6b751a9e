"""Flask CLI `outbox`: deliver the queued emails, once or as a worker."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from intake.extensions import db
from intake.followup import schedule
from intake.mail import digest, outbox

outbox_cli = AppGroup("outbox", help="The email outbox.")
#: Seconds between the worker's runs of the follow-up schedule and the morning digest's check
#: (one worker is enough; several never send either twice).
FOLLOWUP_EVERY = 60


@outbox_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Most messages to attempt.")
def outbox_send(limit: int) -> None:
    """Deliver the messages that are due, once."""
    total = outbox.RunResult()
    batch = current_app.config["OUTBOX_BATCH_SIZE"]
    while total.claimed < limit:
        result = outbox.deliver_due(min(batch, limit - total.claimed))
        if not result.claimed:
            break
        total.add(result)
    click.echo(f"sent {total.sent}, to retry {total.retried}, failed {total.failed}")


@outbox_cli.command("work")
@click.option(
    "--interval",
    type=float,
    default=None,
    help="Seconds between polls [default: OUTBOX_POLL_INTERVAL].",
)
def outbox_work(interval: float | None) -> None:
    """Deliver continuously until SIGTERM or SIGINT (finishes the message in hand and puts
    the rest of its batch back). About once a minute it also queues the follow-up emails that
    are due (intake/followup/schedule.py) and, once a day, the morning digest (DIGEST_HOUR)."""
    interval = current_app.config["OUTBOX_POLL_INTERVAL"] if interval is None else interval
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"outbox worker started (poll every {interval:g}s)")
    logging.getLogger("intake.outbox").info("outbox worker delivers %s", _destination())
    followups_next = 0.0
    while not stop.is_set():
        if time.monotonic() >= followups_next:
            followups_next = time.monotonic() + FOLLOWUP_EVERY
            _run_followups()
            _run_digest()
        try:
            result = outbox.deliver_due(stop=stop.is_set)
        except Exception:  # a database hiccup must not end the worker
            db.session.rollback()
            logging.getLogger("intake.outbox").exception("outbox run failed")
            result = outbox.RunResult()
        if result.claimed == 0:
            stop.wait(interval)
    click.echo("outbox worker stopped")


def _run_followups() -> None:
    """Queue the follow-up emails that are due; a failure is logged and tried next minute."""
    try:
        counts = schedule.run_due()
    except Exception:  # a database hiccup must not end the worker
        db.session.rollback()
        logging.getLogger("intake.followup").exception("follow-up run failed")
        return
    if counts.sent or counts.reminded or counts.missed or counts.failed:
        logging.getLogger("intake.followup").info("follow-up run: %s", counts)


def _run_digest() -> None:
    """Queue the morning digest if it is due; a failure is logged and tried next minute."""
    try:
        digest.run_due()
    except Exception:  # a database hiccup must not end the worker
        db.session.rollback()
        logging.getLogger("intake.digest").exception("digest run failed")


def _destination() -> str:
    """Where this worker's emails go, for the first log line: a newcomer looks for them there."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return f"through the SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return f"to .eml files in {Path(config['MAIL_DIR']).resolve()} (no MAIL_SERVER set)"
