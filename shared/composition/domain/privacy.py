"""Privacy (CONTRACT §12, PIPL / GDPR): who a person is to Closeloop, what of them is personal,
and when a lead has been kept long enough.

Pure: the erase service (shared/composition/services/privacy.py) finds the records and writes them; this
module says what a record looks like once the person is gone. Business facts — scores, owners,
amounts, dates, the company — stay, so the KPIs still add up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import parse_iso
from shared.kernel.domain.forms import text_problem
from shared.kernel.domain.normalize import normalize_email, normalize_phone
from shared.leads.domain.leads import Lead
from shared.sales.domain.opportunities import Opportunity

# The fields that say who a person is (CONTRACT §12), wherever they appear: a lead's fields, its
# touches, a case's contact, an opportunity's contact, an event's data. ``phone_ext`` goes with
# ``phone``.
PERSONAL_FIELDS = ("name", "first_name", "last_name", "email", "phone", "phone_ext", "title", "message", "extra")
IdentifierKind = Literal["email", "phone"]
IDENTIFIER_LIMIT = 254


@dataclass(frozen=True)
class Person:
    """One person as capture knows them: the identity key their lead was claimed under."""

    kind: IdentifierKind
    value: str  # normalised as capture stores it: lower-case email, E.164 phone

    @property
    def key(self) -> str:
        """The lead identity claim (shared/leads/domain/leads.py identity_keys) and the cases' contact key."""
        return f"{self.kind}#{self.value}"

    @property
    def digest(self) -> str:
        """SHA-256 of the normalised identifier: what PersonErased records, never the identifier."""
        return hashlib.sha256(self.value.encode("utf-8")).hexdigest()

    @property
    def subject(self) -> str:
        return f"person/{self.digest}"


def person_of(params: Any, default_country: str) -> Person:
    """``{"email": ...}`` or ``{"phone": ...}`` (exactly one), normalised the way capture normalises
    it; ValidationFailed naming the field otherwise."""
    if not isinstance(params, dict):
        raise ValidationFailed(
            "the body must be a JSON object", fields={"email": 'give {"email": ...} or {"phone": ...}'}
        )
    unknown = sorted(str(k) for k in params if k not in ("email", "phone"))
    if unknown:
        raise ValidationFailed(
            f"unknown field {unknown[0][:80]!r}", fields={unknown[0][:80]: 'not a field: give "email" or "phone"'}
        )
    given = [k for k in ("email", "phone") if params.get(k) not in (None, "")]
    if not given:
        raise ValidationFailed("email or phone is required", fields={"email": "email or phone is required"})
    if len(given) > 1:
        raise ValidationFailed("give one of email or phone", fields={"phone": "give email or phone, not both"})
    kind: IdentifierKind = "email" if given[0] == "email" else "phone"
    raw = params[kind]
    if not isinstance(raw, str):
        raise ValidationFailed(f"{kind} must be text", fields={kind: "must be a string"})
    problem = text_problem(raw) or (f"at most {IDENTIFIER_LIMIT} characters" if len(raw) > IDENTIFIER_LIMIT else None)
    if problem:
        raise ValidationFailed(f"{kind} is not valid", fields={kind: problem})
    try:
        value = normalize_email(raw.strip()) if kind == "email" else normalize_phone(raw.strip(), default_country)
    except ValueError as bad:
        raise ValidationFailed(f"{kind} is not valid", fields={kind: str(bad) or "is not valid"}) from None
    return Person(kind, value)


