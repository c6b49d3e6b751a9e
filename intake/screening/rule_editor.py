"""The structured rule editor's form model: a condition as groups of rows, and back. Pure.

Conditions edited here have two levels, which covers the default rules: the rule matches
when ALL (or ANY) of its groups match, and a group matches when ALL (or ANY) of its rows do.
A row compares one question (or score) with a value, optionally negated ("not"). Rows are
added and removed by submit buttons, so the editor works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.screening.conditions import (
    BOOLEAN,
    CHOICE,
    CHOICES,
    NUMBER,
    OPERATORS,
    FactSpec,
    Operator,
)

MATCHES = ("all", "any")
_ROW = re.compile(r"^g(\d{1,2})_r(\d{1,2})_(fact|op|value|not)$")
_GROUP = re.compile(r"^g(\d{1,2})_match$")
MAX_GROUPS, MAX_ROWS = 10, 20


@dataclass
class Row:
    """One comparison as typed: question id, operator, value text, negated."""

    fact: str = ""
    op: str = "is_true"
    value: str = ""
    negate: bool = False

    @property
    def operator(self) -> Operator | None:
        """The row's operator, or None while it names none we know."""
        return OPERATORS.get(self.op)

    @property
    def takes_value(self) -> bool:
        """Whether the row has a value field (kept for an unknown operator, so validation
        can name what was typed)."""
        return self.operator is None or self.operator.takes_value

    @property
    def takes_list(self) -> bool:
        """Whether the value is several alternatives separated by commas ("is one of")."""
        return self.operator is not None and self.operator.takes_list


@dataclass
class Group:
    """Rows joined by all/any."""

    match: str = "all"
    rows: list[Row] = field(default_factory=lambda: [Row()])


@dataclass
class ConditionForm:
    """The whole condition: groups joined by all/any."""

    match: str = "all"
    groups: list[Group] = field(default_factory=lambda: [Group()])


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _row(node: Any) -> Row | None:
    if not isinstance(node, Mapping):
        return None
    negate = False
    if "not" in node and len(node) == 1:
        node, negate = node["not"], True
        if not isinstance(node, Mapping):
            return None
    if "fact" not in node or any(key in node for key in ("all", "any", "not")):
        return None
    return Row(
        str(node.get("fact", "")), str(node.get("op", "")), _value_text(node.get("value")), negate
    )


def _group_key(node: Any) -> str | None:
    """The key of a group of conditions ("all" or "any"), or None for anything else."""
    if not isinstance(node, Mapping):
        return None
    return next((key for key in MATCHES if isinstance(node.get(key), list)), None)


def to_form(cond: Any) -> ConditionForm | None:
    """The editor's view of a condition, or None when it is too deeply nested to edit here."""
    row = _row(cond)
    if row is not None:
        return ConditionForm("all", [Group("all", [row])])
    key = _group_key(cond)
    if key is None:
        return None
    rows = [_row(part) for part in cond[key]]
    if all(r is not None for r in rows):
        return ConditionForm("all", [Group(key, rows)])
    groups = []
    for part in cond[key]:
        row = _row(part)
        if row is not None:
            groups.append(Group("all", [row]))
            continue
        inner = _group_key(part)
        if inner is None:
            return None
        inner_rows = [_row(p) for p in part[inner]]
        if any(r is None for r in inner_rows):
            return None
        groups.append(Group(inner, inner_rows))
    return ConditionForm(key, groups)


def parse_value(text: str, op: str, spec: FactSpec | None) -> Any:
    """The typed value of a row: numbers for number questions, a choice's own value, a list
    for 'is one of'. Text that does not fit is kept as typed, so validation can name it."""
    operator = OPERATORS.get(op)
    if operator is not None and operator.takes_list:
        return [_parse_one(part, spec) for part in text.split(",") if part.strip()]
    return _parse_one(text, spec)


def _parse_one(text: str, spec: FactSpec | None) -> Any:
    text = text.strip()
    if spec is None:
        return text
    if spec.type == NUMBER:
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    if spec.type in (CHOICE, CHOICES):
        for choice, label in zip(spec.choices, spec.choice_labels or spec.choices, strict=False):
            if text in (str(choice), str(label)):
                return choice
        return text
    if spec.type == BOOLEAN:
        return {"yes": True, "no": False, "true": True, "false": False}.get(text.lower(), text)
    return text


def to_condition(form: ConditionForm, facts: Mapping[str, FactSpec]) -> dict:
    """The condition data of an editor form (single groups and rows unwrapped)."""
    groups = []
    for group in form.groups:
        rows = []
        for row in group.rows:
            comparison: dict[str, Any] = {"fact": row.fact, "op": row.op}
            if row.takes_value:
                comparison["value"] = parse_value(row.value, row.op, facts.get(row.fact))
            rows.append({"not": comparison} if row.negate else comparison)
        groups.append(rows[0] if len(rows) == 1 else {group.match: rows})
    return groups[0] if len(groups) == 1 else {form.match: groups}


def from_request(values: Mapping[str, str], action: str = "") -> ConditionForm:
    """Read the editor form (and apply an add/remove button) from submitted values."""
    form = ConditionForm(
        match=values.get("match") if values.get("match") in MATCHES else "all", groups=[]
    )
    groups: dict[int, Group] = {}
    rows: dict[tuple[int, int], Row] = {}
    for key, value in values.items():
        if match := _GROUP.match(key):
            groups.setdefault(int(match[1]), Group(rows=[])).match = (
                value if value in MATCHES else "all"
            )
        elif match := _ROW.match(key):
            g, r, part = int(match[1]), int(match[2]), match[3]
            groups.setdefault(g, Group(rows=[]))
            row = rows.setdefault((g, r), Row(op=""))
            if part == "not":
                row.negate = value in ("y", "on", "1", "true")
            else:
                setattr(row, part, str(value)[:500])
    for (g, _r), row in sorted(rows.items()):
        groups[g].rows.append(row)
    form.groups = [groups[g] for g in sorted(groups) if groups[g].rows] or [Group()]
    _apply(form, action)
    return form


def _apply(form: ConditionForm, action: str) -> None:
    parts = action.split(":")
    try:
        numbers = [int(p) for p in parts[1:]]
    except ValueError:
        return
    if parts[0] == "add_row" and numbers and numbers[0] < len(form.groups):
        group = form.groups[numbers[0]]
        if len(group.rows) < MAX_ROWS:
            group.rows.append(Row())
    elif parts[0] == "remove_row" and len(numbers) == 2 and numbers[0] < len(form.groups):
        group = form.groups[numbers[0]]
        if numbers[1] < len(group.rows) and len(group.rows) > 1:
            del group.rows[numbers[1]]
        elif numbers[1] < len(group.rows) and len(form.groups) > 1:
            del form.groups[numbers[0]]
    elif parts[0] == "add_group" and len(form.groups) < MAX_GROUPS:
        form.groups.append(Group())
    elif parts[0] == "remove_group" and numbers and numbers[0] < len(form.groups) > 1:
        del form.groups[numbers[0]]


def operators_for(spec: FactSpec | None) -> list[tuple[str, str]]:
    """(operator, words) that fit a question's type (all of them when none is chosen)."""
    return [
        (op.name, op.words)
        for op in OPERATORS.values()
        if spec is None or spec.type in op.fact_types
    ]
