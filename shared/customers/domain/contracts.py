"""Contracts (CONTRACT §2.8, §2.11): a completed e-signature envelope for an approved quote, and the
renewal reminders its end date sets. Pure: time is passed in.

A contract's id follows from the envelope id, so the same envelope posted twice (or by two
racing deliveries of the e-sign provider) is one contract: the second save finds it taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shared.kernel.domain.documents import Document
from shared.kernel.domain.errors import InvalidTransition
from shared.kernel.domain.events import iso
from shared.kernel.domain.history import Summary, keep_newest, recorded
from shared.kernel.domain.ids import derived_id
from shared.time.domain.timers import Timer, TimerKind, timer_id_for

ContractStatus = Literal["active", "renewed", "cancelled"]
ENVELOPE_TEXT_LIMIT = 200  # an e-sign envelope id, its status, a quote id
COMPLETED = "completed"  # the envelope status that signs the contract; any other is ignored
REMINDER_HOUR = time(9, 0)  # reminders go out at 09:00 in Settings `timezone` (CONTRACT §2.11)
RENEWAL_REMINDER: TimerKind = "renewal_reminder"
HISTORY_KEEP = 100  # history entries kept whole; older ones are summarised


def contract_id_for(source: str, envelope_id: str) -> str:
    return derived_id("ct_", f"{source}|{envelope_id}")


def is_contract_id(text: str) -> bool:
    return len(text) == 23 and text.startswith("ct_") and all(c in "0123456789abcdef" for c in text[3:])


def quote_signed_key(quote_id: str) -> str:
    """The unique key a contract claims on its quote: a quote is signed once (CONTRACT §14)."""
    return f"quote-signed#{quote_id}"


@dataclass(frozen=True)
class RenewalRow:
    """One Renewals row: remind ``days_before`` the end, tell ``notify`` (roles up the account
    manager's chain), and at this row open the renewal opportunity."""

    row: int
    days_before: int
    notify: tuple[str, ...]
    create_opportunity: bool

    @classmethod
    def from_row(cls, row: dict[str, Any], number: int) -> RenewalRow:
        notify = row.get("notify") or ()
        roles = notify.split(",") if isinstance(notify, str) else notify
        return cls(
            row=number,
            days_before=int(row["days_before"]),
            notify=tuple(str(r).strip() for r in roles if str(r).strip()),
            create_opportunity=row.get("create_opportunity") is True,
        )


@dataclass
class Contract(Document):
    contract_id: str
    source: str
    envelope_id: str
    quote_id: str
    opportunity_id: str | None
    account_id: str
    order_id: str
    owner_id: str | None  # who sold it (the quote's owner)
    signed_at: str
    start_date: str
    end_date: str
    amount: str  # the contract's total, a decimal string (never float money)
    currency: str
    status: ContractStatus = "active"
    reminders: list[str] = field(default_factory=list)  # pending renewal reminder timer ids
    rules_version: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # the newest HISTORY_KEEP entries
    earlier_history: Summary | None = None  # the older ones, counted (shared/kernel/domain/history.py)
    # the renewal (CONTRACT §2.11): reminders fired, the P1 hold, the renewal opportunity
    reminded: list[dict[str, Any]] = field(default_factory=list)  # one entry per reminder fired
    hold: dict[str, Any] | None = None  # {"case_ids", "since"} while an open P1 case holds it
    renewal_opportunity: dict[str, Any] | None = None  # what RenewalOpportunityCreated told
    ended_at: str | None = None  # when it was renewed or cancelled
    version: int = 0

    @property
    def subject(self) -> str:
        return f"contract/{self.contract_id}"

    def note(self, entry: dict[str, Any]) -> None:
        """One entry in the history; the oldest beyond HISTORY_KEEP are summarised, so the
        contract's item never outgrows DynamoDB's 400 KB however long it runs."""
        self.history, self.earlier_history = keep_newest([*self.history, entry], self.earlier_history, HISTORY_KEEP)

    @property
    def entries_recorded(self) -> int:
        """How many history entries were ever recorded: a position that only moves on."""
        return recorded(self.history, self.earlier_history)

    # ------------------------------------------------------------ the renewal's state

    @property
    def on_hold(self) -> bool:
        """The renewal waits: an open P1 case on the account. The renewal quote's approvals read
        this (and ``hold``) before they proceed."""
        return self.hold is not None

    @property
    def renewal_underway(self) -> bool:
        """A reminder has fired and the contract is still running: a P1 case opened now holds it."""
        return self.status == "active" and bool(self.reminded)

    def place_hold(self, case_ids: list[str], at: str) -> bool:
        """Held by these open P1 cases (added to any already holding it); True when the hold is new."""
        if self.hold is None:
            self.hold = {"case_ids": sorted(set(case_ids)), "since": at}
            self.note({"type": "held", "at": at, "case_ids": self.hold["case_ids"]})
            return True
        self.hold = {**self.hold, "case_ids": sorted(set(self.hold["case_ids"]) | set(case_ids))}
        return False

    def release_hold(self, at: str, case_id: str) -> dict[str, Any]:
        """The last open P1 case resolved (``case_id``): the hold ends; returns the hold it was."""
        if self.hold is None:
            raise InvalidTransition(f"contract {self.contract_id} is not on hold")
        held, self.hold = self.hold, None
        self.note({"type": "released", "at": at, "case_id": case_id, "held_since": held["since"]})
        return held

    def end(self, status: Literal["renewed", "cancelled"], at: str, reason: str | None = None) -> list[str]:
        """Renewed or cancelled: the pending reminders (their timer ids) are to be cancelled."""
        if self.status != "active":
            raise InvalidTransition(f"contract {self.contract_id} is {self.status} already")
        cancelled, self.reminders = list(self.reminders), []
        self.status, self.ended_at, self.hold = status, at, None
        self.note({"type": status, "at": at, "reason": reason, "reminders_cancelled": cancelled})
        return cancelled

    def annual_value(self) -> Decimal:
        """The amount per year of the term (a one-year contract: its amount), for retention."""
        days = (date.fromisoformat(self.end_date) - date.fromisoformat(self.start_date)).days + 1
        return (Decimal(self.amount) * Decimal(365) / Decimal(max(days, 1))).quantize(Decimal("0.01"))

    def view(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.to_dict().items() if k != "version"}, "on_hold": self.on_hold}


def renewal_reminders(
    contract: Contract, rows: list[RenewalRow], timezone: str, now: datetime, set_by: str
) -> list[Timer]:
    """One timer per Renewals row at 09:00 local on ``end_date − days_before``; a day already
    past at signing is skipped, not fired late (CONTRACT §2.11)."""
    zone = ZoneInfo(timezone)
    end = date.fromisoformat(contract.end_date)
    timers = []
    for row in rows:
        due = datetime.combine(end - timedelta(days=row.days_before), REMINDER_HOUR, tzinfo=zone)
        if due <= now:
            continue
        data = {
            "contract_id": contract.contract_id,
            "days_before": row.days_before,
            "renewal_row": row.row,
            "notify_roles": list(row.notify),
            "create_opportunity": row.create_opportunity,
        }
        timer_id = timer_id_for(RENEWAL_REMINDER, contract.subject, str(row.days_before))
        timers.append(Timer(RENEWAL_REMINDER, contract.subject, due, data, set_by, timer_id))
    return timers


def signed_entry(contract: Contract, now: datetime) -> dict[str, Any]:
    return {"type": "signed", "at": contract.signed_at, "recorded_at": iso(now), "envelope_id": contract.envelope_id}
