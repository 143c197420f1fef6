"""What each aggregate's list (CONTRACT §11) filters on and shows: one declaration per aggregate.

A filter is one line here; its stored value is written with the aggregate (the index carries
it), so a new filter on an existing kind lists only what is written after it, until those
aggregates change again.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from shared.kernel.services.listing import Listing, before, choice, flag, list_page, text

if TYPE_CHECKING:  # the CLI builds its parser from these declarations: no domain module loads for that
    from shared.composition.services.ports import AllWork
    from shared.customers.domain.accounts import Account
    from shared.customers.domain.contracts import Contract
    from shared.fulfilment.domain.orders import ListedInvoice, Order
    from shared.kernel.services.ports import Clock
    from shared.sales.domain.opportunities import Opportunity
    from shared.sales.domain.quotes import Quote
    from shared.service_desk.domain.cases import Case

PRIORITIES = ("P1", "P2", "P3", "P4")  # shared/service_desk/domain/case_intake.py's (a test keeps them equal)


def _lazy(module: str, name: str) -> Callable[[str], bool]:
    """A domain id check, imported when first used."""

    def check(text: str) -> bool:
        return bool(getattr(importlib.import_module(module), name)(text))

    return check


is_case_id = _lazy("shared.service_desk.domain.cases", "is_case_id")
is_opportunity_id = _lazy("shared.sales.domain.opportunities", "is_opportunity_id")
is_quote_id = _lazy("shared.sales.domain.quotes", "is_quote_id")
is_order_id = _lazy("shared.fulfilment.domain.orders", "is_order_id")
is_invoice_id = _lazy("shared.fulfilment.domain.orders", "is_invoice_id")
is_account_id = _lazy("shared.customers.domain.accounts", "is_account_id")
is_contract_id = _lazy("shared.customers.domain.contracts", "is_contract_id")


def _same(*words: str) -> dict[str, tuple[str, ...]]:
    return {word: (word,) for word in words}


# ------------------------------------------------------------------ cases


def _case_summary(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "opened_at": case.opened_at,
        "priority": case.priority,
        "status": case.replay().status,
        "title": case.title,
        "account_id": case.account_id,
        "owner_id": case.owner_id,
        "team": case.team,
        "queue": case.queue,
    }


CASES = Listing(
    kind="case",
    plural="cases",
    listed_at=lambda c: c.opened_at,
    id_of=lambda c: c.case_id,
    is_id=is_case_id,
    summary=_case_summary,
    filters=(
        choice(
            "status",
            lambda c: c.replay().status,
            {"open": ("open", "reopened"), "waiting": ("waiting_on_customer",), "resolved": ("resolved",)},
            help="open (being worked, reopened ones too), waiting (on the customer) or resolved",
        ),
        choice("priority", lambda c: c.priority, _same(*PRIORITIES), help="P1 (most urgent) to P4"),
        text("owner_id", lambda c: c.owner_id, help="the agent who has the case, e.g. u_yang"),
        text("team", lambda c: c.team, help="the team it was routed to, e.g. 'Support L2'"),
        text("account_id", lambda c: c.account_id, help="the customer's account, ac_…"),
    ),
    columns=("opened_at", "case_id", "priority", "status", "team", "owner_id", "account_id", "title"),
)


# ------------------------------------------------------------------ opportunities


def _opportunity_summary(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "opportunity_id": opportunity.opportunity_id,
        "created_at": opportunity.created_at,
        "name": opportunity.name,
        "stage": opportunity.stage,
        "status": opportunity.status,
        "owner_id": opportunity.owner_id,
        "account_id": opportunity.account_id,
        "company": opportunity.account.get("company"),
        "amount": opportunity.amount,
        "close_date": opportunity.close_date,
        "current_quote_id": opportunity.current_quote_id,
        "contract_id": opportunity.contract_id,
    }


OPPORTUNITIES = Listing(
    kind="opportunity",
    plural="opportunities",
    listed_at=lambda o: o.created_at,
    id_of=lambda o: o.opportunity_id,
    is_id=is_opportunity_id,
    summary=_opportunity_summary,
    filters=(
        choice("status", lambda o: o.status, _same("open", "won", "lost"), help="open, won or lost"),
        text("stage", lambda o: o.stage, help="a stage of the Stages tab, e.g. discovery"),
        text("owner_id", lambda o: o.owner_id, help="the seller, e.g. u_wu"),
        text("account_id", lambda o: o.account_id, help="the account it was won for (or renews), ac_…"),
    ),
    columns=("created_at", "opportunity_id", "stage", "status", "owner_id", "amount", "name"),
)


# ------------------------------------------------------------------ quotes


def _waiting_on(quote: Quote) -> str | None:
    """The approver of the step the quote waits on now (None once decided)."""
    step = quote.pending_step() if quote.status == "pending_approval" else None
    return str(step["approver_id"]) if step else None


def _quote_summary(quote: Quote) -> dict[str, Any]:
    return {
        "quote_id": quote.quote_id,
        "created_at": quote.created_at,
        "opportunity_id": quote.opportunity_id,
        "status": quote.status,
        "owner_id": quote.owner_id,
        "amount": quote.amount,
        "currency": quote.currency,
        "discount": quote.discount,
        "waiting_on": _waiting_on(quote),
        "valid_until": quote.valid_until,
    }


QUOTES = Listing(
    kind="quote",
    plural="quotes",
    listed_at=lambda q: q.created_at or "",
    id_of=lambda q: q.quote_id,
    is_id=is_quote_id,
    summary=_quote_summary,
    filters=(
        choice("status", lambda q: q.status, _same("pending_approval", "approved", "rejected", "superseded")),
        text("opportunity_id", lambda q: q.opportunity_id, help="the opportunity quoted, op_…"),
        text("approver_id", _waiting_on, help="quotes waiting on this approver"),
    ),
    columns=("created_at", "quote_id", "status", "amount", "currency", "discount", "waiting_on", "opportunity_id"),
)


# ------------------------------------------------------------------ contracts


def _contract_summary(contract: Contract) -> dict[str, Any]:
    return {
        "contract_id": contract.contract_id,
        "signed_at": contract.signed_at,
        "account_id": contract.account_id,
        "status": contract.status,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "amount": contract.amount,
        "currency": contract.currency,
        "owner_id": contract.owner_id,
        "order_id": contract.order_id,
        "on_hold": contract.hold is not None,
    }


CONTRACTS = Listing(
    kind="contract",
    plural="contracts",
    listed_at=lambda c: c.signed_at,
    id_of=lambda c: c.contract_id,
    is_id=is_contract_id,
    summary=_contract_summary,
    filters=(
        text("account_id", lambda c: c.account_id, help="the customer's account, ac_…"),
        choice("status", lambda c: c.status, _same("active", "renewed", "cancelled")),
        before("ending_before", lambda c: c.end_date, help="contracts whose end date is before this date"),
        flag("on_hold", lambda c: c.hold is not None, help="true: the renewal is held by an open P1 case"),
    ),
    since=False,
    columns=("signed_at", "contract_id", "status", "end_date", "amount", "currency", "account_id"),
)


# ------------------------------------------------------------------ orders


def _order_summary(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "created_at": order.created_at,
        "account_id": order.account_id,
        "company": order.account.get("name"),
        "status": order.status,
        "amount": order.amount,
        "currency": order.currency,
        "contract_id": order.contract_id,
        "invoices": len(order.invoices),
    }


ORDERS = Listing(
    kind="order",
    plural="orders",
    listed_at=lambda o: o.created_at,
    id_of=lambda o: o.order_id,
    is_id=is_order_id,
    summary=_order_summary,
    filters=(
        text("account_id", lambda o: o.account_id, help="the buyer's account, ac_…"),
        choice(
            "status",
            lambda o: o.status,
            _same("open", "shipping", "fulfilled", "paid"),
            help="open (nothing shipped), shipping, fulfilled (every line signed for) or paid (and every invoice)",
        ),
    ),
    columns=("created_at", "order_id", "status", "amount", "currency", "account_id", "company"),
)


# ------------------------------------------------------------------ invoices


def _invoice_summary(invoice: ListedInvoice) -> dict[str, Any]:
    return {k: v for k, v in invoice.to_dict().items() if k != "version"}


INVOICES = Listing(
    kind="invoice",
    plural="invoices",
    listed_at=lambda i: i.created_at,
    id_of=lambda i: i.invoice_id,
    is_id=is_invoice_id,
    summary=_invoice_summary,
    filters=(
        choice(
            "status",
            lambda i: i.status,
            {"requested": ("new", "requested"), **_same("blocked", "issued", "paid", "rejected")},
        ),
        text("account_id", lambda i: i.account_id, help="the buyer's account, ac_…"),
    ),
    columns=("created_at", "invoice_id", "status", "amount", "currency", "invoice_number", "order_id", "account_id"),
)


# ------------------------------------------------------------------ accounts


def _below_health(account: Account) -> bool:
    from shared.customers.domain.health import SCORE

    return SCORE in (account.health.get("below") or [])


def _account_summary(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "created_at": account.created_at,
        "company": account.company,
        "country": account.country,
        "account_manager_id": account.account_manager_id,
        "health_score": account.health.get("score"),
        "below_health": _below_health(account),
        "orders": len(account.orders),
        "segment": account.segment,  # CONTRACT §15: GET /accounts?segment= shows the same summary
        "segment_since": account.segment_since,
        "rfm": dict(account.rfm) if account.rfm else None,
    }


ACCOUNTS = Listing(
    kind="account",
    plural="accounts",
    listed_at=lambda a: a.created_at or a.updated_at or "",
    id_of=lambda a: a.account_id,
    is_id=is_account_id,
    summary=_account_summary,
    filters=(
        text("owner_id", lambda a: a.account_manager_id, help="the account manager, e.g. u_xu"),
        flag("below_health", _below_health, help="true: health score under the threshold"),
    ),
    since=False,
    columns=("created_at", "account_id", "company", "country", "account_manager_id", "health_score"),
)


LISTINGS: dict[str, Listing] = {
    listing.plural: listing for listing in (CASES, OPPORTUNITIES, QUOTES, CONTRACTS, ORDERS, INVOICES, ACCOUNTS)
}
BY_KIND: dict[str, Listing] = {listing.kind: listing for listing in LISTINGS.values()}


def list_named(plural: str, params: Mapping[str, str] | None, uow: AllWork, clock: Clock) -> dict[str, Any]:
    """A page of the aggregate listed as ``plural`` (GET /cases, /orders ...: CONTRACT §11)."""
    return list_page(LISTINGS[plural], params, uow, clock)
