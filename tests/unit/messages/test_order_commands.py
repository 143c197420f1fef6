"""Fulfilment's commands read from a request (shared/fulfilment/messages/orders.py): the shipment webhook's
report and finance's write-back, every bad field named in the sentences the warehouse and finance
have always been sent, and a good request read into what the service takes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.fulfilment.messages.orders import InvoiceStatusReport, ShipmentReport, SignatureReport
from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.messages.validation import read

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
SHIPPED = {"shipment_id": " SH-1 ", "order_id": "or_1", "status": "shipped"}


def refused(model: Any, payload: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(model, payload, now=NOW)
    assert str(error.value) == f"{len(error.value.fields)} field(s) are not valid"
    return error.value.fields


def test_a_good_shipment_report_is_trimmed_and_its_lines_are_by_sku() -> None:
    lines = [{"sku": " CL-PRO ", "quantity": 6}, {"sku": "CL-ONB", "quantity": 3}]
    report = read(ShipmentReport, {**SHIPPED, "at": "2026-11-21T13:00:00+08:00", "lines": lines, "x": 1}, now=NOW)
    assert (report.shipment_id, report.order_id, report.status) == ("SH-1", "or_1", "shipped")
    assert report.at == "2026-11-21T05:00:00.000Z" and report.lines == {"CL-PRO": 6, "CL-ONB": 3}
    later = read(ShipmentReport, SHIPPED, now=NOW)
    assert (later.at, later.lines) == (None, None)  # the service's now; a known shipment's lines


def test_every_bad_field_of_a_shipment_report_is_named_in_one_answer() -> None:
    fields = refused(
        ShipmentReport,
        {
            "shipment_id": "  ",
            "order_id": "or\n1",
            "at": "2026-11-21T14:06:00Z",
            "lines": [{"sku": "CL-PRO", "quantity": 0}, {"sku": "CL-PRO", "quantity": True}, "CL-ONB"],
        },
    )
    assert fields == {
        "shipment_id": "is required: printable text of 1 to 100 characters",
        "order_id": "is required: printable text of 1 to 100 characters",
        "status": "must be one of shipped, delivered, signed",
        "at": "is in the future (5 minutes of clock skew allowed)",
        "lines[0].quantity": "must be a whole number from 1 to 1000000000",
        "lines[1].sku": "appears twice in this shipment",
        "lines[1].quantity": "must be a whole number from 1 to 1000000000",
        "lines[2].sku": "must be text of 1 to 100 characters",
        "lines[2].quantity": "must be a whole number from 1 to 1000000000",
    }
    assert refused(ShipmentReport, {**SHIPPED, "at": "yesterday", "lines": []}) == {
        "at": "must be an ISO 8601 time between 1900 and 2200",
        "lines": "must be a list of 1 to 200 lines [{sku, quantity}]",
    }


@pytest.mark.parametrize("status", [{}, [], None, 3, "lost"])
def test_a_status_that_is_not_one_of_the_words_is_400_not_500(status: object) -> None:
    assert refused(InvoiceStatusReport, {"status": status}) == {"status": "must be one of issued, paid, rejected"}
    assert refused(ShipmentReport, {**SHIPPED, "status": status}) == {
        "status": "must be one of shipped, delivered, signed"
    }


def test_a_good_write_back_keeps_what_finance_said() -> None:
    issued = read(
        InvoiceStatusReport, {"status": "issued", "invoice_number": " No 1 ", "due_date": "2026-12-31"}, now=NOW
    )
    assert (issued.status, issued.invoice_number, issued.due_date, issued.at) == (
        "issued",
        "No 1",
        date(2026, 12, 31),
        None,
    )
    rejected = read(
        InvoiceStatusReport, {"status": "rejected", "reason": "wrong address", "at": "2026-11-21T13:00:00Z"}, now=NOW
    )
    assert (rejected.reason, rejected.at) == ("wrong address", "2026-11-21T13:00:00.000Z")


def test_every_bad_field_of_a_write_back_is_named_in_one_answer() -> None:
    fields = refused(
        InvoiceStatusReport,
        {"status": "rejected", "invoice_number": "", "due_date": "31/12/2026", "at": 5},
    )
    assert fields == {
        "invoice_number": "is required: printable text of 1 to 100 characters",
        "due_date": "must be a date YYYY-MM-DD between 1900 and 2200",
        "at": "must be an ISO 8601 time between 1900 and 2200",
        "reason": "is required when finance rejects an invoice",
    }
    assert refused(InvoiceStatusReport, {"status": "rejected", "reason": "x" * 501}) == {
        "reason": "is required: printable text of 1 to 500 characters"
    }


ENVELOPE = {"envelope_id": " env-1 ", "status": "completed", "quote_id": "qt_1"}


def test_a_completed_envelope_is_read_with_its_term() -> None:
    signed = read(SignatureReport, {**ENVELOPE, "start_date": "2027-01-01", "end_date": "2027-12-31"}, now=NOW)
    assert (signed.envelope_id, signed.completed, signed.term, signed.signed_at) == (
        "env-1",
        True,
        ("2027-01-01", "2027-12-31"),
        None,
    )


def test_an_envelope_in_another_status_is_ignored_whatever_else_it_says() -> None:
    voided = read(SignatureReport, {"status": " voided ", "envelope_id": 7, "start_date": "soon"}, now=NOW)
    assert (voided.completed, voided.status) == (False, "voided")


def test_every_bad_field_of_a_completed_envelope_is_named_in_one_answer() -> None:
    fields = refused(
        SignatureReport,
        {
            **ENVELOPE,
            "envelope_id": "x" * 201,
            "quote_id": "qt\u202e1",
            "signed_at": "2026-11-21T14:06:00Z",
            "start_date": "2027-01-01",
            "end_date": "2026-12-31",
        },
    )
    assert fields == {
        "envelope_id": "required text (at most 200 characters)",
        "quote_id": fields["quote_id"],
        "signed_at": "is in the future (now is 2026-11-21T14:00:00.000Z)",
        "end_date": "the term ends (2026-12-31) before it starts (2027-01-01)",
    }
    assert fields["quote_id"] != "required text (at most 200 characters)"  # the text's own problem
    assert refused(SignatureReport, {"signed_at": "soon"}) == {
        "envelope_id": "required text (at most 200 characters)",
        "status": "required text (at most 200 characters)",
        "quote_id": "required text (at most 200 characters)",
        "signed_at": "must be an ISO 8601 time between 1900 and 2200",
        "start_date": "must be a date YYYY-MM-DD between 1900 and 2200",
        "end_date": "must be a date YYYY-MM-DD between 1900 and 2200",
    }
