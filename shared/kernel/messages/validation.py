"""Reading a command: a request body validated by its message model into one 400 naming every bad
field in CONTRACT §2's words (``"external_id": "is required"``), never pydantic's.

A model's fields say what they accept with the validators below, which raise :func:`refuse` with
the sentence a person reads; what the request is validated against travels in pydantic's validation
context: ``now`` (the business clock's) and ``active`` (the ActiveRules) — :func:`read`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import TIME_EXPECTED, in_the_future, iso, parse_iso
from shared.kernel.domain.forms import text_problem

Message = TypeVar("Message", bound=BaseModel)
REFUSED = "closeloop_refused"  # the error type of a field's own sentence


class Command(BaseModel):
    """A request body as a service takes it. A field left out is read as null, so its own
    validator says what is wrong ("must be one of P1, P2, P3, P4"), and keys it does not name are
    ignored, as they always were."""

    @model_validator(mode="before")
    @classmethod
    def _absent_is_null(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {**{name: None for name in cls.model_fields}, **value}
        return value


def refuse(sentence: str) -> PydanticCustomError:
    """The error a field validator raises: ``sentence`` is what the 400 says of the field."""
    return PydanticCustomError(REFUSED, "{sentence}", {"sentence": sentence})


def read(model: type[Message], payload: Any, *, now: datetime, active: Any = None) -> Message:
    """``payload`` as ``model``, or ValidationFailed naming each bad field (``account.country``).
    ``active``: the ActiveRules the request is read against (who is on the Owners tab, the Stages)."""
    try:
        return model.model_validate(payload, context={"now": now, "active": active})
    except ValidationError as invalid:
        fields: dict[str, str] = {}
        tags = _member_tags(model)
        for error in invalid.errors():
            if error["type"] == "none_required":  # an optional message's "or absent" member: the other says why
                continue
            named = error.get("ctx", {}).get("field") if error["type"] == REFUSED else None
            fields.setdefault(named or _place(error["loc"], tags), _sentence(error))
        raise ValidationFailed(f"{len(fields)} field(s) are not valid", fields=fields) from None


def refuse_within(problems: dict[str, str], value: Any) -> ValidationError:
    """Several refusals inside one field (an object's own fields: ``account.company``), raised by
    that field's validator; their places are relative to the field."""
    errors = [
        InitErrorDetails(type=refuse(sentence), loc=(place,), input=value) for place, sentence in problems.items()
    ]
    return ValidationError.from_exception_data("refused", errors)


@cache
def _member_tags(model: type[BaseModel]) -> frozenset[str]:
    """The class names pydantic puts in an error's place for a union's model member
    (``contact.CaseContact.email``): every message model ``model`` holds, however deep."""
    found: set[str] = set()
    pending: list[Any] = [field.annotation for field in model.model_fields.values()]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                found.add(annotation.__name__)
                pending += [field.annotation for field in annotation.model_fields.values()]
        else:
            pending += list(get_args(annotation))
    return frozenset(found)


def _place(loc: tuple[str | int, ...], tags: frozenset[str]) -> str:
    """A field's name as a 400 says it: ``account.country``, ``lines[0].sku`` (an item's place is
    an index, or a refusal's ``[0]``), the whole body when it has none; pydantic's union member
    tags (``tags``) are not places."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part.startswith("["):
            name += part
        elif part not in tags:
            name += f".{part}" if name else part
    return name or "body"


def _sentence(error: Any) -> str:
    if error["type"] == REFUSED:
        return str(error["ctx"]["sentence"])
    if error["type"] == "missing":
        return "is required"
    return "is not valid"  # a shape no field validator checks first: a model bug, said plainly


def context_of(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


def text(*, limit: int, required: bool = False, multiline: bool = False) -> Callable[[Any], str | None]:
    """Text a person typed: a string (or a whole number), trimmed, at most ``limit`` characters,
    no control characters; empty is absent (or "is required")."""

    def check(value: Any) -> str | None:
        if value is None or value == "":
            if required:
                raise refuse("is required")
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise refuse("must be text")
        trimmed = str(value).strip()
        if not trimmed and required:
            raise refuse("is required")
        if len(trimmed) > limit:
            raise refuse(f"must be at most {limit} characters")
        if problem := text_problem(trimmed, multiline=multiline):
            raise refuse(problem)
        return trimmed or None

    return check


def one_of(values: tuple[str, ...], *, required: bool = False, sentence: str = "") -> Callable[[Any], Any]:
    """Exactly one of ``values`` (or absent, unless ``required``)."""

    def check(value: Any) -> Any:
        if (value is not None or required) and value not in values:
            raise refuse(sentence or f"must be one of {', '.join(values)}")
        return value

    return check


def reading(read_value: Callable[[Any], Any], *, default: Any = None) -> Callable[[Any], Any]:
    """A value read by the domain's own reader (absent: ``default``); its ValueError is the sentence."""

    def check(value: Any) -> Any:
        if value is None:
            return default
        try:
            return read_value(value)
        except ValueError as bad:
            raise refuse(str(bad)) from None

    return check


def owner_on_the_tab(*, limit: int) -> Callable[[Any, ValidationInfo], str]:
    """Someone on the active Owners tab, by owner_id (a sales request's ``owner_id`` or ``by``)."""
    return someone_on_the_tab("an owner_id from the Owners tab is required", limit=limit)


def an_object(what: str, *, required: bool = False) -> Any:
    """A JSON object (a nested message), else ``what``."""

    def check(value: Any) -> Any:
        if (value is not None or required) and not isinstance(value, dict):
            raise refuse(what)
        return value

    return BeforeValidator(check)


def moment(oldest: timedelta | None = None) -> Callable[[Any, ValidationInfo], datetime | None]:
    """An ISO 8601 time, not in the future (the clock skew allowed) and, with ``oldest``, not
    further back than that from the context's ``now``; absent is None (the caller's now)."""

    def check(value: Any, info: ValidationInfo) -> datetime | None:
        if value is None or value == "":
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            at = parse_iso(value)
        except ValueError:
            raise refuse(TIME_EXPECTED) from None
        now: datetime = context_of(info)["now"]
        if in_the_future(at, now):
            raise refuse(f"is more than 5 minutes in the future (now is {iso(now)})")
        if oldest is not None and at < now - oldest:
            raise refuse(f"is more than a year ago (now is {iso(now)})")
        return at

    return check


# ------------------------------------------------------------------ leads


def someone_on_the_tab(required: str, *, limit: int | None = None) -> Callable[[Any, ValidationInfo], str]:
    """Someone on the active Owners tab, by owner_id (trimmed); ``required``: what a missing (or,
    with ``limit``, too long) one is told. An inactive owner is still someone."""

    def check(value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str) or not value.strip() or (limit is not None and len(value) > limit):
            raise refuse(required)
        if problem := text_problem(value):
            raise refuse(problem)
        if value.strip() not in context_of(info)["active"].rules.owners:
            raise refuse(f"{value.strip()[:60]!r} is not an owner_id on the Owners tab")
        return value.strip()

    return check


# ------------------------------------------------------------------ refusals gathered by a model
# (a model validator naming keys the model does not have along with its fields' own refusals)


def refused_field(name: str, sentence: str) -> InitErrorDetails:
    """A refusal that names its field outright: a key the model has no field for (``Company``)."""
    return InitErrorDetails(
        type=PydanticCustomError(REFUSED, "{sentence}", {"sentence": sentence, "field": name}), loc=(), input=None
    )


def refusals_of(invalid: ValidationError) -> list[InitErrorDetails]:
    """What a model's own validation refused, in our sentences, to raise again with more."""
    return [
        InitErrorDetails(
            type=PydanticCustomError(REFUSED, "{sentence}", {**error.get("ctx", {}), "sentence": _sentence(error)}),
            loc=error["loc"],
            input=error.get("input"),
        )
        for error in invalid.errors()
    ]


def refusals(details: list[InitErrorDetails]) -> ValidationError:
    """Several refusals at once, each at its own place (or naming its field)."""
    return ValidationError.from_exception_data("refused", details)


# ------------------------------------------------------------------ a webhook's moment


def said_at(value: Any, info: ValidationInfo) -> str | None:
    """When a report says something happened, as ISO text: an ISO 8601 time, not in the future
    (the clock skew allowed); absent: None (the service's now). A PlainValidator."""
    if value is None:
        return None
    now: datetime = context_of(info)["now"]
    try:
        moment = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise refuse(TIME_EXPECTED)
    if in_the_future(moment, now):
        raise refuse(f"is in the future (now is {iso(now)})")
    return iso(moment)
