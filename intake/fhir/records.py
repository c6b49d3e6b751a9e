"""The FHIR export of stored records: a Bundle per booking request (the staff download) and
NDJSON of everything since a date (`flask export fhir`), read in keyset chunks.

"Since a date" is what was recorded on or after it: booking requests received then (their
Patient, intake QuestionnaireResponse and its Observations) and follow-ups answered then,
whenever their request came in (their QuestionnaireResponse and Observations). Ids are stable
(naming.py), so exports taken one after another merge without duplicates and a follow-up's
references find the Patient exported with its request earlier.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.fhir import observations, questionnaires, responses
from intake.fhir.naming import Naming, instant, reference
from intake.followup.models import FollowUp
from intake.models import BookingRequest, Submission, utcnow

#: rows read from the database at a time
CHUNK_ROWS = 200


def naming() -> Naming:
    """The URIs of this clinic's export (from BASE_URL)."""
    return Naming(current_app.config["BASE_URL"])


def questionnaires_of(names: Naming) -> tuple[dict, dict]:
    """The intake and follow-up Questionnaires (the same for every export of one clinic)."""
    return questionnaires.intake_questionnaire(names), questionnaires.followup_questionnaire(names)


def patient(names: Naming, booking: BookingRequest, request_reference: str) -> dict:
    """The Patient of a booking request: the name and contact details as the patient gave
    them, identified by the request's reference (DN-…)."""
    telecom = [
        {"system": system, "value": value}
        for system, value in (("email", booking.email), ("phone", booking.phone))
        if value
    ]
    resource = {
        "resourceType": "Patient",
        "id": f"request-{booking.id}",
        "identifier": [{"system": names.identifier("request"), "value": request_reference}],
        "name": [{"text": booking.name}],
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


def request_resources(names: Naming, booking: BookingRequest, submission: Submission) -> list:
    """A request's Patient, its intake QuestionnaireResponse and the intake's Observations."""
    person = patient(names, booking, submission.reference)
    activities = responses.psfs_activities(booking.psfs_baseline)
    who = reference(person)
    answered = responses.intake_response(names, submission, who, activities)
    found = observations.intake_observations(
        names, submission, who, reference(answered), activities
    )
    return [person, answered, *found]


def followup_resources(
    names: Naming, followup: FollowUp, psfs_baseline, request_reference: str
) -> list:
    """An answered follow-up's QuestionnaireResponse and Observations."""
    who = f"Patient/request-{followup.booking_request_id}"
    activities = responses.psfs_activities(psfs_baseline)
    answered = responses.followup_response(names, followup, who, request_reference, activities)
    found = observations.followup_observations(
        names, followup, who, reference(answered), activities
    )
    return [answered, *found]


def bundle_of(names: Naming, booking: BookingRequest) -> dict:
    """One request as a collection Bundle: the two Questionnaires, the Patient, the intake
    and every answered follow-up with their Observations."""
    submission = booking.submission
    found = [*questionnaires_of(names), *request_resources(names, booking, submission)]
    answered = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.booking_request_id == booking.id, FollowUp.status == "answered")
        .order_by(FollowUp.number)
    )
    for followup in answered:
        found += followup_resources(names, followup, booking.psfs_baseline, submission.reference)
    return {
        "resourceType": "Bundle",
        "id": f"request-{booking.id}",
        "type": "collection",
        "timestamp": instant(utcnow()),
        "entry": [
            {"fullUrl": names.full_url(reference(resource)), "resource": resource}
            for resource in found
        ],
    }


def ndjson_line(resource: dict) -> str:
    """One resource as one NDJSON line."""
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def resources_since(names: Naming, since: dt.datetime) -> Iterator[dict]:
    """The Questionnaires, then every request received and every follow-up answered on or
    after `since` (naive UTC), CHUNK_ROWS rows per query, by id (keyset): memory stays flat
    whatever the number of rows. The caller commits anything of its own first: the session is
    emptied after each chunk."""
    yield from questionnaires_of(names)
    yield from _chunked(
        select(BookingRequest, Submission)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .where(BookingRequest.created_at >= since),
        BookingRequest.id,
        lambda row: request_resources(names, row[0], row[1]),
    )
    yield from _chunked(
        select(FollowUp, BookingRequest.psfs_baseline, Submission.reference)
        .join(BookingRequest, BookingRequest.id == FollowUp.booking_request_id)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .where(FollowUp.status == "answered", FollowUp.answered_at >= since),
        FollowUp.id,
        lambda row: followup_resources(names, row[0], row[1], row[2]),
    )


def _chunked(query, key, resources_of) -> Iterator[dict]:
    last = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = db.session.execute(page.order_by(key).limit(CHUNK_ROWS)).all()
        if not rows:
            return
        last = rows[-1][0].id
        for row in rows:
            yield from resources_of(row)
        db.session.expunge_all()
