"""The condition language shared by screening rules and questionnaire branching.

A condition is JSON-able data, never code:

    {"all": [cond, ...]}          every condition holds (stops at the first that does not)
    {"any": [cond, ...]}          at least one holds (stops at the first that does)
    {"not": cond}                 the condition does not hold
    {"fact": "age", "op": "ge", "value": 50}
    {"fact": "rf_bladder", "op": "is_true"}

A *fact* is an answer id, a derived fact or a score (``startback.risk``). Comparisons are
strict: the number 1 never equals the text "1" or True, and a comparison on a fact that was not
answered is false (so ``{"not": ...}`` of it is true). Conditions are compiled once into
closures; so is ``explain``, which reports the facts behind a rule that fired.

Each comparison operator is one entry of ``OPERATORS``: its words, the value it takes, the
fact types it works on, how it evaluates (``build`` makes a closure specialised to the value)
and what it says about a fact's possible values (``constrain``, for spotting conditions that can
never be true). Compiling, validating and describing conditions, the rule editor and rule
analysis all read that table, so adding an operator means adding one entry (and its rows in
tests/screening/test_conditions.py). Validation and descriptions in words are in
``condition_words``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]
Explainer = Callable[[Facts], dict[str, Any]]

#: Fact types of the data dictionary.
BOOLEAN, NUMBER, TEXT, CHOICE, CHOICES, DATE = (
    "boolean",
    "number",
    "text",
    "choice",
    "choices",
    "date",
)


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One entry of the data dictionary: what a condition may say about a fact."""

    id: str
    label: str
    type: str
    choices: tuple[Any, ...] = ()
    choice_labels: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    section: str = ""
    origin: str = "question"  # question | derived | score

    def choice_label(self, value: Any) -> str:
        """The label shown to people for one of this fact's choice values."""
        for choice, label in zip(self.choices, self.choice_labels, strict=False):
            if strict_equal(choice, value):
                return label
        return str(value)


@dataclass(frozen=True, slots=True)
class Constraint:
    """What one comparison says about the values its fact can have (see rule_analysis).

    Answers are compared by key, (type name, value), so True and 1 stay different answers.
    """

    bounds: tuple[float, float] | None = None  # lowest and highest number it allows
    allowed: frozenset | None = None  # value keys the fact must be one of
    excluded: frozenset = frozenset()  # value keys the fact must not be
    impossible: bool = False  # no answer to the fact can satisfy the comparison


NO_CONSTRAINT = Constraint()

Build = Callable[[str, Any], Predicate]
Constrain = Callable[[Any, FactSpec | None], Constraint]


@dataclass(frozen=True, slots=True)
class Operator:
    """One comparison of the closed operator table: words, value, fact types, meaning."""

    name: str
    words: str  # how staff read it: "Age is at least 50"
    value: str  # what the value must be: none | scalar | list | number
    fact_types: frozenset[str]
    build: Build  # (fact id, checked value) -> predicate over facts
    constrain: Constrain  # (value, the fact's spec or None) -> what it allows

    @property
    def takes_value(self) -> bool:
        """Whether a comparison with this operator has a value ("is Yes" has none)."""
        return self.value != "none"

    @property
    def takes_list(self) -> bool:
        """Whether its value is a list of alternatives ("is one of")."""
        return self.value == "list"


_NUMBER_TYPES = (int, float)
_COLLECTIONS = (list, tuple, frozenset, set)
_INF = math.inf


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool."""
    return type(value) in _NUMBER_TYPES


def strict_equal(a: Any, b: Any) -> bool:
    """Equality without coercion: True is not 1 and 1 is not "1", but 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a):
        return is_number(b) and a == b
    return type(a) is type(b) and a == b


# --- How each operator evaluates: closures specialised to the value, built once ---------------


def _equal(name: str, value: Any) -> Predicate:
    if isinstance(value, bool):
        return lambda facts: facts.get(name) is value
    if is_number(value):
        return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and x == value
    kind = type(value)
    return lambda facts: type(x := facts.get(name)) is kind and x == value


def _not_equal(name: str, value: Any) -> Predicate:
    equal = _equal(name, value)
    return lambda facts: facts.get(name) is not None and not equal(facts)


def _one_of(name: str, value: list) -> Predicate:
    values = tuple(value)
    if all(type(v) is str for v in values):
        texts = frozenset(values)
        return lambda facts: type(x := facts.get(name)) is str and x in texts
    return lambda facts: (
        (x := facts.get(name)) is not None and any(strict_equal(x, v) for v in values)
    )


