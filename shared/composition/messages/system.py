"""The system routes (CONTRACT §12): health, this description, the audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.kernel.messages.types import Absent, example
from shared.kernel.services.audit import DEFAULT_SINCE, MAX_DAYS
from shared.leads.services.leads_query import DEFAULT_LIMIT, MAX_LIMIT

SINCE = "a duration back from now (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 time"
Name = Annotated[str, Field(min_length=1, max_length=200)]
EXAMPLE_ENTRY = {
    "id": "evt_0b7e4c1f9a2d4e6b8c0d1e2f3a4b5c6d", "type": "ApprovalDecided", "time": "2026-11-23T02:15:00.000Z",
    "subject": "quote/qt_4c8e2a6f0b1d3e5a7c9f", "rules_version": "v1-3f9a2c7e",
    "data": {"approval_id": "ap_4c8e2a6f0b1d3e5a7c9f_2", "decision": "approve", "by": "u_chen", "role": "director"},
    "actor": {"kind": "api_key", "name": "chen-phone", "owner_id": "u_chen"},
}  # fmt: skip


class Health(BaseModel):
    """up"""

    model_config = example({"status": "ok", "rules_version": "v1-3f9a2c7e"})

    status: Literal["ok"]
    rules_version: str


class Description(BaseModel):
    """the OpenAPI document"""

    model_config = ConfigDict(extra="allow")

    openapi: str
    paths: dict[str, Any]


class AuditFilters(BaseModel):
    """Each entry is an event envelope with its `actor`: which API key (by name, never the key; a personal
    key's `owner_id`, or the person an admin or integration key acted `on_behalf_of`), action link, webhook
    source, schedule or operator made the change. With `subject`: every event of that subject ("who
    approved this discount, with which key, when": `?subject=quote/qt_…`), whoever made it. With `actor`:
    the changes made by that key, link or operator. Neither: every change people made (API keys, links,
    the CLI) and every rules publication — webhooks' and schedules' changes carry their actor and are
    listed by subject. Read from indexes, never a scan."""

    subject: Name | Absent = Field(None, description="one subject's events, e.g. `quote/qt_…`, `lead/ld_…`")
    actor: Name | Absent = Field(
        None, description="one actor's changes, by name (an API key's name, an operator's login)"
    )
    since: Name | Absent = Field(
        None,
        description=f"the window's start: {SINCE}; default all time with a filter, else `{DEFAULT_SINCE}` (at most "
        f"{MAX_DAYS.days} days unfiltered)",
    )
    from_: Name | Absent = Field(
        None, alias="from", description="the window's start as in CONTRACT §12 (the same as `since`)"
    )
    to: Name | Absent = Field(None, description=f"the window's end: {SINCE}; default now")
    limit: Annotated[str, Field(pattern="^[0-9]{1,4}$")] | Absent = Field(
        None, description=f"entries a page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"
    )
    cursor: Annotated[str, Field(max_length=2000)] | Absent = Field(
        None, description="the previous page's `next_cursor`"
    )


class Actor(BaseModel):
    """who made the change"""

    kind: Literal["api_key", "link", "webhook", "cli", "schedule", "system"]
    name: str = Field(description="the key's name (never the key), the source, the schedule, the operator's login")
    owner_id: str | Absent = Field(None, description="a personal key's (or a link's) person")
    on_behalf_of: str | Absent = Field(None, description="the person an admin or integration key named")


class AuditEntry(BaseModel):
    """an event envelope (docs/events.md) with its actor"""

    id: str
    type: str
    time: datetime
    subject: str
    rules_version: str | None = None
    data: dict[str, Any]
    actor: Actor | None = Field(description="who made the change; null on events recorded before actors were")


class AuditPage(BaseModel):
    """a page of the audit"""

    model_config = example({"audit": [EXAMPLE_ENTRY], "next_cursor": None})

    audit: list[AuditEntry]
    next_cursor: str | None = Field(description="null on the last page")
