"""The clocks' and timers' events (CONTRACT §9, §13): SLA warnings, breaches, escalations, met; timers set aside."""

from __future__ import annotations

from pydantic import Field

from shared.messages.event_types import KPI_NEEDS, KPI_READS, EventData, Instant, OwnerId


class SlaWarning(EventData):
    """an SLA clock reached its `warn_at` share of the target; the owner is told"""

    subject = "lead/<lead_id> or case/<case_id>"
    clock: str = Field(
        description="the clock's name: `first_touch` on a lead; `first_response` or `resolution` on a case"
    )
    kind: str = Field(description="the SLA kind (`lead_first_touch`, `case_first_response`, `case_resolution`)")
    owner_id: OwnerId = Field(description="the lead's or case's owner the clock runs for")
    due_at: Instant = Field(
        description=(
            "when the target is reached (business hours of the SLA row's calendar, or the wall clock; a "
            "case's due time moves with its pauses)"
        )
    )
    sla_row: int = Field(description="the SLA row (1-based, from the top) that set the clock")
    late_seconds: int = Field(description="how late the timer fired (0 when on time)")
    notify: list[OwnerId] = Field(description="who is told: the owner")


class SlaBreached(EventData):
    """an SLA clock passed its target; the first `escalate_to` role up the owner's manager chain is told"""

    subject = "lead/<lead_id> or case/<case_id>"
    clock: str = Field(
        description="the clock's name: `first_touch` on a lead; `first_response` or `resolution` on a case"
    )
    kind: str = Field(
        description="the SLA kind (`lead_first_touch`, `case_first_response`, `case_resolution`)",
        json_schema_extra=KPI_NEEDS,
    )
    owner_id: OwnerId = Field(description="the lead's or case's owner the clock runs for")
    due_at: Instant = Field(
        description=(
            "when the target is reached (business hours of the SLA row's calendar, or the wall clock; a "
            "case's due time moves with its pauses)"
        ),
        json_schema_extra=KPI_READS,
    )
    sla_row: int = Field(description="the SLA row (1-based, from the top) that set the clock")
    late_seconds: int = Field(description="how late the timer fired (0 when on time)")
    role: str = Field(description="the `escalate_to` role told")
    notify: list[OwnerId] = Field(description="the owner_id(s) told (empty if none found)")


class SlaEscalated(EventData):
    """a breached clock stayed open one more full target; the next `escalate_to` role is told"""

    subject = "lead/<lead_id> or case/<case_id>"
    clock: str = Field(
        description="the clock's name: `first_touch` on a lead; `first_response` or `resolution` on a case"
    )
    kind: str = Field(description="the SLA kind (`lead_first_touch`, `case_first_response`, `case_resolution`)")
    owner_id: OwnerId = Field(description="the lead's or case's owner the clock runs for")
    due_at: Instant = Field(
        description=(
            "when the target is reached (business hours of the SLA row's calendar, or the wall clock; a "
            "case's due time moves with its pauses)"
        )
    )
    sla_row: int = Field(description="the SLA row (1-based, from the top) that set the clock")
    late_seconds: int = Field(description="how late the timer fired (0 when on time)")
    role: str = Field(description="the `escalate_to` role told")
    notify: list[OwnerId] = Field(description="the owner_id(s) told (empty if none found)")


class SlaMet(EventData):
    """an SLA clock stopped in time (a lead's first touch; a case's first response or resolution)"""

    subject = "lead/<lead_id> or case/<case_id>"
    clock: str = Field(
        description="the clock's name: `first_touch` on a lead; `first_response` or `resolution` on a case"
    )
    kind: str = Field(
        description="the SLA kind (`lead_first_touch`, `case_first_response`, `case_resolution`)",
        json_schema_extra=KPI_NEEDS,
    )
    owner_id: OwnerId = Field(description="the lead's or case's owner the clock runs for")
    due_at: Instant = Field(
        description=(
            "when the target is reached (business hours of the SLA row's calendar, or the wall clock; a "
            "case's due time moves with its pauses)"
        )
    )
    stopped_at: Instant = Field(
        description="when the clock stopped (the touch's, first response's or resolution's time)",
        json_schema_extra=KPI_READS,
    )


class TimerFailed(EventData):
    """a timer's effect failed for the third time: it is set aside (out of every sweep, an alarm in AWS) until
    `closeloop timers retry` puts it back (CONTRACT §13)"""

    subject = "the lead, case, contract, quote or delivery the timer acts on"
    timer_id: str = Field(description="the timer (`closeloop timers list --failed` shows it)")
    kind: str = Field(description="what it does: `sla_warn`, `sla_breach`, `renewal_reminder`, ...")
    due_at: Instant = Field(description="when it was due")
    failures: int = Field(description="how many times its effect failed (3)")
    error: str = Field(description="the last error (its class and message)")
    set_by: str | None = Field(description="the rule that set it, or null")
