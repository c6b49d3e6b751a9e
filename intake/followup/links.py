"""The links in follow-up emails: a single-purpose token per email that opens one follow-up
(only its SHA-256 is stored), and a one-step unsubscribe link per booking request (signed, so
nothing is stored and it works for as long as the request exists)."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from intake.extensions import db
from intake.followup.models import FollowUp, FollowUpLink
from intake.models import BookingRequest, utcnow

_UNSUBSCRIBE_SALT = "intake.followup.unsubscribe"


class LinkUnusable(LookupError):
    """A follow-up link that opens nothing: `reason` says why, for a friendly page.

    unknown (never issued, or purged), answered, expired (missed), stopped (unsubscribed or
    cancelled)."""

    def __init__(self, reason: str, followup: FollowUp | None = None):
        super().__init__(reason)
        self.reason = reason
        self.followup = followup


def token_hash(token: str) -> str:
    """What is stored of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_link(followup: FollowUp) -> str:
    """A new token for one email about `followup` (flushes); the caller puts it in the link."""
    token = secrets.token_urlsafe(32)
    db.session.add(FollowUpLink(followup_id=followup.id, token_hash=token_hash(token)))
    db.session.flush()
    return token


def open_followup(token: str) -> FollowUp:
    """The follow-up a token opens, if the patient may still answer it; LinkUnusable if not."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise LinkUnusable("unknown")
    followup = db.session.scalars(
        select(FollowUp)
        .join(FollowUpLink, FollowUpLink.followup_id == FollowUp.id)
        .where(FollowUpLink.token_hash == token_hash(token))
    ).first()
    if followup is None:
        raise LinkUnusable("unknown")
    if followup.status in ("cancelled", "unsubscribed") or followup.booking.followups_stopped_at:
        raise LinkUnusable("stopped", followup)  # first: "answered" would promise more links
    if followup.status == "answered":
        raise LinkUnusable("answered", followup)
    if followup.status == "missed" or followup.expires_at <= utcnow():
        raise LinkUnusable("expired", followup)
    if followup.status != "sent":
        raise LinkUnusable("unknown")  # scheduled: no link to it has been sent
    return followup


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(booking: BookingRequest) -> str:
    """The token of a request's unsubscribe link (the same in every email it gets)."""
    return str(_unsubscribe_serializer().dumps(booking.id))


def booking_to_unsubscribe(token: str) -> BookingRequest | None:
    """The request an unsubscribe token names, or None when it is forged or the request gone."""
    try:
        booking_id = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    if type(booking_id) is not int:
        return None
    return db.session.get(BookingRequest, booking_id)
