"""How an aggregate's document is stored: JSON, compact and unescaped, in UTF-8.

One encoding, used both by the store (the DynamoDB JSON attribute) and by the size guards, so
a guard measures exactly the bytes DynamoDB counts against its 400 KB item limit. Escaped JSON
(``json.dumps``' default) spends 6 bytes on each CJK character instead of 3.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """The stored text of ``value``: what ``json.loads`` reads back as the same value."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate (JSON allows "\ud800") has no UTF-8 form: keep it escaped
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def stored_size(value: Any) -> int:
    """Bytes ``value`` takes in its item: the UTF-8 length of :func:`dumps`."""
    return len(dumps(value).encode("utf-8"))


__all__ = ["dumps", "stored_size"]
