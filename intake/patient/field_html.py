"""Question fields as the field macro renders them, kept per process while nothing in them is
the patient's.

Rendering a question page's fields is most of the page's template time (the pain map alone
has 22 checkboxes). The field macro (templates/macros/fields.html) is a function of the field's
view and nothing else, and a question nobody has answered yet looks the same to every patient:
its view is the question's text and choices, hidden or not, follow-up or not. So such a field's
HTML is kept, keyed by every value of its view, and comes from the macro itself the first time:
the same HTML as before, by construction. A field showing the patient's own answer or an
error is rendered afresh each time and never kept (no answers linger in memory).
"""

from __future__ import annotations

import threading
from dataclasses import fields
from operator import attrgetter
from typing import Any

from markupsafe import Markup

from intake.forms import ChoiceView, FieldView


class Kept(dict):
    """HTML kept per process: at most `size` entries, then it starts again (emptied). Read
    without a lock; `keep` adds under one."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def keep(self, key: Any, value: Any) -> Any:
        """Add `value` under `key`; `value`."""
        with self._lock:
            if len(self) >= self.size:
                self.clear()
            self[key] = value
        return value


_VIEW_FIELDS = tuple(f.name for f in fields(FieldView))
_view_values = attrgetter(*_VIEW_FIELDS)
_choice_values = attrgetter(*(f.name for f in fields(ChoiceView)))
_CHOICES = _VIEW_FIELDS.index("choices")

#: Fields kept per process (a few hundred questions exist).
_kept = Kept(1024)


def unanswered_field(macro: Any, view: FieldView) -> Markup:
    """`macro(view)`: from the process's copy when `view` holds no answer and no error."""
    if view.values or view.error:
        return macro(view)
    key = (macro, *view_content(view))
    html = _kept.get(key)
    return _kept.keep(key, macro(view)) if html is None else html


def view_content(view: FieldView) -> tuple:
    """Every value of the view (lists as tuples, choices as tuples of their values)."""
    content = list(_view_values(view))
    content[_CHOICES] = tuple(map(_choice_values, view.choices))
    return tuple(tuple(value) if type(value) is list else value for value in content)
