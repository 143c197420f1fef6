"""E-signature (CONTRACT §2.8): a completed envelope for an approved quote becomes, in one
transaction and once per envelope, the contract (``ContractSigned``, also delivered to the ERP),
the order with the quote's lines (``OrderCreated``, to the ERP), the account with its account
manager, the opportunity won, and the contract's renewal reminders.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.customers.domain.contracts import (
    Contract,
    contract_id_for,
    quote_signed_key,
    signed_entry,
)
from shared.customers.services.account_managers import account_manager_for
from shared.customers.services.renewals import renewed_by, schedule_reminders
from shared.deliveries.domain.deliveries import event_delivery
from shared.fulfilment.services.orders import order_change
from shared.kernel.domain.errors import Conflict, ContractNotFound, QuoteAlreadySigned, QuoteNotApproved, QuoteNotFound
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, Claim, Clock, Save
from shared.rules.domain.active import ActiveRules
from shared.sales.services.ports import SalesWork
from shared.sales.services.stage_moves import win_on_signature

if TYPE_CHECKING:
    from shared.customers.messages.accounts import AccountChange
    from shared.fulfilment.messages.orders import SignatureReport

BUSY = "the contract is being recorded by another request; send it again"


def record_signature(
    signature: SignatureReport, source: str, active: ActiveRules, uow: SalesWork, clock: Clock
) -> tuple[int, dict[str, Any]]:
    """201 with the ids when the contract is created; 200 when this envelope was recorded before
    or its status is not ``completed`` (nothing is created then); 409 ``quote_already_signed``
    when another envelope made the quote's contract. The contract claims its quote in the same
    transaction, so of parallel envelopes for one quote exactly one commits."""
    received = clock()  # absent, it was signed when it came
    if not signature.completed:
        return 200, {"status": "ignored", "envelope_status": signature.status}
    signed_at = signature.signed_at or iso(received)
    contract_id = contract_id_for(source, signature.envelope_id)

    def attempt() -> tuple[int, dict[str, Any]]:
        existing = uow.contracts.get(contract_id)
        if existing is not None:
            return 200, _ids(existing, "recorded")
        _not_signed_yet(signature.quote_id, uow)
        contract, change = _signing(signature, signed_at, source, contract_id, active, uow, clock())
        uow.commit(change)
        return 201, _ids(contract, "created")

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _not_signed_yet(quote_id: str, uow: SalesWork) -> None:
    signed_by = uow.contracts.of_quote(quote_id)
    if signed_by is not None:
        raise QuoteAlreadySigned(
            f"quote {quote_id} is already signed: contract {signed_by}; a quote is signed once",
            fields={"quote_id": f"signed by contract {signed_by}", "contract_id": signed_by},
        )


def _ids(contract: Contract, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "contract_id": contract.contract_id,
        "order_id": contract.order_id,
        "account_id": contract.account_id,
    }


def _signing(
    signature: SignatureReport,
    signed_at: str,
    source: str,
    contract_id: str,
    active: ActiveRules,
    uow: SalesWork,
    now: datetime,
) -> tuple[Contract, Change]:
    quote = uow.quotes.get(signature.quote_id)
    if quote is None:
        raise QuoteNotFound(f"no quote with id {signature.quote_id[:60]!r}", fields={"quote_id": "unknown quote"})
    if quote.status != "approved":
        raise QuoteNotApproved(
            f"quote {quote.quote_id} is {quote.status.replace('_', ' ')}; only an approved quote can be signed",
            fields={"quote_id": f"status is {quote.status}"},
        )
    opportunity = uow.opportunities.get(quote.opportunity_id) if quote.opportunity_id else None
    manager = account_manager_for(quote.account, opportunity, active, uow)
    made = order_change(
        uow,
        active,
        now,
        contract_id=contract_id,
        quote_id=quote.quote_id,
        opportunity_id=quote.opportunity_id,
        account=_buyer(quote.account, manager, active, now),
        lines=[_order_line(line) for line in quote.lines],
        currency=quote.currency,
    )
    contract = Contract(
        contract_id=contract_id,
        source=source,
        envelope_id=signature.envelope_id,
        quote_id=quote.quote_id,
        opportunity_id=quote.opportunity_id,
        account_id=made.account.account_id,
        order_id=made.order.order_id,
        owner_id=quote.owner_id,
        signed_at=signed_at,
        start_date=signature.term[0],
        end_date=signature.term[1],
        amount=quote.amount,
        currency=quote.currency,
        rules_version=active.version,
    )
    contract.note(signed_entry(contract, now))
    timers = schedule_reminders(contract, active, now)
    signed = Event("ContractSigned", contract.subject, now, _signed_data(contract, made.account), active.version)
    change = Change(
        saves=[
            Save(contract, None),
            *(Save(t, None) for t in timers),
            Save(event_delivery(signed.envelope(), "erp", now), None),
        ],
        claims=[Claim(quote_signed_key(quote.quote_id), contract.subject)],
        events=[signed],
    )
    change.merge(made.change)
    if opportunity is not None:  # won by the signature, whatever its stage gates say
        version = opportunity.version
        opportunity.amount = quote.amount  # what was signed is what was won (win rate by amount)
        opportunity.account_id = contract.account_id
        won = win_on_signature(opportunity, contract_id, signed_at, active, now)
        change.merge(Change(saves=[Save(opportunity, version)], events=won))
    # a renewal opportunity's contract renews the one it was opened for: its reminders are cancelled
    change.merge(renewed_by(opportunity, contract_id, uow, signed_at))
    return contract, change


def _buyer(account: dict[str, Any], manager: str | None, active: ActiveRules, now: datetime) -> AccountChange:
    """The quote's customer and its account manager, read as an account change."""
    from shared.customers.messages.accounts import AccountChange
    from shared.kernel.messages.validation import read

    return read(
        AccountChange, {**account, **({"account_manager_id": manager} if manager else {})}, now=now, active=active
    )


def _order_line(line: dict[str, Any]) -> dict[str, Any]:
    quantity = int(line["quantity"])
    amount = Decimal(str(line["amount"]))
    unit = (amount / quantity).quantize(Decimal("0.01")) if quantity else amount
    return {
        "sku": line["sku"],
        "name": line.get("name") or line["sku"],
        "quantity": quantity,
        "unit_price": unit,
        "amount": amount,
    }


def _signed_data(contract: Contract, account: Any) -> dict[str, Any]:
    return {
        "contract_id": contract.contract_id,
        "quote_id": contract.quote_id,
        "opportunity_id": contract.opportunity_id,
        "order_id": contract.order_id,
        "account_id": contract.account_id,
        "account": {"name": account.company, "credit_code": account.credit_code, "country": account.country},
        "amount": contract.amount,
        "annual_value": str(contract.annual_value()),
        "currency": contract.currency,
        "signed_at": contract.signed_at,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "owner_id": getattr(account, "account_manager_id", None),
        "sold_by": contract.owner_id,
    }


def get_contract(contract_id: str, uow: SalesWork) -> dict[str, Any]:
    """``GET /contracts/{id}``: the contract with its history and pending renewal reminders."""
    contract = uow.contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(f"no contract with id {contract_id[:60]!r}")
    return contract.view()


__all__ = ["get_contract", "record_signature"]
