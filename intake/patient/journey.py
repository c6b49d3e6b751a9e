"""The patient's way through the questionnaire under the rules in force: where a page sits, what
comes after it, where to carry on, and what a question page and the check page show.

The patient views reach the questionnaire's branching only through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for

from intake.models import Draft, Submission
from intake.patient import submissions
from intake.patient.forms import step_fields
from intake.screening import branching, questionnaire, summary
from intake.screening.answers import first_unanswered_step
from intake.staff.rules import rulesets

#: Draft.purpose of a questionnaire staff fill in to make a rule test case.
TEST_CASE = "test_case"


def find_step(step_id: str) -> questionnaire.Step | None:
    """The step with this id, or None."""
    return questionnaire.STEPS_BY_ID.get(step_id)


def step_url(step: questionnaire.Step | None) -> str:
    """The page of a step; the start page for None (there is nothing before the first step)."""
    return url_for("patient.question_page", step_id=step.id) if step else url_for("patient.start")


def booking_detour(submission: Submission) -> str | None:
    """Where to go instead of the booking form: the result for an emergency (no booking is
    offered), the confirmation once a request was sent; None when the form applies."""
    if not submissions.booking_allowed(submission):
        return url_for("patient.result")
    if submission.booking is not None:
        return url_for("patient.booking_sent")
    return None


class Journey:
    """One patient's draft under the published rule set in force (raises NoRuleSet without one)."""

    def __init__(self, draft: Draft):
        self.draft = draft
        self.version = rulesets.current_version()
        self.ruleset = rulesets.compiled(self.version)
        self.min_age = self.ruleset.min_age_self_consent

    @property
    def for_test_case(self) -> bool:
        """Staff filling the questionnaire in test mode: the answers become a rule test case."""
        return self.draft.purpose == TEST_CASE

    def unfinished_url(self) -> str | None:
        """The first page with a required question unanswered, or None when all are answered."""
        gap = first_unanswered_step(self.draft.answers, self.min_age)
        return step_url(gap) if gap else None

    def resume_url(self) -> str:
        """Where to carry on: the first page still to answer, else the check page."""
        return self.unfinished_url() or url_for("patient.check_answers")

    def detour_url(self, step: questionnaire.Step) -> str | None:
        """Where to go instead of `step`: hidden steps and steps after an unanswered page
        cannot be opened (no skipping ahead); None when the step may be shown."""
        answers = self.draft.answers
        visible = branching.visible_steps(answers, self.min_age)
        if step not in visible:
            return self.resume_url()
        gap = first_unanswered_step(answers, self.min_age)
        if gap is not None and visible.index(gap) < visible.index(step):
            return step_url(gap)
        return None

    def save(
        self,
        step: questionnaire.Step,
        form: Mapping[str, list[str]],
        ttl_seconds: int,
        *,
        partial: bool = False,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Apply one page's form (see submissions.save_step): (answers as entered, errors)."""
        return submissions.save_step(
            self.draft, step, form, self.ruleset, ttl_seconds, partial=partial
        )

    def after_save_url(self, step: questionnaire.Step, changing: bool) -> str:
        """The page after a saved step. A change goes straight back to the check page, unless
        it revealed a page still to answer (which is asked, in change mode, first)."""
        if changing:
            gap = first_unanswered_step(self.draft.answers, self.min_age)
            if gap is None:
                return url_for("patient.check_answers")
            return url_for("patient.question_page", step_id=gap.id, change=1)
        following = branching.next_step(self.draft.answers, step.id, self.min_age)
        return step_url(following) if following else url_for("patient.check_answers")

    def question_page(
        self,
        step: questionnaire.Step,
        changing: bool,
        entered: Mapping[str, Any] | None = None,
        raw: Mapping[str, list[str]] | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The context of patient/question.html: the saved answers, or after an error what was
        entered (`entered`, `raw`) with the `errors`; progress counts the visible steps only."""
        answers = self.draft.answers if entered is None else entered
        shown = branching.visible_questions(step, answers, self.min_age)
        fields = step_fields(step, answers, raw, errors or {}, shown)
        visible = branching.visible_steps(self.draft.answers, self.min_age)
        previous = branching.previous_step(self.draft.answers, step.id, self.min_age)
        back_url = url_for("patient.check_answers") if changing else step_url(previous)
        return {
            "step": step,
            "changing": changing,
            "fields": fields,
            "errors": [f for f in fields if f.error],
            "number": visible.index(step) + 1 if step in visible else None,
            "total": len(visible),
            "back_url": back_url,
        }

    def check_page(self) -> dict[str, Any]:
        """The context of patient/check.html: each visible step with its answers in words."""
        answers = branching.prune(self.draft.answers, self.min_age)
        sections = summary.answers_by_step(answers, self.min_age)
        return {"sections": sections, "back_url": step_url(sections[-1][0])}

    def complete(self, pain_band_cuts: tuple[int, int]) -> Submission:
        """Screen the finished draft and store it as a submission (see submissions.complete)."""
        return submissions.complete(self.draft, self.version, pain_band_cuts)
