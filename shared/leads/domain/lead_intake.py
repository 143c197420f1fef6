"""A posted lead, validated and normalised: its known fields (the text, number and identity
rules of :mod:`shared.kernel.domain.normalize`), its extra fields, and what the rules map —
industry, region, the country a province implies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.forms import printable_name, text_problem
from shared.kernel.domain.normalize import (
    CONTROL_FIELDS,
    EXTRA_KEYS_LIMIT,
    KNOWN_FIELDS,
    MESSAGE_LIMIT,
    TEXT_LIMIT,
    _credit_code,
    _number,
    _text,
    normalize_country,
    normalize_email,
    parse_bool,
    parse_phone,
)
from shared.rules.domain.rules import RuleSet


@dataclass
class NormalizedLead:
    """The lead's fields after normalisation (everything optional but email/phone)."""

    fields: dict[str, Any]
    extra: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def normalize_lead(raw: dict[str, Any], rules: RuleSet) -> NormalizedLead:
    """Validate and normalise a posted lead, or raise ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def take(name: str, fn: Any) -> None:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        try:
            out[name] = fn(value)
        except ValueError as exc:
            errors[name] = str(exc)

    for name in (
        "name",
        "first_name",
        "last_name",
        "company",
        "title",
        "province",
        "industry",
        "campaign",
        "utm_source",
        "utm_medium",
        "utm_campaign",
    ):
        take(name, lambda v: _text(v, TEXT_LIMIT))
    take("message", lambda v: _text(v, MESSAGE_LIMIT, multiline=True))
    take("country", lambda v: normalize_country(_text(v, TEXT_LIMIT)))
    take("email", lambda v: normalize_email(_text(v, 254)))
    region = out.get("country") or rules.settings.default_country
    take("phone", lambda v: _phone(_text(v, 40), region, out))
    take("employees", lambda v: _number(v, integer=True))
    take("budget", lambda v: _number(v, integer=False))
    take("credit_code", _credit_code)
    if "consent" in raw and raw["consent"] is not None:
        consent = parse_bool(raw["consent"])
        if consent is None:
            errors["consent"] = "must be true or false (true/false/1/0/yes/no/on)"
        else:
            out["consent"] = consent
    if "email" not in out and "phone" not in out and "email" not in errors and "phone" not in errors:
        errors["email"] = "email or phone is required"
    extra = _extra(raw, errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    _combine_name(out)
    return _map_with_rules(out, extra, rules)


def _phone(value: str, region: str, out: dict[str, Any]) -> str:
    """The number for ``phone``; its extension, if any, into ``out["phone_ext"]``."""
    number, extension = parse_phone(value, region)
    if extension:
        out["phone_ext"] = extension
    return number


def _extra(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    others = [k for k in raw if k not in KNOWN_FIELDS and k not in CONTROL_FIELDS]
    if len(others) > EXTRA_KEYS_LIMIT:
        errors["extra"] = f"at most {EXTRA_KEYS_LIMIT} extra fields are kept, got {len(others)}"
        return {}
    extra: dict[str, str] = {}
    for key in others:
        if not isinstance(key, str) or len(key) > TEXT_LIMIT or not key.strip():
            errors[printable_name(str(key)) or "extra"] = f"field names must be 1 to {TEXT_LIMIT} characters"
            continue
        problem = text_problem(key)
        if problem:
            errors[printable_name(key)] = f"the field name {problem}"
            continue
        value = raw[key]
        if isinstance(value, dict | list):
            errors[key] = "must be a plain value, not an object or list"
            continue
        try:
            # free-form values may come from a textarea: tab and line breaks are kept
            if value is None or isinstance(value, bool):
                extra[key] = "" if value is None else str(value)
            else:
                extra[key] = _text(value, TEXT_LIMIT, multiline=True)
        except ValueError as exc:
            errors[key] = str(exc)
    return extra


def _combine_name(out: dict[str, Any]) -> None:
    if "name" not in out:
        parts = [out.get("first_name"), out.get("last_name")]
        joined = " ".join(p for p in parts if p)
        if joined:
            out["name"] = joined[:TEXT_LIMIT]


def _map_with_rules(out: dict[str, Any], extra: dict[str, str], rules: RuleSet) -> NormalizedLead:
    flags: list[str] = []
    if "industry" in out:
        out["industry_raw"] = out["industry"]
        canonical = rules.industries.get(out["industry"].strip().lower())
        if canonical is None:
            canonical = "other"
            flags.append("industry_unmapped")
        out["industry"] = canonical
    country = out.get("country") or rules.settings.default_country
    out["region"] = region_of(country, out.get("province"), rules)
    if "country" not in out and out.get("province") and _province_known(country, out["province"], rules):
        out["country"] = country  # a province of the home country tells us the country
    return NormalizedLead(fields=out, extra=extra, flags=flags)


_PROVINCE_SUFFIX = re.compile(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$")


def _province_known(country: str, province: str, rules: RuleSet) -> bool:
    wanted = _PROVINCE_SUFFIX.sub("", province.strip()).lower()
    return any(
        r.country.upper() == country.upper()
        and r.province
        and _PROVINCE_SUFFIX.sub("", r.province.strip()).lower() == wanted
        for r in rules.regions
    )


def region_of(country: str, province: str | None, rules: RuleSet) -> str | None:
    """Region from the Regions tab: an exact province row wins over a country-wide row."""
    wanted = _PROVINCE_SUFFIX.sub("", province.strip()).lower() if province else None
    country_wide = None
    for row in rules.regions:
        if row.country.upper() != country.upper():
            continue
        if row.province is None:
            country_wide = country_wide or row.region
        elif wanted and _PROVINCE_SUFFIX.sub("", row.province.strip()).lower() == wanted:
            return row.region
    return country_wide
