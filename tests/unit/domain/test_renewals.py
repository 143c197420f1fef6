"""Whom a renewal reminder tells and who hears of a hold: roles up the account manager's chain."""

from __future__ import annotations

from shared.customers.domain.renewals import hold_escalation, notify_people
from shared.rules.domain.rules import Owner


def person(owner_id: str, role: str, manager_id: str | None = None) -> Owner:
    return Owner(owner_id, owner_id, "T", role, manager_id=manager_id)


OWNERS = {
    o.owner_id: o
    for o in (
        person("u_am", "am", "u_mgr"),
        person("u_mgr", "manager", "u_dir"),
        person("u_dir", "director"),
        person("u_loop", "am", "u_loop2"),
        person("u_loop2", "manager", "u_loop"),
    )
}


def test_am_is_the_account_manager_and_other_roles_are_the_nearest_up_the_chain() -> None:
    assert notify_people("u_am", ["am", "manager", "director"], OWNERS) == ["u_am", "u_mgr", "u_dir"]
    assert notify_people("u_am", ["director", "am", "am"], OWNERS) == ["u_dir", "u_am"]  # each once, in row order


def test_a_role_nobody_holds_up_the_chain_tells_nobody_and_no_account_manager_tells_no_one() -> None:
    assert notify_people("u_am", ["finance", "am"], OWNERS) == ["u_am"]
    assert notify_people(None, ["am", "manager"], OWNERS) == []
    assert notify_people("u_gone", ["am"], OWNERS) == []  # not on the Owners tab (any more)


def test_a_hold_escalates_to_the_account_managers_own_manager() -> None:
    assert hold_escalation("u_am", OWNERS) == ["u_mgr"]
    assert hold_escalation("u_dir", OWNERS) == []  # at the top: nobody above
    assert hold_escalation("u_loop", OWNERS) == ["u_loop2"]  # a loop in manager_id stops the walk
