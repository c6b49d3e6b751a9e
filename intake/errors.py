"""Error pages in the patient style; every unexpected error is logged and rolled back."""

from __future__ import annotations

import logging

from flask import Flask, redirect, render_template, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from intake.extensions import db
from intake.patient.submissions import DraftMissing, QuestionnaireIncomplete, ResumeLinkInvalid
from intake.staff.rules.rulesets import NoRuleSet

log = logging.getLogger("intake.errors")

_TITLES = {
    400: ("Sorry, there is a problem with that request", "Please go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that did not work", "Please go back and try again."),
    413: ("That was too much to send", "Please shorten your answers and try again."),
    415: ("Sorry, that did not work", "Please go back and send the form from the page."),
    429: ("Too many attempts", "Please wait a minute, then try again."),
    500: (
        "Sorry, something went wrong on our side",
        "Your answers are saved. Please try again in a few minutes.",
    ),
}


def register(app: Flask) -> None:
    """Attach the error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _error_page(error.code or 500, error.name)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(DraftMissing)
    def draft_missing(error: DraftMissing):
        link = isinstance(error, ResumeLinkInvalid)
        had_draft = session.pop("draft_id", None) is not None or link
        page = render_template("errors/expired.html", had_draft=had_draft, link=link)
        return page, (410 if had_draft else 404)

    @app.errorhandler(QuestionnaireIncomplete)
    def incomplete(error: QuestionnaireIncomplete):
        db.session.rollback()
        return redirect(url_for("patient.question_page", step_id=error.step.id))

    @app.errorhandler(NoRuleSet)
    def no_ruleset(error: NoRuleSet):
        log.error("no published rule set: run `flask --app wsgi rules seed`")
        return _server_error()

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error (%s)", type(error).__name__)
        return _server_error()


def _server_error():
    db.session.rollback()
    return _error_page(500)


def _error_page(code: int, name: str = ""):
    title, advice = _TITLES.get(code, (name, "Please go back and try again."))
    return render_template("errors/error.html", title=title, advice=advice, code=code), code
