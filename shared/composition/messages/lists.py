"""The lists of CONTRACT §11: one page of an aggregate, newest first — each list's filters (read from
its declaration in shared/composition/services/list_specs.py) and what it shows of each item."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from shared.composition.services.list_specs import LISTINGS
from shared.kernel.messages.types import Absent, declared, example, one_of
from shared.kernel.services.listing import DEFAULT_LIMIT, MAX_LIMIT, Listing

S, T, D, N = str | None, datetime | None, date | None, float | None
I = Annotated[int, Field(ge=0)]  # noqa: E741 (the column letters above)
PAGE = (
    "Read from the aggregate's list index (never a table scan). Filters combine; an unknown query parameter is a "
    "`400` naming it. With `cursor`, the first page's window is kept; pass the same filters. The last page's "
    "`next_cursor` is null."
)
# what each list shows of one aggregate (the summary functions of list_specs.py; a test keeps them in step)
SHOWN: dict[str, dict[str, Any]] = {
    "cases": {"case_id": S, "opened_at": T, "priority": S, "status": S, "title": S, "account_id": S, "owner_id": S,
              "team": S, "queue": S},
    "opportunities": {"opportunity_id": S, "created_at": T, "name": S, "stage": S, "status": S, "owner_id": S,
                      "account_id": S, "company": S, "amount": S, "close_date": D, "current_quote_id": S,
                      "contract_id": S},
    "quotes": {"quote_id": S, "created_at": T, "opportunity_id": S, "status": S, "owner_id": S, "amount": S,
               "currency": S, "discount": S, "waiting_on": S, "valid_until": S},
    "contracts": {"contract_id": S, "signed_at": T, "account_id": S, "status": S, "start_date": D, "end_date": D,
                  "amount": S, "currency": S, "owner_id": S, "order_id": S, "on_hold": bool},
    "orders": {"order_id": S, "created_at": T, "account_id": S, "company": S, "status": S, "amount": S,
               "currency": S, "contract_id": S, "invoices": I},
    "invoices": {"invoice_id": S, "order_id": S, "account_id": S, "status": S, "amount": S, "currency": S,
                 "created_at": T, "requested_at": T, "invoice_number": S, "due_date": D, "blocked_reason": S},
    "accounts": {"account_id": S, "created_at": T, "company": S, "country": S, "account_manager_id": S,
                 "health_score": N, "below_health": bool, "orders": I, "segment": S, "segment_since": T,
                 "rfm": dict[str, Any] | None},
}  # fmt: skip
# GET /accounts also reads one customer segment (CONTRACT §15, the accounts' by_segment index)
SEGMENT = {
    "segment": (Annotated[str, Field(min_length=1, max_length=200)] | Absent, Field(None, description="the segment"))
}
SEGMENT_NOTE = " With `segment`: the accounts of one customer segment (CONTRACT §15), newest in it first."


def title(plural: str) -> str:
    return "".join(part.title() for part in plural.split("_"))


def _filters(listing: Listing) -> type[BaseModel]:
    fields: dict[str, Any] = {
        f.name: (
            Annotated[str, one_of(f.choices) if f.choices else Field(min_length=1)] | Absent,
            Field(None, description=f.help or f"only {listing.plural} with this {f.name}"),
        )
        for f in listing.filters
    }
    if listing.since:
        since = "how far back: a duration (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 time; default: from the first"
        fields["since"] = (str | Absent, Field(None, description=since))
    fields["limit"] = (
        Annotated[int, Field(ge=1, le=MAX_LIMIT)] | Absent,
        Field(None, description=f"{listing.plural} per page (default {DEFAULT_LIMIT})"),
    )
    fields["cursor"] = (str | Absent, Field(None, description="the previous page's `next_cursor`"))
    segment = listing.plural == "accounts"
    name, doc = f"{title(listing.plural)}Filters", PAGE + (SEGMENT_NOTE if segment else "")
    return declared(name, fields | (SEGMENT if segment else {}), doc)  # type: ignore[no-any-return]


def _page(plural: str, shown: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {plural: (list[shown], ...), "next_cursor": (str | None, ...)}  # type: ignore[valid-type]
    page: type[BaseModel] = declared(f"{title(plural)}List", fields, f"a page of {plural}")
    page.model_config.update(example({plural: [], "next_cursor": None}))
    return page


SUMMARIES: dict[str, type[BaseModel]] = {
    plural: declared(f"{title(plural)}Summary", {name: (kind, ...) for name, kind in fields.items()})
    for plural, fields in SHOWN.items()
}
FILTERS = {plural: _filters(listing) for plural, listing in LISTINGS.items()}
PAGES = {plural: _page(plural, SUMMARIES[plural]) for plural in LISTINGS}
globals().update({model.__name__: model for model in (*FILTERS.values(), *PAGES.values())})  # "lists:CasesList"
