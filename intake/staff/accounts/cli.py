"""Flask CLI `staff`: create and deactivate staff accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from intake.audit import audit
from intake.extensions import db
from intake.staff.accounts import auth

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
