"""The tab declarations are consistent: they are what everything else is derived from."""

from __future__ import annotations

import dataclasses

import pytest

from admin_sheets.tabs import (
    SETTINGS_KEYS,
    TABS,
    Column,
    Tab,
    canonical_tab_name,
    header_index,
    normalize_header,
)
from shared.rules.domain.rules import Settings


@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.name)
def test_every_column_has_help_example_and_chinese_header(tab: Tab) -> None:
    assert tab.zh and tab.help
    for col in tab.columns:
        assert col.zh, col.name
        assert "Example" in col.help and col.example, col.name


@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.name)
def test_headers_are_unambiguous(tab: Tab) -> None:
    spellings = [normalize_header(c.name) for c in tab.columns] + [
        normalize_header(c.zh) for c in tab.columns if normalize_header(c.zh) != normalize_header(c.name)
    ]
    assert len(spellings) == len(set(spellings))
    assert len(header_index(tab)) == len(spellings)


def test_tab_names_are_unique_in_both_languages() -> None:
    names = [t.name.casefold() for t in TABS] + [t.zh for t in TABS]
    assert len(names) == len(set(names)) == 34


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Owners", "Owners"), ("owners", "Owners"), (" 负责人 ", "Owners"), ("SLA", "SLA"), ("Status", None)],
)
def test_canonical_tab_name(name: str, expected: str | None) -> None:
    assert canonical_tab_name(name) == expected


def test_settings_keys_match_the_domain_settings() -> None:
    domain = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert [k.name for k in SETTINGS_KEYS] == list(domain)
    for key in SETTINGS_KEYS:
        default = tuple(key.default) if isinstance(key.default, list) else key.default
        assert default == domain[key.name], key.name


def test_a_column_with_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        Column("x", "decimal")
    with pytest.raises(ValueError, match="enum"):
        Column("x", "enum")
