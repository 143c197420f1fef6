"""Using an action link (CONTRACT §12): what the confirm page shows, and the action itself.

The entry point reads the token (shared/adapters/links.py) and records the link as the actor; here
the action goes through the SAME services as the API's routes — ``decide`` for approve/reject,
``record_activity`` for call/email/meeting, ``record_case_event`` for first_response — with the
link's person as ``by``, so every rule (not your turn, not an approver, already decided) is the
API's own. A link is used once: the first POST claims it; a refused action gives the claim back
(the step was not theirs yet — the link still works when it is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.composition.services.ports import ActionLinkKeys, AllWork
from shared.kernel.domain.errors import LinkGone
from shared.kernel.domain.events import subject_parts
from shared.kernel.domain.links import LinkClaims
from shared.kernel.services.ports import Clock
from shared.leads.services.activities import record_activity
from shared.leads.services.sla_clocks import lead_name
from shared.rules.domain.active import ActiveRules
from shared.sales.domain.quotes import parse_approval_id
from shared.sales.services.approvals import decide, quote_name
from shared.service_desk.services.case_clocks import case_name
from shared.service_desk.services.cases import record_case_event

MAX_NOTE = 2000  # as an API decision's note


@dataclass(frozen=True)
class LinkView:
    """What a link page says: who acts, doing what, on what (plus a few facts about it)."""

    person_id: str
    person: str  # the owner's name from the Owners tab, else their id
    action: str
    subject: str
    what: str  # "Quote 上海精密制造 · CNY 720000.00", "Lead 张伟 (上海精密制造)"
    facts: list[tuple[str, str]] = field(default_factory=list)  # (key, value): the page words them


def open_link(claims: LinkClaims, keys: ActionLinkKeys, active: ActiveRules, uow: AllWork) -> LinkView:
    """GET /a/{token}: reads, never writes (chat apps prefetch links); a used link says so."""
    if keys.used(claims):
        raise LinkGone("this link was already used")
    return describe(claims, active, uow)


def describe(claims: LinkClaims, active: ActiveRules, uow: AllWork) -> LinkView:
    """What the link's pages say about it."""
    owner = active.rules.owners.get(claims.person)
    person = owner.name if owner else claims.person
    kind, target = subject_parts(claims.subject)
    what, facts = claims.subject, []
    if kind == "approval":
        where = parse_approval_id(target)
        quote = uow.quotes.get(where[0]) if where else None
        step = quote.step(target) if quote else None
        if quote is not None and step is not None:
            what = f"quote:{quote_name(quote)}"
            facts = [
                ("quote", quote.quote_id),
                ("discount", f"{float(quote.discount):.0%}" if quote.discount is not None else "—"),
                ("role", str(step.get("role"))),
                ("step_status", str(step.get("status"))),
            ]
    elif kind == "lead":
        lead = uow.leads.get(target)
        if lead is not None:
            what = f"lead:{lead_name(lead) or target}"
            facts = [("lead", target), ("owner", str(lead.owner_id or "—"))]
    elif kind == "case":
        case = uow.cases.get(target)
        if case is not None:
            what = f"case:{case_name(case) or target}"
            facts = [("case", target), ("priority", str(case.priority)), ("owner", str(case.owner_id or "—"))]
    return LinkView(claims.person, person, claims.action, claims.subject, what, facts)


def use_link(
    claims: LinkClaims,
    form: dict[str, str],
    keys: ActionLinkKeys,
    active: ActiveRules,
    uow: AllWork,
    clock: Clock,
) -> dict[str, Any]:
    """POST /a/{token}: the action, once, as the link's person; the service's answer."""
    if not keys.claim(claims):
        raise LinkGone("this link was already used")
    try:
        return _perform(claims, form, active, uow, clock)
    except BaseException:
        keys.release(claims)  # nothing was done: the link is not used up
        raise


def _perform(
    claims: LinkClaims, form: dict[str, str], active: ActiveRules, uow: AllWork, clock: Clock
) -> dict[str, Any]:
    from shared.kernel.messages.validation import read

    target = claims.target
    if claims.action in ("approve", "reject"):
        payload: dict[str, Any] = {"decision": claims.action, "by": claims.person}
        note = (form.get("note") or "").strip()
        if note:
            payload["note"] = note[:MAX_NOTE]
        from shared.sales.messages.sales import ApprovalDecision

        return decide(target, read(ApprovalDecision, payload, now=clock(), active=active), active, uow, clock)
    if claims.action in ("call", "email", "meeting"):
        from shared.leads.messages.leads import LeadActivity

        called = read(LeadActivity, {"type": claims.action, "by": claims.person}, now=clock(), active=active)
        return record_activity(target, called, active, uow, clock)
    from shared.service_desk.messages.cases import CaseEventRecording

    responded = read(CaseEventRecording, {"type": "first_response", "by": claims.person}, now=clock(), active=active)
    return record_case_event(target, responded, active, uow, clock)


def link_actor(claims: LinkClaims) -> dict[str, Any]:
    """The audit's actor for a change made through a link (CONTRACT §12): kind ``link``, the link
    by its id (every action of one alert to one person shares it), the person it names."""
    return {"kind": "link", "name": f"link-{claims.link_id}", "owner_id": claims.person, "action": claims.action}
