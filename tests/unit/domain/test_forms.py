"""is_bot (the honeypot) and text_problem (what text may be stored)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.kernel.domain.forms import is_bot, printable_name, text_problem


@pytest.mark.parametrize("value", ["http://spam", "x", " ", "\t", "0", 0, 1, False, True, [], [""], {}, 0.0])
def test_any_value_in_the_honeypot_is_a_bot(value: Any) -> None:
    assert is_bot({"email": "a@example.com", "_hp": value})


@pytest.mark.parametrize("payload", [{}, {"_hp": ""}, {"_hp": None}, {"email": "a@example.com", "hp": "x"}])
def test_a_missing_or_empty_honeypot_is_a_person(payload: dict[str, Any]) -> None:
    assert not is_bot(payload)


@pytest.mark.parametrize("text", ["张伟", "Li Lei", "O'Brien-Smith", "שלום\u200f", "👩\u200d💻", "ｆｕｌｌ"])
def test_ordinary_text_is_fine(text: str) -> None:
    assert text_problem(text) is None and text_problem(text, multiline=True) is None


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\r\nb"])
def test_tabs_and_line_breaks_are_fine_in_multi_line_text_only(text: str) -> None:
    assert text_problem(text) is not None and text_problem(text, multiline=True) is None


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\x00", "\x07", "\x1b", "\x7f", "\x80", "\x9f"])
def test_lone_surrogates_and_other_controls_are_refused_everywhere(text: str) -> None:
    assert text_problem(text) is not None and text_problem(text, multiline=True) is not None


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
def test_bidi_overrides_and_isolates_are_refused_in_single_line_text(char: str) -> None:
    assert text_problem(f"ab{char}cd") is not None and text_problem(f"ab{char}cd", multiline=True) is None


@pytest.mark.parametrize(("name", "shown"), [("wechat", "wechat"), ("\ud800", "\\ud800"), ("a\x00b", "a\\x00b")])
def test_printable_name_escapes_what_cannot_be_sent_back(name: str, shown: str) -> None:
    assert printable_name(name) == shown
