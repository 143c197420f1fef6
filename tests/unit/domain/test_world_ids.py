"""Phone extensions and credit codes as the world writes them (CONTRACT §14).

Phones: ``转`` / ``分机`` / ``ext.`` / ``x`` / ``#`` after a number are extensions, kept in
``phone_ext``; the number stays E.164 in ``phone``. Credit codes: the whole GB 32100-2015
structure, with python-stdnum's ``cn.uscc`` (and the real codes of its test data) as the
independent reference."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.normalize import credit_code_valid
from shared.leads.domain.lead_intake import normalize_lead
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet


@pytest.fixture(scope="module")
def rules(example_rules: ActiveRules) -> RuleSet:
    return example_rules.rules


def fields(rules: RuleSet, **raw: Any) -> dict[str, Any]:
    return normalize_lead({"email": "a@example.com", **raw}, rules).fields


# --- phone extensions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "country", "e164", "ext"),
    [
        ("010-65123456 转 123", None, "+861065123456", "123"),
        ("010-65123456转123", None, "+861065123456", "123"),
        ("010-65123456 分机 123", None, "+861065123456", "123"),
        ("010-65123456 分机号：8001", None, "+861065123456", "8001"),
        ("010-65123456 轉 123", None, "+861065123456", "123"),
        ("+1 212 555 0100 ext. 123", "US", "+12125550100", "123"),
        ("010-65123456 ext. 123", None, "+861065123456", "123"),
        ("010-65123456 x123", None, "+861065123456", "123"),
        ("010-65123456 #123", None, "+861065123456", "123"),
    ],
)
def test_an_extension_is_kept_apart_from_the_number(
    rules: RuleSet, phone: str, country: str | None, e164: str, ext: str
) -> None:
    raw = {"phone": phone, **({"country": country} if country else {})}
    got = fields(rules, **raw)
    assert (got["phone"], got["phone_ext"]) == (e164, ext)


def test_a_number_without_an_extension_has_none(rules: RuleSet) -> None:
    assert "phone_ext" not in fields(rules, phone="010-65123456")


# --- credit codes -------------------------------------------------------------------------------

# real codes from python-stdnum's test data (tests/test_cn_uscc.doctest: "found online")
REAL_CODES = [
    "121200004013590816",
    "91110000600037341L",
    "91110000710926094P",
    "91120224064012553U",
    "911522010783710635",
    "91152201078371135X",
    "9115220107837757XE",
    "9115220107837941X1",
    "91310000631696382C",
    "91310115MA1K3BTP2B",
    "9131012056010553X5",
    "91340600MA2PBM9HXD",
    "91340600MA2PBMA74B",
    "91340602MA2UJY0D0T",
    "91420684MA4927PJ7B",
    "9144030071526726XG",
    "9144060573144633XL",
    "91620105L015101280",
    "91620105MA71T4YW8Q",
    "91620105MA73NBBLXE",
    "92340602MA2PBMEM24",
    "92340603MA2PBMYMX1",
    "92340603MA2PBQ16XJ",
    "92340604MA2PBNQNXM",
    "92340621MA2PBKRXXG",
    "92340621MA2PBN0KXX",
    "92340621MA2UK3PJXE",
    "9162010569564942X9",
    "91620105750935948X",
]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _mod31(first17: str) -> str:
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return ALPHABET[(31 - total % 31) % 31]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_accepted(rules: RuleSet, code: str) -> None:
    assert uscc.is_valid(code)
    assert credit_code_valid(code) and fields(rules, credit_code=code)["credit_code"] == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("XF4JTNR6HLX5NK7MM3", "X is not a registration authority code"),  # the reported one
        ("9F110000600037341" + _mod31("9F110000600037341"), "F is not an organisation type"),
        ("94110000600037341" + _mod31("94110000600037341"), "4 is not an organisation type"),
        ("911100A0600037341" + _mod31("911100A0600037341"), "six digits of an administrative division"),
        ("91110000600037342" + _mod31("91110000600037342"), "not an organisation code"),  # …341 is real
    ],
)
def test_a_code_right_only_in_its_last_character_is_refused(rules: RuleSet, code: str, why: str) -> None:
    assert code[17] == _mod31(code[:17])  # the old, last-character-only check passes it
    assert not credit_code_valid(code)
    with pytest.raises(ValidationFailed) as refused:
        normalize_lead({"email": "a@example.com", "credit_code": code}, rules)
    assert why in refused.value.fields["credit_code"]


@settings(max_examples=500, deadline=None)
@given(body=st.text(alphabet=ALPHABET, min_size=17, max_size=17), authority=st.sampled_from("12345678"))
def test_every_code_we_accept_stdnum_accepts(body: str, authority: str) -> None:
    """stdnum checks the alphabet, the digits of characters 1–8 and the mod-31 character: whatever
    we accept it must accept too (we check more: authority, type, organisation code)."""
    first17 = authority + body[1:]
    code = first17 + _mod31(first17)
    if credit_code_valid(code):
        assert uscc.is_valid(code)
    if not uscc.is_valid(code):
        assert not credit_code_valid(code)
