"""The clocks' and timers' events (CONTRACT §9, §13): SLA warnings, breaches, escalations, met; timers set aside."""

from __future__ import annotations

from pydantic import Field

from shared.kernel.messages.event_types import KPI_NEEDS, KPI_READS, EventData, Instant, OwnerId, described_as


class _SlaClock(EventData):
    """What every SLA event says of its clock."""

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


class _SlaTimer(_SlaClock):
    """An SLA event a timer fires."""

    sla_row: int = Field(description="the SLA row (1-based, from the top) that set the clock")
    late_seconds: int = Field(description="how late the timer fired (0 when on time)")


class SlaWarning(_SlaTimer):
    """an SLA clock reached its `warn_at` share of the target; the owner is told"""

    notify: list[OwnerId] = Field(description="who is told: the owner")


class SlaBreached(_SlaTimer):
    """an SLA clock passed its target; the first `escalate_to` role up the owner's manager chain is told"""

    kind: str = described_as(_SlaClock.model_fields["kind"], KPI_NEEDS)
    due_at: Instant = described_as(_SlaClock.model_fields["due_at"], KPI_READS)
    role: str = Field(description="the `escalate_to` role told")
    notify: list[OwnerId] = Field(description="the owner_id(s) told (empty if none found)")


class SlaEscalated(_SlaTimer):
    """a breached clock stayed open one more full target; the next `escalate_to` role is told"""

    role: str = Field(description="the `escalate_to` role told")
    notify: list[OwnerId] = Field(description="the owner_id(s) told (empty if none found)")


class SlaMet(_SlaClock):
    """an SLA clock stopped in time (a lead's first touch; a case's first response or resolution)"""

    kind: str = described_as(_SlaClock.model_fields["kind"], KPI_NEEDS)
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
