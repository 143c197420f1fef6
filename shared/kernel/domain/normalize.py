"""Turning what a web form sends into clean values: one function per field kind (a whole lead,
mapped by the rules: :mod:`shared.leads.domain.lead_intake`).

Every check collects *all* bad fields so the sender hears about every problem at once.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.kernel.domain.forms import text_problem

TEXT_LIMIT = 200
MESSAGE_LIMIT = 2000
EXTRA_KEYS_LIMIT = 20

KNOWN_FIELDS = (
    "email",
    "phone",
    "name",
    "first_name",
    "last_name",
    "company",
    "title",
    "country",
    "province",
    "industry",
    "employees",
    "budget",
    "credit_code",
    "campaign",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "consent",
    "message",
)
CONTROL_FIELDS = ("_hp", "_redirect")
TRUE_WORDS = {"true", "1", "yes", "on", "y", "是"}
FALSE_WORDS = {"false", "0", "no", "off", "n", "否", ""}

# China unified social credit code (GB 32100-2015): 18 chars from this alphabet (no I, O, S, V, Z),
# weighted mod 31 for the last one.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# character 1, the registration authority, → the organisation types (character 2) it registers
# (GB 32100-2015 and its registration-authority code list: 1 机构编制, 2 外交, 3 司法行政, 4 文化,
# 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他)
_CREDIT_TYPES = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}
# characters 9–17: the organisation code (GB 11714), eight characters and its own check character
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_problem(code: str) -> str | None:
    """What is wrong with ``code`` as a unified social credit code (GB 32100-2015), or None."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    if any(c not in _CREDIT_ALPHABET for c in code):
        return "may use only digits and the capital letters other than I, O, S, V and Z"
    types = _CREDIT_TYPES.get(code[0])
    if types is None:
        return f"{code[0]} is not a registration authority code (character 1)"
    if code[1] not in types:
        return f"{code[1]} is not an organisation type of registration authority {code[0]} (character 2)"
    if not code[2:8].isdigit():
        return "characters 3 to 8 must be the six digits of an administrative division"
    organisation = code[8:17]
    # GB 11714 reads letters over the whole Latin alphabet: A = 10 … Z = 35, i.e. base 36
    total = sum(int(c, 36) * w for c, w in zip(organisation[:8], _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    if organisation[8] != {10: "X", 11: "0"}.get(check, str(check)):
        return "characters 9 to 17 are not an organisation code (its check character is wrong)"
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS, strict=True))
    if _CREDIT_ALPHABET[(31 - total % 31) % 31] != code[17]:
        return "the check character (the last one) is wrong"
    return None


def credit_code_valid(code: str) -> bool:
    return credit_code_problem(code) is None


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def normalize_email(value: str) -> str:
    """NFKC first (a fullwidth `ｃ` is a `c`), then validation, then lower case: one person, one key."""
    from email_validator import EmailNotValidError, validate_email

    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    try:
        return validate_email(unicodedata.normalize("NFKC", value), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


# Chinese extension words (转 / 分机 / 分机号, traditional forms too) as phonenumbers' own "ext.",
# which with "ext", "x" and "#" it reads as an extension (CONTRACT §14)
_EXTENSION_WORD = re.compile(r"\s*(?:分机号?|分機號?|转|轉)\s*[:：]?\s*(?=\d)")


def parse_phone(value: str, region: str) -> tuple[str, str | None]:
    """``(E.164 number, extension or None)``: ``010-65123456 转 123`` → ``("+861065123456", "123")``."""
    import phonenumbers

    text = _EXTENSION_WORD.sub(" ext. ", unicodedata.normalize("NFKC", value))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"is not a valid phone number for region {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), number.extension or None


def normalize_phone(value: str, region: str) -> str:
    return parse_phone(value, region)[0]


# Common names that ISO's official names don't cover. No fuzzy matching: a guess that turns
# "Korea" into North Korea or "America" into American Samoa is worse than asking again.
_COUNTRY_ALIASES = {
    "china": "CN",
    "中国": "CN",
    "prc": "CN",
    "中国大陆": "CN",
    "mainland china": "CN",
    "p.r. china": "CN",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "美国": "US",
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "英国": "GB",
    "korea": "KR",
    "south korea": "KR",
    "韩国": "KR",
    "russia": "RU",
    "俄罗斯": "RU",
    "vietnam": "VN",
    "hong kong": "HK",
    "香港": "HK",
    "macau": "MO",
    "澳门": "MO",
    "taiwan": "TW",
    "台湾": "TW",
    "日本": "JP",
    "德国": "DE",
    "法国": "FR",
    "新加坡": "SG",
    "马来西亚": "MY",
    "泰国": "TH",
    "印度": "IN",
    "澳大利亚": "AU",
    "加拿大": "CA",
    "意大利": "IT",
    "西班牙": "ES",
    "荷兰": "NL",
    "瑞士": "CH",
    "brasil": "BR",
    "巴西": "BR",
    "uae": "AE",
    "阿联酋": "AE",
    "沙特阿拉伯": "SA",
    "印度尼西亚": "ID",
}


def normalize_country(value: str) -> str:
    import pycountry

    text = unicodedata.normalize("NFKC", value).strip()
    alias = _COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    if not any(ch.isalpha() for ch in text):
        raise ValueError(f'"{text[:40]}" is not a country; use a code like CN or a name like China')
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        raise ValueError(f'"{text[:40]}" is not a country we know; use a code like CN or DE') from None


NUMBER_MAX_DIGITS = 15  # a company size or a budget never needs more; "1e5000" must not become a huge int


def _number(value: Any, *, integer: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a number")
    if isinstance(value, int) and abs(value) >= 10**NUMBER_MAX_DIGITS:
        raise ValueError(f"is too large (at most {NUMBER_MAX_DIGITS} digits)")  # str() of a huge int fails
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").strip()
    if len(text) > 40:
        raise ValueError("must be a number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError("must be a positive number")
    if number.adjusted() >= NUMBER_MAX_DIGITS:
        raise ValueError(f"is too large (at most {NUMBER_MAX_DIGITS} digits)")
    if integer:
        if number != number.to_integral_value():
            raise ValueError("must be a whole number")
        return int(number)
    return int(number) if number == number.to_integral_value() else float(number)


def _text(value: Any, limit: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError("must be text")
    if isinstance(value, int) and abs(value) >= 10**limit:
        raise ValueError(f"must be at most {limit} characters")  # str() of a huge int fails
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters")
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise ValueError(problem)
    return text


def normalize_credit_code(value: Any) -> str:
    """A unified social credit code as stored (NFKC, upper case, no spaces); ValueError naming
    what is wrong when it is not one (GB 32100-2015: 18 characters, mod-31 check character)."""
    code = unicodedata.normalize("NFKC", _text(value, 40)).upper().replace(" ", "")
    problem = credit_code_problem(code)
    if problem is not None:
        raise ValueError(f"is not a valid unified social credit code: {problem}")
    return code


_credit_code = normalize_credit_code
