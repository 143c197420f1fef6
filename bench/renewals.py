"""`renewal_reminders_fired_exactly_once`: renewal reminders due ÷ fired across a randomized outage
simulation (issue 10; goal 1.0), in-process on the in-memory unit of work (the DynamoDB one has
the same conditions; tests/integration/contracts covers it over moto).

Each trial signs contracts over 400 simulated days (a Renewals change half-way: contracts signed
after it get the new rows), renews some of them (their pending reminders are cancelled), and runs
`timer-sweep` at random instants with random gaps — minutes, days, outages of up to two months —
while it injects faults: a process dying before its transaction, one dying after its transaction
committed (the sweep reports an error: the scheduler runs it again, or not), a second sweep that
read the due timers before the first fired them, two sweeps at the same instant in two threads, and
a small per-run limit so a backlog spills over runs. Then what was due is compared, reminder by
reminder, with what fired: due = every reminder of the rows in force at signing whose 09:00
Shanghai instant is after the signing and by the end (computed here, not by the code under test).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.services.ports import Change
from shared.time.domain.timers import Timer

TRIALS = 4
CONTRACTS = 300
START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
SIGNING_DAYS, END_DAYS = 400, 1000
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROWS_BEFORE = [(90, True), (60, False), (30, False)]  # the example Renewals tab
ROWS_AFTER = [(120, False), (45, True), (7, False)]  # published half-way


class Crash(Exception):
    """The function died (a time-out, the container lost); the scheduler may run it again."""


class _Replayed:
    """Timers as a sweep that read the due index before another sweep fired them sees them."""

    def __init__(self, real: Any, replay: list[Timer]) -> None:
        self._real, self._replay = real, replay

    def due(self, now: datetime, limit: int) -> list[Timer]:
        return list(self._replay)[:limit]

    def pending(self, about: str | None = None) -> list[Timer]:
        return list(self._real.pending(about))

    def get(self, timer_id: str) -> Timer | None:
        found: Timer | None = self._real.get(timer_id)
        return found


class FaultyStore(MemoryUnitOfWork):
    def __init__(self, rng: random.Random, faults: Counter[str]) -> None:
        super().__init__()
        self.rng, self.faults, self.armed = rng, faults, False
        self.replay: list[Timer] | None = None

    @property
    def timers(self) -> Any:
        real = super().timers
        return real if self.replay is None else _Replayed(real, self.replay)

    def commit(self, change: Change) -> None:
        firing = self.armed and bool(change.fired)
        if firing and self.rng.random() < 0.04:
            self.faults["died_before_commit"] += 1
            raise Crash("died before its transaction")
        super().commit(change)
        if firing and self.rng.random() < 0.04:
            self.faults["died_after_commit"] += 1
            raise Crash("died after its transaction committed")


def _rules(rows: list[tuple[int, bool]], version: str) -> Any:
    from admin_sheets.parse import validate_source
    from shared.rules.domain.active import ActiveRules
    from shared.rules.domain.rules import RuleSet

    content = validate_source("dir:admin_sheets/examples").content
    assert content is not None
    content["Renewals"] = [{"days_before": d, "notify": ["am", "manager"], "create_opportunity": o} for d, o in rows]
    rules = RuleSet.from_content(content, version)
    return ActiveRules(rules)


def _expected(signed: datetime, end: date, rows: list[tuple[int, bool]], until: datetime) -> set[int]:
    """The reminders due by ``until``: 09:00 Shanghai on end − days, after the signing."""
    due = set()
    for days, _ in rows:
        instant = datetime.combine(end - timedelta(days=days), time(9), tzinfo=SHANGHAI)
        if signed < instant <= until:
            due.add(days)
    return due


def _crashed(exc: Exception) -> bool:
    return isinstance(exc, Crash)


class Trial:
    def __init__(self, seed: int, before: Any, after: Any, faults: Counter[str]) -> None:
        self.rng = random.Random(seed)
        self.faults = faults
        self.store = FaultyStore(self.rng, faults)
        self.before, self.after = before, after
        self.switch = START + timedelta(days=SIGNING_DAYS // 2)
        self.signings = sorted(
            START + timedelta(minutes=self.rng.randrange(SIGNING_DAYS * 1440)) for _ in range(CONTRACTS)
        )
        self.contracts: dict[str, tuple[datetime, date, list[tuple[int, bool]]]] = {}
        self.renewed: dict[str, datetime] = {}

    def run(self) -> tuple[int, Counter[tuple[str, int]], set[tuple[str, int]], int]:
        from shared.composition.services.timer_handlers import handlers
        from tests.unit.services.helpers import FixedRules

        now, end = START, START + timedelta(days=END_DAYS)
        while now < end:
            now += self._gap()
            self._sign_until(now)
            self._renew_some(now)
            active = self.after if now >= self.switch else self.before
            self._sweep(now, handlers(FixedRules(active)))
        self.store.armed, self.store.replay = False, None  # the last runs: nothing fails
        final = handlers(FixedRules(self.after))
        while self._sweep_once(end, final):
            pass
        return self._tally(end)

    def _gap(self) -> timedelta:
        roll = self.rng.random()
        if roll < 0.7:
            return timedelta(minutes=self.rng.randint(1, 120))
        if roll < 0.95:
            return timedelta(hours=self.rng.randint(1, 72))
        self.faults["outage"] += 1
        return timedelta(days=self.rng.randint(3, 60))

    def _sign_until(self, now: datetime) -> None:
        from tests.unit.services.renewals_helpers import sign_contract

        while self.signings and self.signings[0] <= now:
            signed = self.signings.pop(0)
            active, rows = (self.after, ROWS_AFTER) if signed >= self.switch else (self.before, ROWS_BEFORE)
            end = signed.date() + timedelta(days=self.rng.randint(20, 500))
            self.store.armed = False
            contract = sign_contract(self.store, active, signed, envelope=f"e{len(self.contracts)}", end_date=str(end))
            self.contracts[contract.contract_id] = (signed, end, rows)

    def _renew_some(self, now: datetime) -> None:
        from shared.customers.services.renewals import end_contract

        live = sorted(set(self.contracts) - set(self.renewed))
        if live and self.rng.random() < 0.02:
            contract_id = self.rng.choice(live)
            self.store.armed = False
            end_contract(contract_id, "renewed", self.store, lambda: now)
            self.renewed[contract_id] = now
            self.faults["renewed"] += 1

    def _sweep(self, now: datetime, handlers: dict[str, Any]) -> None:
        self.store.armed = True
        roll = self.rng.random()
        if roll < 0.1:  # a sweep that read the due timers, then lost the race to another
            self.faults["stale_sweep"] += 1
            snapshot = self.store.timers.due(now, 25)
            self._sweep_once(now, handlers)
            self.store.replay = snapshot
            self._sweep_once(now, handlers)
            self.store.replay = None
        elif roll < 0.15:  # two sweeps at once
            self.faults["concurrent_sweeps"] += 1
            with ThreadPoolExecutor(2) as pool:
                for job in [pool.submit(self._sweep_once, now, handlers) for _ in range(2)]:
                    job.result()
        elif not self._sweep_once(now, handlers) and self.rng.random() < 0.5:
            self.faults["retried_after_crash"] += 1
            self._sweep_once(now, handlers)

    def _sweep_once(self, now: datetime, handlers: dict[str, Any]) -> bool:
        """One run; False when it crashed. True also means "fired something" in the final drain."""
        from shared.time.services.timers import sweep_timers

        try:
            # a process dying mid-commit is the run's crash, not the timer's fault: it never counts
            # towards setting the timer aside (in Lambda the whole run dies and runs again)
            result = sweep_timers(now, self.store, handlers, limit=25, is_load=_crashed)
        except Crash:
            return False
        return bool(result.fired) if not self.store.armed else True

    def _tally(self, until: datetime) -> tuple[int, Counter[tuple[str, int]], set[tuple[str, int]], int]:
        fired: Counter[tuple[str, int]] = Counter()
        after_renewal = 0
        for event in self.store.events:
            if event.type != "RenewalReminder":
                continue
            contract_id, days = event.data["contract_id"], int(event.data["days_before"])
            if contract_id in self.renewed:
                after_renewal += event.time > self.renewed[contract_id]
                continue
            fired[(contract_id, days)] += 1
        due = {
            (contract_id, days)
            for contract_id, (signed, end, rows) in self.contracts.items()
            if contract_id not in self.renewed
            for days in _expected(signed, end, rows, until)
        }
        return len(due), fired, due, after_renewal


def renewal_metrics(progress: Callable[[str], None], trials: int = TRIALS) -> dict[str, Any]:
    before, after = _rules(ROWS_BEFORE, "v-renewals-1"), _rules(ROWS_AFTER, "v-renewals-2")
    progress(f"renewals: {trials} randomized outage simulations of {CONTRACTS} contracts each")
    faults: Counter[str] = Counter()
    due_total = fired_total = missed = duplicated = wrong = after_renewal = 0
    for seed in range(trials):
        due, fired, expected, late_cancel = Trial(seed, before, after, faults).run()
        due_total += due
        fired_total += sum(fired.values())
        missed += len(expected - set(fired))
        duplicated += sum(n - 1 for n in fired.values())
        wrong += len(set(fired) - expected)
        after_renewal += late_cancel
    injected = ", ".join(f"{name} {count}" for name, count in sorted(faults.items()))
    value = round(due_total / fired_total, 6) if fired_total else 0.0
    note = (
        f"reminders due ({due_total}) ÷ RenewalReminder events recorded ({fired_total}) for contracts not "
        f"renewed, over seeds 0..{trials - 1}; missed {missed}, fired twice {duplicated}, fired but not due "
        f"{wrong}, fired after their contract's renewal {after_renewal}; faults: {injected}"
    )
    return {
        "renewal_reminders_fired_exactly_once": {"value": value, "unit": "ratio", "note": note},
        "renewal_reminders_missed_or_duplicated": {
            "value": missed + duplicated + wrong + after_renewal,
            "unit": "reminders",
            "note": "missed + fired twice + fired but not due + fired after renewal (a ratio of 1.0 alone "
            "could hide a loss and a duplicate that cancel out)",
        },
    }
