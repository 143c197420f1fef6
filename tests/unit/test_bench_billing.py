"""The bench's DynamoDB bill (bench/billing.py): items sized by hand from the developer guide's
"Item sizes and formats" rules, and write units as DynamoDB bills them."""

from __future__ import annotations

import base64

import pytest

from bench.billing import (
    IndexSpec,
    TableSpec,
    bill_read,
    bill_write,
    item_size,
    item_write_units,
    number_size,
    table_specs,
    write_targets,
    write_units,
)


def test_strings_count_utf8_bytes_of_name_and_value() -> None:
    assert item_size({"id": {"S": "abc"}}) == 2 + 3
    assert item_size({"公司": {"S": "苏州精工"}}) == 6 + 12  # 3 bytes per character, name too


@pytest.mark.parametrize(
    ("number", "size"),
    [
        ("7", 1 + 1),  # one significant digit: 1 byte + 1
        ("123.45", 3 + 1),  # five digits: 3 bytes + 1
        ("1000", 1 + 1),  # trailing zeroes trimmed
        ("0.0012", 1 + 1),  # leading zeroes trimmed
        ("600000", 1 + 1),
        ("12345678", 4 + 1),
    ],
)
def test_numbers_count_one_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    assert number_size(number) == size


def test_binary_counts_raw_bytes_not_base64() -> None:
    assert item_size({"b": {"B": base64.b64encode(b"hello").decode()}}) == 1 + 5


def test_null_and_booleans_are_one_byte() -> None:
    assert item_size({"x": {"NULL": True}, "ok": {"BOOL": False}}) == (1 + 1) + (2 + 1)


def test_maps_and_lists_cost_three_bytes_plus_one_per_element() -> None:
    # name 1 + overhead 3 + ("a" 1 + "x" 1 + 1) + ("b" 1 + true 1 + 1)
    assert item_size({"m": {"M": {"a": {"S": "x"}, "b": {"BOOL": True}}}}) == 1 + 3 + 3 + 3
    # name 1 + overhead 3 + (7: 2 + 1) + (null: 1 + 1)
    assert item_size({"l": {"L": [{"N": "7"}, {"NULL": True}]}}) == 1 + 3 + 3 + 2
    assert item_size({"e": {"M": {}}}) == 1 + 3


def test_sets_are_the_sum_of_their_members() -> None:
    assert item_size({"tags": {"SS": ["ab", "中"]}}) == 4 + 2 + 3


def test_a_write_is_one_unit_per_started_kilobyte() -> None:
    assert [write_units(n) for n in (0, 1, 1024, 1025, 2048, 2049)] == [1, 1, 1, 2, 2, 3]


LEADS = TableSpec("leads", ("lead_id",), (IndexSpec("by_day", ("day", "at")),))
CASES = TableSpec("cases", ("case_id",), (IndexSpec("by_account", ("account", "at"), "INCLUDE", ("state",)),))
KEYS = TableSpec("contracts", ("contract_id",), (IndexSpec("by_account", ("account",), "KEYS_ONLY"),))


def _lead(note: str, day: str | None = "2026-12-07") -> dict:
    item = {"lead_id": {"S": "ld_1"}, "at": {"S": "T09"}, "note": {"S": note}}
    if day is not None:
        item["day"] = {"S": day}
    return item


def test_a_put_bills_the_table_and_every_index_it_enters() -> None:
    lead = _lead("x" * 1500)  # 7+4 + 2+3 + 4+1500 + 3+10 = 1533 bytes: 2 KB started
    assert item_size(lead) == 1533
    assert item_write_units(LEADS, None, lead) == {"leads": 2, "leads/by_day": 2}
    assert item_write_units(LEADS, None, lead, transactional=True) == {"leads": 4, "leads/by_day": 2}


def test_a_sparse_index_costs_nothing_for_an_item_without_its_keys() -> None:
    assert item_write_units(LEADS, None, _lead("hi", day=None)) == {"leads": 1}


def test_an_update_bills_the_larger_image_and_a_moved_index_key_twice() -> None:
    small, large = _lead("a"), _lead("a" * 1100)
    assert item_write_units(LEADS, small, large) == {"leads": 2, "leads/by_day": 2}
    moved = {**small, "day": {"S": "2026-12-08"}}
    assert item_write_units(LEADS, small, moved) == {"leads": 1, "leads/by_day": 1 + 1}  # delete + put
    assert item_write_units(LEADS, small, _lead("a", day=None)) == {"leads": 1, "leads/by_day": 1}  # leaves


