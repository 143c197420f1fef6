"""API keys, scopes and who a key acts as (CONTRACT §12), as pure rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.kernel.domain.access import SCOPES, Caller, api_keys, caller_of, route_scopes
from shared.kernel.domain.errors import Forbidden

owners = st.sampled_from(["u_wang", "u_li", "u_chen", "u_liu"])
paths = st.sampled_from(
    [
        "/leads",
        "/leads/{lead_id}/activities",
        "/cases",
        "/cases/{case_id}/events",
        "/opportunities",
        "/quotes",
        "/approvals/{approval_id}/decision",
        "/accounts/{account_id}",
        "/invoices/{invoice_id}/status",
        "/audit",
        "/privacy/erase",
        "/new/thing",
    ]
)
methods = st.sampled_from(["GET", "POST", "PATCH"])


@given(owner=owners, named=st.one_of(st.none(), st.just(""), owners, st.integers()))
def test_a_personal_key_never_leaves_someone_else_in_the_actor_field(owner: str, named: Any) -> None:
    payload: dict[str, Any] = {} if named is None else {"by": named}
    caller = Caller("phone", frozenset({"sales"}), owner)
    try:
        acting = caller.act_on(payload, "by")
    except Forbidden as refused:
        assert named not in (None, "", owner) and "by" in refused.fields
        return
    assert acting == owner and payload["by"] == owner


@given(named=st.one_of(st.none(), owners))
def test_an_integration_key_acts_for_whoever_the_body_names(named: str | None) -> None:
    payload: dict[str, Any] = {} if named is None else {"by": named}
    caller = Caller("crm", frozenset({"sales"}))
    assert caller.act_on(payload, "by") == named and payload.get("by") == named
    actor = caller.actor(named)
    assert actor["name"] == "crm" and actor.get("on_behalf_of") == named and "key" not in actor


@given(scopes=st.frozensets(st.sampled_from(SCOPES)), method=methods, path=paths)
def test_a_key_is_allowed_exactly_where_it_holds_one_of_the_route_s_scopes(
    scopes: frozenset[str], method: str, path: str
) -> None:
    caller = Caller("k", scopes)
    needed = set(route_scopes(method, path))
    assert "admin" in needed
    if scopes & needed:
        caller.check(method, path)
    else:
        with pytest.raises(Forbidden, match="lacks the scope"):
            caller.check(method, path)


def test_the_defaults_a_new_route_gets() -> None:
    assert route_scopes("GET", "/cases") == ("service", "read", "admin")  # a list route added elsewhere
    assert route_scopes("GET", "/reports/{id}") == ("read", "admin")  # an unknown resource: read
    assert route_scopes("DELETE", "/reports/{id}") == ("admin",)  # ... and admin for a change
    # a route of a new resource may say its scope (functions/api/routes.py Route.scope); a listed one's wins
    assert route_scopes("POST", "/rmas", "finance") == ("finance", "admin")
    assert route_scopes("GET", "/rmas/{rma_id}", "finance") == ("finance", "read", "admin")
    assert route_scopes("POST", "/cases/{case_id}/events", "finance") == ("service", "admin")
    assert Caller("k", frozenset({"finance"})).allowed("POST", "/rmas", "finance")


def test_the_secret_s_entries() -> None:
    keys, problems = api_keys(
        {
            "placeholder": "Qx7dW2mLkP9sVb4nRt6yHc1gFj8aZe3u",
            "ops": "legacy-admin",
            "fin": {"key": "k-fin", "scopes": ["finance"]},
            "wang": {"key": "k-wang", "scopes": ["leads", "sales"], "owner_id": "u_wang"},
            "typo": {"key": "k-typo", "scopes": ["sale"]},
            "empty": {"key": "", "scopes": ["read"]},
            "noscopes": {"key": "k-none"},
        }
    )
    assert {k.caller.name for k in keys} == {"ops", "fin", "wang"}
    assert len(problems) == 3 and all("k-" not in p for p in problems)  # never the key in a message
    assert caller_of("legacy-admin", keys) == Caller("ops", frozenset({"admin"}))
    assert caller_of("k-wang", keys) == Caller("wang", frozenset({"leads", "sales"}), "u_wang")
    for wrong in (None, "", "k-typo", "Qx7dW2mLkP9sVb4nRt6yHc1gFj8aZe3u", "k-fin "):
        assert caller_of(wrong, keys) is None
