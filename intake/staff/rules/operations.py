"""What the rules desk does for staff: each change they ask for, with its checks and its audit
event, and what the pages show about a rule set.

Operations flush and leave the commit to the view (one transaction per request). Failures a
person can act on are the small exception classes below; the views turn them into form errors
or messages. The rule-set mechanics (drafts, publishing, test cases) live in `rulesets`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from intake.audit import audit
from intake.extensions import db
from intake.models import Draft, RuleSetDraft, RuleSetVersion, Submission, TestCase, User, utcnow
from intake.patient import submissions
from intake.screening import branching, change_words, rule_analysis, rules
from intake.screening.ruleset_format import RULE_ID
from intake.staff.rules import preview as impact_preview
from intake.staff.rules import rulesets

REVIEW_DATE_MESSAGE = "Enter a date like 2026-11-23"


class RuleRejected(ValueError):
    """A rule the draft cannot take at all; `field` names the form field the message is about."""

    field = ""


class RuleIdRejected(RuleRejected):
    """A new rule's id is not an id, or another rule has it."""

    field = "id"


class ReviewDateRejected(RuleRejected):
    """The date the rule was last reviewed is not a date."""

    field = "reviewed"


class SafetyEditRefused(RuleRejected):
    """A safety rule changed or removed by someone who is not an admin, or without confirming."""

    field = "confirm_safety"


class SafetyPublishRefused(PermissionError):
    """Publishing or restoring would change safety rules, and this person may not, or did not
    confirm it."""


def _cuts() -> tuple[int, int]:
    return current_app.config["PAIN_BAND_CUTS"]


# --- The published rules and the draft ---------------------------------------------------


def find_rule(data: Mapping[str, Any], rule_id: str | None) -> dict | None:
    """The rule with this id in rule-set data, or None."""
    return next((r for r in data.get("rules", []) if r.get("id") == rule_id), None)


def described_rules(data: Mapping[str, Any]) -> list[dict]:
    """The rules of rule-set data with their conditions in words, for listing."""
    facts = rules.dictionary()
    return [
        dict(
            rule,
            words=rules.describe(rule.get("condition"), facts),
            is_safety=rulesets.is_safety(rule),
        )
        for rule in data.get("rules", [])
    ]


@dataclass(frozen=True)
class Overview:
    """The published rules page: the version in force, its rules and what is due for review."""

    version: RuleSetVersion
    rules: list[dict]
    indication: str
    overdue: list[dict]
    max_age: int
    draft: RuleSetDraft | None


def overview(today: dt.date) -> Overview:
    """The version in force in words, with the rules not reviewed within RULE_REVIEW_DAYS."""
    version = rulesets.current_version()
    max_age = current_app.config["RULE_REVIEW_DAYS"]
    return Overview(
        version=version,
        rules=described_rules(version.data),
        indication=rules.describe(version.data["indication"]["condition"], rules.dictionary()),
        overdue=rule_analysis.overdue_for_review(version.data, today, max_age),
        max_age=max_age,
        draft=rulesets.current_draft(),
    )


def start_draft(user: User) -> RuleSetDraft:
    """The working copy of the rules: the one being edited, or a new one (audited)."""
    draft = rulesets.current_draft()
    if draft is None:
        draft = rulesets.start_draft(user.email)
        audit("rules_draft_start", "ruleset_draft")
    return draft


def discard_draft(draft: RuleSetDraft) -> None:
    """Throw the working copy away (audited)."""
    rulesets.discard_draft(draft)
    audit("rules_draft_discard", "ruleset_draft")


@dataclass(frozen=True)
class DraftReview:
    """What the draft page shows: its rules, problems, warnings, changes, tests and impact."""

    rules: list[dict]
    problems: list[rules.Problem]
    warnings: list
    changes: change_words.DiffWords
    results: list[rulesets.CaseResult]
    safety: list[str]
    preview: impact_preview.Preview | None

    @property
    def failed(self) -> list[rulesets.CaseResult]:
        """The test cases the draft fails."""
        return [result for result in self.results if not result.passed]