def test_narrow_projections_are_written_only_when_what_they_hold_changes() -> None:
    case = {"case_id": {"S": "cs_1"}, "account": {"S": "ac_1"}, "at": {"S": "T1"}, "state": {"S": "open"}}
    noted = {**case, "notes": {"L": [{"S": "called"}]}}
    assert item_write_units(CASES, case, noted) == {"cases": 1}  # notes are not projected
    closed = {**case, "state": {"S": "closed"}}
    assert item_write_units(CASES, case, closed) == {"cases": 1, "cases/by_account": 1}
    contract = {"contract_id": {"S": "ct_1"}, "account": {"S": "ac_1"}, "history": {"L": []}}
    assert item_write_units(KEYS, contract, {**contract, "history": {"L": [{"S": "signed"}]}}) == {"contracts": 1}


def test_a_transaction_bills_each_item_twice_and_a_condition_check_as_a_write() -> None:
    tables = {"leads": LEADS, "cases": CASES}
    lead = _lead("hi")
    request = {
        "TransactItems": [
            {"Put": {"TableName": "leads", "Item": lead}},
            {"ConditionCheck": {"TableName": "cases", "Key": {"case_id": {"S": "cs_1"}}}},
        ]
    }
    targets = write_targets("TransactWriteItems", request, tables)
    assert targets == [
        ("leads", {"lead_id": {"S": "ld_1"}}, "Put"),
        ("cases", {"case_id": {"S": "cs_1"}}, "ConditionCheck"),
    ]
    case = {"case_id": {"S": "cs_1"}}
    assert bill_write("TransactWriteItems", targets, [None, case], [lead, case], tables) == {
        "leads": 2,
        "leads/by_day": 1,
        "cases": 2,
    }


def test_a_query_bills_the_items_it_read_in_4_kb_blocks() -> None:
    items = [_lead("x" * 1500)] * 3  # 4,599 bytes: two blocks, eventually consistent
    request = {"TableName": "leads", "IndexName": "by_day"}
    assert bill_read("Query", request, {"Items": items, "Count": 3, "ScannedCount": 3}) == [("leads/by_day", 1.0)]
    assert bill_read("GetItem", {"TableName": "leads", "ConsistentRead": True}, {}) == [("leads", 1.0)]


def test_the_template_gives_every_table_its_indexes_and_projections() -> None:
    from infra.template import load_template
    from shared.adapters.settings import Settings

    specs = table_specs(load_template())
    events = specs[Settings().table("events")]  # the local stack's name (stage dev)
    assert events.keys == ("event_id",)
    assert {i.name: i.projection for i in events.indexes} == {
        "by_subject": "KEYS_ONLY",
        "pending": "KEYS_ONLY",
        "audit_by_actor": "KEYS_ONLY",  # sparse: people's changes only (a webhook's lead never enters it)
        "audit_by_day": "KEYS_ONLY",
    }
    assert all(i.projection in ("ALL", "KEYS_ONLY", "INCLUDE") for s in specs.values() for i in s.indexes)


def test_the_cost_of_a_lead_is_each_counted_unit_at_its_list_price() -> None:
    from collections import Counter

    from bench.billing import Bill
    from bench.lead_bill import Calls, costs

    bill = Bill(write=Counter({"leads": 40}), read=Counter({"leads": 8}))
    calls = Calls()
    calls.invocations.update({"ApiFunction": 2, "KpiRollupFunction": 1})
    calls.seconds.update({"ApiFunction": 0.4, "KpiRollupFunction": 1.0})  # 0.2 s each, 1 s
    calls.memory_mb.update({"ApiFunction": 512, "KpiRollupFunction": 1024})
    calls.sqs_messages["KpiRollupFunction"] = 4  # one batch of 4 events from EventBridge
    calls.bus_events["ApiFunction"] = 4
    usd = costs(bill, calls, leads=2)
    assert usd["dynamodb"] == pytest.approx((40 * 0.625 + 8 * 0.125) / 1e6 / 2)
    gb_seconds = 2 * 0.2 * 0.5 + 1 * 1.0 * 1.0  # 1.2 GB-s for 2 leads
    assert usd["lambda"] == pytest.approx((3 * 0.20 / 1e6 + gb_seconds * 0.0000166667) / 2)
    assert usd["eventbridge"] == pytest.approx(4 / 1e6 / 2)
    assert usd["sqs"] == pytest.approx((4 + 2) * 0.40 / 1e6 / 2)  # 4 sends + a receive and a delete
    assert usd["api_gateway"] == pytest.approx(3.50 / 1e6)