def _includes(name: str, value: Any) -> Predicate:
    if type(value) is str:  # text equals only text, so plain `in` is already strict
        return lambda facts: type(x := facts.get(name)) in _COLLECTIONS and value in x
    return lambda facts: (
        isinstance(x := facts.get(name), list | tuple | frozenset | set)
        and any(strict_equal(item, value) for item in x)
    )


def _at_least(name: str, value: Any) -> Predicate:
    return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and x >= value


def _at_most(name: str, value: Any) -> Predicate:
    return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and x <= value


def _more_than(name: str, value: Any) -> Predicate:
    return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and x > value


def _under(name: str, value: Any) -> Predicate:
    return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and x < value


def _yes(name: str, value: Any) -> Predicate:
    return lambda facts: facts.get(name) is True


def _no(name: str, value: Any) -> Predicate:
    return lambda facts: facts.get(name) is False


def _answered(name: str, value: Any) -> Predicate:
    return lambda facts: facts.get(name) is not None


# --- What each operator allows, for spotting conditions that can never be true ---------------


def _key(value: Any) -> tuple[str, Any]:
    """Strict identity for comparing answer values (True is not 1)."""
    return (type(value).__name__, value if not isinstance(value, list) else tuple(value))


def _gap(spec: FactSpec) -> float:
    """The step between neighbouring values of a number fact.

    Answers (and facts derived from them) are whole numbers, so nothing lies between 19 and
    20; scores may be fractions (the PEG score is a mean).
    """
    return 1 if spec.type == NUMBER and spec.origin in ("question", "derived") else 1e-9


def _range(side: str, strict: bool) -> Constrain:
    """The constraint of an order comparison: a "low" or "high" bound on a known number fact,
    one step past the value when the comparison is strict."""

    def constrain(value: Any, spec: FactSpec | None) -> Constraint:
        if spec is None or not is_number(value):
            return NO_CONSTRAINT
        step = _gap(spec) if strict else 0
        return Constraint(bounds=(value + step, _INF) if side == "low" else (-_INF, value - step))

    return constrain


def _equal_constraint(value: Any, spec: FactSpec | None) -> Constraint:
    if spec is not None and is_number(value):
        return Constraint(bounds=(value, value))
    not_a_choice = (
        spec is not None
        and spec.type == CHOICE
        and not any(_key(c) == _key(value) for c in spec.choices)
    )
    return Constraint(allowed=frozenset({_key(value)}), impossible=not_a_choice)


def _not_equal_constraint(value: Any, spec: FactSpec | None) -> Constraint:
    return Constraint(excluded=frozenset({_key(value)}))


def _one_of_constraint(value: Any, spec: FactSpec | None) -> Constraint:
    keys = frozenset(_key(v) for v in value) if isinstance(value, list) else frozenset()
    return Constraint(allowed=keys)


def _always(constraint: Constraint) -> Constrain:
    return lambda value, spec: constraint


_ONLY_YES = Constraint(allowed=frozenset({_key(True)}))
_ONLY_NO = Constraint(allowed=frozenset({_key(False)}))
_unconstrained = _always(NO_CONSTRAINT)

_ORDERED = frozenset({NUMBER})
_EQUATABLE = frozenset({BOOLEAN, NUMBER, TEXT, CHOICE, DATE})
_YES_NO = frozenset({BOOLEAN})
_MULTIPLE = frozenset({CHOICES})
_ANY_TYPE = _EQUATABLE | _MULTIPLE

#: The closed set of operators. Each has its own rows in tests/screening/test_conditions.py.
OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        # name, words, value, fact types, how it evaluates, what it allows
        Operator("eq", "is", "scalar", _EQUATABLE, _equal, _equal_constraint),
        Operator("ne", "is not", "scalar", _EQUATABLE, _not_equal, _not_equal_constraint),
        Operator("in", "is one of", "list", _EQUATABLE, _one_of, _one_of_constraint),
        Operator("contains", "includes", "scalar", _MULTIPLE, _includes, _unconstrained),
        Operator("ge", "is at least", "number", _ORDERED, _at_least, _range("low", strict=False)),
        Operator("le", "is at most", "number", _ORDERED, _at_most, _range("high", strict=False)),
        Operator("gt", "is more than", "number", _ORDERED, _more_than, _range("low", strict=True)),
        Operator("lt", "is under", "number", _ORDERED, _under, _range("high", strict=True)),
        Operator("is_true", "is Yes", "none", _YES_NO, _yes, _always(_ONLY_YES)),
        Operator("is_false", "is No", "none", _YES_NO, _no, _always(_ONLY_NO)),
        Operator("is_answered", "is answered", "none", _ANY_TYPE, _answered, _unconstrained),
    )
}

