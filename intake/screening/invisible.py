"""Invisible characters in typed text: removed on input and again on output. Pure.

Unicode "format" characters (category Cf) draw nothing, yet change what text looks like or
means: right-to-left overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069) make
"exe.gnp" read as "png.exe"; zero-width spaces and joiners (U+200B–U+200F, U+2060, U+FEFF)
make two names that look the same differ, or hide words. None belongs in a name, a message,
an answer, a note or a rule, so every one of them is dropped, silently.
"""

from __future__ import annotations

import re
from typing import Any

#: Every format character (Unicode category Cf, as of Unicode 15): soft hyphen, Arabic and
#: Syriac marks, zero-width space/joiners and marks, bidi embeddings, overrides and isolates,
#: word joiner and invisible operators, byte-order mark, interlinear annotation, hieroglyph
#: and musical format controls, tag characters. A test checks it against `unicodedata`.
INVISIBLE = re.compile(
    r"[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    r"\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    r"\U000e0020-\U000e007f]"
)


def strip_invisible(text: str) -> str:
    """`text` without its format characters (bidi controls, zero-width characters and the like)."""
    if text.isascii():  # the common case: nothing to look at
        return text
    return INVISIBLE.sub("", text)


def visible(value: Any) -> Any:
    """A template value with its format characters dropped (data stored before they were
    filtered on input); a string keeps its type, so safe markup stays safe markup."""
    if isinstance(value, str) and not value.isascii():
        cleaned = strip_invisible(value)
        return value if cleaned == value else type(value)(cleaned)
    return value
