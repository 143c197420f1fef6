"""normalize_lead: what a posted form becomes (contract 2.1, step 1), table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.normalize import credit_code_valid
from shared.leads.domain.lead_intake import normalize_lead
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet
from tests.unit.domain.builders import ruleset, settings

# --- an independent oracle for the China unified social credit code (GB 32100-2015) -------------
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...


def with_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return first17 + ALPHABET[(31 - total % 31) % 31]


WELL_KNOWN_CODE = "91350100M000100Y43"
GENERATED_CODES = [
    with_check_char("91110000600037341"),
    with_check_char("12100000400000624"),
    # real codes (python-stdnum's test data): their organisation codes carry GB 11714 check characters
    with_check_char("91310115MA1K3BTP2"),
    with_check_char("92340602MA2PBMEM2"),
    with_check_char("12120000401359081"),
]


@pytest.fixture(scope="module")
def rules(example_rules: ActiveRules) -> RuleSet:
    return example_rules.rules


def norm(rules: RuleSet, **raw: Any) -> dict[str, Any]:
    return normalize_lead(raw, rules).fields


def failure(rules: RuleSet, **raw: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        normalize_lead(raw, rules)
    assert caught.value.code == "validation_failed"
    return caught.value.fields


# --- email --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("li.lei@example.com", "li.lei@example.com"),
        ("Li.Lei@Example.COM", "li.lei@example.com"),
        ("  WANG@ACME.CN  ", "wang@acme.cn"),
        ("sales+expo@acme-tech.com.cn", "sales+expo@acme-tech.com.cn"),
        ("Jonas.Mueller@Beispiel.DE", "jonas.mueller@beispiel.de"),
    ],
)
def test_email_is_trimmed_and_lower_cased(rules: RuleSet, given: str, stored: str) -> None:
    assert norm(rules, email=given)["email"] == stored


@pytest.mark.parametrize(
    "bad",
    [
        "not-an-email",
        "li.lei@",
        "@example.com",
        "li lei@example.com",
        "li@@example.com",
        "li@example",
        "li@exa mple.com",
        "li.lei.example.com",
        12345,
    ],
)
def test_bad_email_is_named(rules: RuleSet, bad: Any) -> None:
    fields = failure(rules, email=bad)
    assert set(fields) == {"email"}


@pytest.mark.parametrize("bad", [["a@example.com"], {"email": "a@example.com"}, True])
def test_email_that_is_not_text_is_rejected(rules: RuleSet, bad: Any) -> None:
    assert "email" in failure(rules, email=bad)


def test_email_or_phone_is_required(rules: RuleSet) -> None:
    fields = failure(rules, name="李雷", company="Acme")
    assert "email" in fields
    # blank strings count as absent
    assert "email" in failure(rules, email="   ", phone="")


# --- phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "country", "e164"),
    [
        ("13800138000", None, "+8613800138000"),  # default_country CN
        ("138 0013 8000", None, "+8613800138000"),
        ("138-0013-8000", "CN", "+8613800138000"),
        ("+86 138 0013 8000", None, "+8613800138000"),
        ("+86-138-0013-8000", "US", "+8613800138000"),  # an explicit +CC wins over the country
        ("0086 13800138000", None, "+8613800138000"),
        ("(010) 6552 9988", None, "+861065529988"),  # Beijing landline
        ("021-61234567", "中国", "+862161234567"),  # Shanghai landline
        ("+86 (0)21 6123 4567", None, "+862161234567"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "United States", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("030 901820", "DE", "+4930901820"),
        ("6123 4567", "SG", "+6561234567"),
        (13800138000, None, "+8613800138000"),  # a JSON number
    ],
)
def test_phone_is_stored_as_e164(rules: RuleSet, phone: Any, country: str | None, e164: str) -> None:
    raw: dict[str, Any] = {"phone": phone}
    if country:
        raw["country"] = country
    assert norm(rules, **raw)["phone"] == e164


def test_phone_default_region_comes_from_settings() -> None:
    us_default = ruleset(settings_rows=settings(default_country="US"))
    assert normalize_lead({"phone": "(415) 555-2671"}, us_default).fields["phone"] == "+14155552671"


@pytest.mark.parametrize("bad", ["12345", "abc", "138001380001234567", "+86 1", "0000000000", "电话"])
def test_bad_phone_is_named(rules: RuleSet, bad: str) -> None:
    assert set(failure(rules, phone=bad)) == {"phone"}


def test_phone_only_lead_is_accepted(rules: RuleSet) -> None:
    fields = norm(rules, phone="13912345678")
    assert fields["phone"] == "+8613912345678"
    assert "email" not in fields


# --- country ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "alpha2"),
    [
        ("CN", "CN"),
        ("cn", "CN"),
        (" CN ", "CN"),
        ("China", "CN"),
        ("china", "CN"),
        ("中国", "CN"),
        ("PRC", "CN"),
        ("US", "US"),
        ("USA", "US"),
        ("United States", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("GB", "GB"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("Singapore", "SG"),
        ("Japan", "JP"),
        ("France", "FR"),
        ("South Korea", "KR"),
        ("Netherlands", "NL"),
        ("Brazil", "BR"),
    ],
)
def test_country_by_code_or_name(rules: RuleSet, given: str, alpha2: str) -> None:
    assert norm(rules, email="a@example.com", country=given)["country"] == alpha2


@pytest.mark.parametrize("bad", ["Narnia", "xyz", "Atlantis", "12", "1"])
def test_unknown_country_is_named(rules: RuleSet, bad: str) -> None:
    assert set(failure(rules, email="a@example.com", country=bad)) == {"country"}


@pytest.mark.parametrize(
    ("given", "meant"),
    [("America", "US"), ("U.S.", "US"), ("Korea", "KR")],
)
def test_common_country_name_is_never_silently_a_different_country(rules: RuleSet, given: str, meant: str) -> None:
    """Either the country the person meant, or a validation error; never another country."""
    try:
        stored = norm(rules, email="a@example.com", country=given)["country"]
    except ValidationFailed as exc:
        assert set(exc.fields) == {"country"}
        return
    assert stored == meant


# --- industry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("制造业", "manufacturing"),
        ("制造", "manufacturing"),
        ("生产加工", "manufacturing"),
        ("Manufacturing", "manufacturing"),
        ("MANUFACTURING", "manufacturing"),
        ("manufacturer", "manufacturing"),
        ("  能源 ", "energy"),
        ("电力", "energy"),
        ("Utilities", "energy"),
        ("it", "software"),
        ("互联网", "software"),
        ("Banking", "finance"),
        ("金融", "finance"),
        ("零售", "retail"),
    ],
)
def test_industry_synonyms_map_to_canonical(rules: RuleSet, given: str, canonical: str) -> None:
    lead = normalize_lead({"email": "a@example.com", "industry": given}, rules)
    assert lead.fields["industry"] == canonical
    assert "industry_unmapped" not in lead.flags


@pytest.mark.parametrize("given", ["航空航天", "Aerospace", "Underwater basket weaving", "制造业务外包"])
def test_unknown_industry_becomes_other_and_is_flagged(rules: RuleSet, given: str) -> None:
    lead = normalize_lead({"email": "a@example.com", "industry": given}, rules)
    assert lead.fields["industry"] == "other"
    assert lead.flags == ["industry_unmapped"]


def test_no_industry_no_flag(rules: RuleSet) -> None:
    lead = normalize_lead({"email": "a@example.com"}, rules)
    assert "industry" not in lead.fields and lead.flags == []


# --- province → region --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "province", "region"),
    [
        ("CN", "上海", "east"),
        ("CN", "上海市", "east"),
        (None, "上海市", "east"),
        ("中国", "江苏省", "east"),
        ("China", "Jiangsu", "east"),
        ("CN", "shanghai", "east"),
        ("CN", " 浙江省 ", "east"),
        ("CN", "北京市", "north"),
        ("CN", "黑龙江省", "north"),
        ("CN", "内蒙古自治区", "north"),
        ("CN", "广西壮族自治区", "south"),
        ("CN", "广东省", "south"),
        ("CN", "新疆维吾尔自治区", "west"),
        ("CN", "宁夏回族自治区", "west"),
        ("CN", "西藏自治区", "west"),
        ("CN", "重庆市", "west"),
        ("US", "California", "americas"),
        ("US", None, "americas"),
        ("DE", "Bayern", "emea"),
        ("Germany", None, "emea"),
        ("SG", None, "apac"),
        ("CN", "火星省", None),
        ("CN", None, None),
        ("FI", None, None),
    ],
)
def test_region_from_regions_tab(rules: RuleSet, country: str | None, province: str | None, region: str | None) -> None:
    raw: dict[str, Any] = {"email": "a@example.com"}
    if country:
        raw["country"] = country
    if province:
        raw["province"] = province
    assert norm(rules, **raw).get("region") == region


def test_known_province_without_country_implies_home_country(rules: RuleSet) -> None:
    fields = norm(rules, email="a@example.com", province="上海市")
    assert fields["country"] == "CN"
    assert fields["province"] == "上海市"  # the text as sent is kept


REGIONS: list[dict[str, Any]] = [
    {"country": "CN", "province": None, "region": "china-other"},
    {"country": "CN", "province": "上海", "region": "east"},
    {"country": "CN", "province": "北京市", "region": "north"},
    {"country": "JP", "province": None, "region": "apac"},
]


@pytest.mark.parametrize(
    ("country", "province", "region"),
    [
        ("CN", "上海", "east"),
        ("CN", "上海市", "east"),
        ("CN", "北京", "north"),
        ("CN", "北京市", "north"),
        ("CN", "四川省", "china-other"),
        ("CN", None, "china-other"),
        ("JP", "Tokyo", "apac"),
    ],
)
def test_province_row_beats_country_wide_row(country: str, province: str | None, region: str) -> None:
    rules = ruleset(regions=REGIONS)
    raw: dict[str, Any] = {"email": "a@example.com", "country": country}
    if province:
        raw["province"] = province
    assert normalize_lead(raw, rules).fields["region"] == region


def test_province_row_beats_country_wide_row_whatever_the_row_order() -> None:
    rules = ruleset(regions=list(reversed(REGIONS)))
    assert (
        normalize_lead({"email": "a@example.com", "country": "CN", "province": "上海市"}, rules).fields["region"]
        == "east"
    )


# --- credit code --------------------------------------------------------------------------------


def test_oracle_agrees_with_well_known_code() -> None:
    assert with_check_char(WELL_KNOWN_CODE[:17]) == WELL_KNOWN_CODE


@pytest.mark.parametrize("code", [WELL_KNOWN_CODE, *GENERATED_CODES])
def test_valid_credit_codes(rules: RuleSet, code: str) -> None:
    assert credit_code_valid(code)
    assert norm(rules, email="a@example.com", credit_code=code)["credit_code"] == code


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (WELL_KNOWN_CODE.lower(), WELL_KNOWN_CODE),
        (f"  {WELL_KNOWN_CODE} ", WELL_KNOWN_CODE),
        ("913501 00M0001 00Y43", WELL_KNOWN_CODE),
    ],
)
def test_credit_code_is_upper_cased_and_compacted(rules: RuleSet, given: str, stored: str) -> None:
    assert norm(rules, email="a@example.com", credit_code=given)["credit_code"] == stored


def _wrong_check(code: str) -> str:
    return code[:17] + next(c for c in ALPHABET if c != code[17])


@pytest.mark.parametrize(
    "bad",
    [
        _wrong_check(WELL_KNOWN_CODE),
        _wrong_check(GENERATED_CODES[0]),
        WELL_KNOWN_CODE[:17],  # 17 characters
        WELL_KNOWN_CODE + "1",  # 19 characters
        "91350100M000100Y4I",  # I is not in the alphabet
        "91350100O000100Y43",  # O is not in the alphabet
        "91350100M000100Y4S",
        "9135010-M000100Y43",
        _wrong_check(with_check_char("12345678901234567")),
        "统一社会信用代码统一社会信用代码统一",
    ],
)
def test_invalid_credit_codes(rules: RuleSet, bad: str) -> None:
    assert not credit_code_valid(bad.upper().replace(" ", ""))
    assert set(failure(rules, email="a@example.com", credit_code=bad)) == {"credit_code"}


def test_swapped_digits_are_caught() -> None:
    swapped = WELL_KNOWN_CODE[:2] + WELL_KNOWN_CODE[3] + WELL_KNOWN_CODE[2] + WELL_KNOWN_CODE[4:]
    assert swapped != WELL_KNOWN_CODE and not credit_code_valid(swapped)


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("500", 500),
        (500, 500),
        ("1,200", 1200),
        ("12,000", 12000),
        (" 80 ", 80),
        ("0", 0),
        (3000.0, 3000),
        ("250.0", 250),
    ],
)
def test_employees_whole_number(rules: RuleSet, given: Any, stored: int) -> None:
    value = norm(rules, email="a@example.com", employees=given)["employees"]
    assert value == stored and isinstance(value, int)


@pytest.mark.parametrize("bad", ["-5", -1, "12.5", 0.5, "many", "5 people", "NaN", "Infinity", True, [10]])
def test_bad_employees_is_named(rules: RuleSet, bad: Any) -> None:
    assert set(failure(rules, email="a@example.com", employees=bad)) == {"employees"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("500,000", 500000),
        ("500000", 500000),
        (500000, 500000),
        ("1,000,000", 1000000),
        ("12500.50", 12500.5),
        ("1,234.5", 1234.5),
        (99.9, 99.9),
        ("0", 0),
    ],
)
def test_budget_accepts_thousands_separators(rules: RuleSet, given: Any, stored: float) -> None:
    assert norm(rules, email="a@example.com", budget=given)["budget"] == stored


@pytest.mark.parametrize("bad", ["-100", "lots", "1.2.3", "NaN", False])
def test_bad_budget_is_named(rules: RuleSet, bad: Any) -> None:
    assert set(failure(rules, email="a@example.com", budget=bad)) == {"budget"}


# --- consent ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "consent"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        ("yes", True),
        ("Yes", True),
        ("no", False),
        ("on", True),
    ],
)
def test_consent_booleans(rules: RuleSet, given: Any, consent: bool) -> None:
    assert norm(rules, email="a@example.com", consent=given)["consent"] is consent


@pytest.mark.parametrize("bad", ["maybe", "2", 2, "agreed!"])
def test_bad_consent_is_named(rules: RuleSet, bad: Any) -> None:
    assert set(failure(rules, email="a@example.com", consent=bad)) == {"consent"}


# --- text, names, message, extra ----------------------------------------------------------------


def test_text_fields_are_trimmed(rules: RuleSet) -> None:
    fields = norm(rules, email="a@example.com", company="  上海某某制造有限公司 ", title="\t采购总监\n", name=" 李雷 ")
    assert fields["company"] == "上海某某制造有限公司"
    assert fields["title"] == "采购总监"
    assert fields["name"] == "李雷"


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "company",
        "title",
        "province",
        "industry",
        "campaign",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "first_name",
        "last_name",
    ],
)
def test_text_limit_is_200_characters(rules: RuleSet, name: str) -> None:
    norm(rules, email="a@example.com", **{name: "字" * 200})
    norm(rules, email="a@example.com", **{name: "  " + "x" * 200 + "  "})  # limit applies after trimming
    assert set(failure(rules, email="a@example.com", **{name: "字" * 201})) == {name}


def test_message_limit_is_2000_characters(rules: RuleSet) -> None:
    assert len(norm(rules, email="a@example.com", message="请联系我" * 500)["message"]) == 2000
    assert set(failure(rules, email="a@example.com", message="m" * 2001)) == {"message"}


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ({"first_name": "Jonas", "last_name": "Müller"}, "Jonas Müller"),
        ({"first_name": "Emily"}, "Emily"),
        ({"last_name": "王"}, "王"),
        ({"name": "Full Name", "first_name": "A", "last_name": "B"}, "Full Name"),
    ],
)
def test_name_from_first_and_last(rules: RuleSet, raw: dict[str, Any], name: str) -> None:
    assert norm(rules, email="a@example.com", **raw)["name"] == name


def test_unknown_fields_are_kept_under_extra(rules: RuleSet) -> None:
    lead = normalize_lead(
        {
            "email": "a@example.com",
            "wechat_id": " wx_lilei ",
            "seats": 12,
            "_hp": "",
            "_redirect": "https://www.example.com/thanks",
        },
        rules,
    )
    assert lead.extra == {"wechat_id": "wx_lilei", "seats": "12"}
    assert "wechat_id" not in lead.fields


def test_twenty_extra_fields_are_fine_twenty_one_are_not(rules: RuleSet) -> None:
    twenty = {f"x{i}": "v" for i in range(20)}
    assert len(normalize_lead({"email": "a@example.com", **twenty}, rules).extra) == 20
    fields = failure(rules, email="a@example.com", **twenty, x20="v")
    assert list(fields) == ["extra"]


def test_extra_value_over_200_characters_is_named(rules: RuleSet) -> None:
    fields = failure(rules, email="a@example.com", wechat_id="w" * 201)
    assert set(fields) == {"wechat_id"}
    assert normalize_lead({"email": "a@example.com", "wechat_id": "w" * 200}, rules).extra["wechat_id"] == "w" * 200


def test_extra_value_must_be_plain(rules: RuleSet) -> None:
    assert set(failure(rules, email="a@example.com", nested={"a": 1})) == {"nested"}


# --- all at once --------------------------------------------------------------------------------


def test_every_bad_field_is_named_at_once(rules: RuleSet) -> None:
    fields = failure(
        rules,
        email="not-an-email",
        phone="12345",
        country="Narnia",
        employees="-3",
        budget="lots",
        credit_code=_wrong_check(WELL_KNOWN_CODE),
        consent="maybe",
        company="c" * 201,
        message="m" * 2001,
        wechat_id="w" * 201,
        name="李雷",  # fine
    )
    assert set(fields) == {
        "email",
        "phone",
        "country",
        "employees",
        "budget",
        "credit_code",
        "consent",
        "company",
        "message",
        "wechat_id",
    }
    assert all(isinstance(v, str) and v for v in fields.values())


def test_validation_error_body_lists_fields(rules: RuleSet) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_lead({"email": "bad", "employees": "1.5"}, rules)
    assert caught.value.code == "validation_failed"
    assert set(caught.value.fields) == {"email", "employees"}


def test_full_realistic_lead(rules: RuleSet) -> None:
    lead = normalize_lead(
        {
            "email": " Li.Lei@Acme-Mfg.CN ",
            "phone": "138 0013 8000",
            "first_name": "雷",
            "last_name": "李",
            "company": "上海爱克米制造有限公司",
            "title": "采购总监",
            "country": "中国",
            "province": "上海市",
            "industry": "制造业",
            "employees": "1,200",
            "budget": "500,000",
            "credit_code": WELL_KNOWN_CODE,
            "consent": "yes",
            "utm_source": "baidu",
            "message": "想了解报价",
        },
        rules,
    )
    f = lead.fields
    assert (f["email"], f["phone"], f["country"], f["region"], f["industry"]) == (
        "li.lei@acme-mfg.cn",
        "+8613800138000",
        "CN",
        "east",
        "manufacturing",
    )
    assert (f["employees"], f["budget"], f["consent"], f["name"]) == (1200, 500000, True, "雷 李")
    assert f["industry_raw"] == "制造业"
    assert lead.flags == [] and lead.extra == {}


# --- hostile input (issue 7): refused, naming the field, never stored -------------------------

SINGLE_LINE_FIELDS = [
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
    "country",
    "email",
    "phone",
    "credit_code",
]
NOT_STORABLE = {
    "lone high surrogate": "张\ud800伟",
    "lone low surrogate": "\udc00",
    "NUL": "Li\x00Lei",
    "escape": "Li\x1b[31mLei",
    "DEL": "Li\x7fLei",
    "C1 (NEL)": "Li\x85Lei",
    "C1 (CSI)": "Li\x9bLei",
}
SINGLE_LINE_ONLY = {
    "tab": "Li\tLei",
    "newline": "Li\nLei",
    "carriage return": "Li\rLei",
    "line separator": "Li\u2028Lei",
    "right-to-left override": "\u202emoc.elpmaxe@a",
    "left-to-right isolate": "Li\u2066Lei",
}


@pytest.mark.parametrize("field", SINGLE_LINE_FIELDS)
@pytest.mark.parametrize(
    "bad", [*NOT_STORABLE.values(), *SINGLE_LINE_ONLY.values()], ids=[*NOT_STORABLE, *SINGLE_LINE_ONLY]
)
def test_single_line_text_with_controls_or_lone_surrogates_is_named(rules: RuleSet, field: str, bad: str) -> None:
    email = {} if field == "email" else {"email": "a@example.com"}
    assert field in failure(rules, **email, **{field: bad})


@pytest.mark.parametrize("bad", NOT_STORABLE.values(), ids=list(NOT_STORABLE))
def test_a_message_with_controls_or_lone_surrogates_is_named(rules: RuleSet, bad: str) -> None:
    assert set(failure(rules, email="a@example.com", message=bad)) == {"message"}


def test_a_message_keeps_tabs_line_breaks_and_right_to_left_text(rules: RuleSet) -> None:
    text = "第一行\r\n\tsecond line\nمرحبا \u202bquoted\u202c"
    assert norm(rules, email="a@example.com", message=text)["message"] == text


def test_direction_marks_and_joiners_in_names_are_fine(rules: RuleSet) -> None:
    assert norm(rules, email="a@example.com", name="\u200fשלום\u200e")["name"] == "\u200fשלום\u200e"
    assert norm(rules, email="a@example.com", company="👩\u200d💻 Labs")["company"] == "👩\u200d💻 Labs"


@pytest.mark.parametrize("bad", NOT_STORABLE.values(), ids=list(NOT_STORABLE))
def test_extra_values_with_controls_or_lone_surrogates_are_named(rules: RuleSet, bad: str) -> None:
    assert set(failure(rules, email="a@example.com", wechat_id=bad)) == {"wechat_id"}


def test_extra_values_keep_line_breaks(rules: RuleSet) -> None:
    lead = normalize_lead({"email": "a@example.com", "address": "1 Road\nShanghai", "flag": True}, rules)
    assert lead.extra == {"address": "1 Road\nShanghai", "flag": "True"}


@pytest.mark.parametrize("key", ["\ud800", "we\x00chat", "we\nchat", "\u202eid"])
def test_extra_keys_with_controls_or_lone_surrogates_are_named_printably(rules: RuleSet, key: str) -> None:
    fields = failure(rules, email="a@example.com", **{key: "x"})
    assert len(fields) == 1
    (name,) = fields
    assert name.isprintable() and name.encode("utf-8")  # the error itself can be sent back


HUGE = 10**5000  # str() of it raises ValueError (Python's int-string conversion limit)


@pytest.mark.parametrize("field", ["employees", "budget"])
@pytest.mark.parametrize(
    "value", [HUGE, -HUGE, 10**15, "9" * 5000, 1e308], ids=["5001 digits", "-5001 digits", "10^15", "text", "1e308"]
)
def test_huge_numbers_are_named_too_large(rules: RuleSet, field: str, value: Any) -> None:
    fields = failure(rules, email="a@example.com", **{field: value})
    assert set(fields) == {field}
    assert "large" in fields[field] or "number" in fields[field]


def test_the_largest_sane_number_is_fine(rules: RuleSet) -> None:
    assert norm(rules, email="a@example.com", employees=10**15 - 1)["employees"] == 10**15 - 1


@pytest.mark.parametrize("field", ["name", "company", "message", "phone", "credit_code", "wechat_id"])
def test_a_huge_integer_where_text_is_expected_is_named(rules: RuleSet, field: str) -> None:
    assert set(failure(rules, email="a@example.com", **{field: HUGE})) == {field}


@pytest.mark.parametrize(
    "lookalike",
    [
        "ｃonf.user@example.com",
        "ＣＯＮＦ.ＵＳＥＲ@example.com",
        "conf.user＠example.com",
        "conf.user@ｅｘａｍｐｌｅ.ｃｏｍ",
        "ｃｏｎｆ．ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    ],
)
def test_fullwidth_look_alike_emails_are_the_same_email(rules: RuleSet, lookalike: str) -> None:
    assert norm(rules, email=lookalike)["email"] == "conf.user@example.com"


@pytest.mark.parametrize("phone", ["１３８００１３８０００", "＋８６ １３８-００１３-８０００", "(１３８) 0013 8000"])
def test_fullwidth_phone_digits_are_read(rules: RuleSet, phone: str) -> None:
    assert norm(rules, phone=phone)["phone"] == "+8613800138000"


def test_fullwidth_country_and_credit_code_are_read(rules: RuleSet) -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in WELL_KNOWN_CODE)
    fields = norm(rules, email="a@example.com", country="ＣＮ", credit_code=fullwidth, employees="１,２００")
    assert (fields["country"], fields["credit_code"], fields["employees"]) == ("CN", WELL_KNOWN_CODE, 1200)
