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
closures; ``explain`` re-walks a condition only for rules that fired.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

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
            if _strict_equal(choice, value):
                return label
        return str(value)


@dataclass(frozen=True, slots=True)
class Operator:
    """One comparison of the closed operator table."""

    name: str
    words: str  # how staff read it: "Age is at least 50"
    value: str  # what the value must be: none | scalar | list | number
    fact_types: frozenset[str]


_ORDERED = frozenset({NUMBER})
_EQUATABLE = frozenset({BOOLEAN, NUMBER, TEXT, CHOICE, DATE})

#: The closed set of operators. Each has its own row in tests/test_conditions.py.
OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", "is", "scalar", _EQUATABLE),
        Operator("ne", "is not", "scalar", _EQUATABLE),
        Operator("in", "is one of", "list", _EQUATABLE),
        Operator("contains", "includes", "scalar", frozenset({CHOICES})),
        Operator("ge", "is at least", "number", _ORDERED),
        Operator("le", "is at most", "number", _ORDERED),
        Operator("gt", "is more than", "number", _ORDERED),
        Operator("lt", "is under", "number", _ORDERED),
        Operator("is_true", "is Yes", "none", frozenset({BOOLEAN})),
        Operator("is_false", "is No", "none", frozenset({BOOLEAN})),
        Operator("is_answered", "is answered", "none", frozenset(_EQUATABLE | {CHOICES})),
    )
}

