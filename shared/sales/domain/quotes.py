"""Quotes and their approval chains (CONTRACT §2.7). Pure: time is passed in.

A quote is one item: its priced lines, the Discounts row that matched, and its approval
**steps**, in order. Step ``i`` (1-based) of quote ``qt_<hex>`` has the approval id
``ap_<hex>_<i>``, so a decision finds its quote from the id alone (one read, no index).
Step statuses: ``waiting`` (an earlier step is open) → ``pending`` (its turn) → ``approved`` |
``rejected``; ``cancelled`` when a rejection ends the chain or a newer quote supersedes this one.
Every request, decision, escalation and cancellation is appended to ``history`` with its time,
people and rules version.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.kernel.domain.documents import Document
from shared.kernel.domain.errors import AlreadyDecided, NoApprover, NotApprover, NotYourTurn
from shared.rules.domain.rules import Owner, escalation_target, manager_chain
from shared.sales.domain.discounts import DiscountRule

QuoteStatus = Literal["pending_approval", "approved", "rejected", "superseded"]
OPEN_STEPS = ("waiting", "pending")
_QUOTE_ID = re.compile(r"^qt_([0-9a-f]{20})$")
_APPROVAL_ID = re.compile(r"^ap_([0-9a-f]{20})_([1-9][0-9]?)$")
MAX_HISTORY = 200


def new_quote_id() -> str:
    return f"qt_{uuid.uuid4().hex[:20]}"


def is_quote_id(text: str) -> bool:
    return bool(_QUOTE_ID.match(text))


def approval_id_for(quote_id: str, step: int) -> str:
    return f"ap_{quote_id[3:]}_{step}"


def parse_approval_id(approval_id: str) -> tuple[str, int] | None:
    """(quote id, step number) of an approval id; None when it is not one."""
    found = _APPROVAL_ID.match(approval_id)
    return (f"qt_{found.group(1)}", int(found.group(2))) if found else None


def resolve_steps(
    quote_id: str, owner_id: str, rule: DiscountRule, owners: Mapping[str, Owner]
) -> list[dict[str, Any]]:
    """One step per role of the row, in order: the nearest owner with that role up the quote
    owner's manager chain (NoApprover when there is none)."""
    steps = []
    for number, role in enumerate(rule.approvers, 1):
        person = escalation_target(owner_id, role, dict(owners))
        if person is None:
            raise NoApprover(
                f"nobody with role {role} is above {owner_id} in the manager chain (Discounts row "
                f"{rule.priority} needs one); fix manager_id on the Owners tab"
            )
        steps.append(
            {
                "approval_id": approval_id_for(quote_id, number),
                "step": number,
                "role": role,
                "approver_id": person.owner_id,
                "status": "pending" if number == 1 else "waiting",
                "requested_at": None,
                "due_at": None,
                "decided_at": None,
                "decided_by": None,
                "decision": None,
                "note": None,
                "rules_version": None,
                "escalated_to": [],
                "timer": None,
            }
        )
    return steps


