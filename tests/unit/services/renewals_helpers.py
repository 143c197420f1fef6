"""Signed contracts for renewal tests, made as the e-sign webhook makes them (CONTRACT §2.8):
the account upserted, the contract saved with its reminders from ``schedule_reminders``, one
Change. The webhook itself lands on main; this stands in for it."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from shared.customers.domain.contracts import Contract, contract_id_for, signed_entry
from shared.customers.services.accounts import upsert_account
from shared.customers.services.renewals import schedule_reminders
from shared.fulfilment.services.ports import OrdersWork
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Save
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet
from tests.unit.services.orders_helpers import ACME, CREDIT_CODE, buyer

P1_CASE = {"external_id": "c-1", "priority": "P1", "subject": "Line down", "account": {"credit_code": CREDIT_CODE}}


def sign_contract(
    uow: OrdersWork,
    active: ActiveRules,
    signed_at: datetime,
    *,
    envelope: str = "env-1",
    end_date: str = "2027-12-31",
    start_date: str = "2027-01-01",
    amount: str = "120000.00",
    account: dict[str, Any] | None = None,
) -> Contract:
    customer, account_save = upsert_account(uow, buyer(account or ACME, active, signed_at), active, signed_at)
    contract = Contract(
        contract_id=contract_id_for("docusign", envelope),
        source="docusign",
        envelope_id=envelope,
        quote_id=f"qt_{envelope}",
        opportunity_id=f"op_{envelope}",
        account_id=customer.account_id,
        order_id=f"or_{envelope}",
        owner_id="u_wu",
        signed_at=iso(signed_at),
        start_date=start_date,
        end_date=end_date,
        amount=amount,
        currency="CNY",
        rules_version=active.version,
    )
    contract.history.append(signed_entry(contract, signed_at))
    timers = schedule_reminders(contract, active, signed_at)
    uow.commit(Change(saves=[account_save, Save(contract, None), *(Save(t, None) for t in timers)]))
    return contract


def with_renewals(active: ActiveRules, rows: list[dict[str, Any]], version: str, **settings: str) -> ActiveRules:
    """The rules with another Renewals tab (and Settings values), as a new version."""
    content = copy.deepcopy(active.rules.content)
    content["Renewals"] = rows
    for key, value in settings.items():
        content["Settings"] = [r for r in content["Settings"] if r["key"] != key] + [{"key": key, "value": value}]
    rules = RuleSet.from_content(content, version)
    return ActiveRules(rules)
