"""Telling the clinic when a follow-up needs a look (a flag: pain worse than at intake, much
worse overall, felt faint, another after-effect): one email through the outbox, in the same
transaction as the answers, so staff hear of it without watching the dashboard.

The subject names only the reference, like the booking email's. The body says which follow-up
and links to the request; it names what was flagged only when CLINIC_EMAIL_DETAIL is "full"
(the clinic's choice of how much health detail its mailbox holds, as for booking emails).
"""

from __future__ import annotations

from flask import current_app, render_template

from intake.followup import measures
from intake.followup.models import FollowUp
from intake.mail import outbox
from intake.models import OutboxMessage


def queue_flag_alert(followup: FollowUp, flags: list[str]) -> OutboxMessage | None:
    """Queue the clinic's email about a flagged follow-up (None when nothing was flagged).
    Flushes; the caller commits."""
    if not flags:
        return None
    booking = followup.booking
    reference = booking.submission.reference
    full = current_app.config["CLINIC_EMAIL_DETAIL"] == "full"
    context = {
        "reference": reference,
        "number": followup.number,
        "weeks": followup.weeks,
        "flags": [measures.FLAG_TEXT.get(flag, flag) for flag in flags] if full else [],
        "link": f"{current_app.config['BASE_URL'].rstrip('/')}/staff/requests/{booking.id}"
        "#followup",
        "clinic_name": current_app.config["CLINIC_NAME"],
        "emergency_number": current_app.config["EMERGENCY_NUMBER"],
    }
    return outbox.enqueue(
        kind="followup_flagged",
        recipients=current_app.config["CLINIC_EMAIL"],
        subject=f"A follow-up needs a look: {reference}",
        text_body=render_template("mail/followup_flagged.txt", **context),
        html_body=render_template("mail/followup_flagged.html", **context),
        booking_request_id=booking.id,
    )
