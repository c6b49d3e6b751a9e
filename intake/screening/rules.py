"""Screening with a rule set: compile it, screen one answer set, report what fired and why.

The rule-set format and its validation are in ``ruleset_format``. The most severe fired outcome
wins; with none fired the outcome is ``suitable`` when the indication holds and
``not_indicated`` when not. ``info`` rules only add a note for staff. Pure: no Flask, no database.

``screen`` reports everything (what fired, the facts behind it, scores); ``screen_outcome``
gives only the outcome, faster, for re-screening many stored answer sets (the impact preview).
Everything a screening needs is compiled once, in ``compile_ruleset``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from operator import is_
from typing import Any, NamedTuple

from intake.screening import questionnaire, scoring
from intake.screening.condition_words import describe
from intake.screening.conditions import (
    Explainer,
    FactSpec,
    Predicate,
    compile_condition,
    compile_explainer,
    referenced_facts,
)
from intake.screening.facts import derive
from intake.screening.ruleset_format import (
    RULE_OUTCOMES,
    Problem,
    default_data,
    dictionary,
    validate,
)

#: Screening outcomes, most severe first.
OUTCOMES = ("emergency", "see_doctor", "not_advised", "review", "suitable", "not_indicated")
SEVERITY = {outcome: rank for rank, outcome in enumerate(RULE_OUTCOMES)}
#: The scores `facts_for` adds to the facts: "<name>" or "<name>.<key>" (startback.risk).
SCORE_NAMES = frozenset(scoring.compute_scores({}))
DEFAULT_CUTS = scoring.DEFAULT_PAIN_BAND_CUTS


def uses_scores(condition: Any) -> bool:
    """Whether a condition reads a score, so the scores must be worked out before it."""
    return any(fact.split(".", 1)[0] in SCORE_NAMES for fact in referenced_facts(condition))


class RuleSetInvalid(ValueError):
    """A rule set with problems cannot be used for screening."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    """One screening rule, compiled."""

    id: str
    title: str
    outcome: str
    condition: dict
    patient_message: str
    staff_note: str = ""
    source: str = ""
    safety: bool = False
    enabled: bool = True
    reviewed: str | None = None
    predicate: Predicate = field(default=lambda facts: False, repr=False, compare=False)
    explainer: Explainer = field(default=lambda facts: {}, repr=False, compare=False)
    #: it reads a score (see `uses_scores`)
    scored: bool = field(default=False, repr=False, compare=False)


class Level(NamedTuple):
    """The deciding rules of one outcome, as outcome-only screening tries them: one fires when
    a fact in `yes` is True (their `is_true` comparisons, also those in a top-level `any`) or
    a predicate in `other` (the rest of their conditions) holds. Such a predicate comes with
    a fact that must be True for it to hold (an `is_true` in its top-level `all`), or None."""

    outcome: str
    yes: tuple[str, ...]
    other: tuple[tuple[str | None, Predicate], ...]
    #: one of these rules reads a score
    scored: bool


@dataclass(frozen=True)
class RuleSet:
    """A validated, compiled rule set ready to screen with."""

    rules: tuple[Rule, ...]
    indication: dict
    indication_title: str
    settings: dict
    data: dict = field(repr=False, compare=False)
    active: tuple[Rule, ...] = field(default=(), repr=False, compare=False)
    indicated: Predicate = field(default=lambda facts: False, repr=False, compare=False)
    #: (predicate, rule) of each active rule, most severe first: one lookup less per rule
    checks: tuple[tuple[Predicate, Rule], ...] = field(default=(), repr=False, compare=False)
    #: the active rules that decide an outcome (not `info`), most severe first
    deciding: tuple[Rule, ...] = field(default=(), repr=False, compare=False)
    #: the deciding rules by outcome, most severe first (for `outcome_of`)
    levels: tuple[Level, ...] = field(default=(), repr=False, compare=False)
    indication_scored: bool = field(default=False, repr=False, compare=False)
    #: an active rule or the indication reads a score
    scored: bool = field(default=False, repr=False, compare=False)

    @property
    def min_age_self_consent(self) -> int:
        """Under this age a guardian must consent (clinical.md §8)."""
        return self.settings.get("min_age_self_consent", questionnaire.MIN_AGE_SELF_CONSENT)

    def describe(self, rule: Rule) -> str:
        """A rule's condition in readable words."""
        return describe(rule.condition, dictionary())


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired, with the facts that made it fire."""

    id: str
    title: str
    outcome: str
    patient_message: str
    staff_note: str
    source: str
    safety: bool
    evidence: dict[str, Any]

    @classmethod
    def of(cls, rule: Rule, evidence: dict[str, Any]) -> FiredRule:
        """The same as FiredRule(rule's fields..., evidence), four times faster: a frozen
        dataclass's __init__ sets each field through object.__setattr__, which was a sixth of
        a whole screening (bench/screening.py)."""
        fired = object.__new__(cls)
        fired.__dict__.update(
            id=rule.id,
            title=rule.title,
            outcome=rule.outcome,
            patient_message=rule.patient_message,
            staff_note=rule.staff_note,
            source=rule.source,
            safety=rule.safety,
            evidence=evidence,
        )
        return fired

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, stored with the submission."""
        return {
            "id": self.id,
            "title": self.title,
            "outcome": self.outcome,
            "patient_message": self.patient_message,
            "staff_note": self.staff_note,
            "source": self.source,
            "safety": self.safety,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Screening:
    """The result of screening one answer set."""

    outcome: str
    fired: tuple[FiredRule, ...]
    scores: dict[str, Any]
    explanations: tuple[str, ...]
    indicated: bool

    @property
    def fired_ids(self) -> list[str]:
        """Ids of the rules that fired, most severe first."""
        return [rule.id for rule in self.fired]


# --- Compiling and screening ----------------------------------------------------------------


def compile_ruleset(
    data: Mapping[str, Any], facts: Mapping[str, FactSpec] | None = None
) -> RuleSet:
    """Validate rule-set data and compile it for screening; raises RuleSetInvalid."""
    problems = validate(data, facts)
    if problems:
        raise RuleSetInvalid(problems)
    rules = tuple(_compile_rule(raw) for raw in data["rules"])
    # Checked most severe first, so `fired` comes out in the order patients should read it.
    active = tuple(sorted((r for r in rules if r.enabled), key=lambda r: SEVERITY[r.outcome]))
    indication = data["indication"]
    deciding = tuple(rule for rule in active if rule.outcome != "info")
    return RuleSet(
        rules=rules,
        indication=indication["condition"],
        indication_title=str(indication.get("title", "")),
        settings=dict(data.get("settings") or {}),
        data=dict(data),
        active=active,
        indicated=compile_condition(indication["condition"]),
        checks=tuple((rule.predicate, rule) for rule in active),
        deciding=deciding,
        levels=_levels(deciding),
        indication_scored=uses_scores(indication["condition"]),
        scored=uses_scores(indication["condition"]) or any(rule.scored for rule in active),
    )


def _compile_rule(raw: Mapping[str, Any]) -> Rule:
    return Rule(
        id=raw["id"],
        title=raw["title"].strip(),
        outcome=raw["outcome"],
        condition=raw["condition"],
        patient_message=(raw.get("patient_message") or "").strip(),
        staff_note=(raw.get("staff_note") or "").strip(),
        source=(raw.get("source") or "").strip(),
        safety=raw.get("safety", False),
        enabled=raw.get("enabled", True),
        reviewed=str(raw["reviewed"]) if raw.get("reviewed") is not None else None,
        predicate=compile_condition(raw["condition"]),
        explainer=compile_explainer(raw["condition"]),
        scored=uses_scores(raw["condition"]),
    )


def _levels(deciding: tuple[Rule, ...]) -> tuple[Level, ...]:
    """`deciding` (most severe first) grouped by outcome into `Level`s."""
    levels = []
    for outcome in dict.fromkeys(rule.outcome for rule in deciding):
        group = [rule for rule in deciding if rule.outcome == outcome]
        parts = [part for rule in group for part in _any_parts(rule.condition)]
        yes = [part["fact"] for part in parts if _is_yes(part)]
        other = [(_needs(part), compile_condition(part)) for part in parts if not _is_yes(part)]
        scored = any(rule.scored for rule in group)
        levels.append(Level(outcome, tuple(dict.fromkeys(yes)), tuple(other), scored))
    return tuple(levels)


def _any_parts(condition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Conditions any of which holding makes this one hold, and only then (as compiled)."""
    if "any" in condition:  # `compile_condition` allows no other kind beside it
        return [part for inner in condition["any"] for part in _any_parts(inner)]
    return [condition]


def _is_yes(condition: Any) -> bool:
    """Whether a condition compiles to `facts.get(name) is True`."""
    return (
        isinstance(condition, Mapping)
        and condition.get("op") == "is_true"
        and not condition.keys() & {"all", "any", "not"}
    )


def _needs(condition: Mapping[str, Any]) -> str | None:
    """A fact that must be True for this condition to hold, if its top-level `all` has one."""
    if "all" not in condition:
        return None
    return next((part["fact"] for part in condition["all"] if _is_yes(part)), None)


@cache
def default_ruleset() -> RuleSet:
    """The shipped rule set, validated and compiled once."""
    return compile_ruleset(default_data())


def facts_for(answers: Mapping[str, Any], ruleset: RuleSet, pain_band_cuts=DEFAULT_CUTS):
    """(facts, scores): answers with derived facts and flattened scores, as rules see them."""
    facts = derive(answers, ruleset.min_age_self_consent)
    return facts, _add_scores(facts, pain_band_cuts)


def _add_scores(facts: dict[str, Any], pain_band_cuts) -> dict[str, Any]:
    """Work out the scores from the facts and add them, flattened ("startback.risk")."""
    scores = scoring.compute_scores(facts, pain_band_cuts=pain_band_cuts)
    for name, value in scores.items():
        if isinstance(value, dict):
            for key, item in value.items():
                facts[f"{name}.{key}"] = item
        else:
            facts[name] = value
    return scores


def screen(
    answers: Any, ruleset: RuleSet | None = None, *, pain_band_cuts: tuple[int, int] = DEFAULT_CUTS
) -> Screening:
    """Screen one answer set; the most severe fired rule decides. Never raises on bad input."""
    ruleset = default_ruleset() if ruleset is None else ruleset
    if not isinstance(answers, Mapping):
        answers = {}
    facts = derive(answers, ruleset.min_age_self_consent)
    if ruleset.scored:
        scores = _add_scores(facts, pain_band_cuts)
    else:  # no rule reads them: adding them to the facts would change nothing
        scores = scoring.compute_scores(facts, pain_band_cuts=pain_band_cuts)
    fired = [rule for holds, rule in ruleset.checks if holds(facts)]
    indicated = ruleset.indicated(facts)
    deciding = [rule for rule in fired if rule.outcome != "info"]
    if deciding:
        outcome = deciding[0].outcome
    else:
        outcome = "suitable" if indicated else "not_indicated"
    return Screening(
        outcome=outcome,
        fired=tuple(FiredRule.of(rule, rule.explainer(facts)) for rule in fired),
        scores=scores,
        explanations=tuple(rule.patient_message for rule in deciding),
        indicated=indicated,
    )


def screen_outcome(
    answers: Any, ruleset: RuleSet | None = None, *, pain_band_cuts: tuple[int, int] = DEFAULT_CUTS
) -> str:
    """Only the outcome of `screen`, always the same one, found with less work: the deciding
    rules are tried most severe first and the first that fires decides; scores are worked out
    only when a rule (or the indication) about to be tried reads one; nothing is explained.

    Safe because a rule reads only the facts it names and adding the scores changes no other
    fact (tests/screening/test_screen_outcome.py compares the two on generated answers)."""
    ruleset = default_ruleset() if ruleset is None else ruleset
    if not isinstance(answers, Mapping):
        answers = {}
    facts = derive(answers, ruleset.min_age_self_consent)
    return outcome_of(facts, ruleset, pain_band_cuts)


def outcome_of(facts: dict[str, Any], ruleset: RuleSet, pain_band_cuts=DEFAULT_CUTS) -> str:
    """`screen_outcome` of answers whose facts `derive` has worked out, with the rule set's
    minimum age (the scores are added to them when needed).

    The outcomes are tried most severe first (`RuleSet.levels`); the facts of an outcome's
    `is_true` comparisons are looked up at C speed (`True in`: any value equal to True, then
    `is` for the exact test), and a predicate is called only when the fact it needs is True:
    60 % of the instructions of calling each rule's predicate in turn (default rules)."""
    scoring.band_table_for(pain_band_cuts)  # bad cut points fail here as they do in `screen`
    scored = False
    get = facts.get
    for outcome, yes, other, reads_scores in ruleset.levels:
        if reads_scores and not scored:
            _add_scores(facts, pain_band_cuts)  # no rule without scores reads what it adds
            scored = True
        if True in map(get, yes) and any(map(is_, map(get, yes), _TRUE * len(yes))):
            return outcome
        for needed, holds in other:  # a lookup rather than nested calls, mostly
            if (needed is None or get(needed) is True) and holds(facts):
                return outcome
    if ruleset.indication_scored and not scored:
        _add_scores(facts, pain_band_cuts)
    return "suitable" if ruleset.indicated(facts) else "not_indicated"


_TRUE = (True,)


def render_message(message: str, context: Mapping[str, str]) -> str:
    """A patient message with its placeholders filled in; unknown ones are left as written."""

    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return message.format_map(Keep(context))
    except (ValueError, IndexError, AttributeError):
        return message
