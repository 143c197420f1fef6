"""What each kind of timer does when it fires: one handler per kind, all in one registry."""

from __future__ import annotations

from shared.composition.services.ports import AllWork
from shared.customers.services import renewals
from shared.deliveries.services import deliveries
from shared.leads.services import reassignment, sla_clocks
from shared.rules.services.ports import RulesProvider
from shared.sales.services import approvals, stage_moves
from shared.service_desk.services import case_clocks
from shared.time.services.timers import Handler


def handlers(rules: RulesProvider) -> dict[str, Handler[AllWork]]:
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
