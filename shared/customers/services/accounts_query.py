"""list_accounts: ``GET /accounts?segment=S`` (CONTRACT §11, §15), shaped like ``GET /leads``: a
page at a time, newest first (newest in the segment), ``limit`` 1–200 (50), ``cursor`` the
previous page's ``next_cursor``, an unknown parameter → 400 naming it. Read through the accounts'
``by_segment`` index: one Query and one batch read a page, never a table scan."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from shared.customers.domain.accounts import Account, is_account_id
from shared.customers.services.ports import CustomersWork, SegmentPosition
from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import parse_iso
from shared.kernel.services.listing import list_page, parse_limit
from shared.kernel.services.ports import Clock
from shared.leads.services.leads_query import _text_filter

PARAMETERS = ("segment", "limit", "cursor")


def parse_query(params: Mapping[str, str] | None) -> tuple[str, int, SegmentPosition | None]:
    """The segment, the page size and where to start; or one 400 naming every bad parameter."""
    params = dict(params or {})
    errors: dict[str, str] = {}
    for name in params:
        if name not in PARAMETERS:
            errors[name[:50]] = f"unknown parameter; use {', '.join(PARAMETERS)}"
    segment = _text_filter("segment", params.get("segment"), errors)
    if segment is None and "segment" not in errors:
        errors["segment"] = "is required: the segment to list (a Segments row's segment, or unsegmented)"
    limit = parse_limit(params.get("limit"), errors)
    after = None
    if params.get("cursor") is not None:
        try:
            after = decode_cursor(params["cursor"], segment or "")
        except ValueError:
            errors["cursor"] = "is not a cursor this API gave out for this segment; start again without it"
    if errors:
        raise ValidationFailed(f"{len(errors)} query parameter(s) are not valid", fields=errors)
    assert segment is not None
    return segment, limit, after


def encode_cursor(position: SegmentPosition, segment: str) -> str:
    raw = json.dumps({"since": position.segment_since, "id": position.account_id, "segment": segment})
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, segment: str) -> SegmentPosition:
    """ValueError for anything :func:`encode_cursor` did not make for this segment."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = SegmentPosition(str(data["since"]), str(data["id"]))
        parse_iso(position.segment_since)
        same = data["segment"] == segment
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        raise ValueError("not a cursor") from None
    if not same or not is_account_id(position.account_id):
        raise ValueError("not a cursor")
    return position


def account_summary(account: Account) -> dict[str, Any]:
    """An account in a list: the same summary as every account list (shared/composition/services/list_specs.py)."""
    from shared.composition.services.list_specs import ACCOUNTS

    return ACCOUNTS.summary(account)


def list_accounts_page(params: Mapping[str, str] | None, uow: CustomersWork, clock: Clock) -> dict[str, Any]:
    """GET /accounts: every account newest first (CONTRACT §11), or with ``segment`` one segment's,
    newest in it (§15), from the segment index."""
    from shared.composition.services.list_specs import LISTINGS

    if params and "segment" in params:
        return list_accounts(params, uow)
    return list_page(LISTINGS["accounts"], params, uow, clock)


def list_accounts(params: Mapping[str, str] | None, uow: CustomersWork) -> dict[str, Any]:
    """``{"accounts": [summary, ...], "next_cursor": "..." | None}``."""
    segment, limit, after = parse_query(params)
    accounts, position = uow.accounts.in_segment(segment, limit, after)
    cursor = encode_cursor(position, segment) if position else None
    return {"accounts": [account_summary(a) for a in accounts], "next_cursor": cursor}
