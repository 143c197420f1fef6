"""The bench's randomized fault-injection trials (bench/invoices.py), a few of them on every test
run: processes dying around commits, racing webhooks, finance failing in every way — and still
every owed invoice requested once and delivered until a 2xx, never after."""

from __future__ import annotations

from bench.invoices import exactly_once_trials


def test_forty_fault_injection_trials_lose_nothing_and_duplicate_nothing() -> None:
    results = exactly_once_trials(lambda message: None, trials=40)
    assert results["invoice_exactly_once_trials"]["value"] == 40
    assert (results["invoice_duplicates"]["value"], results["invoice_losses"]["value"]) == (0, 0)
    for fault in ("died_before_commit", "died_after_commit", "racing_copies", "sender_died_after_answer"):
        assert fault in results["invoice_exactly_once_trials"]["note"]
