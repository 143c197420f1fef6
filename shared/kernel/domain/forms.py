"""What a form or a webhook sends before it is a lead: the honeypot and text that is safe to keep.

Text is refused rather than repaired: a lone surrogate cannot be encoded as UTF-8 (the lead could
never be read back), control characters break CSV exports, logs and single-line displays, and
bidi overrides make a name or an email look like something else in every admin screen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

HONEYPOT_FIELD = "_hp"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL; tab, LF and CR are allowed in multi-line text only.
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Explicit bidi embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): the
# "Trojan Source" characters. Plain direction marks (U+200E, U+200F) are harmless and allowed.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def is_bot(payload: Mapping[str, Any]) -> bool:
    """True when the honeypot field is present with anything but an empty string or null.

    People never see the field, so any value at all — `0`, `false`, `[]`, `{}`, even `" "` — was
    put there by a program. Only a missing key, `null` or `""` (what a browser sends for an
    untouched hidden input) count as empty.
    """
    if HONEYPOT_FIELD not in payload:
        return False
    value = payload[HONEYPOT_FIELD]
    return not (value is None or (isinstance(value, str) and value == ""))


def has_lone_surrogate(text: str) -> bool:
    """True when `text` is not valid Unicode (a `\\ud800` escape without its pair, from JSON)."""
    return _LONE_SURROGATE.search(text) is not None


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` may not be stored, or None when it may.

    Single-line text (names, emails, codes, field names): no control characters at all (tab and
    line breaks included) and no bidi embeddings, overrides or isolates. Multi-line text (a
    message, free-form values): tab, LF and CR are fine; other control characters are not.
    """
    if has_lone_surrogate(text):
        return "is not valid Unicode text (it has a lone surrogate)"
    if (_CONTROL_MULTILINE if multiline else _CONTROL_SINGLE_LINE).search(text):
        allowed = " other than tab and line breaks" if multiline else ""
        return f"must not contain control characters{allowed}"
    if not multiline and _BIDI_CONTROL.search(text):
        return "must not contain bidirectional override or isolate characters"
    return None


def printable_name(name: str, limit: int = 50) -> str:
    """A field name safe to echo back in an error: escapes for what `text_problem` refuses."""
    if text_problem(name) is None:
        return name[:limit]
    return name.encode("unicode_escape", "backslashreplace").decode("ascii")[:limit]
