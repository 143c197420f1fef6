"""The sales commands (shared/sales/messages/sales.py) name every bad field as the sales parsers did —
including the keys a caller chose inside ``fields``, whatever they look like."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import DATE_EXPECTED
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import ApprovalDecision, OpportunityNew, QuoteNew, StageMove

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
NOT_A_FIELD = "is not an opportunity field: use "


def refused(model: Any, payload: Any, rules: ActiveRules) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(model, payload, now=NOW, active=rules)
    assert str(error.value) == f"{len(error.value.fields)} field(s) are not valid"
    return error.value.fields


@pytest.mark.parametrize("key", ["none", "Budget", "a.B", "OpportunityAccount"])
def test_a_bad_key_in_fields_is_named_as_sent(example_rules: ActiveRules, key: str) -> None:
    fields = refused(StageMove, {"stage": "discovery", "by": "u_wang", "fields": {key: "x"}}, example_rules)
    assert list(fields) == [f"fields.{key}"] and fields[f"fields.{key}"].startswith(NOT_A_FIELD)


def test_a_new_opportunity_names_each_problem(example_rules: ActiveRules) -> None:
    assert refused(OpportunityNew, {"owner_id": "u_nobody", "amount": "lots", "close_date": "soon"}, example_rules) == {
        "name": "a name for the opportunity is required",
        "owner_id": "'u_nobody' is not an owner_id on the Owners tab",
        "account": "an account with at least company is required (or a lead_id)",
        "amount": "must be a number",
        "close_date": DATE_EXPECTED,
    }
    assert refused(
        OpportunityNew, {"name": "x", "owner_id": "u_wang", "account": {"country": "CN"}}, example_rules
    ) == {"account.company": "the customer's company name is required"}
    body = {"name": " x ", "owner_id": " u_wang ", "account": {"company": "Acme"}, "amount": "800,000"}
    made = read(OpportunityNew, {**body, "fields": {"budget": 5}}, now=NOW, active=example_rules)
    assert (made.name, made.owner_id, str(made.amount), made.fields) == ("x", "u_wang", "800000.00", {"budget": "5.00"})


def test_a_stage_move_a_quote_and_a_decision(example_rules: ActiveRules) -> None:
    assert refused(StageMove, {"stage": "lost", "by": "u_wang", "at": "2026-11-21T14:06:00Z"}, example_rules) == {
        "at": "is in the future (now is 2026-11-21T14:00:00.000Z)",
        "reason": "say why the opportunity was lost (required for lost)",
    }
    assert refused(QuoteNew, {"by": "u_wang", "valid_until": "2026-11-20", "lines": []}, example_rules) == {
        "opportunity_id": "the id of the opportunity (op_…) is required",
        "valid_until": "is in the past (today is 2026-11-21)",
    }
    assert refused(ApprovalDecision, {"decision": "maybe", "by": ""}, example_rules) == {
        "decision": "must be approve or reject",
        "by": "an owner_id from the Owners tab is required",
    }
