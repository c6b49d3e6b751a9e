"""Protections the factory installs: proxy headers, NUL refusal, id ranges, quiet SQL logs;
and the check that rate limits are shared by every worker (gunicorn.conf.py runs it)."""

from __future__ import annotations

import logging

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: The largest id a database integer column holds (PostgreSQL `integer`)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` limited to what an id column holds: a larger number is a 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Trust PROXY_FIX proxies' forwarded headers; refuse NUL; keep rows out of the logs.

    Call before the blueprints are registered: their `<int:…>` routes use IdConverter.
    """
    app.url_map.converters["int"] = IdConverter
    proxies = app.config["PROXY_FIX"]
    if proxies:
        # X-Forwarded-For gives the patient's address to the rate limits and the audit log;
        # without it every request seems to come from the proxy. Host is passed unchanged.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_json_bodies)
    # At DEBUG, SQLAlchemy logs every row it reads (answers, names). Turning on debug logging
    # for the whole process must not do that; SQLALCHEMY_ECHO still works for development.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def refuse_nul_characters() -> None:
    """No browser sends NUL, and PostgreSQL refuses it in text and JSON: answer 400."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def refuse_json_bodies() -> None:
    """Every form here is an HTML form. Flask-WTF would read a JSON body as the form data
    (and fail on one that is not an object), so a JSON body gets 415, not a 500."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        abort(415)


def unshared_limits_problem(workers: int, storage_uri: str) -> str | None:
    """Why the rate limits would not hold with `workers` processes counting in `storage_uri`,
    or None when they do. memory:// counts inside one process, so N workers each allow the
    whole limit: with 5 workers, 20 failed logins in a minute met one 429 instead of fifteen."""
    if workers <= 1 or not storage_uri.startswith("memory://"):
        return None
    return (
        f"Rate limits would not hold: {workers} workers would each count the rate limits on "
        f"their own (RATELIMIT_STORAGE_URI is {storage_uri}), letting up to {workers} times "
        "the login, questionnaire, booking and 'save for later' limits through. Set "
        "RATELIMIT_STORAGE_URI=redis://HOST:6379/0 so every worker and server shares one count, "
        "or run a single worker with WEB_CONCURRENCY=1. See the README, 'Several app servers'."
    )