def erased(value: Any) -> tuple[Any, bool]:
    """``value`` with every personal field (at any depth) set to null; and whether anything was
    there to erase (a field already null is not counted: erasing twice changes nothing)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            if key in PERSONAL_FIELDS:
                out[key] = None
                changed = changed or item not in (None, {}, [])
            else:
                out[key], inner = erased(item)
                changed = changed or inner
        return out, changed
    if isinstance(value, list):
        items = [erased(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    return value, False


def erase_lead(lead: Lead, at: str) -> bool:
    """The lead's personal fields null (its touches' messages too), its business facts kept;
    True when there was anything to erase."""
    fields, changed = erased({**{name: None for name in PERSONAL_FIELDS if name != "extra"}, **lead.fields})
    touches, touched = erased(lead.touches)
    changed = changed or touched or bool(lead.extra) or bool(lead.claims)
    lead.fields, lead.touches, lead.extra, lead.claims = fields, touches, {}, []  # its keys are given up
    if changed or not lead.erased_at:
        lead.erased_at = at
    return changed


def erase_contact(contact: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A case's or opportunity's contact with its personal fields null."""
    return erased({"name": None, "email": None, "phone": None, **contact})


def erase_opportunity(opportunity: Opportunity, person_name: str | None) -> bool:
    """The contact carried over from the lead goes; a name that was the person's name becomes the
    company's (or the opportunity's id)."""
    opportunity.contact, changed = erase_contact(opportunity.contact)
    if person_name and opportunity.name == person_name:
        opportunity.name = str(opportunity.account.get("company") or opportunity.opportunity_id)
        changed = True
    return changed


def erase_event_data(subject: str, data: dict[str, Any], person_name: str | None) -> tuple[dict[str, Any], bool]:
    """An event's data without the person. A lead's or case's events lose every personal field;
    an opportunity's only its contact and a name that was the person's (its own name is business)."""
    if not subject.startswith("opportunity/"):
        out, changed = erased(data)
        return dict(out), changed
    out = dict(data)
    changed = False
    if isinstance(out.get("contact"), dict):
        out["contact"], changed = erase_contact(out["contact"])
    if person_name and out.get("name") == person_name:
        out["name"], changed = None, True
    return out, changed


def contact_key(contact: dict[str, Any], region: str) -> str | None:
    """The key a case's contact is found by when their person is erased: ``email#…`` when the
    contact has an email, else ``phone#<E.164>`` (read in ``region``, as capture would), else
    None (nothing to find them by)."""
    email = contact.get("email")
    if isinstance(email, str) and email:
        return f"email#{email}"
    phone = contact.get("phone")
    if isinstance(phone, str) and phone:
        try:
            return f"phone#{normalize_phone(phone, region)}"
        except ValueError:
            return f"phone#{phone}"  # as sent: an erasure by that exact text still finds it
    return None


def last_activity(lead_doc: dict[str, Any]) -> datetime | None:
    """The latest instant anything happened to a lead: captured, touched, worked, behaved, closed,
    changed (``updated_at`` moves with every change)."""
    times: list[str] = []
    for name in ("captured_at", "updated_at", "assigned_at", "first_touch_at", "closed_at"):
        if isinstance(lead_doc.get(name), str):
            times.append(lead_doc[name])
    for log in ("touches", "activities", "behavior_log"):
        for entry in lead_doc.get(log) or []:
            if isinstance(entry, dict) and isinstance(entry.get("at"), str):
                times.append(entry["at"])
    moments = []
    for text in times:
        try:
            moments.append(parse_iso(text))
        except ValueError:
            continue
    return max(moments) if moments else None


def retention_ended(lead_doc: dict[str, Any], days: int | None, now: datetime) -> bool:
    """Settings ``lead_retention_days``: a lead nothing happened to for that many days (and not
    erased already) is due for erasure; None or 0 keeps every lead."""
    if not days or lead_doc.get("erased_at"):
        return False
    last = last_activity(lead_doc)
    return last is not None and last <= now - timedelta(days=days)


__all__ = [
    "PERSONAL_FIELDS",
    "Person",
    "contact_key",
    "erase_contact",
    "erase_event_data",
    "erase_lead",
    "erase_opportunity",
    "erased",
    "last_activity",
    "person_of",
    "retention_ended",
]
