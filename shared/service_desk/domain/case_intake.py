"""What the contact center sends: a new case, and events on a case — their limits and
vocabularies, and what a case is made of once its message (shared/service_desk/messages/cases.py) has read
the request."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.kernel.domain.events import iso
from shared.kernel.domain.ids import derived_id

PRIORITIES = ("P1", "P2", "P3", "P4")
CHANNELS = ("phone", "chat", "email", "web")
# a sender's clock may run a little ahead of ours; further ahead has not happened yet
# a case reported more than a year after it opened is a data error (and its business-hours
# clocks would count years of calendar days)
OLDEST = timedelta(days=366)
TEXT_LIMIT = 200
NOTE_LIMIT = 2000


@dataclass
class CaseIntake:
    external_id: str
    priority: str
    opened_at: datetime
    account_id: str
    account: dict[str, Any]
    title: str | None = None
    channel: str | None = None
    contact: dict[str, Any] = field(default_factory=dict)
    country: str | None = None  # the account's, for Routing rows on country


def account_id_for(credit_code: str | None, company: str | None, country: str | None) -> str:
    """A stable account id from the credit code, else from company and country (folded: the same
    company typed two ways is one account)."""
    if credit_code:
        return derived_id("ac_", f"credit#{credit_code}")
    folded = " ".join(unicodedata.normalize("NFKC", company or "").casefold().split())
    return derived_id("ac_", f"company#{folded}#{country}")


def case_event_entry(kind: str, at: datetime, by: str, note: str | None, score: int | None) -> dict[str, Any]:
    """One event on a case as its history stores it."""
    entry: dict[str, Any] = {
        "event_id": f"ce_{uuid.uuid4().hex[:16]}",
        "type": kind,
        "at": iso(at),
        "by": by,
        "note": note,
    }
    if kind == "csat":
        entry["score"] = score
    return entry
