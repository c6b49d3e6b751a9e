"""The staff download of one request as a FHIR R4 Bundle (routes on the staff blueprint, so
behind login)."""

from __future__ import annotations

import json

from flask import Response

from intake.audit import audit
from intake.extensions import db
from intake.fhir import records
from intake.models import BookingRequest
from intake.staff.blueprint import bp

FHIR_JSON = "application/fhir+json"


@bp.get("/requests/<int:request_id>/fhir")
def export_request_fhir(request_id: int):
    """One request as a FHIR Bundle: Patient, intake and follow-ups, scores; audited."""
    booking = db.get_or_404(BookingRequest, request_id)
    bundle = records.bundle_of(records.naming(), booking)
    filename = f"{booking.submission.reference}.fhir.json"
    audit("export_fhir", f"booking_request:{booking.id}", resources=len(bundle["entry"]))
    db.session.commit()
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=1),
        content_type=f"{FHIR_JSON}; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
