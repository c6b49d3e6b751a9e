"""What one answered follow-up showed against the patient's baseline, worked out once when the
patient answers and stored with it (FollowUp.results), so the outcomes report counts small
stored rows instead of working out every patient's baseline and every follow-up's measures on
each request (bench/outcomes.py). Pure: no Flask, no database.

A stored result is {"version", "group", "claims", "measures"}: the condition group, the claims
whose population counts the patient (measures.in_population) and measures.changes() (before,
after and responder of every measure). A result of another VERSION, or none (answered before
results were stored), is worked out again by the report from the answers (report_data.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intake.followup import measures

#: Bump when what a result holds, or how a measure or responder is worked out, changes: the
#: report then works out older results again (and they stay correct).
VERSION = 1
#: What the report reads of a result, in this order: the measures behind the claims, and PGIC.
REPORT_MEASURES = (*dict.fromkeys(claim.measure for claim in measures.CLAIMS), "pgic")


def of(baseline: measures.Baseline, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The result of one follow-up's answers against the patient's baseline (JSON-ready)."""
    return {
        "version": VERSION,
        "group": baseline.group,
        "claims": [c.id for c in measures.CLAIMS if measures.in_population(c, baseline)],
        "measures": measures.changes(baseline, answers),
    }


def report_fields(result: Any) -> list[Any] | None:
    """[version, group, claims, *responders of REPORT_MEASURES] of a stored result, as the
    report's SQL picks them out (report_data.py); None when it is not a result."""
    if not isinstance(result, Mapping):
        return None
    changes = result.get("measures")
    changes = changes if isinstance(changes, Mapping) else {}
    responders = [(changes.get(m) or {}).get("responder") for m in REPORT_MEASURES]
    return [result.get("version"), result.get("group"), result.get("claims"), *responders]