@dataclass
class Quote(Document):
    quote_id: str
    opportunity_id: str
    owner_id: str  # the opportunity's owner: approvers are found up their manager chain
    created_by: str
    currency: str
    lines: list[dict[str, Any]]  # sku, name, quantity, list_price, discount, amount
    list_total: str  # money as text with two decimals
    amount: str
    discount: str  # 1 − amount / list_total, as decimal text
    account: dict[str, Any] = field(default_factory=dict)  # company, credit_code, country
    status: QuoteStatus = "pending_approval"
    rule: dict[str, Any] = field(default_factory=dict)  # the Discounts row that matched
    steps: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    valid_until: str | None = None
    superseded_by: str | None = None
    rules_version: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def subject(self) -> str:
        return f"quote/{self.quote_id}"

    @property
    def is_open(self) -> bool:
        return self.status == "pending_approval"

    def step(self, approval_id: str) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["approval_id"] == approval_id), None)

    def pending_step(self) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["status"] == "pending"), None)

    def note(self, entry: dict[str, Any]) -> None:
        self.history = [*self.history, entry][-MAX_HISTORY:]

    # ------------------------------------------------------------ decisions

    def check_decider(self, step: dict[str, Any], by: str, owners: Mapping[str, Owner]) -> None:
        """403 unless ``by`` is the step's approver or above them; 409 when decided or early."""
        above = {o.owner_id for o in manager_chain(step["approver_id"], dict(owners))}
        if by != step["approver_id"] and by not in above:
            raise NotApprover(
                f"{by} may not decide step {step['step']} ({step['role']}): only {step['approver_id']} or someone "
                "above them in the manager chain",
                fields={"by": "not this step's approver nor above them"},
            )
        if step["status"] not in OPEN_STEPS:
            raise AlreadyDecided(f"step {step['step']} of {self.quote_id} is already {step['status']}")
        if step["status"] == "waiting":
            earlier = [s["approval_id"] for s in self.steps if s["step"] < step["step"] and s["status"] in OPEN_STEPS]
            raise NotYourTurn(f"earlier steps are still open: {', '.join(earlier)}")

    def decide(
        self, step: dict[str, Any], decision: str, by: str, note: str | None, at: str, version: str
    ) -> list[str]:
        """Record the decision; a rejection ends the chain, an approval opens the next step
        (or approves the quote when it was the last). Returns the timers of cancelled steps."""
        step.update(
            status="approved" if decision == "approve" else "rejected",
            decision=decision,
            decided_by=by,
            decided_at=at,
            note=note,
            rules_version=version,
            timer=None,
        )
        self.note(
            {
                "at": at,
                "what": "decided",
                "approval_id": step["approval_id"],
                "role": step["role"],
                "approver_id": step["approver_id"],
                "by": by,
                "decision": decision,
                "note": note,
                "rules_version": version,
            }
        )
        if decision == "reject":
            self.status = "rejected"
            return self.cancel_open_steps(at, version, "rejected")
        following = next((s for s in self.steps if s["status"] == "waiting"), None)
        if following is None:
            self.status = "approved"
        else:
            following["status"] = "pending"
        return []

    def cancel_open_steps(self, at: str, version: str, why: str) -> list[str]:
        """Cancel every open step; returns the timers they held."""
        timers = []
        for step in self.steps:
            if step["status"] in OPEN_STEPS:
                if step.get("timer"):
                    timers.append(step["timer"])
                step.update(status="cancelled", timer=None)
                self.note(
                    {
                        "at": at,
                        "what": "cancelled",
                        "approval_id": step["approval_id"],
                        "why": why,
                        "rules_version": version,
                    }
                )
        return timers

    # ------------------------------------------------------------ views

    def approval(self) -> dict[str, Any]:
        shown = (
            "approval_id",
            "step",
            "role",
            "approver_id",
            "status",
            "requested_at",
            "due_at",
            "decided_at",
            "decided_by",
            "decision",
            "note",
            "rules_version",
            "escalated_to",
        )
        return {"rule": self.rule, "steps": [{k: s.get(k) for k in shown} for s in self.steps]}

    def summary(self) -> dict[str, Any]:
        return {
            "quote_id": self.quote_id,
            "opportunity_id": self.opportunity_id,
            "status": self.status,
            "currency": self.currency,
            "list_total": self.list_total,
            "amount": self.amount,
            "discount": self.discount,
            "created_at": self.created_at,
        }

    def view(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "owner_id": self.owner_id,
            "created_by": self.created_by,
            "lines": self.lines,
            "account": self.account,
            "approval": self.approval(),
            "valid_until": self.valid_until,
            "superseded_by": self.superseded_by,
            "history": self.history,
            "rules_version": self.rules_version,
            "updated_at": self.updated_at,
        }