_NUMBER_TYPES = (int, float)
_COLLECTIONS = (list, tuple, frozenset, set)


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool."""
    return type(value) in _NUMBER_TYPES


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a):
        return is_number(b) and a == b
    return type(a) is type(b) and a == b


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
    if op.value == "none":
        if op_name == "is_true":
            return lambda facts: facts.get(name) is True
        if op_name == "is_false":
            return lambda facts: facts.get(name) is False
        return lambda facts: facts.get(name) is not None
    if op.value == "number":
        if not is_number(value):
            raise ConditionError(f"'{op_name}' needs a number, not {value!r}")
        return _ORDER_BUILDERS[op_name](name, value)
    if op.value == "list":
        if not isinstance(value, list) or not value:
            raise ConditionError("'in' needs a non-empty list of values")
        values = tuple(value)
        if all(type(v) is str for v in values):
            texts = frozenset(values)
            return lambda facts: type(x := facts.get(name)) is str and x in texts
        return lambda facts: (
            (x := facts.get(name)) is not None and any(_strict_equal(x, v) for v in values)
        )
    if isinstance(value, list | dict) or value is None:
        raise ConditionError(f"'{op_name}' needs a single value, not {value!r}")
    if op_name == "contains":
        if type(value) is str:  # text equals only text, so plain `in` is already strict
            return lambda facts: type(x := facts.get(name)) in _COLLECTIONS and value in x
        return lambda facts: (
            isinstance(x := facts.get(name), list | tuple | frozenset | set)
            and any(_strict_equal(item, value) for item in x)
        )
    equal = _equality(name, value)
    if op_name == "eq":
        return equal
    return lambda facts: facts.get(name) is not None and not equal(facts)


def _equality(name: str, value: Any) -> Predicate:
    if isinstance(value, bool):
        return lambda facts: facts.get(name) is value
    if is_number(value):
        return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and x == value
    kind = type(value)
    return lambda facts: type(x := facts.get(name)) is kind and x == value


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[str, Any], Predicate]:
    def build(name: str, value: Any) -> Predicate:
        return lambda facts: type(x := facts.get(name)) in _NUMBER_TYPES and compare(x, value)

    return build


_ORDER_BUILDERS = {
    "ge": _ordered(lambda a, b: a >= b),
    "le": _ordered(lambda a, b: a <= b),
    "gt": _ordered(lambda a, b: a > b),
    "lt": _ordered(lambda a, b: a < b),
}


def explain(cond: Mapping[str, Any], facts: Facts) -> dict[str, Any]:
    """The facts (with their values) that make a true condition true; for reporting only."""
    if "all" in cond:
        found: dict[str, Any] = {}
        for part in cond["all"]:
            found.update(explain(part, facts))
        return found
    if "any" in cond:
        for part in cond["any"]:
            if compile_condition(part)(facts):
                return explain(part, facts)
        return {}
    if "not" in cond:
        return {name: facts.get(name) for name in referenced_facts(cond["not"])}
    return {cond["fact"]: facts.get(cond["fact"])}


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


def validate_condition(
    cond: Any, dictionary: Mapping[str, FactSpec], where: str = "The condition"
) -> list[str]:
    """Every problem with a condition, each in words a clinician can act on."""
    if not isinstance(cond, Mapping):
        return [f"{where} is not a condition (expected all/any/not or a comparison)."]
    groups = [key for key in ("all", "any", "not") if key in cond]
    if len(groups) > 1 or (groups and "fact" in cond):
        return [f"{where} mixes {', '.join(groups + (['fact'] if 'fact' in cond else []))}."]
    if groups:
        key = groups[0]
        if key == "not":
            return validate_condition(cond["not"], dictionary, where)
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            return [f"{where} has an empty '{key}' group."]
        problems: list[str] = []
        for part in parts:
            problems.extend(validate_condition(part, dictionary, where))
        return problems
    return _validate_comparison(cond, dictionary, where)


def _validate_comparison(
    cond: Mapping[str, Any], dictionary: Mapping[str, FactSpec], where: str
) -> list[str]:
    name, op_name = cond.get("fact"), cond.get("op")
    if not isinstance(name, str) or not name:
        return [f"{where} has a comparison without a question."]
    spec = dictionary.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, list(dictionary), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return [f"{where} refers to question '{name}', which does not exist.{hint}"]
    op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        return [f"{where} uses the unknown comparison {op_name!r} on '{spec.label}'."]
    if spec.type not in op.fact_types:
        return [
            f"{where} uses '{op.words}' on '{spec.label}', which is {_a(spec.type)}; "
            f"that comparison works on {' or '.join(sorted(op.fact_types))} questions."
        ]
    value = cond.get("value")
    if op.value == "none":
        return [] if "value" not in cond else [f"{where}: '{op.words}' takes no value."]
    values = value if op.value == "list" else [value]
    if op.value == "list" and (not isinstance(value, list) or not value):
        return [f"{where}: 'is one of' on '{spec.label}' needs a list of values."]
    problems = []
    for item in values:
        problem = _value_problem(spec, item, op, where)
        if problem:
            problems.append(problem)
    return problems


def _value_problem(spec: FactSpec, value: Any, op: Operator, where: str) -> str | None:
    if spec.type in (CHOICE, CHOICES):
        if not any(_strict_equal(value, choice) for choice in spec.choices):
            offered = ", ".join(repr(c) for c in spec.choices)
            return (
                f"{where} compares '{spec.label}' with {value!r}, which is not one of its "
                f"choices ({offered})."
            )
        return None
    expected = {BOOLEAN: bool, NUMBER: "number", TEXT: str, DATE: str}[spec.type]
    if expected == "number":
        if not is_number(value):
            return f"{where} compares the number '{spec.label}' with {_describe_value(value)}."
        return None
    if type(value) is not expected:
        return f"{where} compares '{spec.label}' ({_a(spec.type)}) with {_describe_value(value)}."
    return None


def _a(fact_type: str) -> str:
    return {
        BOOLEAN: "a yes/no question",
        NUMBER: "a number",
        TEXT: "text",
        CHOICE: "a single choice",
        CHOICES: "a multiple choice",
        DATE: "a date",
    }.get(fact_type, fact_type)


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {value}"
    if is_number(value):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{value!r}"


def describe(cond: Any, dictionary: Mapping[str, FactSpec]) -> str:
    """A condition in readable words: "Takes blood thinners is Yes and Age is at least 50"."""
    if not isinstance(cond, Mapping):
        return "(invalid condition)"
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in cond and isinstance(cond[key], list):
            parts = [
                f"({describe(part, dictionary)})"
                if isinstance(part, Mapping) and ("all" in part or "any" in part)
                else describe(part, dictionary)
                for part in cond[key]
            ]
            return joiner.join(parts)
    if "not" in cond:
        return f"not ({describe(cond['not'], dictionary)})"
    name = cond.get("fact")
    spec = dictionary.get(name) if isinstance(name, str) else None
    label = spec.label if spec else str(name)
    op = OPERATORS.get(cond.get("op")) if isinstance(cond.get("op"), str) else None
    if op is None:
        return f"{label} (unknown comparison)"
    if op.value == "none":
        return f"{label} {op.words}"
    value = cond.get("value")
    values = value if isinstance(value, list) else [value]
    shown = [spec.choice_label(v) if spec else str(v) for v in values]
    return f"{label} {op.words} {' or '.join(shown) if op.value == 'list' else shown[0]}"