#: What compile_condition requires of each kind of value, and the error when it is not so.
_VALUE_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "none": (lambda value: True, ""),
    "number": (is_number, "'{op}' needs a number, not {value!r}"),
    "list": (
        lambda value: isinstance(value, list) and bool(value),
        "'{op}' needs a non-empty list of values",
    ),
    "scalar": (
        lambda value: not (isinstance(value, list | dict) or value is None),
        "'{op}' needs a single value, not {value!r}",
    ),
}


class ConditionError(ValueError):
    """A condition is not well formed (compile refuses it)."""


def compile_condition(cond: Any) -> Predicate:
    """Turn a condition into a fast predicate over a facts mapping; raises ConditionError."""
    if not isinstance(cond, Mapping):
        raise ConditionError(f"a condition must be a mapping, not {type(cond).__name__}")
    # One node is one thing; {"all": [...], "fact": ...} would silently drop half of it.
    kinds = [key for key in ("all", "any", "not", "fact") if key in cond]
    if len(kinds) > 1:
        raise ConditionError(f"a condition mixes {', '.join(kinds)}")
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            raise ConditionError(f"'{key}' needs a non-empty list of conditions")
        preds = tuple(compile_condition(part) for part in parts)
        if len(preds) == 1:
            return preds[0]
        # Unrolled for the common small groups: a generator per call costs more than the test.
        if len(preds) == 2:
            first, second = preds
            if key == "all":
                return lambda facts: first(facts) and second(facts)
            return lambda facts: first(facts) or second(facts)
        if key == "all":
            return lambda facts: all(pred(facts) for pred in preds)
        return lambda facts: any(pred(facts) for pred in preds)
    if "not" in cond:
        inner = compile_condition(cond["not"])
        return lambda facts: not inner(facts)
    return _compile_comparison(cond)


def _compile_comparison(cond: Mapping[str, Any]) -> Predicate:
    name, op_name, value = cond.get("fact"), cond.get("op"), cond.get("value")
    if not isinstance(name, str) or not name:
        raise ConditionError("a comparison needs a 'fact'")
    op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        raise ConditionError(f"unknown operator {op_name!r}")
    accepts, problem = _VALUE_CHECKS[op.value]
    if not accepts(value):
        raise ConditionError(problem.format(op=op.name, value=value))
    return op.build(name, value)


def compile_explainer(cond: Mapping[str, Any]) -> Explainer:
    """``explain`` for one well-formed condition, built once (``compile_ruleset`` does it per
    rule): the predicates of its ``any`` groups are compiled here, not on every screening."""
    if "all" in cond:
        parts = tuple(compile_explainer(part) for part in cond["all"])
        if len(parts) == 1:
            return parts[0]

        def explain_all(facts: Facts) -> dict[str, Any]:
            found: dict[str, Any] = {}
            for part in parts:
                found.update(part(facts))
            return found

        return explain_all
    if "any" in cond:
        tried = tuple((compile_condition(part), compile_explainer(part)) for part in cond["any"])

        def explain_any(facts: Facts) -> dict[str, Any]:
            for holds, part in tried:
                if holds(facts):
                    return part(facts)
            return {}

        return explain_any
    if "not" in cond:
        names = tuple(referenced_facts(cond["not"]))
        return lambda facts: {name: facts.get(name) for name in names}
    name = cond["fact"]
    return lambda facts: {name: facts.get(name)}


def explain(cond: Mapping[str, Any], facts: Facts) -> dict[str, Any]:
    """The facts (with their values) that make a true condition true; for reporting only."""
    return compile_explainer(cond)(facts)


def referenced_facts(cond: Any) -> list[str]:
    """Every fact id a condition mentions, in order of appearance, without repeats."""
    seen: dict[str, None] = {}

    def walk(node: Any) -> None:
        if not isinstance(node, Mapping):
            return
        for key in ("all", "any"):
            if isinstance(node.get(key), list):
                for part in node[key]:
                    walk(part)
        if "not" in node:
            walk(node["not"])
        if isinstance(node.get("fact"), str):
            seen.setdefault(node["fact"], None)

    walk(cond)
    return list(seen)
