"""Editing a rule test case: its name, expected outcome and rules, and its answers.

The answers are changed the way a test case is made: the questionnaire is opened in test mode,
filled in with the case's answers, so every answer goes through the patient pages' own checks
and the check page's Change links. Its "Confirm" brings staff back to the test case, whose new
answers are kept only when it is saved. Name and outcome are checked as for a new test case
(`rulesets.checked_test_case`). Functions flush; the view commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from intake.audit import audit
from intake.extensions import db
from intake.models import Draft, TestCase, utcnow
from intake.patient import submissions
from intake.patient.journey import TEST_CASE
from intake.screening import branching, rules
from intake.staff.rules import rulesets


@dataclass(frozen=True)
class CaseAnswers:
    """The answers a test case is edited with, and what the published rules give them."""

    answers: dict[str, Any]
    screening: rules.Screening
    #: the answers come from the questionnaire and are not saved yet
    changed: bool


def rule_ids(case: TestCase | None = None) -> list[str]:
    """The rules a test case may expect to fire: the published ones, then any only in the
    draft (a test case for a rule being written), then any the case already expects."""
    ids = [r["id"] for r in rulesets.current_version().data["rules"]]
    draft = rulesets.current_draft()
    extra = [r.get("id") for r in draft.data.get("rules", [])] if draft else []
    extra += case.expected_rules or [] if case is not None else []
    return list(dict.fromkeys([*ids, *(i for i in extra if isinstance(i, str))]))


def case_answers(case: TestCase, pending: Draft | None) -> CaseAnswers:
    """The case's answers (or the questionnaire's, while they are being changed) screened
    with the published rules."""
    version = rulesets.current_version()
    ruleset = rulesets.compiled(version)
    if pending is not None:
        answers = branching.prune(pending.answers, ruleset.min_age_self_consent)
    else:
        answers = dict(case.answers)
    cuts = current_app.config["PAIN_BAND_CUTS"]
    screening = rules.screen(answers, ruleset, pain_band_cuts=cuts)
    return CaseAnswers(answers, screening, changed=pending is not None)


def start_changing_answers(case: TestCase) -> Draft:
    """A questionnaire in test mode filled in with the case's answers."""
    draft = submissions.start_draft(current_app.config["DRAFT_TTL"])
    draft.purpose = TEST_CASE
    draft.answers = dict(case.answers)
    db.session.flush()
    return draft


def update_test_case(
    case: TestCase,
    *,
    name: str,
    expected_outcome: str,
    expected_rules: Sequence[str],
    answers: Mapping[str, Any],
    pending: Draft | None,
) -> list[str]:
    """Save the edited test case (audited with what changed, never the answers themselves);
    closes the questionnaire its new answers came from. Returns the fields changed.

    Raises rulesets.TestCaseRejected (unknown outcome, a name another case has), changing
    nothing."""
    name = rulesets.checked_test_case(name, expected_outcome, case_id=case.id)
    known = set(rule_ids(case))
    new = {
        "name": name,
        "expected_outcome": expected_outcome,
        "expected_rules": [r for r in expected_rules if r in known],
        "answers": dict(answers),
    }
    changed = [field for field, value in new.items() if getattr(case, field) != value]
    for field in changed:
        setattr(case, field, new[field])
    if pending is not None:
        pending.completed_at = utcnow()
        pending.answers = {}
    audit("test_case_edit", f"test_case:{case.id}", changed=changed)
    db.session.flush()
    return changed
