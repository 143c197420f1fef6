"""The service desk's events (CONTRACT §2.5): a case opened, resolved, reopened."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.kernel.messages.event_types import KPI_NEEDS, KPI_READS, EventData, Instant, OwnerId, Priority, described_as


class CaseOpened(EventData):
    """a support case arrived from the contact center (CONTRACT §2.5), was routed and its clocks started"""

    subject = "case/<case_id>"
    case_id: str = Field(description="the case")
    source: str = Field(description="the signed source it came from")
    external_id: str = Field(description="its id in the contact center")
    status: Literal["open"] = Field(description="`open`")
    priority: Priority = Field(description="`P1`–`P4`")
    channel: str | None = Field(description="phone, chat, email, web (or null)")
    account_id: str = Field(description="the stable account id (given, or from the credit code, or company + country)")
    opened_at: Instant = Field(description="when it opened (sent, or the time it arrived)")
    owner_id: OwnerId | None = Field(
        description="who takes it (null when nobody in the team could)", json_schema_extra=KPI_READS
    )
    team: str | None = Field(description="the team (null when nobody could take it)", json_schema_extra=KPI_READS)
    routing_rule: str | None = Field(description="the Routing row (`routing:<priority>`) that chose the team, or null")
    sla: dict[str, Instant] = Field(
        description="clock name → due time (`first_response`, `resolution`, as SLA rows apply)"
    )


class _CaseChange(EventData):
    """What a resolution and a reopening say of the case."""

    subject = "case/<case_id>"
    case_id: str = Field(description="the case")
    at: Instant = Field(description="when it happened", json_schema_extra=KPI_NEEDS)
    by: OwnerId = Field(description="who recorded it")
    owner_id: OwnerId | None = Field(description="the case's owner")
    priority: Priority = Field(description="`P1`–`P4`")
    account_id: str = Field(description="the account")
    first_contact_resolution: bool = Field(description="resolved with exactly one agent contact and never reopened")


class CaseResolved(_CaseChange):
    """a case was resolved"""

    owner_id: OwnerId | None = described_as(_CaseChange.model_fields["owner_id"], KPI_READS)
    first_contact_resolution: bool = described_as(_CaseChange.model_fields["first_contact_resolution"], KPI_NEEDS)


class CaseReopened(_CaseChange):
    """a resolved case was reopened; its resolution clock resumes"""
