"""The patient's way through the questionnaire under the rules in force: where a page sits, what
comes after it, where to carry on, and what a question page and the check page show.

The patient views reach the questionnaire's branching only through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for

from intake.models import Draft, Submission
from intake.patient import rules_in_force, submissions
from intake.patient.forms import step_fields
from intake.screening import branching, questionnaire, summary
from intake.screening.answers import first_unanswered_step, parse_step
from intake.screening.facts import derive

#: Draft.purpose of a questionnaire staff fill in to make a rule test case.
TEST_CASE = "test_case"


def find_step(step_id: str) -> questionnaire.Step | None:
    """The step with this id, or None."""
    return questionnaire.STEPS_BY_ID.get(step_id)


def step_url(step: questionnaire.Step | None, **args: int) -> str:
    """The page of a step; the start page for None (there is nothing before the first step).
    `args`: change=1 (changing an answer from the check page), more=1 (its follow-ups)."""
    if step is None:
        return url_for("patient.start")
    return url_for("patient.question_page", step_id=step.id, **{k: 1 for k, v in args.items() if v})


def booking_detour(submission: Submission) -> str | None:
    """Where to go instead of the booking form: the result for an emergency (no booking is
    offered), the confirmation once a request was sent; None when the form applies."""
    if not submissions.booking_allowed(submission):
        return url_for("patient.result")
    if submission.booking is not None:
        return url_for("patient.booking_sent")
    return None


class Journey:
    """One patient's draft under the published rule set in force (raises NoRuleSet without one).

    `version_id`: the id of the version in force when the caller already read it (see
    `of`); otherwise it is read here."""

    def __init__(self, draft: Draft | submissions.DraftValues, version_id: int | None = None):
        self.draft = draft
        self.version_id = rules_in_force.published_id() if version_id is None else version_id
        self.ruleset = rules_in_force.compiled(self.version_id)
        self.min_age = self.ruleset.min_age_self_consent

    @classmethod
    def of(cls, draft_id: str | None, *, values: bool = False) -> Journey:
        """The journey of the live draft with this id: the draft and the id of the rules in
        force come in one query (raises DraftMissing). `values`: the request shows the draft
        (a GET) or writes it and nothing else (a question page's POST: `save` and `hold`), so
        its values do rather than the Draft, which `complete` needs
        (`submissions.draft_and_rules`)."""
        draft, version_id = submissions.draft_and_rules(draft_id, values=values)
        return cls(draft, version_id)

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

    def page(self, step: questionnaire.Step, more: bool) -> questionnaire.Step:
        """The questions a page asks: the step, or with `more` only its pending follow-ups."""
        if more:
            return branching.follow_up_page(step, self.draft.answers, self.min_age) or step
        return step

    def save(
        self,
        page: questionnaire.Step,
        form: Mapping[str, list[str]],
        ttl_seconds: int,
        *,
        partial: bool = False,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Apply one page's form (see submissions.save_step): (answers as entered, errors).

        A follow-up the patient could not see (hidden when the page was shown, and not revealed
        by the page's script) is not an error when left blank: it is asked on the next page."""
        facts = derive(self.draft.answers, self.min_age)
        revealed = set(form.get("revealed", []))
        deferred = {
            q.id
            for q in page.questions
            if q.id in branching.FOLLOW_UPS
            and q.id not in revealed
            and not branching.question_is_shown(q, facts)
        }
        return submissions.save_step(
            self.draft, page, form, self.ruleset, ttl_seconds, partial=partial, deferred=deferred
        )

    def hold(self, step: questionnaire.Step, more: bool, form: Mapping, errors: Mapping) -> None:
        """Keep a page sent with errors, for the GET that the POST redirects to."""
        self.draft.held = {"page": [step.id, more], "form": dict(form), "errors": dict(errors)}
        submissions.store_draft(self.draft)

    def held(self, step: questionnaire.Step, more: bool) -> tuple[dict, dict] | None:
        """(form, errors) of this page as last sent with errors, or None."""
        held = self.draft.held
        if not held or held.get("page") != [step.id, more]:
            return None
        return held["form"], held["errors"]

    def after_save_url(self, step: questionnaire.Step, changing: bool) -> str:
        """The page after a saved step: its follow-ups first when an answer called for one the
        patient could not see; then a change goes straight back to the check page, unless it
        revealed a page still to answer (which is asked, in change mode, first)."""
        if branching.follow_up_page(step, self.draft.answers, self.min_age):
            return step_url(step, change=changing, more=True)
        if changing:
            gap = first_unanswered_step(self.draft.answers, self.min_age)
            if gap is None:
                return url_for("patient.check_answers")
            return url_for("patient.question_page", step_id=gap.id, change=1)
        following = branching.next_step(self.draft.answers, step.id, self.min_age)
        return step_url(following) if following else url_for("patient.check_answers")

    def question_page(
        self, step: questionnaire.Step, changing: bool, more: bool = False
    ) -> dict[str, Any]:
        """The context of patient/question.html: the saved answers, or the page as last sent
        with its errors. Progress counts parts, which never grow in number."""
        page = self.page(step, more)
        held = self.held(step, more)
        raw, errors = held if held else (None, {})
        answers = self.draft.answers
        if raw is not None:
            answers, _ = parse_step(page, raw, answers, self.min_age)
        shown = branching.visible_questions(page, answers, self.min_age)
        fields = step_fields(page, answers, raw, errors, shown)
        if more:
            back_url = step_url(step, change=changing)
        elif changing:
            back_url = url_for("patient.check_answers")
        else:
            back_url = step_url(branching.previous_step(self.draft.answers, step.id, self.min_age))
        part_ids = [part.id for part in questionnaire.PARTS]
        return {
            "step": page,
            "changing": changing,
            "more": more and page is not step,
            "fields": fields,
            "errors": [f for f in fields if f.error],
            "part": questionnaire.PARTS[part_ids.index(step.part)],
            "part_number": part_ids.index(step.part) + 1,
            "parts_total": len(part_ids),
            "back_url": back_url,
        }

    def check_page(self) -> dict[str, Any]:
        """The context of patient/check.html: each part with its one-line summary and one
        Change link (to its first visible step), and each visible step's answers in words."""
        parts = summary.part_summaries(self.draft.answers, self.min_age)
        sections = [step_rows for part in parts for step_rows in part.steps]
        return {"parts": parts, "sections": sections, "back_url": step_url(sections[-1][0])}

    def complete(self, pain_band_cuts: tuple[int, int]) -> Submission:
        """Screen the finished draft and store it as a submission (see submissions.complete)."""
        return submissions.complete(self.draft, self.version_id, pain_band_cuts)