def review_draft(draft: RuleSetDraft, *, preview: bool, limit: int | None) -> DraftReview:
    """The draft checked: problems, warnings, changes, test results and, when asked for and
    the draft is valid, its impact on the last `limit` submissions (None: all of them)."""
    problems = rules.validate(draft.data)
    valid = not problems
    return DraftReview(
        rules=described_rules(draft.data),
        problems=problems,
        warnings=list(rule_analysis.warnings(draft.data, rules.dictionary())),
        changes=change_words.words(
            draft.based_on.data if draft.based_on else {}, draft.data, rules.dictionary()
        ),
        results=rulesets.run_test_cases(draft.data, _cuts()) if valid else [],
        safety=rulesets.safety_changes(rulesets.current_version().data, draft.data),
        preview=impact_preview.preview(draft.data, limit, _cuts()) if preview and valid else None,
    )


# --- Editing rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleReview:
    """What the editor shows about a rule: the draft's problems with it, warnings, its words."""

    problems: list[rules.Problem]
    warnings: list
    words: str
    #: a safety rule before or after the change: saving it needs an admin who confirms
    needs_confirmation: bool


def review_rule(draft: RuleSetDraft, rule: Mapping[str, Any], existing: dict | None) -> RuleReview:
    """A rule as edited (not yet saved), checked against the draft it is going into."""
    facts = rules.dictionary()
    rule_id = existing["id"] if existing else rule.get("id")
    condition = rule.get("condition")
    return RuleReview(
        problems=[p for p in rules.validate(draft.data) if p.rule_id == rule_id],
        warnings=list(rule_analysis.warnings({"rules": [rule]}, facts)),
        words=rules.describe(condition, facts) if condition else "",
        needs_confirmation=rulesets.is_safety(existing) or rulesets.is_safety(rule),
    )


def _check_new_id(draft: RuleSetDraft, rule_id: str) -> None:
    if not RULE_ID.match(rule_id):
        raise RuleIdRejected("Enter an id: a letter, then letters, digits or underscores")
    if find_rule(draft.data, rule_id) is not None:
        raise RuleIdRejected(f"A rule called '{rule_id}' already exists")


def _check_review_date(reviewed: Any) -> None:
    if reviewed is None:
        return
    try:
        dt.date.fromisoformat(reviewed)
    except (TypeError, ValueError):
        raise ReviewDateRejected(REVIEW_DATE_MESSAGE) from None


def save_rule(
    draft: RuleSetDraft, rule: dict[str, Any], *, replaces: str | None, user: User, confirmed: bool
) -> list[rules.Problem]:
    """Put a rule into the draft, new or replacing the rule `replaces` (audited); returns the
    draft's problems: a draft with problems is saved anyway, it just cannot be published.

    Raises RuleIdRejected, ReviewDateRejected or SafetyEditRefused, and then changes nothing.
    """
    if replaces is None:
        _check_new_id(draft, rule.get("id", ""))
    _check_review_date(rule.get("reviewed"))
    existing = find_rule(draft.data, replaces) if replaces is not None else None
    try:
        problems = rulesets.save_rule(
            draft, rule, replaces=replaces, is_admin=user.is_admin, confirmed=confirmed
        )
    except rulesets.RuleEditRefused as refused:
        raise SafetyEditRefused(str(refused)) from None
    audit(
        "rules_edit",
        f"rule:{rule['id']}",
        safety=rulesets.is_safety(existing) or rulesets.is_safety(rule),
        change="add" if existing is None else "edit",
    )
    return problems


def delete_rule(draft: RuleSetDraft, rule_id: str, *, user: User, confirmed: bool) -> None:
    """Remove a rule from the draft (audited); raises SafetyEditRefused for a safety rule
    removed by someone who is not an admin, or without confirming."""
    try:
        rulesets.delete_rule(draft, rule_id, is_admin=user.is_admin, confirmed=confirmed)
    except rulesets.RuleEditRefused as refused:
        raise SafetyEditRefused(str(refused)) from None
    audit("rules_edit", f"rule:{rule_id}", change="delete")


# --- Publishing -------------------------------------------------------------------------------


def publish_draft(draft: RuleSetDraft, *, user: User, note: str, confirmed: bool) -> RuleSetVersion:
    """Publish the draft as the next version and drop the draft (audited).

    Safety-rule changes need an admin who confirmed them (else SafetyPublishRefused); a draft
    with problems, a failing test case or no note is refused (rulesets.PublishRefused)."""
    safety = rulesets.safety_changes(rulesets.current_version().data, draft.data)
    if safety and not user.is_admin:
        raise SafetyPublishRefused(
            "This draft changes safety rules (" + ", ".join(safety) + "): an admin must publish it."
        )
    if safety and not confirmed:
        raise SafetyPublishRefused(
            "Confirm that you mean to change safety rules before publishing."
        )
    version = rulesets.publish(draft.data, user.email, note, _cuts())
    audit(
        "rules_publish", f"ruleset_version:{version.number}", note=version.note, safety_rules=safety
    )
    rulesets.discard_draft(draft)
    return version


