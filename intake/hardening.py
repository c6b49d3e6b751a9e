"""Protections the factory installs: proxy headers, NUL refusal, id ranges, quiet SQL logs,
the security headers (SecurityHeaders) and the session cookie (SessionCookies); and the check
that rate limits are shared by every worker (gunicorn.conf.py runs it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_limiter import Limiter
from flask_talisman import Talisman
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import Headers
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: The largest id a database integer column holds (PostgreSQL `integer`)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` limited to what an id column holds: a larger number is a 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Trust PROXY_FIX proxies' forwarded headers; refuse NUL; keep rows out of the logs;
    sign session cookies and CSRF tokens only when they change (SessionCookies, CsrfTokens).

    Call before the blueprints are registered: their `<int:…>` routes use IdConverter.
    """
    app.url_map.converters["int"] = IdConverter
    app.session_interface = SessionCookies()
    app.jinja_env.globals["csrf_token"] = CsrfTokens()  # after CSRFProtect set its own
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
    # request.form is empty without a Content-Type (a GET), so it is not parsed for nothing
    for values in (request.args, request.form) if request.want_form_data_parsed else [request.args]:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def refuse_json_bodies() -> None:
    """Every form here is an HTML form. Flask-WTF would read a JSON body as the form data
    (and fail on one that is not an object), so a JSON body gets 415, not a 500."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        abort(415)


def posts_only(limit: Callable[[Callable], Callable]) -> Callable[[Callable], Callable]:
    """A Flask-Limiter decorator made with methods=["POST"], whose GETs skip the limiter.

    Flask-Limiter works out, in the decorator of every request, which limits apply to it; a
    GET of a view limited on POST only ends with none, at a cost of a few per cent of a question
    page's GET. Here a GET goes straight to the view, unless default limits are set (they
    would count GETs); a POST goes through the limit as before."""

    def decorate(view: Callable) -> Callable:
        limited = limit(view)
        manager = limit.limiter.limit_manager  # type: ignore[attr-defined]

        @wraps(view)
        def dispatch(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST" or manager.default_limits:
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return dispatch

    return decorate


#: Flask-Limiter settings that make its check before every request find something to count.
_LIMITS_FOR_EVERY_REQUEST = (
    "RATELIMIT_APPLICATION",
    "RATELIMIT_DEFAULT",
    "RATELIMIT_META",
    "RATELIMIT_IN_MEMORY_FALLBACK",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
)


def drop_idle_limit_check(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter checks, before every request, the limits that apply to many views at once:
    application, default, blueprint and meta limits, and the in-memory fallback. Here every
    limit is a decorator on the views it guards and is counted there, so that check finds
    nothing to count, on every request, at 8 % of a question page's GET and 6 % of its POST
    (callgrind). It is dropped while no such limit is set; setting one (RATELIMIT_DEFAULT,
    say, or a limit on a blueprint) keeps it. Call once the blueprints are registered."""
    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits:
        return
    if any(app.config.get(name) for name in _LIMITS_FOR_EVERY_REQUEST):
        return
    if any(manager.blueprint_limits(app, name) for name in app.blueprints):
        return
    check = limiter._check_request_limit  # the hook Limiter.init_app registered
    app.before_request_funcs[None] = [f for f in app.before_request_funcs[None] if f != check]


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


