"""Intake: patient intake and triage for dry-needling clinics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# Flask is imported inside create_app, so the pure core (questionnaire, scoring, rules)
# imports without it.
ROOT = Path(__file__).resolve().parent.parent

#: The Content-Security-Policy: everything from this origin only, nothing inline.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application: config, extensions, blueprints, CLI."""
    from flask import Flask

    from intake import cli, errors, logs, static_files
    from intake.config import load_config

    app = Flask(
        __name__,
        instance_path=os.environ.get("INTAKE_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    _refuse_unsafe_config(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    logs.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    _drop_idle_checks(app)
    _register_template_helpers(app)
    errors.register(app)
    cli.register(app)
    static_files.init_app(app)  # last: in production WhiteNoise wraps the whole app
    return app


def _init_extensions(app: Flask) -> None:
    """Bind the extensions, the request guards and the security headers to the app."""
    from intake import hardening
    from intake.extensions import csrf, db, limiter, login_manager, mail, migrate
    from intake.followup import models as _followup_models  # noqa: F401 (its tables)
    from intake.staff.requests import held as _held_forms  # noqa: F401 (its table)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    # current_user is a template global below, loaded only by the pages that show it (staff)
    login_manager.init_app(app, add_context_processor=False)
    limiter.init_app(app)
    hardening.init_app(app)
    hardening.SecurityHeaders(  # Talisman's headers, each worked out once
        app,
        content_security_policy=CSP,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["HSTS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        referrer_policy="same-origin",
        frame_options="DENY",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )


def _register_blueprints(app: Flask) -> None:
    """The patient journey, the staff area, the rules desk and the health check."""
    from intake.fhir import views as _fhir_views  # noqa: F401 (adds staff routes)
    from intake.followup.views import bp as followup_bp
    from intake.ops.health import bp as ops_bp
    from intake.patient import booking_views as _booking_views  # noqa: F401 (adds routes)
    from intake.patient import views as _patient_views  # noqa: F401 (adds routes)
    from intake.patient.blueprint import bp as patient_bp
    from intake.staff.accounts import views as _accounts_views  # noqa: F401 (adds routes)
    from intake.staff.blueprint import bp as staff_bp
    from intake.staff.dashboard import views as _dashboard_views  # noqa: F401 (adds routes)
    from intake.staff.outcomes import views as _outcomes_views  # noqa: F401 (adds routes)
    from intake.staff.requests import status_views as _status_views  # noqa: F401 (adds routes)
    from intake.staff.requests import views as _requests_views  # noqa: F401 (adds routes)
    from intake.staff.rules.views import bp as rules_bp

    app.register_blueprint(patient_bp)
    app.register_blueprint(followup_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(rules_bp)
    app.register_blueprint(ops_bp)


def _drop_idle_checks(app: Flask) -> None:
    """Per-request work that finds nothing to do with this app's settings."""
    from intake import hardening
    from intake.extensions import limiter

    hardening.drop_idle_limit_check(app, limiter)


def _register_template_helpers(app: Flask) -> None:
    """What every template may use: the clinic's details, outcome texts, availability in words."""
    from intake.patient import availability
    from intake.screening.invisible import visible
    from intake.screening.outcomes import OUTCOME_TEXT
    from intake.screening.rules import OUTCOMES

    app.jinja_env.globals["clinic"] = {
        "name": app.config["CLINIC_NAME"],
        "phone": app.config["CLINIC_PHONE"],
        "emergency_number": app.config["EMERGENCY_NUMBER"],
    }
    app.jinja_env.globals["outcome_text"] = OUTCOME_TEXT
    app.jinja_env.globals["outcomes"] = OUTCOMES
    app.jinja_env.filters["availability"] = availability.in_words
    # Plain words for staff (issue 13): phones for PHONE_REGION, what each score means.
    from intake import plain_words

    app.jinja_env.filters["phone"] = plain_words.phone
    app.jinja_env.globals["score_meanings"] = plain_words.SCORE_MEANINGS
    app.jinja_env.globals["no_concerns"] = plain_words.NO_CONCERNS
    app.jinja_env.globals["duration_words"] = plain_words.DURATION_WORDS
    # The clinic's clock (issue 13): stored UTC shown in CLINIC_TIMEZONE; the response promise.
    from intake import clinic_time
    from intake.staff.requests.bookings import label as status_label

    app.jinja_env.filters["local"] = clinic_time.local_time
    app.jinja_env.filters["day"] = clinic_time.shown_day  # a date: "Fri 4 Dec 2026"
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals["promise_words"] = clinic_time.promise_words
    # Every printed value (pages and emails) loses bidi and zero-width characters stored earlier.
    app.jinja_env.finalize = visible
    # Flask-Login's own context processor would load the user for every page (issue 16).
    from flask_login import current_user

    app.jinja_env.globals["current_user"] = current_user


def _refuse_unsafe_config(app: Flask) -> None:
    """Outside development and testing, the development secret key is refused, except by
    `flask doctor`, which builds the app only to report this among its other problems."""
    from intake.config import DEV_SECRET_KEY
    from intake.ops import doctor

    unsafe = app.config["SECRET_KEY"] == DEV_SECRET_KEY and not (app.debug or app.testing)
    if unsafe and not doctor.requested():
        raise RuntimeError(
            "SECRET_KEY is not set. Set it to a long random value (for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`) or run with "
            "FLASK_DEBUG=1 for local development."
        )
