"""Blueprint "followup": the patient's follow-up form, opened by the link in a follow-up email
(no login), and the one-step unsubscribe. Thin views: links find the follow-up, forms read
the pages, responses store them.

Two pages, each sent with errors held and shown again by a redirect (Back never resubmits);
the first page's answers are kept until the second is sent."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from intake.extensions import csrf, db, limiter
from intake.followup import forms, links, responses
from intake.followup.links import LinkUnusable
from intake.followup.models import FollowUp
from intake.web import form_page

bp = Blueprint("followup", __name__)
log = logging.getLogger("intake.followup")

#: LinkUnusable reason -> the HTTP status of its page
_STATUS = {"answered": 200, "expired": 410, "stopped": 410, "unknown": 404}


def _patient_limit() -> str:
    return current_app.config["PATIENT_RATE_LIMIT"]


#: The follow-up forms' POSTs share one allowance per address, as the questionnaire's do.
followup_limit = limiter.shared_limit(_patient_limit, scope="followup", methods=["POST"])


@bp.after_request
def no_store(response: Response) -> Response:
    """Follow-up pages show answers: no browser or proxy keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(LinkUnusable)
def link_unusable(error: LinkUnusable) -> tuple[str, int]:
    """A used, expired, stopped or unknown link: a friendly page saying which."""
    db.session.rollback()
    return render_template("followup/link.html", reason=error.reason), _STATUS[error.reason]


@bp.route("/followup/<token>", methods=["GET", "POST"])
@followup_limit
def answer(token: str) -> Response | tuple[str, int] | str:
    """The follow-up's first page: pain now and in the past week, the patient's activities."""
    return _page(token, "now")


@bp.route("/followup/<token>/more", methods=["GET", "POST"])
@followup_limit
def answer_more(token: str) -> Response | tuple[str, int] | str:
    """The second page: the change overall, pain medicine, sport, after-effects."""
    return _page(token, "since")


def _page(token: str, page: str) -> Response | tuple[str, int] | str:
    followup = links.open_followup(token)
    base = responses.baseline(followup)
    here = url_for(".answer" if page == "now" else ".answer_more", token=token)
    if page == "since" and responses.saved(followup, "now") is None:
        return redirect(url_for(".answer", token=token))
    if request.method == "GET":
        return _show(followup, page, token)
    raw = responses.form_of(request.form.to_dict(flat=False), page, base)
    answers, errors = forms.parse(page, raw, base)
    if errors:
        responses.hold(followup, page, raw)
        db.session.commit()
        return redirect(here)
    if page == "now":
        responses.keep_page(followup, page, answers)
        db.session.commit()
        return redirect(url_for(".answer_more", token=token))
    if not responses.complete(followup, answers):
        raise LinkUnusable("answered")  # by another tab or device, just now
    db.session.commit()
    log.info("followup answered followup=%s", followup.id)
    session["followup_thanks"] = followup.id  # the thank-you page, once
    return redirect(url_for(".thanks"))


def _show(followup: FollowUp, page: str, token: str) -> tuple[str, int] | str:
    base = responses.baseline(followup)
    raw = responses.sent_with_errors(followup, page)
    errors = forms.parse(page, raw, base)[1] if raw is not None else {}
    fields = forms.fields(page, base, raw, errors, responses.saved(followup, page))
    return form_page(
        "followup/page.html",
        [f for f in fields if f.error],
        fields=fields,
        page=page,
        number=forms.PAGES.index(page) + 1,
        pages=len(forms.PAGES),
        title=forms.PAGE_TITLES[page],
        back_url=url_for(".answer", token=token) if page == "since" else None,
    )


@bp.get("/followup/thanks")
def thanks() -> str:
    """Thank you, shown once; what to do if something they reported worries them."""
    followup_id = session.pop("followup_thanks", None)
    followup = db.session.get(FollowUp, followup_id) if type(followup_id) is int else None
    if followup is None or followup.status != "answered":
        return render_template("followup/link.html", reason="answered")
    return render_template("followup/thanks.html", flagged=bool(followup.flags))


@bp.route("/followup/stop/<token>", methods=["GET", "POST"])
@followup_limit
def unsubscribe(token: str) -> Response | tuple[str, int] | str:
    """Stop follow-up emails: GET shows one button (mail scanners that open links stop
    nothing), POST stops them at once and shows that they are stopped."""
    booking = links.booking_to_unsubscribe(token)
    if booking is None:
        return render_template("followup/link.html", reason="unknown"), 404
    if request.method == "POST":
        if responses.stop(booking):
            log.info("followups stopped booking=%s", booking.id)
        db.session.commit()
        return redirect(url_for(".unsubscribe", token=token))
    return render_template("followup/stop.html", stopped=booking.followups_stopped_at is not None)


@bp.route("/followup/stop/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail app POSTs with no form of ours; the signed token is the key
@followup_limit
def one_click_unsubscribe(token: str) -> Response | tuple[str, int]:
    """List-Unsubscribe: the mail app's POST ("List-Unsubscribe=One-Click") stops follow-ups
    and gets a short answer; a GET (a mail app that opens the address) shows the stop page."""
    booking = links.booking_to_unsubscribe(token)
    if booking is None:
        return render_template("followup/link.html", reason="unknown"), 404
    if request.method == "GET":
        return redirect(url_for(".unsubscribe", token=token))
    if request.form.get("List-Unsubscribe") != "One-Click":
        return _plain("Send List-Unsubscribe=One-Click to stop follow-up emails.", 400)
    if responses.stop(booking):
        log.info("followups stopped booking=%s by one-click unsubscribe", booking.id)
    db.session.commit()
    return _plain("Follow-up emails stopped.", 200)


def _plain(text: str, status: int) -> Response:
    return Response(f"{text}\n", status, mimetype="text/plain")
