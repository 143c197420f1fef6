"""Contracts: ids from the envelope, the annual value, renewal reminders at 09:00 local."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.customers.domain.contracts import Contract, RenewalRow, contract_id_for, renewal_reminders
from shared.kernel.domain.errors import InvalidTransition

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


def test_reminders_stay_at_nine_local_across_a_daylight_saving_change() -> None:
    # Settings timezone America/New_York: EST (UTC−5) before 14 March 2027, EDT (UTC−4) after
    ends_in_april = contract(end="2027-04-20")
    timers = renewal_reminders(ends_in_april, ROWS, "America/New_York", datetime(2026, 12, 1, tzinfo=UTC), "v1")
    assert [(t.data["days_before"], t.due_at.astimezone(UTC).isoformat()) for t in timers] == [
        (90, "2027-01-20T14:00:00+00:00"),
        (60, "2027-02-19T14:00:00+00:00"),
        (30, "2027-03-21T13:00:00+00:00"),  # after the change: 09:00 EDT
    ]
    # Asia/Shanghai has no daylight saving: always 01:00 UTC
    shanghai = renewal_reminders(ends_in_april, ROWS, "Asia/Shanghai", datetime(2026, 12, 1, tzinfo=UTC), "v1")
    assert {t.due_at.astimezone(UTC).hour for t in shanghai} == {1}


def test_a_reminder_due_later_on_the_day_of_signing_is_kept_and_one_at_the_instant_is_skipped() -> None:
    due_90 = datetime(2027, 10, 2, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    assert [t.data["days_before"] for t in renewal_reminders(contract(), ROWS, "Asia/Shanghai", due_90, "v1")] == [
        60,
        30,
    ]
    before = due_90 - timedelta(minutes=1)
    assert len(renewal_reminders(contract(), ROWS, "Asia/Shanghai", before, "v1")) == 3


def test_ending_a_contract_gives_back_its_pending_reminders_once() -> None:
    signed = contract()
    signed.reminders = ["tm_a", "tm_b"]
    signed.hold = {"case_ids": ["cs_1"], "since": "2027-10-02T01:00:00.000Z"}
    assert signed.end("cancelled", "2027-10-03T00:00:00.000Z", "customer left") == ["tm_a", "tm_b"]
    assert signed.status == "cancelled" and signed.reminders == [] and not signed.on_hold
    with pytest.raises(InvalidTransition):
        signed.end("renewed", "2027-10-04T00:00:00.000Z")


def test_a_hold_gathers_cases_and_its_release_says_since_when() -> None:
    signed = contract()
    assert signed.place_hold(["cs_2"], "2027-10-02T01:00:00.000Z") is True
    assert signed.place_hold(["cs_1", "cs_2"], "2027-10-05T01:00:00.000Z") is False
    assert signed.hold == {"case_ids": ["cs_1", "cs_2"], "since": "2027-10-02T01:00:00.000Z"}
    held = signed.release_hold("2027-10-09T01:00:00.000Z", "cs_1")
    assert held["since"] == "2027-10-02T01:00:00.000Z" and signed.hold is None
    assert [h["type"] for h in signed.history] == ["held", "released"]
    with pytest.raises(InvalidTransition):
        signed.release_hold("2027-10-10T01:00:00.000Z", "cs_1")
