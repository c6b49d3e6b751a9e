"""`GET /healthz` for load balancers: 200 "ok" while the database answers, 503 "unavailable"
when it does not.

A probe learns nothing else (no error text, versions or settings), gets no cookie and no
copy to cache, and is never rate limited: one balancer probing every few seconds from one
address must not be refused, whatever limits are added later. It answers over plain http even
with FORCE_HTTPS: balancers probe the app server directly, usually over http, and a redirect
to https would say nothing about the database. Nothing here is worth encrypting.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response
from flask_talisman import Talisman

from intake.extensions import limiter
from intake.ops.checks import database_error

log = logging.getLogger("intake.health")

bp = Blueprint("ops", __name__)
limiter.exempt(bp)

#: Talisman's per-view options are an attribute its decorator puts on the view; this unbound
#: instance only lends the decorator (the app's own instance reads the attribute).
_per_view = Talisman()


@bp.get("/healthz")
@_per_view(force_https=False)
def healthz() -> Response:
    """200 "ok" when `SELECT 1` succeeds, else 503 "unavailable"."""
    error = database_error()
    if error is None:
        return _plain("ok", 200)
    # The class only: the message can name hosts and users, and a failing probe repeats.
    log.warning("health check: the database did not answer (%s)", type(error).__name__)
    return _plain("unavailable", 503)


def _plain(text: str, status: int) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
