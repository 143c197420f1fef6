"""Contracts: ids from the envelope, the annual value, renewal reminders at 09:00 local."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from shared.domain.contracts import Contract, RenewalRow, contract_id_for, renewal_reminders

ROWS = [RenewalRow.from_row({"days_before": d, "notify": "am,manager", "create_opportunity": d == 90}, n)
        for n, d in enumerate((90, 60, 30), 1)]  # fmt: skip


def contract(start: str = "2027-01-01", end: str = "2027-12-31", amount: str = "365000.00") -> Contract:
    return Contract(
        contract_id=contract_id_for("docusign", "env-1"),
        source="docusign",
        envelope_id="env-1",
        quote_id="qt_1",
        opportunity_id="op_1",
        account_id="ac_1",
        order_id="or_1",
        owner_id="u_wang",
        signed_at="2026-12-20T08:00:00.000Z",
        start_date=start,
        end_date=end,
        amount=amount,
        currency="CNY",
    )


def test_the_same_envelope_is_the_same_contract_and_another_source_is_not() -> None:
    assert contract_id_for("docusign", "env-1") == contract_id_for("docusign", "env-1")
    assert contract_id_for("docusign", "env-1") != contract_id_for("esign-cn", "env-1")


def test_reminders_are_at_nine_in_the_morning_local_time_before_the_end() -> None:
    timers = renewal_reminders(contract(), ROWS, "Asia/Shanghai", datetime(2026, 12, 20, tzinfo=UTC), "Renewals, v1")
    assert [(t.data["days_before"], t.due_at.isoformat()) for t in timers] == [
        (90, "2027-10-02T09:00:00+08:00"),
        (60, "2027-11-01T09:00:00+08:00"),
        (30, "2027-12-01T09:00:00+08:00"),
    ]
    assert [t.data["create_opportunity"] for t in timers] == [True, False, False]
    assert timers[0].data["notify_roles"] == ["am", "manager"]
    assert len({t.timer_id for t in timers}) == 3


def test_a_reminder_whose_day_has_passed_at_signing_is_skipped_not_fired_late() -> None:
    signed = datetime(2027, 11, 15, tzinfo=UTC)  # after the 90- and 60-day reminders
    timers = renewal_reminders(contract(), ROWS, "Asia/Shanghai", signed, "Renewals, v1")
    assert [t.data["days_before"] for t in timers] == [30]


def test_the_annual_value_scales_the_amount_to_a_year() -> None:
    assert contract().annual_value() == Decimal("365000.00")
    two_years = contract(start="2027-01-01", end="2028-12-31", amount="731000.00")
    assert two_years.annual_value() == Decimal("365000.00")
