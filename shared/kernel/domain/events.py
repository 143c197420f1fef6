"""Domain events: what happened, told to other systems through the outbox."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

from shared.kernel.domain.event_names import EventType as EventType  # re-exported: the domain names it here

# CONTRACT §4's names and our extensions, generated from the event models (shared/*/messages)
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


# Instants and dates a request may carry (CONTRACT §14): outside these years they are typing
# mistakes or probes, and near the ends of the calendar date arithmetic overflows later.
FIRST_YEAR, LAST_YEAR = 1900, 2200
TIME_EXPECTED = f"must be an ISO 8601 time between {FIRST_YEAR} and {LAST_YEAR}"
DATE_EXPECTED = f"must be a date YYYY-MM-DD between {FIRST_YEAR} and {LAST_YEAR}"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso(moment: datetime) -> str:
    """UTC, second precision... plus milliseconds so events of one request keep their order.
    Always ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (zero-padded, so stored instants sort as text)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def subject_of(kind: str, ident: str) -> str:
    """An aggregate's subject: ``<kind>/<id>`` (``lead/ld_…``), the name events and timers use."""
    return f"{kind}/{ident}"


def subject_parts(subject: str) -> tuple[str, str]:
    """``(kind, id)`` of a subject; ValueError for text that is not ``<kind>/<id>``."""
    kind, slash, ident = subject.partition("/")
    if not (kind and slash and ident):
        raise ValueError(f"not a subject (kind/id): {subject[:80]!r}")
    return kind, ident


def subject_id(subject: str) -> str:
    """The id part of ``<kind>/<id>``."""
    return subject_parts(subject)[1]


# How far ahead of our clock a caller's "when" may be (its clock runs a little fast): the one
# allowance every route's "not in the future" check uses.
CLOCK_SKEW = timedelta(minutes=5)


def in_the_future(moment: datetime, now: datetime) -> bool:
    """Later than ``now`` by more than the clock skew we allow."""
    return moment > now + CLOCK_SKEW


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime (no offset means UTC); ValueError for anything
    else, or for an instant outside FIRST_YEAR..LAST_YEAR. Every request's instants come through
    here, so every route refuses the ends of the calendar alike."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # checked before the offset can overflow
        raise ValueError(f"year {moment.year} is outside {FIRST_YEAR}..{LAST_YEAR}")
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"year {moment.year} (UTC) is outside {FIRST_YEAR}..{LAST_YEAR}")
    return moment


def parse_date(text: str) -> date:
    """A calendar date written ``YYYY-MM-DD`` (exactly), in FIRST_YEAR..LAST_YEAR; ValueError else."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):  # not 2026-W01-1 nor 20261231
        raise ValueError("must be written YYYY-MM-DD")
    day = date.fromisoformat(text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"year {day.year} is outside {FIRST_YEAR}..{LAST_YEAR}")
    return day


@dataclass(frozen=True)
class Event:
    type: EventType
    subject: str
    time: datetime
    data: dict[str, Any]
    rules_version: str | None = None
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")

    def envelope(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "time": iso(self.time),
            "subject": self.subject,
            "rules_version": self.rules_version,
            "data": self.data,
        }
