"""What the KPI rollups read of each event: one reader per event type the KPIs count (``READERS``).

The data keys they read are marked on the event models (shared/*/messages, ``json_schema_extra``
``KPI_NEEDS`` / ``KPI_READS``; ``shared.composition.messages.events.KPI_KEYS`` lists them, a test keeps the two
in step, and this module imports no pydantic: the rollup's cold start). An event that lacks a key
it needs is not counted for the ingredient that needs it, and the miss is counted as
``skipped`` (``OpportunityWon.amount``), never an error. Times are ISO 8601; ``*_date`` keys are
``YYYY-MM-DD``. ``owner_id`` / ``team`` attribute the event for the team and owner filters; an
event without ``team`` is attributed to its owner's team in the Owners tab.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.kernel.domain.events import iso, parse_iso

GRADES_MQL_OR_BETTER = ("mql", "sql")
TeamOf = Callable[[str | None], str | None]  # owner_id -> the owner's team in the Owners tab


@dataclass(frozen=True)
class Observation:
    """What one event says, in the KPIs' terms: measures at an instant for a team and owner."""

    at: datetime
    team: str | None
    owner: str | None
    counts: dict[str, float] = field(default_factory=dict)  # attribute -> amount ("won_n": 1)
    durations: dict[str, float] = field(default_factory=dict)  # sketch prefix -> value ("ft": 3.5 h)
    skipped: tuple[str, ...] = ()  # "OpportunityWon.amount"


@dataclass(frozen=True)
class Fact:
    """A fact about a subject whose contribution depends on several events (lead, case, account)."""

    subject: str  # "lead/ld_…", "case/cs_…", "account/ac_…"
    kind: str  # "mql" | "sql" | "who" | "opened" | "resolved" | "reopened" | "contract" | "sla"
    value: list[Any]  # [time, event id, ...]: folds keep the earliest or the latest by (time, id)


