"""The dashboard (today's work, counts and charts) and the outbox page (emails waiting or
failed)."""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, render_template, url_for
from markupsafe import Markup

from intake.extensions import db
from intake.followup import timeline
from intake.mail import outbox
from intake.models import OutboxMessage, utcnow
from intake.screening import questionnaire
from intake.screening.outcomes import OUTCOME_TEXT
from intake.screening.rules import OUTCOMES
from intake.staff.blueprint import bp
from intake.staff.dashboard import charts, stats, today
from intake.staff.requests import finding


@bp.get("/")
def dashboard():
    """Today's work first (new, overdue, call-backs due, see-a-doctor cases not yet reached,
    what is assigned to me), then the charts: requests per week by outcome, the funnel, where
    drafts stop."""
    return render_template(
        "staff/dashboard/index.html",
        piles=today.piles(finding.Context.current()),
        followups_to_look=timeline.unseen_flag_count(),
        **_charts(current_app.config["UNBOOKED_RETENTION_DAYS"]),
    )


def _charts(funnel_days: int) -> dict:
    """The charts and their tables. The funnel covers the days unbooked questionnaires are
    kept (UNBOOKED_RETENTION_DAYS), so its three counts cover the same days."""
    weeks, counts = stats.weekly_outcomes()
    funnel = stats.funnel(since=utcnow() - dt.timedelta(days=funnel_days))
    abandoned_rows = stats.abandoned_rows(questionnaire.STEPS)
    series = [
        charts.Series(o, OUTCOME_TEXT[o].label, counts[o], charts.COLOURS[o]) for o in OUTCOMES
    ]
    funnel_title = f"Started, completed, booking requested: the last {funnel_days} days"
    return {
        "weekly": Markup(
            charts.stacked_bars("Booking requests per week, by outcome", weeks, series)
        ),
        "weekly_rows": [(week, [counts[o][i] for o in OUTCOMES]) for i, week in enumerate(weeks)],
        "funnel_days": funnel_days,
        "funnel": Markup(charts.horizontal_bars(funnel_title, funnel)),
        "funnel_rows": funnel,
        "abandoned": Markup(
            charts.horizontal_bars(
                "Unfinished questionnaires by last page saved", abandoned_rows, colour="#7a4a00"
            )
        ),
        "abandoned_rows": abandoned_rows,
    }


@bp.get("/outbox")
def show_outbox():
    """Emails waiting or failed, with the last error; retry now."""
    return render_template("staff/dashboard/outbox.html", messages=outbox.undelivered())


@bp.post("/outbox/<int:message_id>/retry")
def retry_message(message_id: int):
    """Queue a pending or failed email to be sent now."""
    message = db.get_or_404(OutboxMessage, message_id)
    if outbox.retry(message):
        db.session.commit()
        flash("The email will be sent on the next delivery run.")
    return redirect(url_for(".show_outbox"))
