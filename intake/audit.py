"""The audit log: who did what to which record, from where. Never answers or contact details."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from intake.extensions import db
from intake.models import AuditEvent


def audit(action: str, target: str = "", *, actor: str | None = None, **details: Any) -> None:
    """Record an audit event in the current transaction (the caller commits)."""
    user = current_user if current_user and current_user.is_authenticated else None
    db.session.add(
        AuditEvent(
            user_id=user.id if user else None,
            actor=actor if actor is not None else (user.email if user else ""),
            action=action,
            target=target,
            details=details,
            remote_addr=(request.remote_addr or "")[:64] if has_request_context() else "",
        )
    )
