"""Question pages that nobody has answered yet, kept per process, the CSRF token aside.

A question page with no answer and no error on it is the same HTML for every patient who
reaches it the same way (the same page, questions and Back link), but for the session's CSRF
token; rendering it was a third of a question page's GET (callgrind). So such a page is
rendered once with patient/question.html, kept cut at its token, keyed by every value of its
context, and joined with each patient's own token. A page showing an answer or an error is
rendered afresh and never kept (no answers linger in memory), and so is a page whose context
holds a value this module cannot compare (see `_key`): a new kind of value in the context
makes pages slower, never wrong. The template reads nothing but its context and the app's
constant globals (tests/patient/test_lean_pages.py checks both pages and templates).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from intake.patient.field_html import Kept, view_content
from intake.screening.questionnaire_model import Part, Step
from intake.web import form_page

TEMPLATE = "patient/question.html"
#: The values a key may hold as they are.
_PLAIN = (str, int, bool, type(None))

#: Pages kept per process, cut at the token (a few hundred ways to reach pages).
_kept = Kept(512)


def question_page(context: Mapping[str, Any]) -> str | tuple[str, int]:
    """patient/question.html with `context` (web.form_page: 422 with errors), from the
    process's copy when nothing on the page is the patient's."""
    key = _key(context)
    token = current_app.jinja_env.globals["csrf_token"]() if key is not None else ""
    if not token:
        return form_page(TEMPLATE, **context)
    parts = _kept.get(key)
    if parts is None:
        html = form_page(TEMPLATE, **context)
        assert isinstance(html, str)  # no errors, so a 200
        _kept.keep(key, tuple(html.split(token)))
        return html
    return token.join(parts)


def _key(context: Mapping[str, Any]) -> tuple | None:
    """Every value of the context, comparable, and the app's templates; None when a field
    holds an answer or an error, or a value is of a kind not known here."""
    key: list[Any] = [current_app.jinja_env]
    for name in sorted(context):
        value = context[name]
        if name == "fields":
            if any(field.values or field.error for field in value):
                return None
            value = tuple(map(view_content, value))
        elif name == "errors":
            if value:
                return None
            value = ()
        elif isinstance(value, Step):
            value = (value.id, tuple(question.id for question in value.questions))
        elif isinstance(value, Part):
            value = (value.id, value.title)
        elif not isinstance(value, _PLAIN):
            return None
        key.append((name, value))
    return tuple(key)
