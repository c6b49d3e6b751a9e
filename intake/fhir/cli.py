"""Flask CLI `export fhir`: everything recorded since a date as FHIR R4 NDJSON."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import TextIO

import click
from flask.cli import AppGroup

from intake.audit import audit
from intake.extensions import db
from intake.fhir import records

export_cli = AppGroup("export", help="Export records in standard formats.")


class IsoDate(click.ParamType):
    """A day written YYYY-MM-DD; anything else is a usage error (exit 2) saying so."""

    name = "date"

    def convert(self, value, param, ctx) -> dt.date:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(f"{value!r} is not a date written YYYY-MM-DD, like 2026-03-27.", param, ctx)


@export_cli.command("fhir")
@click.option(
    "--since",
    type=IsoDate(),
    required=True,
    metavar="DATE",
    help="Requests received and follow-ups answered on or after this day (UTC), YYYY-MM-DD.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Write to FILE (replaced only once complete) instead of standard output.",
)
def export_fhir(since: dt.date, output: Path | None) -> None:
    """FHIR R4 NDJSON, one resource a line: the two Questionnaires first, then each request's
    Patient, intake QuestionnaireResponse and Observations, then answered follow-ups'."""
    start = dt.datetime.combine(since, dt.time())
    audit(
        "export_fhir",
        "ndjson",
        actor="cli",
        since=since.isoformat(),
        to="file" if output else "stdout",
    )
    db.session.commit()
    if output is None:
        try:
            count = _write(sys.stdout, start)
        except BrokenPipeError:  # the reader stopped early (`| head`): nothing is wrong
            # Point stdout at nothing, so the interpreter's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    else:
        partial = output.with_name(f".{output.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                count = _write(out, start)
            os.replace(partial, output)
        except OSError as error:
            raise click.ClickException(f"Cannot write {output}: {error.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)
    click.echo(f"{count} resources exported.", err=True)


def _write(stream: TextIO, start: dt.datetime) -> int:
    count = 0
    for resource in records.resources_since(records.naming(), start):
        stream.write(records.ndjson_line(resource))
        count += 1
    stream.flush()
    return count
