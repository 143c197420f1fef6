"""Case SLA clocks on the timer engine (CONTRACT §9): which timers a case wants, and what
each does when it fires.

A case's clocks are recomputed from its history (shared/service_desk/domain/case_clocks.py); their warn,
breach and escalation instants are a plan. After every change the case's pending timers are
brought in line with the plan: new instants are set, instants that moved or no longer apply (a
pause, a stop) are cancelled. Each alert is told once per clock (``case.alerted``), so
re-planning never repeats one. Beside the lead first-touch clock (sla_clocks.py), not inside
it: a lead's clock is updated in place, a case's is replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.deliveries.services.alerts import alert_deliveries
from shared.kernel.domain.events import Event, EventType, iso, subject_id
from shared.kernel.services.ports import Change, Save
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import escalation_target
from shared.rules.services.ports import RulesProvider
from shared.service_desk.domain.case_clocks import BREACH, WARN, ClockView, alert_timer, plan_alerts
from shared.service_desk.domain.cases import Case
from shared.service_desk.services.ports import CasesWork
from shared.time.domain.timers import Timer
from shared.time.services.timers import Handler


def planned_timers(case: Case, active: ActiveRules, now: datetime) -> list[Timer]:
    timers = []
    for view in case.clocks(active.calendars, now).values():
        for alert in plan_alerts(view, active.calendars):
            if alert.key not in case.alerted:
                timers.append(alert_timer(alert, case.subject, case.owner_id, view.spec))
    return timers


def sync_timers(case: Case, active: ActiveRules, now: datetime) -> tuple[list[Timer], list[str]]:
    """Bring the case's pending timers in line with its clocks: (timers to set, ids to cancel)."""
    wanted = planned_timers(case, active, now)
    wanted_ids = {t.timer_id for t in wanted}
    new = [t for t in wanted if t.timer_id not in case.timers]
    cancel = [timer_id for timer_id in case.timers if timer_id not in wanted_ids]
    case.timers = [t.timer_id for t in wanted]
    return new, cancel


def met_events(
    case: Case, before: dict[str, ClockView], after: dict[str, ClockView], now: datetime, active: ActiveRules
) -> list[Event]:
    """SlaMet for each clock this change stopped in time."""
    events = []
    for name, view in after.items():
        if view.state == "met" and (name not in before or before[name].state != "met"):
            data = {k: v for k, v in _data(case, view).items() if k != "sla_row"}
            data["stopped_at"] = view.to_dict()["stopped_at"]
            events.append(Event("SlaMet", case.subject, now, data, rules_version=active.version))
    return events


def handlers(rules: RulesProvider) -> dict[str, Handler[CasesWork]]:
    def fire(timer: Timer, now: datetime, uow: CasesWork) -> Change:
        return _fire(timer, now, uow, rules.current())

    return {WARN: fire, BREACH: fire}


def _fire(timer: Timer, now: datetime, uow: CasesWork, active: ActiveRules) -> Change:
    """Tell the alert, if the case still wants this timer (else it just goes)."""
    case = uow.cases.get(subject_id(timer.about))
    if case is None or timer.timer_id not in case.timers or timer.data["key"] in case.alerted:
        return Change()
    view = case.clocks(active.calendars, now).get(timer.data["clock"])
    if view is None:
        return Change()
    version = case.version
    case.alerted = [*case.alerted, timer.data["key"]]
    case.timers = [t for t in case.timers if t != timer.timer_id]
    data = {**_data(case, view), "late_seconds": timer.late_by_seconds(now)}
    kind: EventType
    if timer.kind == WARN:
        kind, data["notify"] = "SlaWarning", [case.owner_id] if case.owner_id else []
    else:
        step = int(timer.data["step"])
        roles = view.spec.escalate_to
        role = roles[step] if step < len(roles) else None
        person = escalation_target(case.owner_id, role, active.rules.owners) if role and case.owner_id else None
        kind = "SlaBreached" if step == 0 else "SlaEscalated"
        data.update(role=role, notify=[person.owner_id] if person else [])
    event = Event(kind, case.subject, now, data, rules_version=active.version)
    # the people in `notify` hear it in this same change, on each channel of their Owners row
    alerts = alert_deliveries([event], case_name(case), active, timer.timer_id, now, view.spec.calendar)
    return Change(saves=[Save(case, version), *(Save(a, None) for a in alerts)], events=[event])


def case_name(case: Case) -> str | None:
    """What an alert calls the case: its title and the customer, as far as known."""
    company = case.account.get("company") if isinstance(case.account, dict) else None
    parts = [str(p) for p in (case.title, company) if p]
    return " · ".join(parts) if parts else None


def _data(case: Case, view: ClockView) -> dict[str, Any]:
    """The keys every SLA event carries, as the lead clock's do (docs/events.md)."""
    return {
        "clock": view.spec.name,
        "kind": view.spec.kind,
        "owner_id": case.owner_id,
        "due_at": iso(view.due),
        "sla_row": view.spec.sla_row,
    }
