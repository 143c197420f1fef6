"""Privacy (CONTRACT §12, PIPL / GDPR): erase and export a person, found by email or phone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.composition.domain.privacy import IDENTIFIER_LIMIT
from shared.kernel.messages.types import Absent, example

Identifier = Annotated[str, Field(min_length=1, max_length=IDENTIFIER_LIMIT)]
Count = Annotated[int, Field(ge=0)]
Records = list[dict[str, Any]]
IDENTIFIER = (
    "Exactly one of `email` or `phone`, normalised as lead capture does (email: NFKC, lower case; phone: "
    "E.164, a national number read in Settings `default_country`)."
)
ERASED = (
    " The person's lead and case contacts lose their personal fields (`name`, `first_name`, `last_name`, "
    "`email`, `phone`, `title`, `message`, `extra` become null); the lead's identity keys are given up (a later "
    "post of that email creates a new lead, with a new id); the recorded events of the lead, its opportunity "
    "and the cases lose the same fields; pending alerts about them are cancelled and our copies of sent ones "
    "say `[erased]`. Scores, owners, amounts, dates and the company stay, so the KPIs still add up. Records "
    "`PersonErased` with a SHA-256 of the normalised identifier, never the identifier. Found through the "
    "identity key, the cases' `by_contact` index and the events' `by_subject` index — never a scan. Copies "
    "already delivered (ERP, finance, chat, email) are out of reach: see docs/security.md."
)
EXPORTED = (
    " The lead, its opportunity, the cases whose contact it is, every recorded event of those, and the alerts "
    "about them. Read from indexes, never a scan; an unknown person is an empty document, not a 404 (whether "
    "someone is known is itself personal data only a `privacy` key may ask)."
)


class PersonToErase(BaseModel):
    model_config = example(
        {"email": "zhang.wei@example.cn"},
        description=IDENTIFIER + ERASED,
        oneOf=[{"required": ["email"]}, {"required": ["phone"]}],
    ) | ConfigDict(extra="forbid")

    email: Identifier | Absent = Field(None, description="the person's email")
    phone: Identifier | Absent = Field(None, description="the person's phone, any common format")


class PersonToExport(BaseModel):
    model_config = example(None, description=IDENTIFIER + EXPORTED)

    email: Identifier | Absent = Field(None, description="the person's email")
    phone: Identifier | Absent = Field(None, description="the person's phone")


class ErasedCounts(BaseModel):
    """records that still held something personal: zeros when erased again"""

    leads: Count
    cases: Count
    events: Count


class Erased(BaseModel):
    """erased (again: the same answer with zeros)"""

    model_config = example({"erased": {"leads": 1, "cases": 2, "events": 14}})

    erased: ErasedCounts


class PersonExport(BaseModel):
    """the person's records"""

    person: dict[str, Any] = Field(description="the identifier asked for, normalised")
    exported_at: datetime
    identity_keys: list[str] = Field(description="the dedupe keys the person's lead holds (`email#…`, `phone#…`)")
    leads: Records = Field(description="as `GET /leads/{id}`")
    cases: Records = Field(description="as `GET /cases/{id}`")
    opportunities: Records = Field(description="the opportunity the lead became, with the contact carried over")
    events: Records = Field(description="every recorded event of those records: id, type, time, subject, data")
    deliveries: Records = Field(description="alerts (and ERP/finance deliveries) about those records")