class SecurityHeaders(Talisman):
    """flask-talisman's headers and https redirect, with each header worked out once.

    Talisman builds every header again for each response (the Content-Security-Policy joined
    from its dict, the permissions policy, its options looked up four times per request). With
    no per-request nonce they are the same for every response of a view, so they are worked out
    by Talisman's own code on a view's first response and kept. A view's own options (Talisman's
    decorator, as /healthz uses) are honoured as before; Strict-Transport-Security still
    depends on each request (https only). tests/test_security_headers.py checks every header
    against plain Talisman's. This relies on flask-talisman 1.1's method names.
    """

    #: Talisman's per-view options, with the app-wide value each falls back to.
    VIEW_OPTIONS = (
        "force_https",
        "frame_options",
        "frame_options_allow_from",
        "content_security_policy",
        "content_security_policy_nonce_in",
        "permissions_policy",
        "document_policy",
        "feature_policy",
    )

    def init_app(self, app: Flask, **options: Any) -> None:
        super().init_app(app, **options)
        self._defaults = {name: getattr(self, name) for name in self.VIEW_OPTIONS}
        #: endpoint -> (headers before Strict-Transport-Security, headers after it)
        self._fixed: dict[str | None, tuple[list, list]] = {}

    def _get_local_options(self) -> dict:
        view = current_app.view_functions.get(request.endpoint)  # type: ignore[arg-type]
        if getattr(view, "talisman_view_options", None) is None:
            return self._defaults
        return super()._get_local_options()

    def _force_https(self) -> Any:
        if self.session_cookie_secure and not self.app.debug:
            self.app.config["SESSION_COOKIE_SECURE"] = True
        if not self._get_local_options()["force_https"] or self.app.debug or request.is_secure:
            return None
        return super()._force_https()

    def _make_nonce(self) -> None:
        if self._get_local_options()["content_security_policy_nonce_in"]:
            super()._make_nonce()

    def _set_response_headers(self, response: Any) -> Any:
        options = self._get_local_options()
        if options["content_security_policy_nonce_in"]:  # a new nonce in every response
            return super()._set_response_headers(response)
        fixed = self._fixed.get(request.endpoint) or self._work_out(options)
        headers = response.headers
        for name, value in fixed[0]:
            headers[name] = value
        if self.strict_transport_security:
            self._set_hsts_headers(headers)
        for name, value in fixed[1]:
            headers[name] = value
        return response

    def _work_out(self, options: dict) -> tuple[list, list]:
        """This view's headers, by Talisman's own code, in Talisman's order."""
        before, after = Headers(), Headers()
        self._set_feature_policy_headers(before, options)
        self._set_permissions_policy_headers(before, options)
        self._set_document_policy_headers(before, options)
        self._set_frame_options_headers(before, options)
        self._set_content_security_policy_headers(before, options)
        self._set_referrer_policy_headers(after)
        fixed = (list(before.items()), list(after.items()))
        self._fixed[request.endpoint] = fixed
        return fixed


class StampedSession(SecureCookieSession):
    """A session that knows when its cookie was signed (None: new, or not from a cookie)."""

    signed_at: float | None = None


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without signing an unchanged cookie on every response.

    Flask re-signs a permanent session (a patient's) on every response so that it lasts
    PERMANENT_SESSION_LIFETIME after the last request; that costs a signature and a
    Set-Cookie on every page. Here an unchanged permanent session is signed again only once its
    cookie is older than a twenty-fourth of the lifetime (an hour of the default day): it still
    ends at most PERMANENT_SESSION_LIFETIME after the last request (a little earlier, never
    later), and a changed session is saved at once, as before. Sessions that are not
    permanent (staff) change on every request anyway (the idle clock, `staff_seen`).
    """

    session_class = StampedSession
    #: The share of PERMANENT_SESSION_LIFETIME after which an unchanged cookie is signed again.
    REFRESH_SHARE = 1 / 24

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, made once per set of keys instead of twice per request."""
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers = {key: serializer}  # the keys in use now, only
        return serializer

    def open_session(self, app: Flask, request: Any) -> StampedSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed.timestamp()
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed = getattr(session, "signed_at", None)
        refresh_after = app.permanent_session_lifetime.total_seconds() * self.REFRESH_SHARE
        return signed is None or time.time() - signed >= refresh_after


class CsrfTokens:
    """`csrf_token()` in templates: Flask-WTF's token, each session's signed once and reused.

    Flask-WTF signs the session's CSRF token again for every page that shows a form, about 6 %
    of a question page. A signed token says when it was signed, and Flask-WTF refuses one older
    than WTF_CSRF_TIME_LIMIT; here that is None (a token lives as long as its session), so a
    session's signed token is reused as long as it is kept (the last KEPT sessions); with a
    time limit, for a sixtieth of it. Every token comes from Flask-WTF's generate_csrf."""

    KEPT = 4096

    def __init__(self) -> None:
        #: (secret key, the session's token) -> (the signed token, when it was signed)
        self._signed: dict[tuple[Any, str], tuple[str, float]] = {}

    def __call__(self) -> str:
        config = current_app.config
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        if field in g:
            return g.get(field)
        key = (config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key), session.get(field))
        limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
        kept = self._signed.get(key) if isinstance(key[1], str) else None
        if kept is not None and (limit is None or time.time() - kept[1] < limit / 60):
            setattr(g, field, kept[0])
            return kept[0]
        token = generate_csrf()
        if len(self._signed) >= self.KEPT:
            self._signed.clear()
        self._signed[key[0], session[field]] = (token, time.time())
        return token
