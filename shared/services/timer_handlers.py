"""What each kind of timer does when it fires: one handler per kind, all in one registry."""

from __future__ import annotations

from shared.services import approvals, case_clocks, deliveries, reassignment, renewals, sla_clocks, stage_moves
from shared.services.ports import RulesProvider
from shared.services.timers import Handler


def handlers(rules: RulesProvider) -> dict[str, Handler]:
    """The handlers, given the active rules (SLA rows, calendars) they decide with."""
    return {
        **sla_clocks.handlers(rules),
        **reassignment.handlers(rules),
        **case_clocks.handlers(rules),
        **deliveries.handlers(),
        **stage_moves.handlers(rules),  # opportunity_stalled
        **approvals.handlers(rules),  # approval_timeout
        **renewals.handlers(rules),  # renewal_reminder
    }
