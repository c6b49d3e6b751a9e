"""Logging for every way the app runs (gunicorn, `flask run`, each CLI command): one stream on
stderr, each line with a timestamp, the level, the logger and the request id.

Log lines name ids (draft, submission, message), never names, email addresses, phone numbers
or answers. `LOG_FORMAT=json` gives one JSON object per line for a log collector.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import re
import secrets
from typing import Any

from flask import Flask, Response, g, has_request_context, request

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
#: The name of our handler on the root logger (how a second create_app() recognises it).
HANDLER = "intake"
REQUEST_ID_HEADER = "X-Request-ID"
#: A request id from the proxy is kept when it looks like one (nginx's $request_id, a UUID).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: The query string of a request line (the staff search puts names and emails there) and the
#: token of a "come back later" link (it opens a patient's answers), and those of follow-up and
#: unsubscribe links (a follow-up's path and all that follows it goes: "/followup/<token>").
_QUERY = re.compile(r"\?.*?(?=\s+HTTP/\S+$)|\?\S*")
_RESUME_TOKEN = re.compile(r"(/resume/|/followup/(?:stop/)?)[^\s?]+")
#: werkzeug colours request lines with ANSI escapes, noise in a log file or JSON
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def request_id() -> str:
    """This request's id, "-" outside a request: the proxy's X-Request-ID when sane, else new."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record the handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class HideQueryStrings(logging.Filter):
    """The dev server logs each request line: without its query string, resume token, colours."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_line = '"%s" %s %s' in str(record.msg)  # werkzeug's log_request()
        args = record.args
        if request_line and isinstance(args, tuple) and args and isinstance(args[0], str):
            line = _QUERY.sub("", _ANSI.sub("", args[0]))
            record.args = (_RESUME_TOKEN.sub(r"\1<token>", line), *args[1:])
        return True


def _timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 local time with milliseconds and the UTC offset."""
    moment = dt.datetime.fromtimestamp(record.created).astimezone()
    return moment.isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """`2026-11-23T10:15:02.123+00:00 INFO intake.patient [3f2a9c1e…] draft started draft=…`"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _timestamp(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(level: str = "INFO", fmt: str = "text", gunicorn: bool = False) -> dict:
    """The dictConfig for LOG_LEVEL and LOG_FORMAT; `gunicorn=True` adds gunicorn's own loggers
    (gunicorn.conf.py passes it as `logconfig_dict`). Raises ValueError on unknown values."""
    level = level.strip().upper()
    fmt = fmt.strip().lower()
    if level not in LEVELS:
        raise ValueError(f"LOG_LEVEL must be one of {', '.join(LEVELS)} (not {level!r})")
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)} (not {fmt!r})")
    config: dict[str, Any] = {
        "version": 1,
        # Loggers made before this (the app's, the libraries') keep working.
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "hide_query_strings": {"()": HideQueryStrings},
        },
        "formatters": {"text": {"()": TextFormatter}, "json": {"()": JsonFormatter}},
        "handlers": {
            HANDLER: {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                "filters": ["request_id"],
                # how configure() tells whether this process already has these settings
                ".": {"intake_settings": f"{level} {fmt}"},
            }
        },
        "root": {"level": level, "handlers": [HANDLER]},
        "loggers": {
            # Flask adds a handler of its own to the app's logger in debug mode: lines twice.
            "intake": {"level": "NOTSET", "handlers": [], "propagate": True},
            # A level of its own, or werkzeug sets INFO itself whatever LOG_LEVEL says.
            "werkzeug": {"level": level, "handlers": [], "filters": ["hide_query_strings"]},
            # Importing alembic (Flask-Migrate does) announces each of its plugins at INFO.
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }
    if gunicorn:
        # No level: gunicorn's `loglevel` setting keeps deciding. No access log (the README).
        config["loggers"]["gunicorn.error"] = {"handlers": [HANDLER], "propagate": False}
        config["loggers"]["gunicorn.access"] = {"handlers": [], "propagate": False}
    return config


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Apply logging_config() once per process (again only if the settings change).

    Handlers others put on the root logger (pytest's caplog, an embedding program's) stay.
    """
    config = logging_config(level, fmt)
    settings = config["handlers"][HANDLER]["."]["intake_settings"]
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == HANDLER]
    if ours and getattr(ours[0], "intake_settings", None) == settings:
        return
    others = [h for h in root.handlers if h.get_name() != HANDLER]
    werkzeug = logging.getLogger("werkzeug")
    for old in [f for f in werkzeug.filters if isinstance(f, HideQueryStrings)]:
        werkzeug.removeFilter(old)
    logging.config.dictConfig(config)
    for handler in others:
        root.addHandler(handler)


def init_app(app: Flask) -> None:
    """Configure logging from LOG_LEVEL and LOG_FORMAT; give each request an id.

    Call before the other request guards, so their log lines carry the id too.
    """
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)


def _assign_request_id() -> None:
    request_id()


def _send_request_id(response: Response) -> Response:
    """The id goes back in the response, so a problem report can quote it."""
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response