def restore_version(version: RuleSetVersion, *, user: User) -> RuleSetVersion:
    """Publish an earlier version again, as a new version (audited). Only an admin may when it
    changes safety rules (else SafetyPublishRefused); rulesets.PublishRefused as publishing."""
    safety = rulesets.safety_changes(rulesets.current_version().data, version.data)
    if safety and not user.is_admin:
        raise SafetyPublishRefused(
            "Restoring this version changes safety rules: an admin must do it."
        )
    restored = rulesets.publish(
        version.data, user.email, f"Restored version {version.number}", _cuts()
    )
    audit(
        "rules_restore",
        f"ruleset_version:{restored.number}",
        restored_from=version.number,
        safety_rules=safety,
    )
    return restored


@dataclass(frozen=True)
class VersionChanges:
    """A published version and what it changed from the one before (None for the first)."""

    version: RuleSetVersion
    changes: change_words.DiffWords | None


def history() -> list[VersionChanges]:
    """Every published version, newest first, each with its changes in words."""
    versions, facts = rulesets.versions(), rules.dictionary()
    previous = [*versions[1:], None]
    return [
        VersionChanges(v, change_words.words(p.data, v.data, facts) if p else None)
        for v, p in zip(versions, previous, strict=True)
    ]


def compare(a: RuleSetVersion, b: RuleSetVersion) -> change_words.DiffWords:
    """What changes from version `a` to version `b`, in words."""
    return change_words.words(a.data, b.data, rules.dictionary())


# --- Test cases ---------------------------------------------------------------------------------


def published_test_results() -> list[rulesets.CaseResult]:
    """Every test case run against the published rules."""
    return rulesets.run_test_cases(rulesets.current_version().data, _cuts())


def add_test_case_from_submission(submission: Submission, user: User) -> TestCase:
    """An anonymous test case expecting what a past submission got (audited without the
    request, which it must outlive); raises rulesets.TestCaseRejected as case_from_submission."""
    case = rulesets.case_from_submission(submission, user.email, _cuts())
    audit("test_case_add", f"test_case:{case.id}", mode="request")
    return case


def delete_test_case(case: TestCase) -> None:
    """Delete a test case (audited)."""
    audit("test_case_delete", f"test_case:{case.id}", name=case.name)
    db.session.delete(case)
    db.session.flush()


def start_test_questionnaire() -> Draft:
    """A questionnaire draft in test mode: its answers become a test case, never a submission,
    and send no email."""
    draft = submissions.start_draft(current_app.config["DRAFT_TTL"])
    draft.purpose = "test_case"
    db.session.flush()
    return draft


@dataclass(frozen=True)
class ScreenedAnswers:
    """Test-mode answers and what the published rules give them."""

    answers: dict[str, Any]
    screening: rules.Screening
    #: the rules that fired, other than notes for staff: what a test case expects by default
    fired: list[str]
    #: the published rules, the ones a test case may expect to fire
    rule_ids: list[str]


def screen_test_answers(draft: Draft) -> ScreenedAnswers:
    """Screen the answers of a test-mode questionnaire with the published rules."""
    version = rulesets.current_version()
    ruleset = rulesets.compiled(version)
    answers = branching.prune(draft.answers, ruleset.min_age_self_consent)
    screening = rules.screen(answers, ruleset, pain_band_cuts=_cuts())
    return ScreenedAnswers(
        answers=answers,
        screening=screening,
        fired=[r.id for r in screening.fired if r.outcome != "info"],
        rule_ids=[r["id"] for r in version.data["rules"]],
    )


def save_test_case(
    draft: Draft,
    screened: ScreenedAnswers,
    name: str,
    expected_outcome: str,
    expected_rules: Sequence[str],
    *,
    user: User,
) -> TestCase:
    """Save test-mode answers as a test case and close their questionnaire (audited); raises
    rulesets.TestCaseRejected for an unknown outcome or a name that is taken."""
    expected = [r for r in expected_rules if r in screened.fired or r in screened.rule_ids]
    case = rulesets.add_test_case(
        name, screened.answers, expected_outcome, expected, author=user.email
    )
    draft.completed_at = utcnow()
    draft.answers = {}
    audit("test_case_add", f"test_case:{case.id}", mode="questionnaire")
    db.session.flush()
    return case
