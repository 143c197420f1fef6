"""An approved quote to sign, made through the sales services on the example rules."""

from __future__ import annotations

from typing import Any

from shared.adapters.memory import MemoryUnitOfWork
from shared.fulfilment.messages.orders import SignatureReport
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import OpportunityNew, QuoteNew
from shared.sales.services.esign import record_signature
from shared.sales.services.opportunities import create_opportunity
from shared.sales.services.quotes import create_quote
from tests.unit.services.helpers import TickingClock, now_of
from tests.unit.services.orders_helpers import CREDIT_CODE

ACCOUNT = {"company": "苏州精工机械", "country": "CN", "credit_code": CREDIT_CODE}


def approved_quote(
    rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, owner: str = "u_wang", **account: Any
) -> dict[str, Any]:
    """An opportunity from scratch and a quote with no discount: approved at once (Discounts row 30)."""
    deal = create_opportunity(
        read(
            OpportunityNew,
            {"name": "Line monitoring", "owner_id": owner, "account": {**ACCOUNT, **account}},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    lines = [{"sku": "IOT-PLAT-STD", "quantity": 2}]
    quote = create_quote(
        read(
            QuoteNew,
            {"opportunity_id": deal["opportunity_id"], "by": owner, "lines": lines},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    assert quote["status"] == "approved", quote
    return quote


def envelope(quote_id: str, envelope_id: str = "env-1", **changes: Any) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "status": "completed",
        "quote_id": quote_id,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        **changes,
    }


def sign_envelope(
    body: dict[str, Any], rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, source: str = "esign"
) -> tuple[int, dict[str, Any]]:
    """The e-sign webhook: the envelope read as the edge reads it, then recorded."""
    return record_signature(read(SignatureReport, body, now=now_of(clock), active=rules), source, rules, store, clock)
