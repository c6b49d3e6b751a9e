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

Every other submission is read in full and screened with ``Rescreen`` (outcome only), in
``Chunk``s; a pool of processes runs it through ``start_worker`` and ``rescreen_in_worker``.
Pure: no Flask, no database; rows come in as plain tuples.

Where the time goes, per submission read and screened (instructions counted with valgrind,
the slowest case; issue 16): decoding its JSON is more than half (94,000), working out its
facts (29,000) and the outcome (27,000) most of the rest; reading it from SQLite 10,000. So
a chunk's answers are decoded with one ``json.loads`` of one JSON array (each key's text
made once a chunk, not once a submission: -14 % of decoding); the facts are added to the
decoded answers rather than to a copy (``work_out``'s ``in_place``: about -10,000) and
serve the screening with the draft too when they can (``same_facts``); ``outcome_of``
tries each outcome's rules at once (``RuleSet.levels``: about -20,000); the cut points are
checked once, not per submission. In all, about 205,000 instructions became 159,000 here,
and the whole preview's 234,000 a submission on SQLite (221,000 on PostgreSQL, not counting
the server) 190,000 (179,000).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from intake.screening.conditions import referenced_facts
from intake.screening.facts import derive, inputs_of, work_out
from intake.screening.rules import (
    DEFAULT_CUTS,
    OUTCOMES,
    RULE_OUTCOMES,
    SEVERITY,
    Rule,
    RuleSet,
    compile_ruleset,
    outcome_of,
    uses_scores,
)
from intake.screening.scoring import band_table_for

#: A stored submission as the preview reads it: id, answers as JSON text, stored outcome and
#: the id of the rule-set version that screened it.
Row = tuple[int, str | None, str, int]


class Chunk(NamedTuple):
    """Stored submissions column by column, as `Rescreen` takes them (and worker processes
    get them: one text rather than thousands of small objects to send)."""

    ids: list[int]
    #: their answers as one JSON array: each one's stored JSON text (``null`` for none)
    answers: str
    outcomes: list[str]
    versions: list[int]


def chunk_of(rows: Iterable[Row]) -> Chunk:
    """These rows as a `Chunk`. Their texts must each be JSON, as the database keeps them
    (a JSON column): then each is one item of the array, and the array has one per row. Text
    that is not JSON makes the array fail to decode, or hold another number of items, and
    `Rescreen` refuse it, as `json.loads` of that one text would."""
    ids, texts, outcomes, versions = [], [], [], []
    for submission_id, text, outcome, version in rows:
        ids.append(submission_id)
        texts.append("null" if text is None else text)
        outcomes.append(outcome)
        versions.append(version)
    return Chunk(ids, f"[{','.join(texts)}]", outcomes, versions)


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
        band_table_for(pain_band_cuts)  # bad ones fail here, as in screening
        # the default ones as the very object `band_table_for` knows without checking them
        self.cuts = DEFAULT_CUTS if list(pain_band_cuts) == list(DEFAULT_CUTS) else pain_band_cuts
        #: the facts derived for "before" serve "after" too: the same minimum age, and no
        #: scores added to them (`outcome_of` adds them only for a rule set that reads one)
        self.same_facts = before.min_age_self_consent == after.min_age_self_consent and not (
            before.scored
        )

    def __call__(self, chunk: Chunk) -> Tally:
        """The tally of these submissions. "Before" is the stored outcome when the rules in
        force gave it (as screening again with them would), else a screening with them;
        "after" is "before" when the change provably cannot alter it, else a screening with
        the draft."""
        tally = Tally()
        answer_sets = json.loads(chunk.answers)
        if type(answer_sets) is not list or len(answer_sets) != len(chunk.ids):
            raise ValueError("stored answers that are not JSON")
        change, cuts, current_id = self.impact, self.cuts, self.current_id
        before, after, same_facts = self.before, self.after, self.same_facts
        kept, check = change.kept_outcomes, change.inputs is not None
        min_age, after_age = before.min_age_self_consent, after.min_age_self_consent
        tally_before, tally_after, changed = tally.before, tally.after, tally.changed
        for submission_id, answers, stored, version_id in zip(
            chunk.ids, answer_sets, chunk.outcomes, chunk.versions, strict=True
        ):
            if type(answers) is not dict:
                answers = {}  # as screening takes it (decoded JSON: a dict or no mapping)
            if version_id == current_id and stored in OUTCOMES:
                old, facts = stored, None
            else:
                facts = work_out(answers, min_age, in_place=same_facts)
                old = outcome_of(facts, before, cuts)
                if old in kept or (check and not change.may_change_facts(facts)):
                    tally_before[old] += 1
                    tally_after[old] += 1
                    continue
            if facts is None or not same_facts:
                facts = work_out(answers, after_age, in_place=True)
            new = outcome_of(facts, after, cuts)
            tally_before[old] += 1
            tally_after[new] += 1
            if old != new:
                changed.append((submission_id, old, new))
        return tally


_worker: Rescreen | None = None


def start_worker(before: dict, after: dict, current_id: int, pain_band_cuts) -> None:
    """Pool initializer: compile both rule sets once per process; exit if the parent dies.
    The parent is the process that asked for this one, the web worker: forked by a fork
    server, this one's parent in the system is that server, which outlives it."""
    global _worker
    _worker = Rescreen(compile_ruleset(before), compile_ruleset(after), current_id, pain_band_cuts)
    parent = multiprocessing.parent_process()
    system_parent = os.getppid()

    def watch() -> None:  # a killed web worker must not leave its helpers behind
        if parent is not None:
            parent.join()  # until its end of a pipe closes
        else:  # not started by multiprocessing
            while os.getppid() == system_parent:
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def rescreen_in_worker(chunk: Chunk) -> Tally:
    """The tally of these submissions, in a pool process set up by `start_worker`."""
    assert _worker is not None, "start_worker first"
    return _worker(chunk)
