"""HTTP plumbing shared by every blueprint: rendering form pages, reading common arguments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask import render_template, request


def form_page(template: str, errors: Sequence[Any] = (), **context: Any) -> str | tuple[str, int]:
    """Render a page with a form; 422 when it shows errors, so a failed POST is not a 200."""
    html = render_template(template, errors=list(errors), **context)
    return (html, 422) if errors else html


def page_number() -> int:
    """?page=N, from 1 to 99,999; anything else is page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if re.fullmatch(r"[0-9]{1,5}", raw) and int(raw) > 0 else 1
