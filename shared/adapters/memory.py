"""In-memory adapters with the same semantics as the DynamoDB ones, for unit tests."""

from __future__ import annotations

import copy
import threading

from shared.domain.events import Event
from shared.domain.leads import Lead
from shared.services.ports import KeyTaken, LeadChange, Lookup, OwnerFull, StaleLead


class MemoryLeadStore:
    def __init__(self) -> None:
        self.leads: dict[str, Lead] = {}
        self.keys: dict[str, str] = {}
        self.turns: dict[str, int] = {}
        self.loads: dict[str, dict[str, int]] = {}
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def lookup(self, keys: list[str], lead_ids: list[str]) -> Lookup:
        with self._lock:
            leads = {i: copy.deepcopy(self.leads[i]) for i in lead_ids if i in self.leads}
            return Lookup({k: self.keys[k] for k in keys if k in self.keys}, leads)

    def find_by_keys(self, keys: list[str]) -> dict[str, str]:
        with self._lock:
            return {k: self.keys[k] for k in keys if k in self.keys}

    def get(self, lead_id: str) -> Lead | None:
        with self._lock:
            lead = self.leads.get(lead_id)
            return copy.deepcopy(lead) if lead else None

    def next_turn(self, team: str, counter_key: str) -> tuple[int, dict[str, int]]:
        with self._lock:
            turn = self.turns.get(counter_key, 0)
            self.turns[counter_key] = turn + 1
            return turn, dict(self.loads.setdefault(team, {}))

    def commit(self, change: LeadChange) -> None:
        with self._lock:
            stored = self.leads.get(change.lead.lead_id)
            if change.expected_version is None and stored is not None:
                raise StaleLead(change.lead.lead_id)
            if change.expected_version is not None and (stored is None or stored.version != change.expected_version):
                raise StaleLead(change.lead.lead_id)
            if any(k in self.keys for k in change.claim_keys):
                raise KeyTaken(change.lead.lead_id)
            if change.assign is not None:
                loads = self.loads.setdefault(change.assign.team, {})
                owner, cap = change.assign.owner_id, change.assign.capacity
                if cap is not None and loads.get(owner, 0) >= cap:
                    raise OwnerFull(owner)
                loads[owner] = loads.get(owner, 0) + 1
            for key in change.claim_keys:
                self.keys[key] = change.lead.lead_id
            change.lead.version = (change.expected_version or 0) + 1
            self.leads[change.lead.lead_id] = copy.deepcopy(change.lead)
            self.events.extend(change.events)

    def event_types(self) -> list[str]:
        return [e.type for e in self.events]
