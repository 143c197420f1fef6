"""Contracts over the embedded DynamoDB: saved once per envelope, read back whole, listed by account."""

from __future__ import annotations

from typing import Any

import pytest

from shared.customers.domain.contracts import Contract, contract_id_for
from shared.kernel.services.ports import Change, Save, StaleAggregate


def contract(envelope: str, account: str = "ac_1", end: str = "2027-12-31") -> Contract:
    contract_id = contract_id_for("docusign", envelope)
    return Contract(
        contract_id=contract_id,
        source="docusign",
        envelope_id=envelope,
        quote_id="qt_1",
        opportunity_id="op_1",
        account_id=account,
        order_id="or_1",
        owner_id="u_wang",
        signed_at="2026-12-20T08:00:00.000Z",
        start_date="2027-01-01",
        end_date=end,
        amount="120000.00",
        currency="CNY",
    )


def test_a_contract_is_saved_once_and_listed_by_account(clean_aws: Any) -> None:
    uow = clean_aws.uow
    first, later, other = contract("e-1", end="2027-06-30"), contract("e-2"), contract("e-3", account="ac_2")
    for item in (first, later, other):
        uow.commit(Change(saves=[Save(item, None)]))
    with pytest.raises(StaleAggregate):  # the same envelope again: the contract exists
        uow.commit(Change(saves=[Save(contract("e-1"), None)]))
    stored = uow.contracts.get(first.contract_id)
    assert stored is not None and stored.amount == "120000.00" and stored.version == 1
    assert [c.contract_id for c in uow.contracts.of_account("ac_1")] == [first.contract_id, later.contract_id]
    assert uow.contracts.of_account("ac_9") == [] and uow.contracts.get("ct_nope") is None
