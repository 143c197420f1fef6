"""The path parameters and request headers of the API, each described once (``{case_id}`` in any route's path is
this model's ``case_id``); the description names each ``components/parameters`` entry after its
field (``case_id`` → ``CaseId``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from shared.customers.messages.accounts import EXAMPLE_ACCOUNT_ID
from shared.fulfilment.messages.orders import EXAMPLE_CONTRACT_ID, EXAMPLE_INVOICE_ID, EXAMPLE_ORDER_ID
from shared.leads.messages.lead_capture import EXAMPLE_LEAD_ID, LEAD_ID_PATTERN
from shared.sales.messages.sales import EXAMPLE_OPPORTUNITY_ID, EXAMPLE_QUOTE_ID
from shared.service_desk.messages.cases import EXAMPLE_CASE_ID


class PathParameters(BaseModel):
    source: str = Field(description="a source of the Sources tab (e.g. `website`, public; `hubspot`, signed)")
    lead_id: str = Field(
        pattern=LEAD_ID_PATTERN, description="the lead's id, as returned by capture", examples=[EXAMPLE_LEAD_ID]
    )
    case_id: str = Field(description="the case's id, as returned when it opened", examples=[EXAMPLE_CASE_ID])
    opportunity_id: str = Field(description="the opportunity's id", examples=[EXAMPLE_OPPORTUNITY_ID])
    quote_id: str = Field(description="the quote's id", examples=[EXAMPLE_QUOTE_ID])
    approval_id: str = Field(
        description="a step's id: `ap_<quote hex>_<step>`", examples=[f"ap_{EXAMPLE_QUOTE_ID[3:]}_1"]
    )
    order_id: str = Field(description="the order's id (`or_…`)", examples=[EXAMPLE_ORDER_ID])
    invoice_id: str = Field(
        description="the invoice's id (`inv_…`), as InvoiceRequested carries it", examples=[EXAMPLE_INVOICE_ID]
    )
    contract_id: str = Field(
        description="the contract's id (`ct_…`), from the e-sign webhook's answer", examples=[EXAMPLE_CONTRACT_ID]
    )
    account_id: str = Field(description="the account's id (`ac_…`)", examples=[EXAMPLE_ACCOUNT_ID])


class HeaderParameters(BaseModel):
    idempotency_key: Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S")] = Field(
        validation_alias="Idempotency-Key",
        description="a repeat with the same key (same source, 24 h) gets the first answer again and changes "
        "nothing; the same key with another body → `409 idempotency_key_reused`. Without it, the same raw body to "
        "the same source within 10 minutes is a repeat. A signed request whose signature (`t`, `v1`) was seen "
        "before is a repeat whatever this header says: the first answer again (a refusal too), nothing changed.",
    )
    origin: str = Field(
        validation_alias="Origin",
        description="sent by browsers; for a public source it must be one of the source's `allowed_origins` (else "
        "`403`; locally `closeloop dev --allow-dev-origins` also admits localhost pages and `null`), and an "
        "allowed one is echoed in `Access-Control-Allow-Origin`, on refusals too",
    )
