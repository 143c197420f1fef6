"""Who looks after a new customer (CONTRACT §2.8): the account's manager when it has one, else the
first Routing row with ``object`` = ``account`` for its country (weighted round robin in that
row's pool; an account is not open work, so capacity does not apply), else the opportunity's
owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.customers.domain.accounts import Account, account_id_for
from shared.customers.services.ports import CustomersWork
from shared.leads.domain.routing import account_rule, choose_owner, pool_for
from shared.rules.domain.active import ActiveRules


def account_manager_for(
    account: Mapping[str, Any], opportunity: Any, active: ActiveRules, uow: CustomersWork
) -> str | None:
    try:
        account_id = account_id_for(
            credit_code=account.get("credit_code"), company=account.get("company"), country=account.get("country")
        )
    except ValueError:
        account_id = None
    existing = uow.accounts.get(account_id) if account_id else None
    if existing is not None and existing.account_manager_id:
        return str(existing.account_manager_id)
    rule = account_rule(active.rules.routing, account.get("country"))
    if rule is not None:
        pool = pool_for(rule, active.rules)
        if pool.owners:
            turn, _ = uow.leads.next_turn(pool.team, pool.counter_key, [])
            chosen = choose_owner(pool, turn, {})
            if chosen is not None:
                return chosen
    owner = getattr(opportunity, "owner_id", None)
    return str(owner) if owner else None


def segment_manager(account: Account, active: ActiveRules, uow: CustomersWork) -> str | None:
    """When an account enters a segment that a Routing row (``object`` = account) names, that
    row's pool looks after it (CONTRACT §15): a manager already in the pool keeps it; else the
    pool's next owner by weighted round robin. None: keep the manager it has."""
    rule = account_rule(active.rules.routing, account.country, account.segment)
    if rule is None or not rule.segment:
        return None
    pool = pool_for(rule, active.rules)
    if account.account_manager_id in {o.owner_id for o in pool.owners if o.active}:
        return None
    turn, _ = uow.leads.next_turn(pool.team, pool.counter_key, [])
    return choose_owner(pool, turn, {})
