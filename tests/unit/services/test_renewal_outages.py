"""The bench's randomized outage simulation (bench/renewals.py), one trial on every test run:
sweeps at random instants with outages of weeks, processes dying before and after their
transactions, stale and concurrent sweeps, renewals cancelling reminders, a Renewals change
half-way — and every reminder due fired exactly once, none after its contract's renewal."""

from __future__ import annotations

from bench.renewals import renewal_metrics


def test_one_outage_simulation_fires_every_due_reminder_exactly_once() -> None:
    results = renewal_metrics(lambda message: None, trials=1)
    assert results["renewal_reminders_fired_exactly_once"]["value"] == 1.0
    assert results["renewal_reminders_missed_or_duplicated"]["value"] == 0
    note = results["renewal_reminders_fired_exactly_once"]["note"]
    for fault in ("died_before_commit", "died_after_commit", "stale_sweep", "concurrent_sweeps", "outage", "renewed"):
        assert fault in note