class Missing(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Missing(key)
    return value.strip()


def _optional(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _time(data: Mapping[str, Any], key: str) -> datetime:
    try:
        return parse_iso(_text(data, key))
    except ValueError:
        raise Missing(key) from None


def _time_or(data: Mapping[str, Any], key: str, default: datetime) -> datetime:
    return _time(data, key) if data.get(key) not in (None, "") else default


def _amount(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, str):
        try:
            value = float(value.replace(",", ""))
        except ValueError:
            raise Missing(key) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e15:
        raise Missing(key)
    return float(value)


def _date(data: Mapping[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(_text(data, key)[:10])
    except ValueError:
        raise Missing(key) from None


def _hours(start: datetime, end: datetime, key: str) -> float:
    seconds = (end - start).total_seconds()
    if seconds < 0:
        raise Missing(key)  # a stop before its start is bad data, not a negative duration
    return seconds / 3600


def _last_signed(data: Mapping[str, Any]) -> datetime:
    if data.get("last_signed_at"):
        return _time(data, "last_signed_at")
    shipments = data.get("shipments")
    signed = [s.get("signed_at") for s in shipments if isinstance(s, dict)] if isinstance(shipments, list) else []
    try:
        times = [parse_iso(t) for t in signed if isinstance(t, str) and t]
    except ValueError:
        raise Missing("last_signed_at") from None
    if not times:
        raise Missing("last_signed_at")
    return max(times)


def read_event(envelope: Mapping[str, Any], team_of: TeamOf) -> Observation | Fact | None:
    """The KPI reading of one envelope; None for an event the KPIs do not count."""
    kind = str(envelope.get("type", ""))
    if kind not in READERS:
        return None
    data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
    assert isinstance(data, dict)
    now = parse_iso(str(envelope["time"]))
    stamp = [iso(now), str(envelope["id"])]
    subject = str(envelope.get("subject", ""))
    owner = _optional(data, "owner_id")
    team = _optional(data, "team") or team_of(owner)
    reader = READERS[kind]
    try:
        return reader(data, now, stamp, subject, owner, team)
    except Missing as missing:
        return Observation(now, team, owner, skipped=(f"{kind}.{missing.key}",))


Reader = Callable[[dict[str, Any], datetime, list[str], str, str | None, str | None], Observation | Fact | None]


def _grade_fact(key: str) -> Reader:
    def read(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, *_: Any) -> Fact | None:
        grade = _text(data, key)
        if grade not in GRADES_MQL_OR_BETTER:
            return None
        return Fact(subject, "sql" if grade == "sql" else "mql", stamp)

    return read


def _converted(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, *_: Any) -> Fact:
    return Fact(subject, "sql", stamp)


def _who(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Fact:
    return Fact(subject, "who", [*stamp, owner, team])


def _first_touch(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    at = _time(data, "at")
    return Observation(at, team, owner, durations={"ft": _hours(_time(data, "assigned_at"), at, "assigned_at")})


def _sla(stop_key: str, attr: str) -> Reader:
    """One clock's outcome, a fact of the clock (not an amount of the event): a clock told
    breached by a sweep and then met by its recomputed history counts once (kpi_rollups.fold)."""
    met = attr == "slam"

    def read(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
        kind = "".join(c for c in _text(data, "kind").lower() if c.isalnum() or c == "_")[:40]
        if not kind:
            raise Missing("kind")
        at = _time_or(data, stop_key, now)
        due = _time_or(data, "due_at", at)
        clock = _optional(data, "clock") or kind
        # a lead's clock starts again with each new owner (sla_clocks.py); a case's runs whatever its owner
        who = f"/{owner or ''}" if subject.startswith("lead/") else ""
        value = [iso(at), stamp[1], iso(due), 1 if met else 0, f"{attr}_{kind}", owner, team]
        return Fact(f"sla/{subject}/{clock}{who}", "sla", value)

    return read


def _case_opened(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Fact:
    return Fact(subject, "opened", [*stamp, owner, team])


def _case_resolved(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    fcr = data.get("first_contact_resolution")
    if not isinstance(fcr, bool):
        raise Missing("first_contact_resolution")
    return Fact(subject, "resolved", [iso(_time(data, "at")), stamp[1], owner, team, fcr])


def _case_reopened(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, *_: Any) -> Fact:
    return Fact(subject, "reopened", [iso(_time(data, "at")), stamp[1]])


def _won(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    at, skipped = _time_or(data, "won_at", now), []
    counts: dict[str, float] = {"won_n": 1}
    durations: dict[str, float] = {}
    try:
        counts["won_amt"] = _amount(data, "amount")
    except Missing:
        skipped.append("OpportunityWon.amount")
    try:
        durations["cyc"] = _hours(_time(data, "created_at"), at, "created_at") / 24
    except Missing:
        skipped.append("OpportunityWon.created_at")
    return Observation(at, team, owner, counts, durations, tuple(skipped))


def _lost(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    at = _time_or(data, "lost_at", now)
    try:
        return Observation(at, team, owner, {"lost_n": 1, "lost_amt": _amount(data, "amount")})
    except Missing:
        return Observation(at, team, owner, {"lost_n": 1}, skipped=("OpportunityLost.amount",))


def _approved(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    at = _time_or(data, "approved_at", now)
    return Observation(
        at, team, owner, durations={"appr": _hours(_time(data, "quote_created_at"), at, "quote_created_at")}
    )


def _invoice(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    at = _time_or(data, "requested_at", now)
    return Observation(at, team, owner, durations={"inv": _hours(_last_signed(data), at, "last_signed_at") / 24})


def _contract(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Any:
    contract_id, account_id = _text(data, "contract_id"), _text(data, "account_id")
    annual = _amount(data, "annual_value") if data.get("annual_value") is not None else None
    amount = annual if annual is not None else _amount(data, "amount") if "amount" in data else None
    if amount is None:
        raise Missing("annual_value")
    start, end = _date(data, "start_date"), _date(data, "end_date")
    if end < start:
        raise Missing("end_date")
    value = [*stamp, contract_id, amount, start.isoformat(), end.isoformat(), owner, team]
    return Fact(f"account/{account_id}", "contract", value)


def _nps(data: dict[str, Any], now: datetime, stamp: list[str], subject: str, owner: Any, team: Any) -> Fact:
    """One respondent's answer for one account and quarter: the latest (by ``at``) counts."""
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise Missing("score")
    who = f"nps/{_text(data, 'account_id')}/{_text(data, 'respondent')}/{_text(data, 'quarter')}"
    return Fact(who, "nps", [iso(_time(data, "at")), stamp[1], score, owner, team])


READERS: dict[str, Reader] = {
    "LeadCaptured": _grade_fact("grade"),
    "LeadMerged": _grade_fact("grade"),
    "LeadRequalified": _grade_fact("to"),
    "LeadConverted": _converted,
    "LeadAssigned": _who,
    "LeadReassigned": _who,
    "LeadUnassigned": lambda data, now, stamp, subject, owner, team: Fact(subject, "who", [*stamp, None, team]),
    "LeadFirstTouched": _first_touch,
    "SlaMet": _sla("stopped_at", "slam"),
    "SlaBreached": _sla("due_at", "slab"),
    "CaseOpened": _case_opened,
    "CaseResolved": _case_resolved,
    "CaseReopened": _case_reopened,
    "OpportunityWon": _won,
    "OpportunityLost": _lost,
    "QuoteApproved": _approved,
    "ContractSigned": _contract,
    "InvoiceRequested": _invoice,
    "NpsAnswerRecorded": _nps,
}
