"""Screenings per second with the default rule set, over generated answer sets, on one core.

Run: .venv/bin/python bench/screening.py [--n 10000] [--seed 20261123]

Answer sets are random but valid: the generator walks the questionnaire page by page
(``next_step``) and answers only the questions shown, so branching is realistic (back-pain
pages only with back pain, trimester only when pregnant, ...). It times the full screening
(``rules.screen``: fired rules, evidence, scores) and the outcome alone
(``rules.screen_outcome``, what the impact preview uses), and checks that both give the same
outcome for every answer set. Times are the best of 3 runs of this process's CPU time
(``time.process_time``, so other work on the machine inflates them less than wall time) after
a warm-up. Dependency-free on purpose.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.screening import branching, facts, rules, scoring
from intake.screening import questionnaire as q
from intake.screening.answers import validate_answers

TARGET_PER_SECOND = 50_000  # full screening (issue 16)
TARGET_OUTCOME_PER_SECOND = 100_000  # outcome only
WORDS = ("running", "football", "garden", "walk", "dog", "lifting", "desk", "swim", "yoga")

#: Chance that one checklist item is ticked; low, as in real intake (most people tick none).
TICK_CHANCE = {
    "rf_urgent_checklist": 0.01,
    "rf_other_checklist": 0.05,
    "axspa_checklist": 0.25,
    "safety_checklist": 0.02,
    "wpi_checklist": 0.35,
    "sss_6m_checklist": 0.3,
}


def random_value(question: q.Question, rng: random.Random, today: dt.date) -> Any:
    """One valid answer to a question, in stored form (a dict of booleans for a checklist)."""
    kind = question.kind
    if kind == q.CHECKLIST:
        chance = TICK_CHANCE.get(question.id, 0.1)
        return {item: rng.random() < chance for item in question.item_ids}
    if kind == q.YES_NO:
        return rng.random() < (0.5 if question.id == "axspa_onset_before_45" else 0.1)
    if kind == q.SINGLE:
        return rng.choice(question.choices).value
    if kind == q.MULTI:
        values = [choice.value for choice in question.choices]
        if question.id == "pain_regions":
            chosen = rng.sample(values, rng.choice((1, 1, 1, 2, 2, 3, 4, 5)))
            if rng.random() < 0.5 and "lower_back" not in chosen:
                chosen[0] = "lower_back"
            return chosen
        if question.none_label and rng.random() < 0.6:
            return []
        return rng.sample(values, rng.randint(1, min(3, len(values))))
    if kind == q.INTEGER:
        if question.id == "age":
            return rng.randint(12, 90)
        return rng.randint(question.minimum or 0, question.maximum or 100)
    if kind == q.SCALE:
        return rng.randint(question.minimum or 0, question.maximum or 10)
    if kind == q.TEXT_KIND:
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
        return text[: question.max_length]
    if kind == q.DATE_KIND:
        return (today - dt.timedelta(days=rng.randint(0, 730))).isoformat()
    raise ValueError(f"unknown question kind {kind!r}")


def generate(n: int, seed: int, min_age: int) -> list[dict[str, Any]]:
    """n valid answer sets, walking the visible steps as a patient would."""
    rng = random.Random(seed)
    today = dt.date.today()
    answer_sets = []
    for _ in range(n):
        answers: dict[str, Any] = {}
        step = branching.next_step(answers, None, min_age)
        while step is not None:
            for question in step.questions:
                # Re-derive per question: a show-if can depend on this page's earlier answers.
                if not branching.question_is_shown(question, facts.derive(answers, min_age)):
                    continue
                if not question.required and rng.random() < 0.5:
                    continue
                value = random_value(question, rng, today)
                if question.kind == q.CHECKLIST:
                    answers.update(value)
                else:
                    answers[question.id] = value
            step = branching.next_step(answers, step.id, min_age)
        answer_sets.append(answers)
    return answer_sets


def best_of(runs: int, fn: Callable[[Any], Any], items: Sequence[Any]) -> float:
    """Best CPU time of this process, in seconds, of calling fn on every item."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        for item in items:
            fn(item)
        best = min(best, time.process_time() - start)
    return best


def pin_to_one_core() -> str:
    """Pin this process to one CPU where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def report(label: str, seconds: float, n: int) -> None:
    print(f"  {label:<34} {n / seconds:>10,.0f} /s   {seconds / n * 1e6:>7.1f} µs each")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="answer sets (default 10000)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the best counts")
    args = parser.parse_args(argv)

    core = pin_to_one_core()
    ruleset = rules.default_ruleset()
    min_age = ruleset.min_age_self_consent

    start = time.perf_counter()
    answer_sets = generate(args.n, args.seed, min_age)
    generated_in = time.perf_counter() - start
    invalid = sum(1 for answers in answer_sets if validate_answers(answers, min_age))
    mean_answers = sum(len(a) for a in answer_sets) / len(answer_sets)

    def screen(answers: dict) -> rules.Screening:
        return rules.screen(answers, ruleset)

    def screen_outcome(answers: dict) -> str:
        return rules.screen_outcome(answers, ruleset)

    def derive(answers: dict) -> dict:
        return facts.derive(answers, min_age)

    derived = [derive(answers) for answers in answer_sets]

    # Warm-up: fill caches (compiled rules, band tables) and let the interpreter settle.
    for answers in answer_sets[:1000]:
        screen(answers)
        screen_outcome(answers)
        scoring.compute_scores(derive(answers))

    screen_s = best_of(args.runs, screen, answer_sets)
    outcome_s = best_of(args.runs, screen_outcome, answer_sets)
    derive_s = best_of(args.runs, derive, answer_sets)
    scores_s = best_of(args.runs, scoring.compute_scores, derived)

    n = len(answer_sets)
    print(f"Python {sys.version.split()[0]}, {core}, seed {args.seed}")
    print(
        f"{n:,} generated answer sets in {generated_in:.1f} s "
        f"({mean_answers:.0f} answers each on average, {invalid} invalid)"
    )
    print(f"default rule set: {len(ruleset.active)} active rules; best of {args.runs} runs:")
    report("rules.screen (everything)", screen_s, n)
    report("  of which facts.derive", derive_s, n)
    report("  of which scoring.compute_scores", scores_s, n)
    report("rules.screen_outcome (outcome only)", outcome_s, n)

    for label, seconds, target in (
        ("full", screen_s, TARGET_PER_SECOND),
        ("outcome only", outcome_s, TARGET_OUTCOME_PER_SECOND),
    ):
        verdict = "met" if n / seconds >= target else "NOT met"
        print(f"target {label} {target:,}/s ({1e6 / target:.0f} µs each): {verdict}")

    outcomes = Counter(screen(answers).outcome for answers in answer_sets)
    disagree = sum(screen(a).outcome != screen_outcome(a) for a in answer_sets)
    print(f"screen_outcome disagrees with screen on {disagree} of {n:,} answer sets")
    print("outcome distribution:")
    for outcome in rules.OUTCOMES:
        count = outcomes.get(outcome, 0)
        print(f"  {outcome:<14} {count:>6}  {count / n:6.1%}")
    return 0 if invalid == 0 and disagree == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
