"""Reading answer values strictly, shared by every instrument.

A value of the wrong type counts as "not answered": booleans are never numbers, and strings
such as ``"1"`` are never read as numbers.
"""

from collections.abc import Callable, Mapping
from typing import Final

#: Looks up one answer by id (a mapping's ``get``).
Get = Callable[[str], object]
_EMPTY: Final[dict[str, object]] = {}


def getter(answers: object) -> Get:
    """The answer lookup of a mapping; anything else reads as no answers at all."""
    if type(answers) is dict or isinstance(answers, Mapping):
        return answers.get  # type: ignore[attr-defined,no-any-return]
    return _EMPTY.get


def int_in(value: object, low: int, high: int) -> int | None:
    """Return value if it is a real int (not bool) within [low, high], else None."""
    if type(value) is not int:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        value = int.__int__(value)  # plain int, whatever the subclass overrides
    return value if low <= value <= high else None


def plain_text(value: object) -> str | None:
    """Return value as a plain str if it is a string, else None."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    return None
