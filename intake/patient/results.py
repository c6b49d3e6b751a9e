"""What a result page shows: the reasons grouped by tier with repeats merged, the evidence for
the goals the patient chose, and one or two of their answers reflected back.

The words live in intake.screening.outcomes (and the rules' patient messages); this module
only chooses and arranges them for one submission.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from intake.models import Submission
from intake.screening import outcomes, questionnaire, rules
from intake.screening.summary import answer_text

#: A sentence ends at . ! or ? followed by space (messages are short plain prose).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ReasonGroup:
    """The reasons of one tier, under that tier's heading."""

    tier: str
    heading: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class GoalEvidence:
    """A goal the patient chose, in their words, and what the evidence says about it."""

    goal: str
    label: str
    evidence: str


def shown_tiers(outcome: str, fired_tiers: Iterable[str]) -> list[str]:
    """The tiers whose reasons the page shows, most severe first.

    An emergency page shows emergency reasons only: nothing from a lower tier may dilute the
    advice. Where dry needling is not advised, the "may still be possible" precautions would
    contradict it, so they are left out."""
    present = set(fired_tiers)
    if outcome == "emergency":
        return ["emergency"] if "emergency" in present else []
    tiers = [t for t in outcomes.TIER_HEADINGS if t in present]
    if "not_advised" in tiers and "review" in tiers:
        tiers.remove("review")
    return tiers


def _sentences(message: str) -> list[str]:
    return [s for s in SENTENCE_END.split(" ".join(message.split())) if s]


def merge_repeats(messages: Iterable[str], seen: set[str]) -> list[str]:
    """The messages with every sentence already said (in `seen`, or earlier here) left out;
    a message with nothing new left is dropped. `seen` is updated."""
    merged = []
    for message in messages:
        fresh = [s for s in _sentences(message) if s not in seen]
        seen.update(fresh)
        if fresh:
            merged.append(" ".join(fresh))
    return merged


def reason_groups(
    fired: Iterable[Mapping[str, Any]], outcome: str, context: Mapping[str, str]
) -> list[ReasonGroup]:
    """The fired rules' patient messages, filled in from `context`, grouped by tier (most
    severe first), identical messages and repeated sentences said once."""
    by_tier: dict[str, list[str]] = {}
    for rule in fired:
        message = rule.get("patient_message") or ""
        if rule.get("outcome") in outcomes.TIER_HEADINGS and message.strip():
            by_tier.setdefault(rule["outcome"], []).append(rules.render_message(message, context))
    seen: set[str] = set()
    groups = []
    for tier in shown_tiers(outcome, by_tier):
        merged = merge_repeats(by_tier[tier], seen)
        if merged:
            groups.append(ReasonGroup(tier, outcomes.TIER_HEADINGS[tier], tuple(merged)))
    return groups


def goal_evidence(answers: Mapping[str, Any]) -> list[GoalEvidence]:
    """What the evidence says about each goal chosen, then about long-lasting pain."""
    question = questionnaire.QUESTIONS.get("goals")
    labels = {str(c.value): c.label for c in question.choices} if question else {}
    chosen = answers.get("goals")
    found = [
        GoalEvidence(goal, labels.get(goal, goal), outcomes.GOAL_EVIDENCE[goal])
        for goal in (chosen if isinstance(chosen, list) else [])
        if goal in outcomes.GOAL_EVIDENCE
    ]
    if answers.get("pain_duration") in outcomes.LONG_TERM_DURATIONS:
        found.append(
            GoalEvidence("long_term_pain", "Long-term pain", outcomes.LONG_TERM_PAIN_EVIDENCE)
        )
    return found


def _answer_words(question_id: str, value: Any) -> str | None:
    question = questionnaire.QUESTIONS.get(question_id)
    if question is None or value is None or value == "":
        return None
    if question.choices and value not in {choice.value for choice in question.choices}:
        return None  # not an answer this questionnaire offers (changed since, or tampered)
    return answer_text(question, value)


def _lower_first(words: str) -> str:
    return words[:1].lower() + words[1:] if words[1:2].islower() else words


def _sentence(words: str) -> str:
    return words if words.endswith((".", "!", "?")) else words + "."


def reflected_answers(answers: Mapping[str, Any], limit: int = 2) -> list[str]:
    """One or two of the patient's own answers, said back in a sentence each: their sport
    goal, how long the pain has lasted, how bad it is. Any of them may be absent."""
    said = []
    goal = _answer_words("sport_return_goal", answers.get("sport_return_goal"))
    sport = _answer_words("sport_name", answers.get("sport_name"))
    if goal:
        said.append(_sentence(f"You want to get back to: {goal}"))
    elif sport:
        said.append(_sentence(f"Your sport or exercise: {sport}"))
    duration = _answer_words("pain_duration", answers.get("pain_duration"))
    if duration:
        said.append(f"You have had this pain for {_lower_first(duration)}.")
    now, week = answers.get("nprs_now"), answers.get("peg_pain_avg_week")
    if isinstance(now, int) and isinstance(week, int):
        said.append(f"You rated your pain {now} out of 10 now, and {week} on average this week.")
    elif isinstance(now, int) or isinstance(week, int):
        score = now if isinstance(now, int) else week
        said.append(f"You rated your pain {score} out of 10.")
    return said[:limit]


def date_in_words(moment: dt.datetime) -> str:
    """23 November 2026."""
    return f"{moment.day} {moment:%B %Y}"


def result_page(submission: Submission, context: Mapping[str, str]) -> dict[str, Any]:
    """Everything result.html shows for this submission, beside the outcome's own words."""
    outcome = outcomes.OUTCOME_TEXT[submission.outcome]
    answers = submission.answers or {}
    explains = outcome.explains_treatment
    return {
        "submission": submission,
        "outcome": outcome,
        "groups": reason_groups(submission.fired or [], submission.outcome, context),
        "goals": goal_evidence(answers) if explains else [],
        "reflected": reflected_answers(answers) if explains else [],
        "what_it_is": outcomes.WHAT_DRY_NEEDLING_IS if outcome.says_what_it_is else "",
        "first_visit": outcomes.FIRST_VISIT if explains else (),
        "safety_net_intro": rules.render_message(outcomes.SAFETY_NET_INTRO, context),
        "safety_net_signs": outcomes.SAFETY_NET_SIGNS if outcome.safety_net else (),
        "answered_on": date_in_words(submission.created_at),
        "fill": dict(context),
    }
