"""What a change of rules can change, and re-screening stored answers before and after it.

The impact preview screens stored submissions with the rules in force ("before") and with a
draft ("after"). For a submission the rules in force screened, "before" is its stored outcome,
and most such submissions provably keep it:

1. Only the deciding rules (enabled, not ``info``) and the indication decide an outcome, and of
   a rule only its outcome and condition. A rule whose (outcome, condition) is on both sides
   fires on the same answers on both; the others are the *changed* rules.
2. By severity: a stored outcome more severe than every changed rule's outcome stays. The rule
   that gave it is not a changed one, so it still fires, and no changed rule gives anything more
   severe (``Impact.kept_outcomes``). The preview counts these in SQL.
3. By answers: when no changed rule fires on a submission's facts, and a changed indication
   holds on both sides or on neither, the same rules fire before and after, so the outcome
   stays (``Impact.may_change``). A rule reads only the facts it names, and each fact's value
   is worked out from a few answers alone (``facts.INPUTS``), so this needs only those answers
   (``Impact.inputs``): the preview reads just their values from the database, and many
   submissions share the same few values, each checked once. Rules reading scores, and a
   changed minimum age, turn this off (``inputs`` is None).

Every other submission is read in full and screened with ``Rescreen`` (outcome only); a pool
of processes runs it through ``start_worker`` and ``rescreen_in_worker``. Pure: no Flask, no
database; rows come in as plain tuples.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.screening.conditions import referenced_facts
from intake.screening.facts import derive, inputs_of
from intake.screening.rules import (
    OUTCOMES,
    RULE_OUTCOMES,
    SEVERITY,
    Rule,
    RuleSet,
    compile_ruleset,
    outcome_of,
    screen_outcome,
    uses_scores,
)

#: A stored submission as the preview reads it: id, answers as JSON text, stored outcome and
#: the id of the rule-set version that screened it.
Row = tuple[int, str | None, str, int]


class Impact:
    """What changing the rules from `before` to `after` can change (see the module docstring),
    for submissions the rules before screened."""

    def __init__(self, before: RuleSet, after: RuleSet):
        self.before, self.after = before, after
        #: stored outcomes the change cannot alter
        self.kept_outcomes: frozenset[str] = frozenset()
        #: the answers that can alter an outcome, sorted; None when any answer may
        self.inputs: tuple[str, ...] | None = None
        self._changed: list[Rule] = []
        self._indication_changed = True
        self._known: dict[tuple[str | None, ...], bool] = {}
        if _text(before.settings) != _text(after.settings):
            return  # another minimum age changes derived facts, and so any rule
        old = Counter(map(_signature, before.deciding))
        new = Counter(map(_signature, after.deciding))
        differ = set(old - new) | set(new - old)
        self._changed = [r for r in (*before.deciding, *after.deciding) if _signature(r) in differ]
        self._indication_changed = _text(before.indication) != _text(after.indication)
        if not self._changed and not self._indication_changed:
            self.kept_outcomes, self.inputs = frozenset(OUTCOMES), ()
            return
        least = min((SEVERITY[r.outcome] for r in self._changed), default=len(RULE_OUTCOMES))
        self.kept_outcomes = frozenset(
            o for o in RULE_OUTCOMES if o != "info" and SEVERITY[o] < least
        )
        conditions = [rule.condition for rule in self._changed]
        if self._indication_changed:
            conditions += [before.indication, after.indication]
        if not any(uses_scores(condition) for condition in conditions):  # too many inputs
            names = {
                name
                for condition in conditions
                for fact in referenced_facts(condition)
                for name in inputs_of(fact)
            }
            self.inputs = tuple(sorted(names))

    def may_change(self, answers: Mapping[str, Any]) -> bool:
        """Whether the change can alter the outcome these answers got from the rules before:
        a changed rule fires, or a changed indication holds on one side only. `answers` need
        hold only `inputs` (no other answer changes the facts those read); not for use when
        `inputs` is None."""
        if not isinstance(answers, Mapping):
            answers = {}  # as screening takes it
        return self.may_change_facts(derive(answers, self.before.min_age_self_consent))

    def may_change_facts(self, facts: Mapping[str, Any]) -> bool:
        """`may_change` of answers whose facts `derive` has worked out (scores or not)."""
        if any(rule.predicate(facts) for rule in self._changed):
            return True
        return self._indication_changed and (
            self.before.indicated(facts) != self.after.indicated(facts)
        )

    def may_change_stored(self, values: tuple[str | None, ...]) -> bool:
        """`may_change` for stored answers given as the JSON text of each of `inputs` (None:
        not answered), remembered: many submissions share the same few values."""
        known = self._known.get(values)
        if known is None:
            names = self.inputs or ()
            answers = {
                k: json.loads(v) for k, v in zip(names, values, strict=True) if v is not None
            }
            known = self._known[values] = self.may_change(answers)
        return known


def _text(value: Any) -> str:
    """A strict, order-free form of JSON-able data: 1 and True and "1" all differ."""
    return json.dumps(value, sort_keys=True, default=repr)


def _signature(rule: Rule) -> tuple[str, str]:
    return rule.outcome, _text(rule.condition)


# --- Re-screening -----------------------------------------------------------------------------


@dataclass
class Tally:
    """Outcome counts before and after, and the submissions whose outcome changes."""

    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)
    changed: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Count in another run of rows."""
        self.before.update(other.before)
        self.after.update(other.after)
        self.changed.extend(other.changed)


class Rescreen:
    """Screens stored rows with the rules before and after a change, outcome only."""

    def __init__(self, before: RuleSet, after: RuleSet, current_id: int, pain_band_cuts):
        self.before = before
        self.after = after
        self.impact = Impact(before, after)
        self.current_id = current_id
        self.cuts = pain_band_cuts

    def __call__(self, rows: Iterable[Row]) -> Tally:
        """The tally of these rows. "Before" is the stored outcome when the rules in force
        gave it (as screening again with them would), else a screening with them; "after" is
        "before" when the change provably cannot alter it, else a screening with the draft."""
        tally = Tally()
        loads, change, cuts = json.loads, self.impact, self.cuts
        min_age = self.before.min_age_self_consent
        for submission_id, text, stored, version_id in rows:
            answers = loads(text) if text is not None else None
            if version_id == self.current_id and stored in OUTCOMES:
                old = stored
            else:
                facts = derive(answers if isinstance(answers, Mapping) else {}, min_age)
                old = outcome_of(facts, self.before, cuts)
                if old in change.kept_outcomes or (
                    change.inputs is not None and not change.may_change_facts(facts)
                ):
                    tally.before[old] += 1
                    tally.after[old] += 1
                    continue
            new = screen_outcome(answers, self.after, pain_band_cuts=cuts)
            tally.before[old] += 1
            tally.after[new] += 1
            if old != new:
                tally.changed.append((submission_id, old, new))
        return tally


_worker: Rescreen | None = None


def start_worker(before: dict, after: dict, current_id: int, pain_band_cuts) -> None:
    """Pool initializer: compile both rule sets once per process; exit if the parent dies."""
    global _worker
    _worker = Rescreen(compile_ruleset(before), compile_ruleset(after), current_id, pain_band_cuts)
    parent = os.getppid()

    def watch() -> None:  # a killed web worker must not leave its helpers behind
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def rescreen_in_worker(rows: list[Row]) -> Tally:
    """The tally of these rows, in a pool process set up by `start_worker`."""
    assert _worker is not None, "start_worker first"
    return _worker(rows)
