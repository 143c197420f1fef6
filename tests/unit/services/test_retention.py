"""retention-sweep (CONTRACT §12): Settings lead_retention_days erases leads nothing happened to for
that many days and with no open work; blank keeps every lead."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from shared.adapters.memory import MemoryPersonalRecords, MemoryUnitOfWork
from shared.composition.services.retention import sweep_retention
from shared.leads.domain.leads import Lead
from shared.leads.messages.leads import LeadActivity
from shared.leads.services.activities import record_activity
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from tests.unit.services.helpers import NOW, SQL_LEAD, TickingClock, capture, command_of


def _keeping(content: Content, days: int | None) -> ActiveRules:
    changed = copy.deepcopy(content)
    changed["Settings"] = [r for r in changed["Settings"] if r.get("key") != "lead_retention_days"]
    if days is not None:
        changed["Settings"].append({"key": "lead_retention_days", "value": days})
    rules = RuleSet.from_content(changed, "v-retention")
    return ActiveRules(rules)


@pytest.fixture
def thirty_days(example_content: Content) -> ActiveRules:
    return _keeping(example_content, 30)


def _sweep(rules: ActiveRules, store: MemoryUnitOfWork, days_on: int, **kwargs: object):  # type: ignore[no-untyped-def]
    return sweep_retention(rules, store, MemoryPersonalRecords(store), NOW + timedelta(days=days_on), **kwargs)  # type: ignore[arg-type]


def test_a_lead_idle_past_retention_is_erased_and_one_within_it_kept(thirty_days: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock()
    quiet = capture({"email": "quiet@example.com", "name": "安静"}, thirty_days, store, clock).lead
    assert quiet.owner_id is None  # nurture: nobody's clock runs on it

    early = _sweep(thirty_days, store, 29)
    assert (early.leads, early.erased, early.kept) == (1, 0, 1)

    report = _sweep(thirty_days, store, 31)
    assert (report.erased, report.failed) == (1, [])
    lead = store.get(quiet.lead_id)
    assert lead is not None and lead.fields["email"] is None and lead.fields["name"] is None and lead.erased_at
    assert store.keys == {}  # its identity key given up
    [erased] = [e for e in store.events if e.type == "PersonErased"]
    assert erased.data["reason"] == "retention" and erased.data["leads"] == 1
    assert "quiet@example.com" not in repr(erased)
    assert _sweep(thirty_days, store, 60).erased == 0  # erased already: kept as it is


def test_recent_activity_and_open_work_keep_a_lead(thirty_days: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock()
    worked = capture(SQL_LEAD, thirty_days, store, clock).lead
    assert worked.owner_id and store.timers.pending(about=worked.subject)  # its first-touch clock runs
    assert _sweep(thirty_days, store, 31).erased == 0  # open work: the clock still runs
    touched_at = NOW + timedelta(days=20)
    record_activity(
        worked.lead_id,
        command_of(LeadActivity, {"type": "call", "by": worked.owner_id}, thirty_days, lambda: touched_at),
        thirty_days,
        store,
        lambda: touched_at,
    )
    assert not store.timers.pending(about=worked.subject)
    assert _sweep(thirty_days, store, 45).erased == 0  # touched 25 days before
    assert _sweep(thirty_days, store, 51).erased == 1


def test_a_blank_setting_keeps_every_lead_and_reads_nothing(example_content: Content) -> None:
    keep = _keeping(example_content, None)
    store, clock = MemoryUnitOfWork(), TickingClock()
    capture({"email": "old@example.com"}, keep, store, clock)
    report = _sweep(keep, store, 4000)
    assert (report.leads, report.erased) == (0, 0)


def test_a_run_out_of_time_says_where_to_carry_on(thirty_days: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock()
    for n in range(3):
        capture({"email": f"idle{n}@example.com"}, thirty_days, store, clock)
    first = _sweep(thirty_days, store, 31, page_size=1, time_left=lambda: 0.0)
    assert first.leads == 1 and first.next_after is not None
    rest = _sweep(thirty_days, store, 31, page_size=1, after=first.next_after)
    assert rest.next_after is None and first.erased + rest.erased == 3


def test_a_lead_touched_after_the_page_was_read_is_kept(thirty_days: ActiveRules) -> None:
    class StalePage(MemoryUnitOfWork):
        """Hands out the lead as the page read it, before the post below."""

        stale: tuple[Lead, ...] = ()

        def page(self, limit: int, after: str | None = None) -> tuple[list[Lead], str | None]:
            return list(self.stale), None

    store, clock = StalePage(), TickingClock()
    lead = capture({"email": "late@example.com"}, thirty_days, store, clock).lead
    store.stale = (lead,)
    capture({"email": "late@example.com", "message": "还在"}, thirty_days, store, lambda: NOW + timedelta(days=25))
    report = _sweep(thirty_days, store, 31)
    assert (report.erased, report.kept) == (0, 1)
    stored = store.get(lead.lead_id)
    assert stored is not None and stored.fields["email"] == "late@example.com"
