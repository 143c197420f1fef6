"""The leads' ports: the lead repository, its listing's filter and pages, and the unit of work
the lead services commit through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.kernel.services.ports import UnitOfWork
from shared.leads.domain.leads import Lead


@dataclass
class Lookup:
    """What one read found: which lead owns each taken key, and the candidate leads that exist."""

    owners: dict[str, str]
    leads: dict[str, Lead]


@dataclass(frozen=True)
class LeadFilter:
    """Which recent leads a listing wants; None matches any."""

    owner_id: str | None = None
    team: str | None = None
    grade: str | None = None

    def matches(self, lead: Lead) -> bool:
        return all(
            wanted is None or wanted == actual
            for wanted, actual in ((self.owner_id, lead.owner_id), (self.team, lead.team), (self.grade, lead.grade))
        )


@dataclass(frozen=True)
class LeadPosition:
    """Where a page of recent leads stopped: the last lead listed (newest first), by its place in
    the capture-day index; the next page starts just after it."""

    captured_at: str
    lead_id: str

    @property
    def day(self) -> str:
        return self.captured_at[:10]


@dataclass
class LeadPage:
    leads: list[Lead]
    after: LeadPosition | None  # None: nothing more in the window


class LeadRepository(Protocol):
    def lookup(self, keys: list[str], lead_ids: list[str]) -> Lookup: ...
    def find_by_keys(self, keys: list[str]) -> dict[str, str]: ...  # key -> lead_id, for keys taken
    def get(self, lead_id: str) -> Lead | None: ...
    def next_turn(self, team: str, counter_key: str, owner_ids: Sequence[str]) -> tuple[int, dict[str, int]]:
        """Take the next round-robin turn of a pool; also the open load of each of ``owner_ids``."""
        ...

    def captured_between(self, start: datetime, end: datetime) -> Iterator[Lead]: ...
    def page(self, limit: int, after: str | None = None) -> tuple[list[Lead], str | None]:
        """Up to ``limit`` leads after the lead id ``after`` (None: from the start), and where the next
        page starts (None: that was the last). For sweeps that visit every lead (retention-sweep)."""
        ...

    def recent(
        self, since: datetime, until: datetime, filters: LeadFilter, limit: int, after: LeadPosition | None = None
    ) -> LeadPage:
        """Leads captured in [since, until] that match, newest first, at most ``limit``, starting
        after ``after``; read day by day through the capture-day index, never a table scan."""
        ...


class LeadsWork(UnitOfWork, Protocol):
    """The unit of work with the leads (and the round-robin turns of every pool)."""

    @property
    def leads(self) -> LeadRepository: ...
