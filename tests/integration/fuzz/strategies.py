"""Hypothesis strategies for what a hostile or careless sender posts, shared by the fuzz tests.

Beyond arbitrary JSON: number literals too long for `int()`, dates at the ends of the calendar
at every UTC offset, Decimal exponents (`1e999999999`), lists of the wrong shape, text that is not valid Unicode
(lone surrogates, which `st.text()` never draws), control and bidi characters, fullwidth
look-alikes, honeypot values that are "falsy" but present, `_redirect` URLs that parsers read
differently, and multipart/form-data bodies. Each of these once got past the API (issue 7).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from shared.kernel.domain.normalize import CONTROL_FIELDS, KNOWN_FIELDS

FIELDS = [*KNOWN_FIELDS, *CONTROL_FIELDS]


class RawNumber:
    """A JSON number literal written as is (json.dumps cannot write a 5,000-digit int)."""

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __repr__(self) -> str:
        return f"RawNumber({self.literal[:12]}…{len(self.literal)} chars)"


def dumps(value: Any) -> bytes:
    """json.dumps, ASCII-escaped (so lone surrogates travel as `\\ud800`), with RawNumber literals."""
    literals: list[str] = []

    def placeholder(obj: Any) -> str:
        if isinstance(obj, RawNumber):
            literals.append(obj.literal)
            return f"@@raw{len(literals) - 1}@@"
        raise TypeError(type(obj).__name__)

    text = json.dumps(value, allow_nan=True, default=placeholder)
    for i, literal in enumerate(literals):
        text = text.replace(f'"@@raw{i}@@"', literal, 1)
    return text.encode()


huge_numbers = st.builds(
    lambda sign, digits, tail: RawNumber(sign + "9" * digits + tail),
    st.sampled_from(["", "-"]),
    st.sampled_from([101, 4301, 5000, 20_000]),
    st.sampled_from(["", ".5", "e3", ".0e-400"]),
)
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
controls = st.characters(categories=["Cc"]) | st.sampled_from(["\u2028", "\u2029", "\u202e", "\u2066", "\u200b"])
FULLWIDTH_OFFSET = 0xFEE0  # "!".."~" → "！".."～"


def fullwidth(text: str, mask: list[bool] | None = None) -> str:
    """The fullwidth form of the ASCII characters of `text` (those where `mask` is true)."""
    return "".join(
        chr(ord(c) + FULLWIDTH_OFFSET) if "!" <= c <= "~" and (mask is None or mask[i % len(mask)]) else c
        for i, c in enumerate(text)
    )


# the ends of the calendar (issue 15): year 1 and 9999 overflow date arithmetic, year 999 was
# written unpadded; 1899/2201 are just outside what CONTRACT §14 accepts, 1900/2200 just inside
EDGE_DAYS = [
    "0001-01-01",
    "0001-12-31",
    "0999-06-15",
    "1899-12-31",
    "1900-01-01",
    "2200-12-31",
    "2201-01-01",
    "9999-12-31",
]
OFFSETS = ["", "Z"] + [
    f"{sign}{minutes // 60:02d}:{minutes % 60:02d}" for sign in "+-" for minutes in range(0, 14 * 60 + 1, 15)
]
calendar_ends = st.sampled_from(EDGE_DAYS) | st.builds(
    lambda day, clock, offset: f"{day}T{clock}{offset}",
    st.sampled_from(EDGE_DAYS),
    st.sampled_from(["00:00:00", "12:00:00", "23:59:59.999999", "00:00"]),
    st.sampled_from(OFFSETS),
)
# exponents Decimal reads but cannot compute with (1e999999999 / 100 overflows), as text and as
# JSON number literals (which json reads as inf, -0.0, 1e-320…); nan/inf spellings too
DECIMAL_EXPONENTS = ["1e999999999", "-1E-999999", "1E+999999", "1e-999999999", "9.99e999999", "1e308", "-1e308"]
decimal_exponents = st.one_of(
    st.sampled_from(DECIMAL_EXPONENTS),
    st.sampled_from(DECIMAL_EXPONENTS).map(lambda x: x + "%"),
    st.sampled_from([*DECIMAL_EXPONENTS, "1e-320", "NaN", "Infinity", "-Infinity"]).map(RawNumber),
    st.sampled_from(["nan", "NaN%", "inf", "-Infinity", "sNaN", "1e-320", "-0"]),
)


def wrong_shapes(item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """What a list field of ``item`` objects may be sent as: a string, number or null instead
    of the list; inside it, strings, numbers, nulls and nested lists instead of objects."""
    stray = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=10),
        decimal_exponents,
        calendar_ends,
        st.lists(st.integers() | st.text(max_size=5), max_size=2),
    )
    return st.one_of(
        stray,
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
        st.lists(item | stray, min_size=1, max_size=3),
        st.lists(st.lists(item, max_size=2), min_size=1, max_size=2),  # nested lists
        st.lists(item, max_size=3),
    )


# text that mixes the ordinary with what may not be stored
hostile_text = st.lists(
    st.text(max_size=8) | lone_surrogates | controls | st.text(max_size=8).map(fullwidth), min_size=1, max_size=6
).map("".join)

HOSTILE_REDIRECTS = [
    "https://evil.com\\@www.example.com/thanks",
    "https://www.example.com@evil.com/",
    "https:/\\evil.com",
    "//evil.com",
    "https://www.example.com%2F@evil.com",
    "javascript:alert(1)",
    "https://www.example.com/thanks\r\nSet-Cookie: a=b",
    "https://www.example.com/\ttab",
    "https://evil.com\t.www.example.com/",
    "https:///evil.com",
    "https:evil.com",
    " https://www.example.com/",
    "https://www.example.com/" + "x" * 5000,
    "https://www.example.com/\ud800",
]
SAFE_REDIRECTS = ["https://www.example.com/thanks", "https://WWW.EXAMPLE.COM:443/Thanks", "https://example.com"]
odd_redirects = (
    st.sampled_from(HOSTILE_REDIRECTS + SAFE_REDIRECTS)
    | st.lists(
        st.sampled_from(
            ["https:", "http:", "//", "/", "\\", "@", ":443", "%2F", "#", "?", "evil.com", "www.example.com", "\n"]
        ),
        max_size=6,
    ).map("".join)
    | st.text(max_size=30)
)
# present but "falsy": a person never sees the field, so any of these is a bot
honeypot_values = st.sampled_from([0, False, [], {}, " ", "\t", "0", "false", "null", None, "", "http://spam"])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=300),
    hostile_text,
    huge_numbers,
    calendar_ends,
    decimal_exponents,
    st.sampled_from(
        [
            "a@b.cn",
            "ａ@b.cn",
            "ｃonf.user@example.com",
            "13800138000",
            "１３８００１３８０００",
            "+1 415 555 0100",
            "中国",
            "制造业",
            "1,000",
            "1e5000",
            "9" * 60,
            "9" * 5000,
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "-1",
            "1e309",
            "91350100M000100Y43",
            "yes",
            "上海",
            "\x00",
            "\ud800",
            "\u202eevil",
            "=cmd|' /C calc'!A0",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | lone_surrogates, inner, max_size=3)
    ),
    max_leaves=6,
)
lead_objects = st.builds(
    lambda fields, control: {**fields, **control},
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=30) | hostile_text, json_values, max_size=25),
    st.fixed_dictionaries({}, optional={"_hp": honeypot_values, "_redirect": odd_redirects}),
)
form_fields = st.builds(
    lambda fields, control: {**fields, **control},
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), st.text(max_size=60) | hostile_text, max_size=12),
    st.fixed_dictionaries(
        {}, optional={"_hp": honeypot_values.filter(lambda v: isinstance(v, str)), "_redirect": odd_redirects}
    ),
)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # what a careless client would send for a lone surrogate


def urlencoded(fields: dict[str, str]) -> bytes:
    return urlencode({_utf8(k): _utf8(v) for k, v in fields.items()}).encode()


BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"


def multipart(fields: dict[str, str], files: dict[str, bytes] | None = None) -> bytes:
    """A multipart/form-data body as a browser's FormData sends it (boundary BOUNDARY)."""
    out = b""
    for name, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8", "surrogatepass")
        out += _utf8(value) + b"\r\n"
    for name, content in (files or {}).items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="f.bin"\r\n'.encode()
        out += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


# (raw body, content type, the fields as sent or None when the body is not a plain object)
bodies = st.one_of(
    lead_objects.map(lambda d: (dumps(d), "application/json", d)),
    form_fields.map(lambda d: (urlencoded(d), "application/x-www-form-urlencoded", d)),
    st.builds(
        lambda d, files: (multipart(d, files), f"multipart/form-data; boundary={BOUNDARY}", None if files else d),
        form_fields,
        st.dictionaries(st.sampled_from(["cv", "photo"]), st.binary(max_size=20), max_size=1),
    ),
    st.binary(max_size=400).map(lambda b: (b, "application/json", None)),
    st.tuples(
        st.binary(max_size=200),
        st.sampled_from(
            [
                "text/plain",
                "multipart/form-data",
                f"multipart/form-data; boundary={BOUNDARY}",
                "",
                "application/json; charset=gbk",
                "*/*",
            ]
        ),
        st.none(),
    ),
    st.integers(60_000, 70_000).map(
        lambda n: (b'{"email": "big@example.cn", "message": "' + b"x" * n + b'"}', "application/json", None)
    ),
    json_values.map(lambda v: (dumps(v), "application/json", v if isinstance(v, dict) else None)),
)
