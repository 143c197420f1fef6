"""The Sources tab's `webhooks` column (CONTRACT §3, §12): read in English or Chinese, checked
against the webhook kinds, a public source limited to leads, and a workbook without the column
publishing with a warning (every source may then post leads and behavior only)."""

from __future__ import annotations

from admin_sheets.parse import parse_workbook
from admin_sheets.tabs import TABS
from shared.rules.domain.rules import DEFAULT_WEBHOOKS, WEBHOOK_KINDS, RuleSet, Source
from tests.unit.admin_sheets.helpers import example_raw, messages, set_cell


def _sources(raw: dict[str, list[list[str]]]) -> dict[str, Source]:
    parsed = parse_workbook(raw)
    assert parsed.ok and parsed.content is not None, messages(parsed)
    return RuleSet.from_content(parsed.content, "v1-test").sources


def _column(raw: dict[str, list[list[str]]]) -> str:
    return "ABCDEFGHIJ"[raw["Sources"][0].index("webhooks")]


def test_the_example_binds_each_source_to_what_it_posts() -> None:
    sources = _sources(example_raw())
    assert sources["contact-center"].webhooks == ("cases",)
    assert sources["esign"].may_post("esign") and not sources["hubspot"].may_post("esign")
    assert not sources["wechat"].may_post("shipments") and sources["warehouse"].may_post("shipments")
    assert sources["hubspot"].may_post("behavior") and not sources["contact-center"].may_post("leads")


def test_a_chinese_header_and_a_blank_cell() -> None:
    raw = example_raw()
    column = _column(raw)
    set_cell(raw, "Sources", f"{column}1", "可用接口")
    set_cell(raw, "Sources", f"{column}3", "")  # hubspot: blank
    sources = _sources(raw)
    assert sources["hubspot"].webhooks == ()
    assert [k for k in WEBHOOK_KINDS if sources["hubspot"].may_post(k)] == list(DEFAULT_WEBHOOKS)
    assert sources["contact-center"].webhooks == ("cases",)


def test_surveys_is_a_kind_and_an_unknown_kind_is_a_problem_at_its_cell() -> None:
    raw = example_raw()
    column = _column(raw)
    set_cell(raw, "Sources", f"{column}3", "leads, surveys")
    assert _sources(raw)["hubspot"].webhooks == ("leads", "surveys")
    set_cell(raw, "Sources", f"{column}3", "leads, invoices")
    problems = messages(parse_workbook(raw))
    assert any(p.startswith(f"Sources!{column}3:") and "invoices" in p for p in problems), problems


def test_a_public_source_can_post_leads_only() -> None:
    raw = example_raw()
    column = _column(raw)
    set_cell(raw, "Sources", f"{column}2", "leads,esign")  # website is public
    problems = messages(parse_workbook(raw))
    assert any(p.startswith(f"Sources!{column}2:") and "public source can post leads only" in p for p in problems)


def test_a_workbook_without_the_column_publishes_with_a_warning() -> None:
    raw = example_raw()
    at = raw["Sources"][0].index("webhooks")
    raw["Sources"] = [row[:at] + row[at + 1 :] for row in raw["Sources"]]
    parsed = parse_workbook(raw)
    assert parsed.ok, messages(parsed)
    warning = next(str(w) for w in parsed.warnings if "webhooks column" in str(w))
    assert warning.startswith("Sources!A1: warning:") and "contact-center" in warning
    sources = _sources(raw)
    assert sources["contact-center"].may_post("leads") and not sources["contact-center"].may_post("cases")


def test_content_published_before_the_column_reads_as_the_default() -> None:
    source = RuleSet.from_content({"Sources": [{"source": "old", "kind": "signed"}]}, "v1").sources["old"]
    assert source.webhooks == () and source.may_post("behavior") and not source.may_post("esign")


def test_the_column_is_declared_once_with_its_chinese_header_and_help() -> None:
    column = next(t for t in TABS if t.name == "Sources").column("webhooks")
    assert column.enum == WEBHOOK_KINDS and column.zh and "surveys" in column.help and "surveys" in column.help_zh
