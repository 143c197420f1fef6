"""Derived ids (shared/kernel/domain/ids.py): the same key gives the same id within a deployment; another
namespace (a restarted local stack) gives another — the sample finance receiver, still running,
must not take the new stack's invoice for a repeat of the old one's (issue 16)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from shared.customers.domain.contracts import contract_id_for
from shared.fulfilment.domain.orders import invoice_id_for, order_id_for
from shared.kernel.domain import ids
from shared.leads.domain.leads import lead_id_for


@pytest.fixture(autouse=True)
def no_namespace_after() -> Iterator[None]:
    yield
    ids.use_namespace("")


def test_without_a_namespace_ids_are_what_deployed_stacks_always_derived() -> None:
    ids.use_namespace("")
    assert lead_id_for("email#a@b.cn") == "ld_" + hashlib.sha256(b"email#a@b.cn").hexdigest()[:20]


def test_a_namespace_changes_every_id_down_the_chain_and_keeps_them_stable_within_it() -> None:
    def chain() -> tuple[str, str, str]:
        contract = contract_id_for("esign", "env-001")
        order = order_id_for(contract)
        return contract, order, invoice_id_for(order, "order")

    ids.use_namespace("")
    before = chain()
    ids.use_namespace("3f9a0c")
    after = chain()
    assert all(b != a for b, a in zip(before, after, strict=True))
    assert chain() == after  # a retried change derives the same ids
    ids.use_namespace("77d1e2")
    assert chain() != after
