"""Account health: each dimension's formula, the weighted mean, thresholds, and the warning that
comes once when an account newly falls (shared/customers/domain/health.py, health_signals.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.customers.domain.accounts import Account
from shared.customers.domain.health import (
    HISTORY_DAYS,
    HealthPolicy,
    assess,
    engagement_score,
    payment_score,
    refresh,
    support_score,
    usage_score,
    warning,
)
from shared.customers.domain.health_signals import (
    record_activity,
    record_case,
    record_invoice,
    record_usage,
)
from shared.kernel.domain.events import iso

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
OLD = iso(NOW - timedelta(days=400))  # an account old enough to be judged on engagement
EXAMPLE = HealthPolicy(
    weights={"usage": 0.4, "support": 0.2, "payment": 0.2, "engagement": 0.2},
    thresholds={"usage": 60, "support": 70, "payment": 80, "engagement": 50},
    threshold=60,
)


def _ago(**delta: float) -> str:
    return iso(NOW - timedelta(**delta))


def _usage(active: int, licensed: int) -> dict[str, Any]:
    return {"usage": {"at": _ago(hours=1), "active_users": active, "licensed_users": licensed}}


def _busy(days: int) -> dict[str, int]:
    return {(NOW - timedelta(days=n)).date().isoformat(): 2 for n in range(days)}


# ------------------------------------------------------------------ each dimension


@pytest.mark.parametrize(
    ("active", "licensed", "score"),
    [(0, 50, 0), (25, 50, 50), (50, 50, 100), (80, 50, 100), (1, 3, 33), (2, 3, 67), (1, 200, 1)],
)
def test_usage_is_active_over_licensed_users_capped_at_100(active: int, licensed: int, score: int) -> None:
    assert usage_score(_usage(active, licensed))["score"] == score


def test_usage_without_a_report_has_no_data() -> None:
    assert usage_score({})["score"] is None


@pytest.mark.parametrize(
    ("csat", "cases", "score"),
    [
        ([], {}, 100),  # nobody rated, nothing open: nothing wrong
        ([5, 5], {}, 100),
        ([1], {}, 0),
        ([3], {}, 50),
        ([4, 5], {}, 88),  # mean 4.5 → 87.5, halves up
        ([], {"c1": "P1"}, 70),
        ([], {"c1": "P2", "c2": "P2"}, 70),
        ([4], {"c1": "P1", "c2": "P2"}, 30),  # 75 − 30 − 15
        ([], {"c1": "P1", "c2": "P1", "c3": "P1", "c4": "P1"}, 0),  # never below 0
        ([], {"c1": "P3", "c2": "P4"}, 100),  # only P1 and P2 count
    ],
)
def test_support_is_the_csat_part_less_open_p1_and_p2_cases(csat: list[int], cases: dict[str, str], score: int) -> None:
    signals = {
        "csat": [{"case_id": f"r{n}", "score": s, "at": _ago(days=10)} for n, s in enumerate(csat)],
        "cases": {case_id: {"priority": p, "opened_at": _ago(days=1)} for case_id, p in cases.items()},
    }
    assert support_score(signals, NOW)["score"] == score


def test_support_counts_csat_of_the_last_90_days_only() -> None:
    signals = {
        "csat": [{"case_id": "a", "score": 1, "at": _ago(days=91)}, {"case_id": "b", "score": 5, "at": _ago(days=89)}]
    }
    assert support_score(signals, NOW) | {} == {
        "score": 100, "csat": 5, "csat_count": 1, "open_p1": 0, "open_p2": 0
    }  # fmt: skip


def _invoice(status: str, due_days_ago: int | None = None, at_days_ago: int = 1) -> dict[str, Any]:
    due = None if due_days_ago is None else (NOW - timedelta(days=due_days_ago)).date().isoformat()
    return {"status": status, "due_date": due, "at": _ago(days=at_days_ago), "order_id": "or_1"}


@pytest.mark.parametrize(
    ("invoices", "score"),
    [
        ({}, 100),
        ({"i1": _invoice("issued", due_days_ago=-5)}, 100),  # due in 5 days
        ({"i1": _invoice("issued", due_days_ago=0)}, 100),  # due today: not yet overdue
        ({"i1": _invoice("issued", due_days_ago=1)}, 75),
        ({"i1": _invoice("issued", due_days_ago=31)}, 50),  # over 30 days late counts twice
        ({"i1": _invoice("issued")}, 100),  # no due date: cannot be overdue
        ({"i1": _invoice("rejected", at_days_ago=10)}, 75),
        ({"i1": _invoice("rejected", at_days_ago=91)}, 100),  # rejected over 90 days ago
        ({f"i{n}": _invoice("issued", due_days_ago=40) for n in range(3)}, 0),
    ],
)
def test_payment_loses_points_per_overdue_or_rejected_invoice(invoices: dict[str, Any], score: int) -> None:
    assert payment_score({"invoices": invoices}, NOW)["score"] == score


@pytest.mark.parametrize(("days", "score"), [(0, 0), (1, 25), (3, 75), (4, 100), (12, 100)])
def test_engagement_is_25_per_active_day_in_the_last_30(days: int, score: int) -> None:
    assert engagement_score({"activity": _busy(days)}, OLD, NOW)["score"] == score


def test_engagement_forgets_activity_older_than_30_days_and_waits_for_young_accounts() -> None:
    stale = {(NOW - timedelta(days=31)).date().isoformat(): 5}
    assert engagement_score({"activity": stale}, OLD, NOW)["score"] == 0
    assert engagement_score({"activity": _busy(2)}, _ago(days=10), NOW)["score"] is None  # too new to judge
    assert engagement_score({}, None, NOW)["score"] == 0  # an account from before creation times were kept


# ------------------------------------------------------------------ the score


def test_the_score_is_the_weighted_mean_by_the_health_tab() -> None:
    # usage 50 (×0.4), support 100, payment 100, engagement 50 (×0.2 each) → 70
    result = assess({**_usage(25, 50), "activity": _busy(2)}, OLD, EXAMPLE, NOW)
    assert result.score == 70
    assert {k: v["score"] for k, v in result.dimensions.items()} == {
        "usage": 50, "support": 100, "payment": 100, "engagement": 50
    }  # fmt: skip
    assert result.below == ("usage",)  # usage 50 < 60; engagement 50 is not below 50; score 70 ≥ 60


def test_dimensions_without_data_leave_the_mean_and_weights_are_renormalised() -> None:
    # no usage report: support 100, payment 100, engagement 0, each 0.2 of 0.6 → 66.7 → 67
    result = assess({}, OLD, EXAMPLE, NOW)
    assert result.score == 67 and result.dimensions["usage"]["score"] is None
    assert result.below == ("engagement",)
    # nothing has data when no dimension weighs anything
    assert assess({}, OLD, HealthPolicy({}, {}, 60), NOW).score is None


def test_a_score_below_the_setting_is_below_as_score() -> None:
    result = assess({**_usage(5, 50), "activity": _busy(1)}, OLD, EXAMPLE, NOW)
    # 0.4×10 + 0.2×100 + 0.2×100 + 0.2×25 = 49
    assert result.score == 49 and result.below == ("usage", "engagement", "score")


def test_the_policy_reads_the_health_tab_rows() -> None:
    rows = [
        {"dimension": "usage", "weight": 0.5, "threshold": 40},
        {"dimension": "payment", "weight": 0.5, "threshold": None},
    ]
    policy = HealthPolicy.from_rows(rows, 75)
    assert policy.weights == {"usage": 0.5, "payment": 0.5} and policy.thresholds == {"usage": 40, "payment": None}
    result = assess({**_usage(10, 50), "invoices": {"i": _invoice("issued", due_days_ago=60)}}, OLD, policy, NOW)
    # usage 20 below 40; payment 50 has no threshold; support and engagement weigh nothing
    assert result.score == 35 and result.below == ("usage", "score")


# ------------------------------------------------------------------ kept on the account, warned once


def _account(**signals: Any) -> Account:
    return Account("ac_" + "0" * 20, "上海精密制造", "CN", account_manager_id="u_xu", created_at=OLD, signals=signals)


def test_a_warning_names_what_newly_fell_and_not_again_while_it_stays_below() -> None:
    account = _account(**_usage(40, 50), activity=_busy(4))
    first = refresh(account, EXAMPLE, NOW, "v1")
    assert first.fell == () and warning(account, first, NOW, "v1") is None
    record_usage(account.signals, {"at": iso(NOW), "active_users": 5, "licensed_users": 50}, "product-analytics")
    fell = refresh(account, EXAMPLE, NOW + timedelta(minutes=1), "v1")
    event = warning(account, fell, NOW, "v1")
    assert fell.fell == ("usage",) and event is not None
    assert event.type == "HealthWarning" and event.subject == f"account/{account.account_id}"
    assert event.data["fell"] == ["usage"] and event.data["notify"] == ["u_xu"]
    assert event.data["dimensions"]["usage"] == {"score": 10, "threshold": 60}
    # the next days: still low, no new warning
    for day in (1, 2, 3):
        again = refresh(account, EXAMPLE, NOW + timedelta(days=day), "v1")
        assert again.fell == () and again.changed  # a new day's point in the history
    # then the score falls too: only that is new
    account.signals["activity"] = {}
    worse = refresh(account, EXAMPLE, NOW + timedelta(days=4), "v1")
    assert worse.fell == ("engagement", "score")
    # recovered, then down again: warned again
    account.signals.update(_usage(50, 50), activity=_busy(4))
    assert refresh(account, EXAMPLE, NOW + timedelta(days=4, hours=1), "v1").assessment.below == ()
    account.signals.update(_usage(1, 50))
    assert refresh(account, EXAMPLE, NOW + timedelta(days=4, hours=2), "v1").fell == ("usage",)


def test_the_history_keeps_one_point_a_day_and_is_bounded() -> None:
    account = _account(**_usage(40, 50))
    for day in range(HISTORY_DAYS + 20):
        refresh(account, EXAMPLE, NOW + timedelta(days=day), "v1")
        refresh(account, EXAMPLE, NOW + timedelta(days=day, hours=3), "v1")  # the day's latest wins
    history = account.health_history
    assert len(history) == HISTORY_DAYS
    assert history[-1]["date"] == (NOW + timedelta(days=HISTORY_DAYS + 19)).date().isoformat()
    assert set(history[-1]) == {"date", "score", "usage", "support", "payment", "engagement"}


def test_a_second_computation_the_same_day_with_the_same_result_changes_nothing() -> None:
    account = _account(**_usage(40, 50))
    assert refresh(account, EXAMPLE, NOW, "v1").changed
    stored = dict(account.health)
    assert not refresh(account, EXAMPLE, NOW + timedelta(hours=2), "v1").changed
    assert account.health == stored  # not even computed_at moves: nothing to write


# ------------------------------------------------------------------ signals


def test_an_older_usage_report_does_not_replace_a_newer_one() -> None:
    signals: dict[str, Any] = {}
    assert record_usage(signals, {"at": _ago(hours=1), "active_users": 10, "licensed_users": 50}, "pa")
    assert not record_usage(signals, {"at": _ago(hours=2), "active_users": 1, "licensed_users": 50}, "pa")
    assert signals["usage"]["active_users"] == 10


def test_case_signals_keep_open_cases_and_the_latest_csat_per_case() -> None:
    signals: dict[str, Any] = {}
    record_case(signals, "cs_1", "P1", _ago(days=2), True, None, NOW)
    record_case(signals, "cs_2", "P3", _ago(days=1), True, None, NOW)
    assert set(signals["cases"]) == {"cs_1", "cs_2"}
    record_case(signals, "cs_1", "P1", _ago(days=2), False, (2, _ago(hours=5)), NOW)
    record_case(signals, "cs_1", "P1", _ago(days=2), False, (4, _ago(hours=1)), NOW)  # re-rated
    assert set(signals["cases"]) == {"cs_2"}
    assert [(c["case_id"], c["score"]) for c in signals["csat"]] == [("cs_1", 4)]


def test_invoice_signals_drop_paid_invoices() -> None:
    signals: dict[str, Any] = {}
    invoice = {"invoice_id": "inv_1", "status": "issued", "due_date": "2026-11-01", "issued_at": _ago(days=30)}
    record_invoice(signals, invoice, "or_1", NOW)
    assert signals["invoices"]["inv_1"]["due_date"] == "2026-11-01"
    record_invoice(signals, {**invoice, "status": "paid"}, "or_1", NOW)
    assert signals["invoices"] == {}


def test_activity_is_counted_per_day_within_the_window() -> None:
    signals: dict[str, Any] = {"activity": {"2020-01-01": 3}}
    assert record_activity(signals, _ago(hours=2), NOW)
    assert record_activity(signals, _ago(hours=1), NOW)
    assert not record_activity(signals, _ago(days=45), NOW)
    assert signals["activity"] == {NOW.date().isoformat(): 2}  # the old day pruned


def test_the_alert_names_the_customer_what_fell_and_every_dimension() -> None:
    from zoneinfo import ZoneInfo

    from shared.deliveries.domain.alerts import render_alert

    account = _account(**_usage(5, 50))
    event = warning(account, refresh(account, EXAMPLE, NOW, "v1"), NOW, "v1")
    assert event is not None
    en = render_alert("HealthWarning", event.data, event.subject, account.company, ZoneInfo("UTC"), "en")
    assert en.title == "🩺 Account health warning"
    assert en.text.splitlines()[:3] == [
        "Customer 上海精密制造: health 44",
        "Fell below: usage 10 < 60, engagement 0 < 50, health score 44 < 60",
        "Dimensions: usage 10 · support 100 · payment 100 · engagement 0",
    ]
    zh = render_alert("HealthWarning", event.data, event.subject, account.company, ZoneInfo("UTC"), "zh-CN")
    assert zh.title == "🩺 客户健康度预警" and "跌破阈值：产品使用 10 < 60" in zh.text
