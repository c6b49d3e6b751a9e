"""`flask --app wsgi doctor`: checks a production configuration and says what is wrong, one
line per problem with what to do; exit status 1 when anything is, 0 with "No problems found."

Run it with the production settings (the environment file gunicorn gets) from the directory
gunicorn starts in: the worker count and addresses come from `gunicorn.conf.py` as gunicorn
itself computes them. Flags given on gunicorn's command line (`--workers`, `-b`,
GUNICORN_CMD_ARGS) are not seen.

The most common problem, the development SECRET_KEY, makes `create_app()` refuse to build the
app, and a command registered on the app cannot run without it. So the refusal asks
`requested()` first and lets this one command through: it builds the app only to report on it
(the key among the other problems), serves nothing and exits non-zero.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from intake import ROOT, static_files
from intake.ops.checks import Server, database_problems, settings_problems

COMMAND = "doctor"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
#: Options of the `flask` command that take a value: the command name is never one of them.
_FLASK_OPTIONS_WITH_A_VALUE = {"-A", "--app", "-e", "--env-file"}


@click.command(COMMAND)
@with_appcontext
def doctor_command() -> None:
    """Check the production settings and the database; say what is wrong and what to do."""
    problems = settings_problems(current_app.config, gunicorn_server()) + database_problems()
    problems += static_problems()
    if not problems:
        click.echo("No problems found.")
        return
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    click.echo(f"{count} with this configuration:")
    for problem in problems:
        click.echo(f"- {problem}")
    raise SystemExit(1)


def static_problems() -> list[str]:
    """CSS and JS without their build still work, but go out uncompressed and are re-checked by
    every browser on every page: a deploy step was missed."""
    missing = static_files.unbuilt(current_app._get_current_object())
    if not missing:
        return []
    return [
        f"The static files are not built ({', '.join(missing)}): pages still work, but these "
        "go out uncompressed and uncached. Run `.venv/bin/python -m intake.static_files` in "
        "the app's folder after each deploy."
    ]


def gunicorn_server() -> Server:
    """Workers and addresses as gunicorn.conf.py computes them, from the same environment
    (WEB_CONCURRENCY, else 2 x cores + 1; PORT)."""
    settings: dict[str, Any] = runpy.run_path(str(GUNICORN_CONF))
    binds = settings.get("bind") or []
    return Server(int(settings["workers"]), tuple([binds] if isinstance(binds, str) else binds))


def requested(argv: Sequence[str] | None = None) -> bool:
    """Whether this process is `flask … doctor`, so the app may be built to be reported on.

    Only under Flask's own command line (a click context whose root is a FlaskGroup: never
    gunicorn, never `import wsgi`), and only when `doctor` is the command it runs.
    """
    context = click.get_current_context(silent=True)
    if context is None or not isinstance(context.find_root().command, FlaskGroup):
        return False
    return command_name(sys.argv[1:] if argv is None else argv) == COMMAND


def command_name(args: Sequence[str]) -> str | None:
    """The command `flask ARGS` runs: the first word that is neither an option nor its value."""
    words = iter(args)
    for word in words:
        if word in _FLASK_OPTIONS_WITH_A_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
