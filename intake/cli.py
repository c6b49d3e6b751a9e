"""Flask CLI: each feature keeps its commands beside it; they are registered here."""

from __future__ import annotations

from flask import Flask

from intake import retention
from intake.fhir.cli import export_cli
from intake.followup.cli import followups_cli
from intake.mail.cli import outbox_cli
from intake.mail.digest_cli import digest_cli
from intake.ops.doctor import doctor_command
from intake.patient.cli import questionnaire_cli
from intake.staff.accounts.cli import staff_cli
from intake.staff.rules.cli import rules_cli


def register(app: Flask) -> None:
    """Attach the command groups."""
    app.cli.add_command(rules_cli)
    app.cli.add_command(questionnaire_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(digest_cli)
    app.cli.add_command(followups_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(retention.purge_command)
    app.cli.add_command(doctor_command)
