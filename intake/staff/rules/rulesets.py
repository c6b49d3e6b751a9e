"""Staff operations on rule sets: the version in force, drafts, test cases, publishing and
restoring. Published versions are immutable; every change makes a new one. The impact preview
is in `preview`."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import RuleSetDraft, RuleSetVersion, Submission, TestCase, utcnow
from intake.screening import rule_analysis, rules
from intake.screening.questionnaire import ASKED_BY, TEXT_KIND


class NoRuleSet(RuntimeError):
    """No rule set has been published yet (run `flask rules seed`)."""


def current_version() -> RuleSetVersion:
    """The published rule-set version in force (the highest number)."""
    version = db.session.scalars(
        select(RuleSetVersion).order_by(RuleSetVersion.number.desc()).limit(1)
    ).first()
    if version is None:
        raise NoRuleSet("No screening rules are published: run `flask --app wsgi rules seed`.")
    return version


@lru_cache(maxsize=32)
def _compiled(database: str, version_id: int, number: int) -> rules.RuleSet:  # one per database
    version = db.session.get(RuleSetVersion, version_id)
    return rules.compile_ruleset(version.data)


def compiled(version: RuleSetVersion) -> rules.RuleSet:
    """The compiled rule set of a version; versions are immutable, so this is cached."""
    return _compiled(str(db.engine.url), version.id, version.number)


def seed_default() -> RuleSetVersion | None:
    """Publish the shipped default rules as version 1 unless a version exists; flushes.

    The shipped test cases are added by `seed_test_cases`."""
    if db.session.scalars(select(RuleSetVersion.id).limit(1)).first() is not None:
        return None
    data = rules.default_data()
    rules.compile_ruleset(data)  # refuses invalid shipped rules loudly
    version = RuleSetVersion(number=1, data=data, note="Default rules shipped with Intake")
    db.session.add(version)
    db.session.flush()
    return version


# --- Drafts, test cases, publishing ---------------------------------------------------------


class PublishRefused(ValueError):
    """A draft that cannot be published yet; `reasons` says why, for the clinician."""

    def __init__(self, reasons: list[str], failures: list | None = None):
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        #: the failing test cases' results (TestResult), when that is why
        self.failures = failures or []


class RuleEditRefused(PermissionError):
    """A change to a safety rule by someone who is not an admin, or without confirmation."""


class TestCaseRejected(ValueError):
    """A test case that cannot be saved: an unknown outcome, or a name that is taken."""


def current_draft() -> RuleSetDraft | None:
    """The working copy being edited, if any."""
    return db.session.scalars(select(RuleSetDraft).order_by(RuleSetDraft.id.desc())).first()


def start_draft(author: str) -> RuleSetDraft:
    """The working copy, created from the published version if there is none. Flushes."""
    draft = current_draft()
    if draft is not None:
        return draft
    version = current_version()
    draft = RuleSetDraft(data=copy.deepcopy(version.data), based_on_id=version.id, author=author)
    db.session.add(draft)
    db.session.flush()
    return draft


def discard_draft(draft: RuleSetDraft) -> None:
    """Throw the working copy away."""
    db.session.delete(draft)
    db.session.flush()


def is_safety(rule: Mapping[str, Any] | None) -> bool:
    """Red-flag rules and every rule that sends people to urgent care."""
    return bool(rule) and (rule.get("safety") is True or rule.get("outcome") == "emergency")


def save_rule(
    draft: RuleSetDraft,
    rule: dict[str, Any],
    *,
    replaces: str | None,
    is_admin: bool,
    confirmed: bool,
) -> list[rules.Problem]:
    """Put a rule into the draft (new, or replacing `replaces`); returns the draft's problems.

    A draft with problems is saved anyway; it just cannot be published. Safety rules (and
    making a rule a safety rule's equal) need an admin who confirmed. Raises RuleEditRefused.
    """
    existing = [r for r in draft.data.get("rules", []) if r.get("id") == replaces]
    old = existing[0] if existing else None
    if (is_safety(old) or is_safety(rule)) and (not is_admin or not confirmed):
        raise RuleEditRefused(
            "Only an admin can change a safety rule, after confirming the change."
            if not is_admin
            else "Confirm that you mean to change a safety rule."
        )
    data = copy.deepcopy(draft.data)
    if old is not None:
        data["rules"] = [rule if r.get("id") == replaces else r for r in data["rules"]]
    else:
        data.setdefault("rules", []).append(rule)
    draft.data = data
    draft.updated_at = utcnow()
    db.session.flush()
    return rules.validate(data)


def delete_rule(draft: RuleSetDraft, rule_id: str, *, is_admin: bool, confirmed: bool) -> None:
    """Remove a rule from the draft (safety rules: admin with confirmation)."""
    existing = [r for r in draft.data.get("rules", []) if r.get("id") == rule_id]
    if existing and is_safety(existing[0]) and (not is_admin or not confirmed):
        raise RuleEditRefused("Only an admin can remove a safety rule, after confirming.")
    data = copy.deepcopy(draft.data)
    data["rules"] = [r for r in data.get("rules", []) if r.get("id") != rule_id]
    draft.data = data
    draft.updated_at = utcnow()
    db.session.flush()


def safety_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Ids of safety rules added, removed, disabled or otherwise changed between two sets."""
    difference = rule_analysis.diff(before, after)
    old = {r["id"]: r for r in before.get("rules", [])}
    touched = [r["id"] for r in difference.added if is_safety(r)]
    touched += [r["id"] for r in difference.removed if is_safety(r)]
    for rule_id in difference.changed:
        new = next(r for r in after["rules"] if r["id"] == rule_id)
        if is_safety(old[rule_id]) or is_safety(new):
            touched.append(rule_id)
    return touched


@dataclass(frozen=True)
class CaseResult:
    """One test case run against a rule set."""

    case: TestCase
    outcome: str
    fired: list[str]

    @property
    def passed(self) -> bool:
        """Expected outcome, and every expected rule fired."""
        return self.outcome == self.case.expected_outcome and set(
            self.case.expected_rules or []
        ) <= set(self.fired)

    @property
    def why(self) -> str:
        """What went wrong, in words."""
        reasons = []
        if self.outcome != self.case.expected_outcome:
            reasons.append(f"gave {self.outcome}, expected {self.case.expected_outcome}")
        missing = sorted(set(self.case.expected_rules or []) - set(self.fired))
        if missing:
            reasons.append("did not fire " + ", ".join(missing))
        return "; ".join(reasons)


def all_test_cases() -> list[TestCase]:
    """Every saved test case, in the order they were made."""
    return list(db.session.scalars(select(TestCase).order_by(TestCase.id)))


def run_test_cases(data: Mapping[str, Any], pain_band_cuts=(4, 6)) -> list[CaseResult]:
    """Run every test case against rule-set data (which must be valid)."""
    ruleset = rules.compile_ruleset(data)
    results = []
    for case in all_test_cases():
        screening = rules.screen(case.answers, ruleset, pain_band_cuts=pain_band_cuts)
        results.append(CaseResult(case, screening.outcome, screening.fired_ids))
    return results


def checked_test_case(name: str, expected_outcome: str, *, case_id: int | None = None) -> str:
    """The name a test case is saved under (trimmed); raises TestCaseRejected for an unknown
    outcome or a name another test case (other than `case_id`, when editing it) has."""
    if expected_outcome not in rules.OUTCOMES:
        raise TestCaseRejected(f"Unknown outcome {expected_outcome!r}")
    name = name.strip()[:120] or "Test case"
    taken = select(TestCase.id).where(TestCase.name == name, TestCase.id != (case_id or -1))
    if db.session.scalars(taken).first():
        raise TestCaseRejected(f"A test case called {name!r} already exists")
    return name


def add_test_case(
    name: str,
    answers: Mapping[str, Any],
    expected_outcome: str,
    expected_rules: list[str] | None = None,
    *,
    author: str = "",
    source_submission_id: int | None = None,
) -> TestCase:
    """Save a test case. Flushes; raises TestCaseRejected for a bad outcome or a taken name."""
    name = checked_test_case(name, expected_outcome)
    case = TestCase(
        name=name,
        answers=dict(answers),
        expected_outcome=expected_outcome,
        expected_rules=list(expected_rules or []),
        author=author,
        source_submission_id=source_submission_id,
    )
    db.session.add(case)
    db.session.flush()
    return case


def structured_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to choice, number and date questions: free text (which may name people,
    places or clinics) and anything the questionnaire does not ask are left out."""
    return {
        key: value
        for key, value in answers.items()
        if key in ASKED_BY and ASKED_BY[key].kind != TEXT_KIND
    }


def case_from_submission(submission: Submission, author: str, pain_band_cuts=(4, 6)) -> TestCase:
    """An anonymous test case expecting what this submission got (its outcome and non-info
    rules): its structured answers only, no reference, no link to the request, so it is
    nobody's record and outlives it. TestCaseRejected when the free text changes what the
    published rules give, or a test case with the same answers and outcome exists."""
    answers = structured_answers(submission.answers)
    if answers != submission.answers:
        ruleset = rules.compile_ruleset(current_version().data)
        full = rules.screen(submission.answers, ruleset, pain_band_cuts=pain_band_cuts)
        kept = rules.screen(answers, ruleset, pain_band_cuts=pain_band_cuts)
        if (full.outcome, full.fired_ids) != (kept.outcome, kept.fired_ids):
            raise TestCaseRejected(
                "Its written answers change what the rules give, and a test case keeps none: "
                "fill in the questionnaire in test mode instead."
            )
    same = select(TestCase.name, TestCase.answers).where(
        TestCase.expected_outcome == submission.outcome
    )
    for name, case_answers in db.session.execute(same):
        if case_answers == answers:
            raise TestCaseRejected(f"Test case '{name}' already has these answers")
    stem = f"From a request: {submission.outcome} #"
    taken = set(db.session.scalars(select(TestCase.name).where(TestCase.name.startswith(stem))))
    number = next(n for n in itertools.count(1) if f"{stem}{n}" not in taken)
    fired = [r["id"] for r in submission.fired if r["outcome"] != "info"]
    return add_test_case(f"{stem}{number}", answers, submission.outcome, fired, author=author)


def seed_test_cases() -> int:
    """Add the shipped test cases that do not exist yet; returns how many were added."""
    text = (
        resources.files("intake.screening").joinpath("default_test_cases.yaml").read_text("utf-8")
    )
    added = 0
    for case in yaml.safe_load(text)["cases"]:
        if db.session.scalars(select(TestCase.id).where(TestCase.name == case["name"])).first():
            continue
        add_test_case(
            case["name"],
            case["answers"],
            case["expected_outcome"],
            case.get("expected_rules"),
            author="system",
        )
        added += 1
    return added


def publish(
    data: Mapping[str, Any], author: str, note: str, pain_band_cuts=(4, 6)
) -> RuleSetVersion:
    """Publish rule-set data as the next version; refused while it has problems or a test
    case fails (PublishRefused lists why). Flushes."""
    problems = rules.validate(data)
    if problems:
        raise PublishRefused([p.message for p in problems])
    failures = [r for r in run_test_cases(data, pain_band_cuts) if not r.passed]
    if failures:
        raise PublishRefused([f"Test case '{r.case.name}' {r.why}." for r in failures], failures)
    if not note.strip():
        raise PublishRefused(["Write a short note saying what changed and why."])
    number = (db.session.scalar(select(func.max(RuleSetVersion.number))) or 0) + 1
    version = RuleSetVersion(
        number=number, data=copy.deepcopy(dict(data)), note=note.strip()[:2000], author=author
    )
    db.session.add(version)
    db.session.flush()
    return version


def versions() -> list[RuleSetVersion]:
    """Every published version, newest first."""
    return list(db.session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.number.desc())))


def version_by_number(number: int) -> RuleSetVersion | None:
    """A published version by its number."""
    return db.session.scalars(select(RuleSetVersion).where(RuleSetVersion.number == number)).first()
