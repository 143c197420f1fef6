"""Lists of aggregates a page at a time (CONTRACT §11): one place for the query parameters, the
limit, the cursor and the page's shape; each aggregate only declares its filters (list_specs.py).

An aggregate is listed newest first by its :attr:`Listing.listed_at` time. What a filter compares
is stored with the aggregate (:func:`stored_listing`), so a list is read from an index of the
filtered values (never a table scan). The page's rows are stored there too: a page is the index
alone, and whole aggregates are read only by those who need them (the Work tab's sections).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.services.list_types import Filter, ListCondition, Listing, ListPage, ListPosition

__all__ = ["Filter", "ListCondition", "ListPage", "ListPosition", "Listing"]  # the shapes, where the machinery is

if TYPE_CHECKING:  # this module is imported to build the CLI's parser: it loads no more than it must
    from shared.kernel.services.ports import Clock, UnitOfWork

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
LIST_SHARDS = 4  # index partitions per aggregate kind: writes of a busy day spread over them
TEXT_LIMIT = 200

_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def text(name: str, of: Callable[[Any], str | None], help: str = "") -> Filter:
    """An id or name, matched exactly."""
    return Filter(name, of, _text, help=help)


def choice(name: str, of: Callable[[Any], str | None], values: Mapping[str, tuple[str, ...]], help: str = "") -> Filter:
    """One of ``values`` (the parameter's word -> the stored values it stands for)."""

    def parse(value: str) -> tuple[str, ...]:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return values[value]

    return Filter(name, of, parse, help=help or f"one of {', '.join(values)}", choices=tuple(values))


def flag(name: str, of: Callable[[Any], bool], help: str = "") -> Filter:
    """``true`` or ``false``; stored as that word."""

    def parse(value: str) -> tuple[str, ...]:
        if value not in ("true", "false"):
            raise ValueError("must be true or false")
        return (value,)

    def stored(aggregate: Any) -> str:
        return "true" if of(aggregate) else "false"

    return Filter(name, stored, parse, help=help or "true or false", choices=("true", "false"))


def before(name: str, of: Callable[[Any], str | None], help: str = "") -> Filter:
    """A date (YYYY-MM-DD); the stored date is earlier."""

    def parse(value: str) -> tuple[str, ...]:
        from shared.kernel.domain.events import DATE_EXPECTED, parse_date

        try:
            return (parse_date(value).isoformat(),)
        except ValueError:
            raise ValueError(DATE_EXPECTED) from None

    return Filter(name, of, parse, "before", help=help or "a date: YYYY-MM-DD")


def _text(value: str) -> tuple[str, ...]:
    from shared.kernel.domain.forms import text_problem

    problem = text_problem(value)
    if problem is None and not value.strip():
        problem = "is empty"
    if problem is None and len(value) > TEXT_LIMIT:
        problem = f"is longer than {TEXT_LIMIT} characters"
    if problem:
        raise ValueError(problem)
    return (value.strip(),)


@dataclass(frozen=True)
class StoredListing:
    """What an aggregate's item carries for its list: the index partition, the sort key, the
    filtered values, and its row in a page (the listing's summary)."""

    shard: str
    key: str
    fields: dict[str, str]
    row: dict[str, Any]


def list_key(at: str, aggregate_id: str) -> str:
    """The index sort key: newest first by time, the id breaking ties (``<time>#<id>``)."""
    return f"{at}#{aggregate_id}"


def shard_of(aggregate_id: str) -> str:
    return str(zlib.crc32(aggregate_id.encode("utf-8")) % LIST_SHARDS)


def stored_listing(listing: Listing, aggregate: Any) -> StoredListing:
    aggregate_id = listing.id_of(aggregate)
    values = {f.name: f.of(aggregate) for f in listing.filters}
    return StoredListing(
        shard_of(aggregate_id),
        list_key(listing.listed_at(aggregate) or "", aggregate_id),
        {name: value for name, value in values.items() if value is not None},
        listing.summary(aggregate),
    )


def matches(fields: Mapping[str, str], conditions: tuple[ListCondition, ...]) -> bool:
    """The conditions as the index applies them (the memory fake and tests use this)."""
    for condition in conditions:
        value = fields.get(condition.field)
        if value is None:
            return False
        if condition.compare == "before" and not value < condition.values[0]:
            return False
        if condition.compare == "match" and value not in condition.values:
            return False
    return True


# ------------------------------------------------------------------ query parameters


@dataclass(frozen=True)
class ListQuery:
    conditions: tuple[ListCondition, ...]
    since: str | None  # the oldest list key wanted (a time), None: from the first
    limit: int
    after: ListPosition | None = None


def parse_since(text: str, now: datetime) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` back from now, or an ISO 8601 time; ValueError otherwise."""
    from shared.kernel.domain.events import parse_iso

    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    return parse_iso(text.strip())


def parse_limit(text: str | None, errors: dict[str, str]) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_LIMIT):
        errors["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
        return DEFAULT_LIMIT
    return int(text)


def unknown_parameters(params: Mapping[str, str], known: tuple[str, ...], errors: dict[str, str]) -> None:
    """A typo like ``owner`` must not silently list everyone's records."""
    for name in params:
        if name not in known:
            errors[name[:50]] = f"unknown parameter; use {', '.join(known)}"


def parse_query(listing: Listing, params: Mapping[str, str] | None, now: datetime) -> ListQuery:
    """The query parameters, or one 400 naming every bad one."""
    params = dict(params or {})
    errors: dict[str, str] = {}
    unknown_parameters(params, listing.parameters, errors)
    conditions = []
    for f in listing.filters:
        if f.name in params:
            try:
                conditions.append(ListCondition(f.name, f.parse(params[f.name]), f.compare))
            except ValueError as exc:
                errors[f.name] = str(exc)
    limit = parse_limit(params.get("limit"), errors)
    since: str | None = None
    after: ListPosition | None = None
    if params.get("cursor") is not None:
        try:  # the listing keeps its first page's window
            after, since = decode_cursor(params["cursor"], listing)
        except ValueError:
            errors["cursor"] = "is not a cursor this API gave out; start again without it"
    elif listing.since and params.get("since") is not None:
        since = _since(params["since"], now, errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} query parameter(s) are not valid", fields=errors)
    return ListQuery(tuple(conditions), since, limit, after)


def _since(text: str, now: datetime, errors: dict[str, str]) -> str | None:
    from shared.kernel.domain.events import iso

    try:
        since = parse_since(text, now)
    except (ValueError, OverflowError):
        errors["since"] = "must be a duration like 30m, 12h, 7d or 2w, or an ISO 8601 time"
        return None
    if since > now:
        errors["since"] = "is in the future"
    return iso(since)


def encode_cursor(position: ListPosition, since: str | None) -> str:
    """Opaque to callers: where the page stopped and the window's start (fixed for the listing)."""
    raw = json.dumps({"at": position.key, "since": since}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, listing: Listing) -> tuple[ListPosition, str | None]:
    """ValueError for anything :func:`encode_cursor` did not make for this kind."""
    from shared.kernel.domain.events import parse_iso

    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key, since = data["at"], data["since"]
        if not isinstance(key, str) or not (since is None or isinstance(since, str)):
            raise ValueError("not a cursor")
        if since is not None:
            parse_iso(since)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError):
        raise ValueError("not a cursor") from None
    at, _, aggregate_id = key.rpartition("#")
    if not at or not listing.is_id(aggregate_id):
        raise ValueError("not a cursor")
    return ListPosition(key), since


# ------------------------------------------------------------------ the page


def list_page(listing: Listing, params: Mapping[str, str] | None, uow: UnitOfWork, clock: Clock) -> dict[str, Any]:
    """``{"<plural>": [summary, ...], "next_cursor": "..." | None}``, newest first."""
    query = parse_query(listing, params, clock())
    page = uow.lists.rows(listing, query.conditions, query.since, query.limit, query.after)
    cursor = encode_cursor(page.after, query.since) if page.after else None
    return {listing.plural: page.items, "next_cursor": cursor}
