"""Loading and checking a questionnaire file (YAML): a mistake is refused with a
QuestionnaireFileError naming the step and question. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from intake.screening import conditions
from intake.screening.condition_words import validate_condition
from intake.screening.conditions import FactSpec
from intake.screening.questionnaire_model import (
    CHECKLIST,
    DATE_KIND,
    INTEGER,
    MESSAGE_PLACEHOLDERS,
    MULTI,
    SCALE,
    SINGLE,
    TEXT_KIND,
    YES_NO,
    Choice,
    Part,
    Question,
    Questionnaire,
    QuestionnaireFileError,
    Step,
)

_ID = re.compile(r"[a-z][a-z0-9_]*")
_KEYS = {
    "questionnaire": ({"version", "parts", "steps", "derived", "messages"}, set()),
    "part": ({"id", "title"}, set()),
    "step": ({"id", "title", "section", "part", "questions"}, {"intro", "show_if", "notice"}),
    "question": (
        {"id", "kind", "label"},
        {"hint", "required", "show_if", "error", "summary", "answers_label"},
    ),
    "choice": ({"value", "label"}, {"hint"}),
    "item": ({"id", "label"}, {"hint"}),
    "derived fact": ({"id", "label", "type"}, {"minimum", "maximum", "section"}),
}
#: The keys each kind of question adds to the common ones.
_KIND_KEYS: dict[str, set[str]] = {
    YES_NO: set(),
    SINGLE: {"choices"},
    MULTI: {"choices", "none_label"},
    CHECKLIST: {"items", "none_label"},
    INTEGER: {"minimum", "maximum"},
    SCALE: {"minimum", "maximum", "anchors"},
    TEXT_KIND: {"max_length"},
    DATE_KIND: set(),
}
_QUESTION_KEYS = set().union(*_KIND_KEYS.values())
#: What each key's value must be: (test, words for the error).
_VALUES = {
    **dict.fromkeys(
        (
            *("version", "id", "title", "section", "part", "kind", "label", "type", "error"),
            "answers_label",
        ),
        (lambda v: isinstance(v, str) and v.strip() != "", "non-empty text"),
    ),
    **dict.fromkeys(("intro", "notice", "hint", "none_label"), (lambda v: type(v) is str, "text")),
    **dict.fromkeys(("minimum", "maximum"), (lambda v: type(v) is int, "a whole number")),
    "max_length": (lambda v: type(v) is int and v > 0, "a whole number above 0"),
    **dict.fromkeys(
        ("parts", "steps", "questions", "choices", "items", "derived"),
        (lambda v: isinstance(v, list) and v != [], "a non-empty list"),
    ),
    "messages": (lambda v: isinstance(v, Mapping), "a mapping of message names to wording"),
    "required": (lambda v: type(v) is bool, "true or false"),
    "show_if": (lambda v: isinstance(v, Mapping), "a condition"),
    "summary": (lambda v: isinstance(v, str) and "{answer}" in v, 'text with "{answer}" in it'),
    "anchors": (
        lambda v: isinstance(v, list) and len(v) == 2 and all(type(a) is str for a in v),
        "two texts: [lowest, highest]",
    ),
    # yes/no/on/off unquoted are booleans in YAML; a bool value would never match a form.
    "value": (lambda v: type(v) in (str, int), "text or a whole number (quote yes/no/on/off)"),
}
_FACT_TYPE = {
    YES_NO: conditions.BOOLEAN, SINGLE: conditions.CHOICE, MULTI: conditions.CHOICES,
    INTEGER: conditions.NUMBER, SCALE: conditions.NUMBER, TEXT_KIND: conditions.TEXT,
    DATE_KIND: conditions.DATE,
}  # fmt: skip


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (the second would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in keys:
            if isinstance(key, str) and keys.count(key) > 1:
                line = node.start_mark.line + 1
                raise QuestionnaireFileError(
                    f"The key '{key}' appears twice in the mapping at line {line}"
                )
        return super().construct_mapping(node, deep=deep)


def load_questionnaire(source: str | Mapping[str, Any]) -> Questionnaire:
    """Read and check a questionnaire from YAML text or parsed data; QuestionnaireFileError."""
    if isinstance(source, str):
        try:
            source = yaml.load(source, Loader=_StrictLoader)
        except yaml.YAMLError as error:
            raise QuestionnaireFileError(f"The questionnaire is not valid YAML: {error}") from None
    data = _fields(source, "questionnaire", "The questionnaire")
    messages = _messages(data["messages"])
    derived = {}
    for number, raw in enumerate(data["derived"], 1):
        spec = _derived_fact(raw, f"Derived fact {number}")
        if spec.id in derived:
            raise QuestionnaireFileError(f"Derived fact '{spec.id}' is listed twice")
        derived[spec.id] = spec
    parts = _parts(data["parts"])
    steps = tuple(_step(raw, number) for number, raw in enumerate(data["steps"], 1))
    _check_ids(steps, derived)
    _check_parts(parts, steps)
    dictionary = _fact_specs(steps, derived)
    for step in steps:
        shows = [(f"Step '{step.id}'", step.show_if)]
        shows += [(f"Step '{step.id}', question '{q.id}'", q.show_if) for q in step.questions]
        for where, condition in shows:
            problems = validate_condition(condition, dictionary, f"{where}: the show-if")
            if condition is not None and problems:
                raise QuestionnaireFileError(problems[0])
    return Questionnaire(data["version"], parts, steps, derived, messages, dictionary)


def _fields(raw: Any, what: str, where: str) -> dict[str, Any]:
    """The mapping `raw` after checking its keys (known, required present) and their values."""
    if not isinstance(raw, Mapping):
        raise QuestionnaireFileError(f"{where} must be a mapping of keys to values, not {raw!r}")
    required, optional = _KEYS[what]
    known = required | optional | (_QUESTION_KEYS if what == "question" else set())
    for key in raw:
        if key not in known:
            raise QuestionnaireFileError(
                f"{where} has an unknown key {key!r} (known keys: {', '.join(sorted(known))})"
            )
    for key in sorted(required):
        if key not in raw:
            raise QuestionnaireFileError(f"{where} needs '{key}'")
    for key, value in raw.items():
        test, words = _VALUES[key]
        if not test(value):
            raise QuestionnaireFileError(f"{where}: '{key}' must be {words}, not {value!r}")
    if "id" in raw and not _ID.fullmatch(raw["id"]):
        raise QuestionnaireFileError(f"{where}: the id {raw['id']!r} is not snake_case")
    return dict(raw)


def _messages(raw: Mapping[str, Any]) -> dict[str, str]:
    """The wording by name; one without placeholders is stored as shown ({{ read as {)."""
    for name in [*raw, *MESSAGE_PLACEHOLDERS]:
        if name not in MESSAGE_PLACEHOLDERS or name not in raw:
            problem = "an unknown message" if name in raw else "no message"
            raise QuestionnaireFileError(f"The messages have {problem} {name!r}")
    messages = {}
    for name, wording in raw.items():
        placeholders = MESSAGE_PLACEHOLDERS[name]
        if not isinstance(wording, str):
            raise QuestionnaireFileError(f"The message '{name}' must be text, not {wording!r}")
        try:
            shown = wording.format(**dict.fromkeys(placeholders, ""))
        except (KeyError, IndexError, ValueError) as error:
            allowed = ", ".join(f"{{{p}}}" for p in placeholders) or "none"
            problem = f"a placeholder it cannot use ({error}); it may use {allowed}"
            raise QuestionnaireFileError(f"The message '{name}' has {problem}") from None
        messages[name] = wording if placeholders else shown
    return messages


def _derived_fact(raw: Any, where: str) -> FactSpec:
    data = _fields(raw, "derived fact", where)
    if data["type"] not in (conditions.BOOLEAN, conditions.NUMBER):
        raise QuestionnaireFileError(f"Derived fact '{data['id']}': type must be boolean or number")
    _check_range(data, f"Derived fact '{data['id']}'")
    return FactSpec(**data, origin="derived")


def _parts(raw: list) -> tuple[Part, ...]:
    parts = tuple(Part(**_fields(item, "part", f"Part {n}")) for n, item in enumerate(raw, 1))
    ids = [part.id for part in parts]
    for part_id in ids:
        if ids.count(part_id) > 1:
            raise QuestionnaireFileError(f"Part '{part_id}' is listed twice")
    return parts


def _check_parts(parts: tuple[Part, ...], steps: tuple[Step, ...]) -> None:
    """Each step names a part; the steps of a part come together, parts in the listed order,
    and every part has a step shown to everyone (so the number of parts never changes)."""
    order = [part.id for part in parts]
    seen: list[str] = []
    for step in steps:
        if step.part not in order:
            raise QuestionnaireFileError(
                f"Step '{step.id}' names the unknown part '{step.part}' (parts: {', '.join(order)})"
            )
        if not seen or seen[-1] != step.part:
            if step.part in seen or (seen and order.index(step.part) < order.index(seen[-1])):
                raise QuestionnaireFileError(
                    f"Step '{step.id}': the steps of part '{step.part}' must come together, "
                    "in the order the parts are listed"
                )
            seen.append(step.part)
    for part_id in order:
        if not any(step.part == part_id and step.show_if is None for step in steps):
            raise QuestionnaireFileError(f"Part '{part_id}' has no step shown to everyone")


def _step(raw: Any, number: int) -> Step:
    where = f"Step {raw['id']!r}" if isinstance(raw, Mapping) and "id" in raw else f"Step {number}"
    data = _fields(raw, "step", where)
    questions = tuple(_question(item, where) for item in data.pop("questions"))
    return Step(**data, questions=questions)


def _question(raw: Any, step_where: str) -> Question:
    has_id = isinstance(raw, Mapping) and isinstance(raw.get("id"), str)
    where = f"{step_where}, question {raw['id']!r}" if has_id else f"{step_where}, a question"
    data = _fields(raw, "question", where)
    kind = data["kind"]
    if kind not in _KIND_KEYS:
        raise QuestionnaireFileError(
            f"{where} has the unknown kind {kind!r} (kinds: {', '.join(_KIND_KEYS)})"
        )
    for key in set(data) & (_QUESTION_KEYS - _KIND_KEYS[kind]):
        if key == "choices" and kind != CHECKLIST:
            problem = f"{kind} questions have no choices; only single and multi questions do"
        elif key in ("choices", "items"):
            other = "items" if kind == CHECKLIST else "choices"
            problem = f"a {kind} question lists '{other}', not '{key}'"
        else:
            problem = f"'{key}' does not apply to {kind} questions"
        raise QuestionnaireFileError(f"{where}: {problem}")
    needed = {SINGLE: "choices", MULTI: "choices", CHECKLIST: "items"}.get(kind)
    if needed and needed not in data:
        raise QuestionnaireFileError(f"{where}: a {kind} question needs '{needed}'")
    if kind == SCALE and not {"minimum", "maximum"} <= set(data):
        raise QuestionnaireFileError(f"{where}: a scale needs a minimum and a maximum")
    _check_range(data, where)
    what = "item" if kind == CHECKLIST else "choice"
    choices = tuple(
        _choice(item, what, f"{where}, {what} {number}")
        for number, item in enumerate(data.pop("items", data.pop("choices", ())), 1)
    )
    values = [str(choice.value) for choice in choices]  # forms send them as text
    for value in values:
        if values.count(value) > 1:
            raise QuestionnaireFileError(f"{where}: the {what} {value!r} appears twice")
    if "anchors" in data:
        data["anchors"] = tuple(data["anchors"])
    return Question(**data, choices=choices)


def _choice(raw: Any, what: str, where: str) -> Choice:
    data = _fields(raw, what, where)
    return Choice(data.pop("id", None) if what == "item" else data.pop("value"), **data)


def _check_range(data: Mapping[str, Any], where: str) -> None:
    low, high = data.get("minimum"), data.get("maximum")
    if low is not None and high is not None and low > high:
        raise QuestionnaireFileError(f"{where}: the minimum {low} is more than the maximum {high}")


def _check_ids(steps: tuple[Step, ...], derived: Mapping[str, FactSpec]) -> None:
    """Step ids are unique; question ids and checklist item ids share one namespace; no two
    questions read the same among the answers."""
    step_ids: set[str] = set()
    owner: dict[str, str] = {}  # question or answer id -> where it is defined
    named: dict[str, str] = {}  # the question's words among the answers -> its id
    for step in steps:
        if step.id in step_ids:
            raise QuestionnaireFileError(f"Step '{step.id}' appears twice")
        step_ids.add(step.id)
        for question in step.questions:
            if (twin := named.setdefault(question.label_in_answers, question.id)) != question.id:
                raise QuestionnaireFileError(
                    f"Step '{step.id}', question '{question.id}' reads "
                    f"'{question.label_in_answers}' among the answers, as '{twin}' does: "
                    "give one an answers_label"
                )
            where = f"Step '{step.id}', question '{question.id}'"
            items = question.item_ids if question.kind == CHECKLIST else ()
            for answer_id in (question.id, *items):
                if answer_id in owner:
                    raise QuestionnaireFileError(
                        f"{where}: the id '{answer_id}' is already used by {owner[answer_id]}"
                    )
                owner[answer_id] = f"step '{step.id}', question '{question.id}'"
    for fact_id in derived:
        if fact_id in owner:
            raise QuestionnaireFileError(
                f"Derived fact '{fact_id}' has the id of an answer ({owner[fact_id]})"
            )


def _fact_specs(steps: tuple[Step, ...], derived: Mapping[str, FactSpec]) -> dict[str, FactSpec]:
    entries: dict[str, FactSpec] = {}
    for step in steps:
        for q in step.questions:
            if q.kind == CHECKLIST:
                for choice in q.choices:
                    entries[choice.value] = FactSpec(
                        choice.value, choice.label, conditions.BOOLEAN, section=step.section
                    )
                continue
            entries[q.id] = FactSpec(
                q.id,
                q.label,
                _FACT_TYPE[q.kind],
                choices=tuple(c.value for c in q.choices),
                choice_labels=tuple(c.label for c in q.choices),
                minimum=q.minimum,
                maximum=q.maximum,
                section=step.section,
            )
    return {**entries, **derived}
