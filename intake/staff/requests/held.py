"""The request desk's forms sent with problems, held for the page the POST redirects to
(POST-redirect-GET), so that Back and refresh never ask to send a form again and nothing typed
is lost. The patient's pages do the same with drafts.held and submissions.held_booking.

A held form is a row per member of staff and request (the newest counts: two sent at once
leave two rows, never an error): what was typed (a reason or a note can
hold health detail, so it is kept in the database, never in the session cookie or the logs),
each field's problem, and which page shows it (the request page, or the page confirming a
decline or a close). It is shown again for HOLD after it was sent, until a form of that request
is sent without problems; expired rows go whenever a form is held, and at `flask purge`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from intake.extensions import db
from intake.models import BookingRequest, JSONType, utcnow

#: How long a form sent with problems is shown again.
HOLD = dt.timedelta(minutes=30)
#: The request page, where every desk form but the confirmation's is.
REQUEST_PAGE = "request"
#: The fields the desk's forms send, each kept to at most this many characters.
KEPT = {
    "status": 20,
    "call_back_on": 40,
    "first_appointment_on": 40,
    "treated": 20,
    "reason": 1100,
    "body": 2100,
    "assigned_to": 40,
}


class HeldForm(db.Model):
    """A desk form one member of staff sent with problems, until they send one that works."""

    __tablename__ = "held_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    booking_request_id: Mapped[int] = mapped_column(
        ForeignKey("booking_requests.id", ondelete="CASCADE"), index=True
    )
    #: where it is shown: REQUEST_PAGE, or "declined" / "closed" (their confirmation page)
    page: Mapped[str] = mapped_column(String(20))
    #: what was typed, by field name (KEPT)
    typed: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: each field's problem, by field name ("status" for the workflow's own refusals)
    errors: Mapped[dict[str, Any]] = mapped_column(JSONType)
    held_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


@dataclass(frozen=True)
class Held:
    """A held form as a page shows it: what was typed and each field's problem."""

    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


NOTHING = Held()


def hold(
    booking: BookingRequest, page: str, form: Mapping[str, Any], errors: Mapping[str, str]
) -> None:
    """Keep what the current member of staff sent with `errors`, for `page` of `booking`, in
    place of anything held before; expired forms of anyone go. Flushes; the caller commits."""
    user_id = current_user.id
    db.session.execute(delete(HeldForm).where(HeldForm.held_at < utcnow() - HOLD))
    _drop(booking.id, user_id)
    typed = {name: str(form.get(name, ""))[:limit] for name, limit in KEPT.items() if name in form}
    db.session.add(
        HeldForm(
            user_id=user_id,
            booking_request_id=booking.id,
            page=page,
            typed=typed,
            errors={name: str(message) for name, message in errors.items()},
        )
    )
    db.session.flush()


#: The query parameter of the page a form sent with problems redirects to: that page (and
#: its refresh, Back and Forward) shows them again; the same page opened afresh from a link
#: shows a clean form, not an old problem as if it were new.
MARK = "problem"


def held(booking: BookingRequest, page: str) -> Held:
    """What the current member of staff last sent with problems on `page` of `booking`, while
    it is held and the page is the one the form redirected to (MARK); NOTHING otherwise."""
    if request.args.get(MARK) != "1":
        return NOTHING
    row = db.session.scalars(
        select(HeldForm)
        .where(
            HeldForm.booking_request_id == booking.id,
            HeldForm.user_id == current_user.id,
            HeldForm.page == page,
            HeldForm.held_at >= utcnow() - HOLD,
        )
        .order_by(HeldForm.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return NOTHING
    return Held(dict(row.typed or {}), dict(row.errors or {}))


def drop(booking: BookingRequest) -> None:
    """Forget the current member of staff's held form on `booking`: a form of it went through,
    so the problems shown before no longer apply."""
    _drop(booking.id, current_user.id)


def _drop(booking_id: int, user_id: int) -> None:
    db.session.execute(
        delete(HeldForm).where(
            HeldForm.booking_request_id == booking_id, HeldForm.user_id == user_id
        )
    )


def expired_or_of(booking_ids: Any, now: dt.datetime) -> Any:
    """The ids of held forms past HOLD at `now` or of the requests `booking_ids` (a select):
    what `flask purge` deletes."""
    return select(HeldForm.id).where(
        (HeldForm.held_at < now - HOLD) | HeldForm.booking_request_id.in_(booking_ids)
    )
