"""Accounts (CONTRACT §2.10, as far as invoicing needs): the customer company, its tax id, its
country and its account manager.

A Chinese invoice (发票) names the buyer by its unified social credit code; an account in
``CN`` without a valid one cannot be invoiced: its invoices wait as blocked (``blocked`` lists
them) until someone supplies the code (``PATCH /accounts/{id}``), which releases them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.kernel.domain.documents import Document
from shared.kernel.domain.forms import text_problem
from shared.kernel.domain.ids import derived_id
from shared.kernel.domain.normalize import credit_code_valid, normalize_country, normalize_credit_code

_ACCOUNT_ID = re.compile(r"^ac_[0-9a-f]{20}$")
TEXT_LIMIT = 200
ADDRESS_LIMIT = 500
TAX_ID_COUNTRIES = ("CN",)  # where an invoice needs the buyer's credit code
PATCHABLE = ("company", "country", "credit_code", "address", "account_manager_id")
APPLIED = ("company", "address", "country", "credit_code", "account_manager_id")  # the order a change is applied in
MAX_HISTORY = 200  # one DynamoDB item: the oldest changes give way


def account_id_for(*, credit_code: str | None = None, company: str | None = None, country: str | None = None) -> str:
    """The id every part of Closeloop derives for one company (cases do the same): from the
    credit code when there is one, else from the company name (folded) and country."""
    if credit_code:
        key = f"credit#{credit_code}"
    elif company and country:
        folded = " ".join(unicodedata.normalize("NFKC", company).casefold().split())
        key = f"company#{folded}#{country}"
    else:
        raise ValueError("an account id needs a credit code, or a company and a country")
    return derived_id("ac_", key)


def is_account_id(text: str) -> bool:
    return bool(_ACCOUNT_ID.match(text))


@dataclass
class Account(Document):
    account_id: str
    company: str
    country: str | None = None
    credit_code: str | None = None
    address: str | None = None
    account_manager_id: str | None = None
    orders: list[str] = field(default_factory=list)  # order ids, oldest first
    blocked: list[dict[str, str]] = field(default_factory=list)  # [{"order_id", "invoice_id"}] waiting for a tax id
    history: list[dict[str, Any]] = field(default_factory=list)  # [{"at", "by", "changes": {field: [old, new]}}]
    # health (CONTRACT §2.10): the signals it is computed from (shared/customers/domain/health_signals.py),
    # the latest computation and one point a day for the trend (shared/customers/domain/health.py)
    signals: dict[str, Any] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=dict)
    health_history: list[dict[str, Any]] = field(default_factory=list)
    # segments (CONTRACT §15): the ledger of its orders RFM is computed from (shared/customers/domain/segments.py),
    # the segment, since when, the RFM it was computed from and the Segments row that matched
    purchases: list[dict[str, Any]] = field(default_factory=list)  # [{"order_id", "at", "amount"}]
    segment: str | None = None
    segment_since: str | None = None
    rfm: dict[str, Any] = field(default_factory=dict)
    segment_row: dict[str, Any] | None = None
    # net promoter answers (nps.py): [{"respondent", "quarter", "score", "at", "comment", "source"}]
    nps_answers: list[dict[str, Any]] = field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def subject(self) -> str:
        return f"account/{self.account_id}"

    @property
    def needs_tax_id(self) -> bool:
        """An invoice to this account would be refused: a Chinese buyer without a valid code."""
        return self.country in TAX_ID_COUNTRIES and not (self.credit_code and credit_code_valid(self.credit_code))

    def invoice_party(self) -> dict[str, Any]:
        """The buyer as an invoice names it (CONTRACT §2.9)."""
        party: dict[str, Any] = {"name": self.company, "credit_code": self.credit_code, "country": self.country}
        if self.address:
            party["address"] = self.address
        return party

    def add_order(self, order_id: str) -> None:
        if order_id not in self.orders:
            self.orders.append(order_id)

    def block(self, order_id: str, invoice_id: str) -> None:
        entry = {"order_id": order_id, "invoice_id": invoice_id}
        if entry not in self.blocked:
            self.blocked.append(entry)

    def apply(self, changes: Mapping[str, Any], at: str, by: str | None) -> dict[str, list[Any]]:
        """Set the given fields; what changed (old, new) goes into the history."""
        changed: dict[str, list[Any]] = {}
        for name, value in changes.items():
            old = getattr(self, name)
            if value is not None and value != old:
                setattr(self, name, value)
                changed[name] = [old, value]
        if changed:
            self.history.append({"at": at, "by": by, "changes": changed})
            del self.history[:-MAX_HISTORY]
            self.updated_at = at
        return changed

    def view(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "company": self.company,
            "country": self.country,
            "credit_code": self.credit_code,
            "address": self.address,
            "account_manager_id": self.account_manager_id,
            "tax_id_missing": self.needs_tax_id,
            "orders": list(self.orders),
            "blocked_invoices": [dict(b) for b in self.blocked],
            "history": list(self.history),
            "open_cases": [
                {"case_id": case_id, "priority": c.get("priority"), "opened_at": c.get("opened_at")}
                for case_id, c in sorted(self.signals.get("cases", {}).items(), key=lambda kv: str(kv[1].get("at")))
            ],
            "health": {**self.health, "history": list(self.health_history)} if self.health else None,
            "segment": self.segment,
            "segment_since": self.segment_since,
            "rfm": dict(self.rfm) if self.rfm else None,
            "segment_row": self.segment_row,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters")
    problem = text_problem(text, multiline=limit > TEXT_LIMIT)
    if problem:
        raise ValueError(problem)
    return text


def account_field(name: str, value: Any, owners: Collection[str]) -> str:
    """One field of an account change, validated and normalised (ValueError: what is wrong).
    ``owners``: the owner ids an account manager may be."""
    if name == "credit_code":
        return normalize_credit_code(value)
    text = _text(value, ADDRESS_LIMIT if name == "address" else TEXT_LIMIT)
    if name == "country":
        return normalize_country(text)
    return _owner(text, owners) if name == "account_manager_id" else text


def _owner(owner_id: str, owners: Collection[str]) -> str:
    if owner_id not in owners:
        raise ValueError(f"{owner_id[:60]!r} is not on the Owners tab")
    return owner_id


__all__ = ["Account", "account_field", "account_id_for", "is_account_id"]
