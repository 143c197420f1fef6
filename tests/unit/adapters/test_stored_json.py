"""The size guards measure exactly what the JSON attribute stores (one encoding for both)."""

from __future__ import annotations

import json

import pytest

from shared.adapters.dynamo.models import CaseItem, OrderItem
from shared.kernel.domain.stored_json import stored_size

DOCS = [
    {"note": "客户反馈发票抬头有误，需要重新开具。" * 50, "n": 3, "ok": True, "none": None},
    {"emoji": "🧾 发票 ✓", "nested": [{"a": "ü"}, [1, 2.5, "x"]], "empty": {}},
    {"lone surrogate": "\ud800 and \udfff", "quote": '"\\\n\t'},
    {"ascii": "plain text only"},
]


@pytest.mark.parametrize("doc", DOCS)
def test_the_guard_measures_the_bytes_the_attribute_stores(doc: dict[str, object]) -> None:
    stored = CaseItem.doc.serialize(doc)
    assert stored is not None
    assert stored_size(doc) == len(stored.encode("utf-8"))  # what DynamoDB counts for the value
    assert CaseItem.doc.deserialize(stored) == doc


def test_chinese_text_takes_three_bytes_a_character_not_six() -> None:
    doc = {"note": "发" * 1000}
    assert len(OrderItem.doc.serialize(doc).encode("utf-8")) < 3020  # escaped, it was 6,000 and more
    assert "\\u" not in OrderItem.doc.serialize(doc)


@pytest.mark.parametrize("doc", DOCS)
def test_items_written_escaped_before_still_read(doc: dict[str, object]) -> None:
    assert CaseItem.doc.deserialize(json.dumps(doc)) == doc
