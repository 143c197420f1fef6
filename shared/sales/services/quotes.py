"""Quotes (CONTRACT §2.7): priced from the Products tab, checked against the discount matrix,
their approval chain resolved up the owner's manager chain; a newer quote for the same
opportunity supersedes the previous one and cancels its open steps. One Change: the quote, the
opportunity (which quote is current), the superseded quote, timers, alerts and events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.kernel.domain.errors import Conflict, InvalidTransition, NoDiscountRule, OpportunityNotFound, QuoteNotFound
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.rules.domain.active import ActiveRules
from shared.sales.domain.discounts import discounts_of, first_match
from shared.sales.domain.opportunities import Opportunity, is_opportunity_id
from shared.sales.domain.pricing import Priced, money, price_lines, products_of, share
from shared.sales.domain.quotes import Quote, is_quote_id, new_quote_id, resolve_steps
from shared.sales.services.approvals import settled
from shared.sales.services.ports import SalesWork

if TYPE_CHECKING:  # read at the edge (shared/kernel/messages/validation.py: read)
    from shared.sales.messages.sales import QuoteNew

BUSY = "this opportunity's quotes are being changed by many requests at once; please retry"
REPLACEABLE = ("pending_approval", "approved")  # a rejected quote stays rejected


def create_quote(command: QuoteNew, active: ActiveRules, uow: SalesWork, clock: Clock) -> dict[str, Any]:
    """``POST /quotes`` → ``201`` with the quote: ``approved`` at once when the matching
    Discounts row names no approvers, else ``pending_approval`` with its first step asked."""
    priced = price_lines(command.lines, products_of(active))
    rule = first_match(discounts_of(active), priced.amount, priced.discount)  # the discount shown
    if rule is None:
        raise NoDiscountRule(
            f"no Discounts row matches an amount of {money(priced.amount)} with a discount of "
            f"{share(priced.discount)}; publish a Discounts tab whose last row has empty bounds"
        )

    def attempt() -> dict[str, Any]:
        opportunity = _opportunity(command.opportunity_id, uow)
        version, now = opportunity.version, clock()
        quote = _new_quote(opportunity, priced, command, active, now)
        quote.rule = rule.to_dict()
        quote.steps = resolve_steps(quote.quote_id, opportunity.owner_id, rule, active.rules.owners)
        if not quote.steps:
            quote.status = "approved"
        change = Change(saves=[Save(quote, None), Save(opportunity, version)])
        change.merge(_supersede(opportunity, quote, uow, active, now))
        opportunity.add_quote(quote.quote_id)
        opportunity.updated_at = iso(now)
        follow = settled(quote, active, now)  # the first step asked, or approved at once
        created = {
            **quote.summary(),
            "owner_id": quote.owner_id,
            "created_by": quote.created_by,
            "lines": quote.lines,
            "approval": quote.approval(),
            "supersedes": _previous(change),
        }
        change.events.insert(0, Event("QuoteCreated", quote.subject, now, created, rules_version=active.version))
        change.merge(follow)
        uow.commit(change)
        return quote.view()

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _opportunity(opportunity_id: str, uow: SalesWork) -> Opportunity:
    opportunity = uow.opportunities.get(opportunity_id) if is_opportunity_id(opportunity_id) else None
    if opportunity is None:
        raise OpportunityNotFound(f"no opportunity with id {opportunity_id[:60]!r}")
    if not opportunity.is_open:
        raise InvalidTransition(
            f"the opportunity is {opportunity.status}; a closed opportunity takes no new quote",
            fields={"opportunity_id": f"the opportunity is {opportunity.status}"},
        )
    return opportunity


def _new_quote(
    opportunity: Opportunity, priced: Priced, command: QuoteNew, active: ActiveRules, now: datetime
) -> Quote:
    return Quote(
        quote_id=new_quote_id(),
        opportunity_id=opportunity.opportunity_id,
        owner_id=opportunity.owner_id,
        created_by=command.by,
        currency=active.rules.settings.currency,
        lines=priced.lines,
        list_total=money(priced.list_total),
        amount=money(priced.amount),
        discount=share(priced.discount),
        account=dict(opportunity.account),
        valid_until=command.valid_until.isoformat() if command.valid_until else None,
        rules_version=active.version,
        created_at=iso(now),
        updated_at=iso(now),
        history=[{"at": iso(now), "what": "created", "by": command.by, "rules_version": active.version}],
    )


def _supersede(opportunity: Opportunity, quote: Quote, uow: SalesWork, active: ActiveRules, now: datetime) -> Change:
    """The opportunity's current quote, if still pending or approved, is superseded: its open
    steps are cancelled with their time-out timers."""
    previous = uow.quotes.get(opportunity.current_quote_id) if opportunity.current_quote_id else None
    if previous is None or previous.status not in REPLACEABLE:
        return Change()
    version = previous.version
    cancel = previous.cancel_open_steps(iso(now), active.version, f"superseded by {quote.quote_id}")
    previous.status, previous.superseded_by, previous.updated_at = "superseded", quote.quote_id, iso(now)
    previous.note({"at": iso(now), "what": "superseded", "by_quote": quote.quote_id, "rules_version": active.version})
    return Change(saves=[Save(previous, version)], deletes=[f"timer/{t}" for t in cancel])


def _previous(change: Change) -> str | None:
    return next(
        (s.aggregate.quote_id for s in change.saves if isinstance(s.aggregate, Quote) and s.expected_version), None
    )


def get_quote(quote_id: str, uow: SalesWork) -> dict[str, Any]:
    quote = uow.quotes.get(quote_id) if is_quote_id(quote_id) else None
    if quote is None:
        raise QuoteNotFound(f"no quote with id {quote_id[:60]!r}")
    return quote.view()
