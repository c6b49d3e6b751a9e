"""Helpers for tests that run the real entry points (gunicorn, flask) as child processes."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent


def server_env(
    tmp_path: Path, database: str, drop: tuple[str, ...] = (), **settings: str
) -> dict[str, str]:
    """The environment of a child app process on a fresh SQLite file with schema and rules.

    The test's own FLASK_/GUNICORN_ variables (and any prefix in `drop`) are left out.
    """
    path = tmp_path / database
    make_app(f"sqlite:///{path}", tmp_path)  # schema and the default rules
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "GUNICORN_", *drop))
    }
    return inherited | {
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{path}",
        "INTAKE_INSTANCE_PATH": str(tmp_path / "instance"),
        "SESSION_COOKIE_SECURE": "false",
        **settings,
    }


def wait_for_port(process: subprocess.Popen, port: int, output: Callable[[], str]) -> None:
    """Wait until something answers on `port`; fail with the process's output if it exits."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, output()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered on {port}:\n{output()}")
