"""Opportunities and stage gates (CONTRACT §2.6). Pure: time is passed in.

An opportunity is one item: its account, fields, the stage it is in, every stage it has been in
(``stage_history``, with times and who moved it), its activities, the quotes made for it and,
once signed, its contract. Moving forward checks the exit criteria of the current stage and of
every stage skipped; moving back is free; ``lost`` is reachable from any open stage with a
reason; the last stage by ``order`` is won.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.kernel.domain.documents import Document
from shared.kernel.domain.errors import InvalidTransition, StageGateFailed
from shared.sales.domain.stages import LOST, TOP_LEVEL_FIELDS, Evidence, Funnel, unmet

OpportunityStatus = Literal["open", "won", "lost"]
_OPPORTUNITY_ID = re.compile(r"^op_[0-9a-f]{20}$")
RECENT_ACTIVITIES, MAX_STAGE_HISTORY, MAX_QUOTES = 100, 200, 100


def new_opportunity_id() -> str:
    return f"op_{uuid.uuid4().hex[:20]}"


def opportunity_id_for_lead(lead_id: str) -> str:
    """A lead converts once: its opportunity's id follows from the lead's."""
    return f"op_{hashlib.sha256(f'lead#{lead_id}'.encode()).hexdigest()[:20]}"


def is_opportunity_id(text: str) -> bool:
    return bool(_OPPORTUNITY_ID.match(text))


@dataclass
class Opportunity(Document):
    opportunity_id: str
    name: str
    owner_id: str
    stage: str
    created_at: str
    status: OpportunityStatus = "open"
    account: dict[str, Any] = field(default_factory=dict)  # company, credit_code, country
    contact: dict[str, Any] = field(default_factory=dict)  # carried over from the lead
    amount: str | None = None  # money as decimal text
    close_date: str | None = None  # YYYY-MM-DD
    fields: dict[str, Any] = field(default_factory=dict)
    lead_id: str | None = None
    stage_entered_at: str | None = None
    stage_history: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    lead_activity_types: list[str] = field(default_factory=list)  # what the lead had: counts for gates
    quote_ids: list[str] = field(default_factory=list)  # oldest first
    current_quote_id: str | None = None
    contract_id: str | None = None
    account_id: str | None = None  # the account it was won for (or renews): lists filter on it
    won_at: str | None = None
    lost_at: str | None = None
    lost_reason: str | None = None
    timers: list[str] = field(default_factory=list)  # the pending stalled timer, if any
    rules_version: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def subject(self) -> str:
        return f"opportunity/{self.opportunity_id}"

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    # ------------------------------------------------------------ stages

    def enter(self, stage: str, at: str, by: str, reason: str | None = None) -> None:
        """Leave the current stage (its history entry gets ``left_at``) and enter ``stage``."""
        if self.stage_history and self.stage_history[-1].get("left_at") is None:
            self.stage_history[-1] = {**self.stage_history[-1], "left_at": at}
        entry = {"stage": stage, "entered_at": at, "left_at": None, "by": by}
        if reason:
            entry["reason"] = reason
        self.stage_history = [*self.stage_history, entry][-MAX_STAGE_HISTORY:]
        self.stage, self.stage_entered_at, self.updated_at = stage, at, at

    def evidence(self, quote_status: str | None) -> Evidence:
        facts = {**self.fields, **{k: getattr(self, k) for k in TOP_LEVEL_FIELDS}}
        kinds = frozenset({str(a["type"]) for a in self.activities} | set(self.lead_activity_types))
        return Evidence(facts, kinds, quote_status, self.contract_id)

    def check_move(self, target: str, funnel: Funnel, quote_status: str | None) -> None:
        """Refuse a move that makes no sense (409 invalid_transition) or whose gates are not met
        (409 stage_gate_failed, ``fields`` naming each unmet criterion and why)."""
        if not self.is_open:
            raise InvalidTransition(
                f"the opportunity is {self.status}; a closed opportunity does not move",
                fields={"stage": f"the opportunity is already {self.status}"},
            )
        if target == self.stage:
            raise InvalidTransition(f"the opportunity is already in {target}", fields={"stage": "already there"})
        if target == LOST or self.stage not in funnel.names:
            return  # lost is always allowed; a stage removed from the tab lets it move anywhere
        if funnel.position(target) < funnel.position(self.stage):
            return  # moving back is free
        evidence = self.evidence(quote_status)
        failed: dict[str, str] = {}
        for stage, criterion in funnel.gates(self.stage, target):
            why = unmet(criterion, evidence)
            if why is not None and criterion not in failed:
                failed[criterion] = f"{stage.stage}: {why}"
        if failed:
            raise StageGateFailed(
                f"{len(failed)} exit criteria of the way from {self.stage} to {target} are not met", fields=failed
            )

    def add_activity(self, activity: dict[str, Any]) -> None:
        self.activities = [*self.activities, activity][-RECENT_ACTIVITIES:]

    def add_quote(self, quote_id: str) -> None:
        self.quote_ids = [*self.quote_ids, quote_id][-MAX_QUOTES:]
        self.current_quote_id = quote_id

    # ------------------------------------------------------------ views

    def summary(self) -> dict[str, Any]:
        return {
            "opportunity_id": self.opportunity_id,
            "name": self.name,
            "owner_id": self.owner_id,
            "stage": self.stage,
            "status": self.status,
            "amount": self.amount,
            "close_date": self.close_date,
            "lead_id": self.lead_id,
            "account": self.account,
            "rules_version": self.rules_version,
        }

    def view(self, quotes: list[dict[str, Any]], probability: str | None) -> dict[str, Any]:
        return {
            **self.summary(),
            "probability": probability,
            "contact": self.contact,
            "fields": self.fields,
            "stage_entered_at": self.stage_entered_at,
            "stage_history": self.stage_history,
            "activities": self.activities,
            "quotes": quotes,
            "current_quote_id": self.current_quote_id,
            "contract": {"contract_id": self.contract_id, "signed_at": self.won_at} if self.contract_id else None,
            "won_at": self.won_at,
            "lost_at": self.lost_at,
            "lost_reason": self.lost_reason,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
