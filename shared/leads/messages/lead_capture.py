"""Lead capture (CONTRACT §2.1): the lead a web form or a marketing tool posts — as JSON, or as a
browser form (text only, with a redirect) — and what the capture answers. A lead's limits are
normalize.py's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.kernel.domain.forms import HONEYPOT_FIELD
from shared.kernel.domain.normalize import EXTRA_KEYS_LIMIT, MESSAGE_LIMIT, NUMBER_MAX_DIGITS, TEXT_LIMIT
from shared.kernel.messages.types import Absent, Text, declared, example
from shared.leads.domain.redirects import MAX_REDIRECT_LENGTH
from shared.rules.domain.rules import Grade

LEAD_ID_PATTERN = "^ld_[0-9a-f]{20}$"
EXAMPLE_LEAD_ID = "ld_5f0c3a1e9b2d4c6a8e10"
EXAMPLE_TIME = "2026-11-22T08:00:00.000Z"
THANKS = "https://www.example.com/thanks"
# The README's lead: one example, everywhere.
EXAMPLE_LEAD = {"email": "zhang.wei@example.cn", "name": "张伟", "company": "上海精密制造", "province": "上海",
                "industry": "制造业", "employees": 1500, "title": "采购总监", "phone": "13800138000"}  # fmt: skip
EXAMPLE_SUMMARY = {"lead_id": EXAMPLE_LEAD_ID, "score": 90, "grade": "sql", "tier": "vip", "owner_id": "u_wu",
                   "team": "Enterprise", "rules_version": "v1-3f9a2c7e",
                   "quality": {"score": 100, "missing": [], "flags": []}}  # fmt: skip
LeadId = Annotated[str, Field(pattern=LEAD_ID_PATTERN)]
Score = Annotated[int, Field(ge=0, le=100)]
EMAIL_OR_PHONE = [{"required": ["email"]}, {"required": ["phone"]}]
CONSENT_WORDS = "`true/false/1/0/yes/no/on/off/y/n/是/否`, any case"
KEPT = (
    "Text fields are trimmed; a missing, null or empty field is not given. Other fields are kept under `extra`: "
    f"at most {EXTRA_KEYS_LIMIT} keys, plain values of at most {TEXT_LIMIT} characters. Single-line text may not "
    "hold control or bidi-override characters."
)
EXTRA_VALUE = {
    "type": ["string", "number", "boolean", "null"],
    "maxLength": TEXT_LIMIT,
    "description": "kept under `extra`",
}
FORM_EXTRA_VALUE = {"type": "string", "maxLength": TEXT_LIMIT, "description": "kept under `extra`"}
HONEYPOT = 'honeypot: hidden from people; any value but empty → `200 {"status": "received"}`, nothing stored'


class LeadText(BaseModel):
    """CONTRACT §2.1's fields with the limits normalize.py enforces, as a form sends them (text only)."""

    email: Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"})] | Absent = Field(
        None,
        description="required unless `phone` is given; a valid address (no DNS look-up), stored NFKC-normalised "
        "and lower-cased",
    )
    phone: Annotated[str, Field(max_length=40)] | Absent = Field(
        None,
        description="required unless `email` is given; any common format, stored as E.164 (default region from "
        "`country`, else Settings `default_country`); an extension after the number (`转 123`, `分机 123`, "
        "`ext. 123`, `x123`, `#123`) is stored apart as `phone_ext`",
    )
    name: Text | Absent = Field(None, description="full name; else `first_name` + `last_name` are joined")
    first_name: Text | Absent = Field(None, description="given name")
    last_name: Text | Absent = Field(None, description="family name")
    company: Text | Absent = Field(None, description="company name")
    title: Text | Absent = Field(None, description="job title")
    country: Text | Absent = Field(
        None, description="ISO 3166-1 alpha-2 or a common name (English or Chinese); stored as alpha-2"
    )
    province: Text | Absent = Field(
        None, description="free text; with `country`, gives the region through the Regions tab"
    )
    industry: Text | Absent = Field(
        None, description="free text; mapped through the Industries tab (unmapped → `other`, flag `industry_unmapped`)"
    )
    employees: str | Absent = Field(None, description="company size, a whole number ≥ 0")
    budget: str | Absent = Field(None, description="budget ≥ 0 in Settings `currency`")
    credit_code: Annotated[str, Field(max_length=40)] | Absent = Field(
        None,
        description="China unified social credit code (GB 32100-2015): 18 characters, the registration authority "
        "and organisation type codes, a six-digit region code, the organisation code with its own check character "
        "and the final check character verified (spaces and lower case tolerated)",
    )
    campaign: Text | Absent = Field(None, description="campaign of this touch")
    utm_source: Text | Absent = Field(None, description="UTM source")
    utm_medium: Text | Absent = Field(None, description="UTM medium")
    utm_campaign: Text | Absent = Field(None, description="UTM campaign")
    consent: str | Absent = Field(None, description=f"marketing consent: {CONSENT_WORDS}")
    message: Annotated[str, Field(max_length=MESSAGE_LIMIT)] | Absent = Field(
        None, description="free text; line breaks and tabs allowed"
    )
    honeypot: str | Absent = Field(None, validation_alias=HONEYPOT_FIELD, description=HONEYPOT)


