"""The outcomes report (page and CSV), follow-ups that need a look, and marking a request's
follow-up flags as seen. Routes on the staff blueprint (login required there)."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from intake.audit import audit
from intake.clinic_time import DATE_EXAMPLE
from intake.extensions import db
from intake.followup import measures, report, timeline
from intake.forms import FieldView
from intake.models import BookingRequest
from intake.staff.blueprint import bp
from intake.staff.outcomes import charts, export
from intake.staff.requests.bookings import safe_cell
from intake.web import form_page

#: what the first bar of a claim's chart counts, where it is not a validated meaningful change
SERIES_WORDS = {"medicine_days": "Fewer days than at intake", "sport_return": "Fully back to sport"}


@bp.get("/outcomes")
def outcomes():
    """For each of the clinic's claims: the share of patients meeting the meaningful change."""
    filters, errors = report.ReportFilter.from_args(request.args)
    built = report.build(filters, current_app.config["FOLLOWUP_SCHEDULE"])
    fields = _date_fields(errors)
    return form_page(
        "staff/outcomes/report.html",
        [f for f in fields if f.error],
        report=built,
        fields=fields,
        charts=[_claim_chart(item, built.weeks) for item in built.claims],
    )


@bp.get("/outcomes.csv")
def export_outcomes():
    """The report as CSV (suppression applied), audited."""
    filters, errors = report.ReportFilter.from_args(request.args)
    if errors:  # never export other dates than asked for: the page says what is wrong
        return redirect(url_for(".outcomes", **request.args.to_dict()))
    built = report.build(filters, current_app.config["FOLLOWUP_SCHEDULE"])
    audit("export_outcomes", "outcomes", filters=filters.as_args())
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerows([safe_cell(cell) for cell in row] for row in export.csv_rows(built))
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=outcomes.csv"},
    )


@bp.get("/followups/flagged")
def flagged_followups():
    """Follow-ups with flags nobody has marked as seen yet."""
    return render_template(
        "staff/outcomes/flagged.html", rows=timeline.flagged(), flag_text=measures.FLAG_TEXT
    )


@bp.post("/requests/<int:request_id>/followups/seen")
def mark_followups_seen(request_id: int):
    """Mark a request's follow-up flags as seen (audited)."""
    booking = db.get_or_404(BookingRequest, request_id)
    count = timeline.mark_flags_seen(booking)
    db.session.commit()
    if count:
        flash("Follow-up flags marked as seen.")
    return redirect(url_for(".show_request", request_id=booking.id) + "#followup")


def _date_fields(errors: dict[str, str]) -> list[FieldView]:
    return [
        FieldView(
            key,
            key,
            "date",
            f"First appointment {label}",
            hint=f"Like {DATE_EXAMPLE}",
            values=[str(request.args.get(key, ""))[:40]],
            error=errors.get(key, ""),
            width="short",
        )
        for key, label in (("date_from", "from"), ("date_to", "to"))
    ]


def _claim_chart(item: report.ClaimReport, weeks: list[int]) -> Markup:
    series = [
        charts.ShareSeries(
            SERIES_WORDS.get(item.measure.id, "Meaningful change"), item.overall.cells
        ),
        charts.ShareSeries("Patients' own view (PGIC)", item.pgic.cells),
    ]
    title = f"{item.claim.promise}: share of patients meeting the meaningful change, by week"
    return Markup(charts.claim_chart(f"claim-{item.claim.id}", title, weeks, series))
