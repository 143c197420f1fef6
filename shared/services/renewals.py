"""Renewals (CONTRACT §2.11): reminders scheduled at signing from the Renewals tab.

``schedule_reminders`` is what the e-sign webhook calls in its own Change; what a reminder does
when it fires (alerts up the account manager's chain, the renewal opportunity, the P1 hold) is
the ``renewal_reminder`` timer's handler.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain.contracts import Contract, RenewalRow, renewal_reminders
from shared.domain.timers import Timer
from shared.services.ports import ActiveRules


def renewal_rows(active: ActiveRules) -> list[RenewalRow]:
    return [RenewalRow.from_row(row, n) for n, row in enumerate(active.rules.content.get("Renewals", []), 1)]


def schedule_reminders(contract: Contract, active: ActiveRules, now: datetime) -> list[Timer]:
    """The contract's reminders (past ones skipped); their ids are kept on the contract so a
    renewal or cancellation can cancel them."""
    timers = renewal_reminders(
        contract, renewal_rows(active), active.rules.settings.timezone, now, f"Renewals tab, {active.version}"
    )
    contract.reminders = [t.timer_id for t in timers]
    return timers