Digits = Annotated[int, Field(ge=0, le=10**NUMBER_MAX_DIGITS - 1)]
NumberText = Annotated[str, Field(max_length=40, description="a number as text; `,` separators allowed")]


class LeadCapture(LeadText):
    """the capture as JSON: numbers and consent may be typed (they keep the form's place in the field order,
    so mypy sees a narrower field widened: the ignores below)"""

    model_config = example(EXAMPLE_LEAD, anyOf=EMAIL_OR_PHONE, description=KEPT, additionalProperties=EXTRA_VALUE)

    employees: Digits | NumberText | Absent = Field(None, description="company size, a whole number ≥ 0")  # type: ignore[assignment]
    budget: Annotated[float, Field(ge=0, le=10**NUMBER_MAX_DIGITS - 1)] | NumberText | Absent = Field(  # type: ignore[assignment]
        None, description="budget ≥ 0 in Settings `currency`"
    )
    consent: bool | Literal[0, 1] | str | Absent = Field(  # type: ignore[assignment]
        None, description=f"marketing consent: a boolean, 0/1, or {CONSENT_WORDS}"
    )


def lead_form(max_fields: int, redirect_field: str) -> type[BaseModel]:
    """The capture as a browser form sends it (urlencoded or multipart): text fields only, at most
    ``max_fields`` of them, and where to send the browser after (functions/api/body.py, inbound.py)."""
    form_note = f" A form has at most {max_fields} fields; multipart parts are text fields (a file → 400)."
    redirect = Field(
        None,
        alias=redirect_field,
        max_length=MAX_REDIRECT_LENGTH,
        json_schema_extra={"format": "uri"},
        description="after the post, send the browser here with `303` (refusals add `?error=<code>` and "
        "`&fields=<names>` of the refused fields, never their values); must be a plain http(s) URL on one of the "
        "source's `allowed_origins`, else `400 invalid_redirect`",
    )
    form: type[BaseModel] = declared("LeadForm", {"redirect": (str | Absent, redirect)}, base=LeadText)
    posted = {**{k: str(v) for k, v in EXAMPLE_LEAD.items()}, HONEYPOT_FIELD: "", redirect_field: THANKS}
    form.model_config.update(
        example(posted, anyOf=EMAIL_OR_PHONE, description=KEPT + form_note, additionalProperties=FORM_EXTRA_VALUE)
    )
    form.model_rebuild(force=True)
    return form


# ------------------------------------------------------------------ answers

Owner = Annotated[
    str | None, Field(description="the owner's owner_id; null for a nurture lead or when nobody can take it")
]


class Quality(BaseModel):
    """how complete the lead is"""

    score: Score = Field(description="completeness")
    missing: list[str] = Field(description="Settings quality_fields")
    flags: list[str] = Field(description="e.g. industry_unmapped")


class LeadSummary(BaseModel):
    """the lead: its score, grade, tier and owner"""

    lead_id: LeadId
    score: Score
    grade: Grade
    tier: str = Field(description="from the Tiers tab; `standard` when no row matches")
    owner_id: Owner
    team: str | None = Field(description="the owner's team; null when not assigned")
    rules_version: str = Field(description="the rules version that decided")
    quality: Quality


class Created(LeadSummary):
    """a new lead"""

    model_config = example({"status": "created", **EXAMPLE_SUMMARY})

    status: Literal["created"]


class Merged(LeadSummary):
    """merged into an existing lead"""

    status: Literal["merged"]


class Received(BaseModel):
    """the honeypot was filled: nothing was stored"""

    model_config = example(None, additionalProperties=False)

    status: Literal["received"]


class SeeOther(BaseModel):
    """a form post with `_redirect`: where the browser goes"""

    model_config = example({"status": "see_other", "location": THANKS})

    status: Literal["see_other"]
    location: str
