"""Reading request bodies: size limit, content type, JSON or form encoding, UTF-8."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from shared.domain.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024
JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"


def media_type(content_type: str | None) -> str:
    return (content_type or JSON_TYPE).split(";")[0].strip().lower()


def read_body(raw: bytes, content_type: str | None, *, allow_form: bool) -> dict[str, Any]:
    """The posted fields as a dict, or a clear 4xx error."""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}")
    kind = media_type(content_type)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    if kind == JSON_TYPE or kind.endswith("+json"):
        try:
            data = json.loads(text) if text.strip() else None
        except (json.JSONDecodeError, RecursionError):
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data
    if kind == FORM_TYPE and allow_form:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=200, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest("the form body has %-escapes that are not UTF-8") from None
        except ValueError:
            raise BadRequest("the form body is not valid (too many fields?)") from None
        return dict(pairs)
    accepted = f"{JSON_TYPE} or {FORM_TYPE}" if allow_form else JSON_TYPE
    raise UnsupportedMediaType(f"content type {kind[:80]!r} is not accepted; send {accepted}")
