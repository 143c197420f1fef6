"""Reading request bodies: size limit, content type, JSON, form or multipart encoding, UTF-8.

Whatever the encoding, the result holds only text that can be stored and sent back: a number
literal too long to mean anything and a string that is not valid Unicode (a lone surrogate
from a `\\ud800` escape) are refused here, naming the field, on every route.
"""

from __future__ import annotations

import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import collapse_rfc2231_value
from typing import Any
from urllib.parse import parse_qsl

from shared.kernel.domain.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.kernel.domain.forms import has_lone_surrogate, printable_name

MAX_BODY_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
MAX_NUMBER_CHARS = 100  # no quantity needs a longer literal; 5,000 digits would hit int()'s limit
JSON_TYPE, FORM_TYPE, MULTIPART_TYPE = "application/json", "application/x-www-form-urlencoded", "multipart/form-data"


def media_type(content_type: str | None) -> str:
    return (content_type or JSON_TYPE).split(";")[0].strip().lower()


def read_body(raw: bytes, content_type: str | None, *, allow_form: bool) -> dict[str, Any]:
    """The posted fields as a dict, or a clear 4xx error."""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}")
    kind = media_type(content_type)
    if kind == MULTIPART_TYPE and allow_form:
        return _checked(_multipart(raw, content_type or ""))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    if kind == JSON_TYPE or kind.endswith("+json"):
        return _checked(_json(text))
    if kind == FORM_TYPE and allow_form:
        try:
            pairs = parse_qsl(
                text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS, errors="strict"
            )
        except UnicodeDecodeError:
            raise BadRequest("the form body has %-escapes that are not UTF-8") from None
        except ValueError:
            raise BadRequest("the form body is not valid (too many fields?)") from None
        return _checked(dict(pairs))
    accepted = f"{JSON_TYPE}, {FORM_TYPE} or {MULTIPART_TYPE}" if allow_form else JSON_TYPE
    raise UnsupportedMediaType(f"content type {kind[:80]!r} is not accepted; send {accepted}")


class _LongNumber:
    """Stands in for a number literal over MAX_NUMBER_CHARS until its field is known."""


def _number(convert: Any) -> Any:
    def parse(literal: str) -> Any:
        return _LongNumber() if len(literal) > MAX_NUMBER_CHARS else convert(literal)

    return parse


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_int=_number(int), parse_float=_number(float)) if text.strip() else None
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None
    except ValueError:  # a conversion limit we did not foresee: still the sender's fault
        raise BadRequest(
            "the body has a value that cannot be read", fields={"body": "has an unreadable value"}
        ) from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


_TOO_LONG = f"has a number longer than {MAX_NUMBER_CHARS} characters"
_NOT_UNICODE = "is not valid Unicode text (it has a lone surrogate)"


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """Refuse, naming each field, numbers too long to mean anything and text that is not Unicode."""
    errors: dict[str, str] = {}
    for key, value in data.items():
        name = printable_name(key) or "body"
        if has_lone_surrogate(key):
            errors[name] = "the field name " + _NOT_UNICODE
            continue
        problem = _problem_in(value)
        if problem:
            errors[name] = problem
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    return data


def _problem_in(value: Any) -> str | None:
    """The first problem anywhere inside a JSON value (walked without recursion: nesting is deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _LongNumber):
            return _TOO_LONG
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return _NOT_UNICODE
        elif isinstance(item, dict):
            for key, inner in item.items():
                if has_lone_surrogate(key):
                    return _NOT_UNICODE
                pending.append(inner)
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    """Text fields of a multipart/form-data body (what `fetch(url, {body: new FormData(form)})` sends).

    The stdlib parser keeps the Lambda free of extra dependencies; it is lenient, so what it
    reports as a defect is refused here.
    """
    if "\r" in content_type or "\n" in content_type:
        raise BadRequest("the Content-Type header is not valid")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("utf-8", "surrogateescape")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    boundary = message.get_boundary()
    if not boundary:
        raise BadRequest("a multipart/form-data body needs a boundary parameter in its Content-Type")
    if raw.strip() == f"--{boundary}--".encode("utf-8", "surrogateescape"):
        return {}  # a FormData with no fields: only the closing boundary
    if message.defects or not message.is_multipart():
        raise BadRequest("the multipart/form-data body is not valid")
    parts = message.get_payload()
    if not isinstance(parts, list):
        raise BadRequest("the multipart/form-data body is not valid")
    if len(parts) > MAX_FORM_FIELDS:
        raise BadRequest(f"the multipart body has more than {MAX_FORM_FIELDS} parts")
    fields: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, Message):
            raise BadRequest("the multipart/form-data body is not valid")
        name, value = _form_part(part)
        fields[name] = value
    return fields


def _form_part(part: Message) -> tuple[str, str]:
    if part.defects or part.is_multipart():
        raise BadRequest("the multipart/form-data body has a part that is not valid")
    if part.get_content_disposition() != "form-data":
        raise BadRequest("every part of a multipart/form-data body needs Content-Disposition: form-data")
    name = _param(part, "name")
    if name is None:
        raise BadRequest("a part of the multipart/form-data body has no field name")
    if part.get_param("filename", header="content-disposition") is not None:
        raise ValidationFailed(
            "1 field(s) are not valid", fields={printable_name(name) or "body": "files are not accepted"}
        )
    payload = part.get_payload(decode=True)
    charset = part.get_content_charset() or "utf-8"
    try:
        value = bytes(payload or b"").decode(charset if charset in ("utf-8", "us-ascii") else "utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "1 field(s) are not valid", fields={printable_name(name) or "body": "is not valid UTF-8 text"}
        ) from None
    return name, value


def _param(part: Message, param: str) -> str | None:
    """A Content-Disposition parameter; browsers send non-ASCII field names as raw UTF-8."""
    value = part.get_param(param, header="content-disposition")
    if value is None:
        return None
    text = collapse_rfc2231_value(value)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        raise BadRequest("a field name in the multipart/form-data body is not valid UTF-8") from None
