"""Every route of the API, declared once (issue 18).

A route says its method and path, who may call it, which function answers it and with what
arguments, the status of a good answer, and — where the body names who acts — that field. From
this one table:

- app.py registers the Chalice routes (one generic view per route, see dispatch.py);
- the OpenAPI description states each operation's security, scopes and tag (openapi.py checks
  that it describes exactly these routes), and generates its operation from the messages the
  route names (``body``, ``query``, ``answer``: models in shared/*/messages) and its ``errors``;
- the template's API events, the access rules and the scope tests are checked against it.

Handlers are named, not imported (``"module:function"``): each is imported on its route's first
request, so a cold start that answers a lead loads nothing the lead does not need.

``args`` lists what the handler is called with, positionally, by name (dispatch.PROVIDERS): a path
parameter (``lead_id``), the request (``payload``, ``params``, ``raw``, ``headers``,
``lambda_context``), or a dependency (``container``, ``uow``, ``clock``, ``now``, ``active``,
``rules``, ``kpis``, ``audit``). ``given`` are leading literal arguments (which list a generic
listing serves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from shared.kernel.domain.access import Scope

Auth = Literal["api_key", "signed", "public"]
Capability = Literal["leads", "cases", "orders", "accounts", "sales", "kpis", "lists", "system", "links", "privacy"]

# the arguments a signed webhook's function takes (functions/api/webhooks.py)
WEBHOOK_ARGS = ("source", "raw", "headers", "container", "lambda_context")
LISTING_ARGS = ("params", "uow", "clock")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: str  # "module:function", imported on the route's first request
    args: tuple[str, ...]
    capability: Capability
    status: int = 200  # a good answer's status, when the handler returns a body (not a Response)
    auth: Auth = "api_key"
    actor_field: str | None = None  # the body field naming who acts: a personal key fills or must match it
    given: tuple[str, ...] = ()
    # what the OpenAPI description says of it (openapi.py), models named "module:Model" (shared/*/messages)
    summary: str = ""  # the operation in a line
    body: str | None = None  # the request body (a JSON command)
    query: str | None = None  # the query parameters (a filter)
    answer: str | None = None  # a good answer's body, described by its docstring
    also: tuple[tuple[int, str], ...] = ()  # other good statuses with the same body, and what they mean
    errors: tuple[str, ...] = ()  # the shared.kernel.domain.errors classes it may answer with (or "module:Class")
    operation_id: str | None = None  # when not the handler's name in camelCase
    scope: Scope | None = None  # an API key's scope for a resource shared/kernel/domain/access.py does not list

    @property
    def name(self) -> str:
        """A stable, unique view name (Chalice needs one per route)."""
        words = self.path.replace("{", "").replace("}", "").strip("/").replace("/", "_").replace(".", "_")
        return f"{self.method.lower()}_{words or 'root'}".replace("-", "_")


def _webhook(kind: str, handler: str, capability: Capability, **described: Any) -> Route:
    """A signed webhook: ``/webhooks/<kind>/{source}``; the source's signature is its auth."""
    path, answer = f"/webhooks/{kind}/{{source}}", f"functions.api.webhooks:{handler}"
    return Route("POST", path, answer, WEBHOOK_ARGS, capability, auth="signed", **described)


def _listing(plural: str, handler: str | None = None) -> Route:
    """A page of one aggregate's list (CONTRACT §11): its filters, since, limit, cursor. The generic
    ``list_named`` is given the list's name; a list with its own function (``handler``) is not."""
    name, given = plural.title(), () if handler else (plural,)
    handler = handler or "shared.composition.services.list_specs:list_named"
    return Route("GET", f"/{plural}", handler, LISTING_ARGS, "lists", given=given,
                 summary=f"{name}, newest first, a page at a time", operation_id=f"list{name}",
                 query=f"shared.composition.messages.lists:{name}Filters",
                 answer=f"shared.composition.messages.lists:{name}List",
                 errors=("ValidationFailed", "Unauthorized"))  # fmt: skip


# The usual arguments of a change to a known item: its id first, then these.
CHANGE = ("payload", "active", "uow", "clock")
COMMAND = ("command", "active", "uow", "clock")  # the same, the body read as the route's message

# what a route may answer, by the shared.kernel.domain.errors class: a JSON body, a signed webhook's intake
BODY = ("ValidationFailed", "BadRequest", "PayloadTooLarge", "UnsupportedMediaType", "RulesUnavailable")
CHANGED = (*BODY, "Unauthorized", "Conflict")  # a JSON command on a known item, or a new one
INTAKE = (*BODY, "Unauthorized", "SourceInactive", "UnknownSource", "Conflict", "IdempotencyKeyReused")

# fmt: off
ROUTES: tuple[Route, ...] = (
    # system
    Route("GET", "/health", "functions.api.system:health", ("active",), "system", auth="public",
          summary="Alive, and which rules version is active", answer="shared.composition.messages.system:Health",
          errors=("RulesUnavailable",)),
    Route("GET", "/openapi.json", "functions.api.system:openapi", (), "system", auth="public",
          summary="This description (OpenAPI 3.1)", answer="shared.composition.messages.system:Description"),
    Route("GET", "/audit", "shared.kernel.services.audit:list_audit", ("params", "audit", "clock"), "system",
          summary="Who changed what (CONTRACT §12), newest first, a page at a time",
          query="shared.composition.messages.system:AuditFilters",
          answer="shared.composition.messages.system:AuditPage",
          errors=("ValidationFailed", "Unauthorized", "Forbidden")),
    # leads
    _webhook("leads", "capture", "leads"),
    Route("OPTIONS", "/webhooks/leads/{source}", "functions.api.webhooks:preflight", ("source", "headers", "container"),
          "leads", auth="public"),
    _webhook("behavior", "behavior", "leads", operation_id="recordBehavior",
             summary="Marketing behaviour for a known lead (CONTRACT §2.2)",
             body="shared.leads.messages.leads:Behavior", answer="shared.leads.messages.lead_capture:LeadSummary",
             errors=(*INTAKE, "LeadNotFound")),
    Route("GET", "/leads", "shared.leads.services.leads_query:list_leads", LISTING_ARGS, "leads",
          summary="Recent leads, newest first, a page at a time", query="shared.leads.messages.leads:LeadFilters",
          answer="shared.leads.messages.leads:LeadList", errors=("ValidationFailed", "Unauthorized")),
    Route("GET", "/leads/{lead_id}", "shared.leads.services.leads_query:get_lead", ("lead_id", "uow"), "leads",
          summary="The lead as stored, with its decision trace (CONTRACT §2.3)",
          answer="shared.leads.messages.leads:Lead",
          errors=("Unauthorized", "LeadNotFound")),
    Route("POST", "/leads/{lead_id}/activities", "shared.leads.services.activities:record_activity",
          ("lead_id", *COMMAND), "leads", status=201, actor_field="by",
          summary="A sales activity on the lead (CONTRACT §2.4)",
          body="shared.leads.messages.leads:LeadActivity", answer="shared.leads.messages.leads:ActivityRecorded",
          errors=(*CHANGED, "LeadNotFound")),
    Route("POST", "/leads/{lead_id}/disqualify", "shared.leads.services.lead_closing:disqualify_answer",
          ("lead_id", *COMMAND), "leads", actor_field="by",
          summary="Close a lead as not a fit (CONTRACT §9 capacity)", operation_id="disqualifyLead",
          body="shared.leads.messages.leads:Disqualification", answer="shared.leads.messages.leads:Lead",
          errors=(*BODY, "Unauthorized", "LeadNotFound", "InvalidTransition", "Conflict")),
    # cases
    _webhook("cases", "case", "cases", summary="A support case opened in the contact center (CONTRACT §2.5)",
             operation_id="openCase", body="shared.service_desk.messages.cases:CaseOpening",
             answer="shared.service_desk.messages.cases:CaseSummary", status=201,
             also=((200, "that case was already open"),), errors=INTAKE),
    Route("POST", "/cases/{case_id}/events", "shared.service_desk.services.cases:record_case_event",
          ("case_id", *COMMAND), "cases", status=201, actor_field="by",
          summary="First response, replies, waiting, resolved, reopened, CSAT, notes (CONTRACT §2.5)",
          body="shared.service_desk.messages.cases:CaseEventRecording",
          answer="shared.service_desk.messages.cases:CaseEventRecorded",
          errors=(*BODY, "Unauthorized", "CaseNotFound", "InvalidTransition", "Conflict")),
    Route("GET", "/cases/{case_id}", "shared.service_desk.services.cases:get_case",
          ("case_id", "active", "uow", "clock"), "cases",
          summary="The case, its history and its clocks", answer="shared.service_desk.messages.cases:Case",
          errors=("Unauthorized", "CaseNotFound", "RulesUnavailable")),
    # orders
    _webhook("shipments", "shipment", "orders", operation_id="recordShipment",
             summary="A shipment status from the warehouse or logistics (CONTRACT §2.9)",
             body="shared.fulfilment.messages.orders:ShipmentReport",
             answer="shared.fulfilment.messages.orders:ShipmentRecorded",
             errors=(*INTAKE, "OrderNotFound", "OverDelivery", "ShipmentLinesChanged", "InvalidTransition")),
    _webhook("esign", "esign", "orders", operation_id="recordSignature",
             summary="A completed e-signature: contract, order, account, opportunity won (CONTRACT §2.8)",
             body="shared.fulfilment.messages.orders:SignatureReport",
             answer="shared.fulfilment.messages.orders:SignatureRecorded", status=201,
             also=((200, "recorded before (same ids), or ignored (not completed)"),),
             errors=(*INTAKE, "QuoteNotFound", "QuoteNotApproved", "QuoteAlreadySigned")),
    Route("GET", "/contracts/{contract_id}", "shared.sales.services.esign:get_contract", ("contract_id", "uow"),
          "orders", summary="The contract: term, amount, order, account, renewal reminders, history",
          answer="shared.fulfilment.messages.orders:Contract", errors=("Unauthorized", "ContractNotFound")),
    Route("GET", "/orders/{order_id}", "shared.fulfilment.services.orders:get_order", ("order_id", "uow"), "orders",
          summary="The order: lines, shipments, invoices, ERP and finance deliveries with their attempts",
          answer="shared.fulfilment.messages.orders:Order", errors=("Unauthorized", "OrderNotFound")),
    Route("POST", "/invoices/{invoice_id}/status", "shared.fulfilment.services.orders:record_invoice_status",
          ("invoice_id", *COMMAND), "orders", summary="Finance writes back issued / paid / rejected (CONTRACT §2.9)",
          body="shared.fulfilment.messages.orders:InvoiceStatusReport",
          answer="shared.fulfilment.messages.orders:Invoice",
          errors=(*BODY, "Unauthorized", "InvoiceNotFound", "InvalidTransition", "Conflict")),
    # accounts
    _webhook("usage", "usage", "accounts", operation_id="reportUsage",
             summary="Product usage of an account (CONTRACT §2.10): feeds the `usage` health dimension",
             body="shared.customers.messages.accounts:UsageReport",
             answer="shared.customers.messages.accounts:UsageRecorded",
             errors=(*INTAKE, "AccountNotFound")),
    _webhook("surveys", "survey", "accounts", operation_id="recordSurveyAnswer",
             summary="A net promoter answer about an account (CONTRACT §15, NPS)",
             body="shared.customers.messages.accounts:SurveyAnswer",
             answer="shared.customers.messages.accounts:SurveyRecorded",
             errors=(*INTAKE, "AccountNotFound")),
    Route("GET", "/accounts/{account_id}", "shared.customers.services.accounts:get_account",
          ("account_id", "uow", "now"), "accounts",
          summary="The account: company, credit code, manager, contracts, open cases, invoices, health",
          answer="shared.customers.messages.accounts:Account", errors=("Unauthorized", "AccountNotFound")),
    Route("PATCH", "/accounts/{account_id}", "shared.customers.services.accounts:patch_account",
          ("account_id", *COMMAND), "accounts",
          summary="Set the credit code, address, account manager (releases blocked invoices)",
          body="shared.customers.messages.accounts:AccountChange", answer="shared.customers.messages.accounts:Account",
          errors=(*BODY, "Unauthorized", "AccountNotFound", "InvalidTransition", "Conflict")),
    # sales (CONTRACT §2.6, §2.7)
    Route("POST", "/opportunities", "shared.sales.services.opportunities:create_opportunity", COMMAND, "sales",
          status=201, actor_field="owner_id",
          summary="Open an opportunity, from a lead or from scratch (CONTRACT §2.6)",
          body="shared.sales.messages.sales:OpportunityNew", answer="shared.sales.messages.sales:OpportunityOpened",
          errors=(*CHANGED, "LeadNotFound", "InvalidTransition")),
    Route("GET", "/opportunities/{opportunity_id}", "shared.sales.services.stage_moves:get_opportunity",
          ("opportunity_id", "active", "uow"), "sales",
          summary="The opportunity: fields, stage history with times, quotes, contract",
          answer="shared.sales.messages.sales:Opportunity",
          errors=("Unauthorized", "OpportunityNotFound", "RulesUnavailable")),
    Route("POST", "/opportunities/{opportunity_id}/stage", "shared.sales.services.stage_moves:move_stage",
          ("opportunity_id", *COMMAND), "sales", actor_field="by",
          summary="Move an opportunity to another stage (CONTRACT §2.6)", operation_id="moveOpportunityStage",
          body="shared.sales.messages.sales:StageMove", answer="shared.sales.messages.sales:OpportunityMoved",
          errors=(*CHANGED, "OpportunityNotFound", "StageGateFailed", "InvalidTransition")),
    Route("POST", "/opportunities/{opportunity_id}/activities",
          "shared.sales.services.stage_moves:record_opportunity_activity",
          ("opportunity_id", *COMMAND), "sales", status=201, actor_field="by",
          summary="A sales activity on the opportunity (the body of CONTRACT §2.4)",
          body="shared.sales.messages.sales:OpportunityActivity",
          answer="shared.sales.messages.sales:OpportunityActivityRecorded",
          errors=(*CHANGED, "OpportunityNotFound")),
    Route("POST", "/quotes", "shared.sales.services.quotes:create_quote", COMMAND, "sales",
          status=201, actor_field="by",
          summary="Price a quote and check it against the discount matrix (CONTRACT §2.7)",
          body="shared.sales.messages.sales:QuoteNew", answer="shared.sales.messages.sales:Quote",
          errors=(*CHANGED, "DiscountOverCap", "OpportunityNotFound", "InvalidTransition", "NoApprover",
                  "NoDiscountRule")),
    Route("GET", "/quotes/{quote_id}", "shared.sales.services.quotes:get_quote", ("quote_id", "uow"), "sales",
          summary="The quote, its approval steps and its history", answer="shared.sales.messages.sales:Quote",
          errors=("Unauthorized", "QuoteNotFound")),
    Route("POST", "/approvals/{approval_id}/decision", "shared.sales.services.approvals:decide",
          ("approval_id", *COMMAND), "sales", actor_field="by",
          summary="Approve or reject one step of a quote's approval chain (CONTRACT §2.7)",
          operation_id="decideApproval", body="shared.sales.messages.sales:ApprovalDecision",
          answer="shared.sales.messages.sales:ApprovalDecided",
          errors=(*CHANGED, "NotApprover", "ApprovalNotFound", "NotYourTurn", "AlreadyDecided", "RenewalOnHold")),
    # KPIs (CONTRACT §7)
    Route("GET", "/kpis", "shared.kpis.services.kpis:kpi_report", ("params", "kpis", "rules", "now"), "kpis",
          summary="The KPI set of a window (CONTRACT §7)", operation_id="getKpis",
          query="shared.kpis.messages.kpis:KpiWindow",
          answer="shared.kpis.messages.kpis:Kpis", errors=("ValidationFailed", "Unauthorized", "RulesUnavailable")),
    # lists (CONTRACT §11); /leads is the leads' own; GET /accounts?segment= reads the segment index (§15)
    *(_listing(plural) for plural in ("cases", "opportunities", "quotes", "contracts", "orders", "invoices")),
    _listing("accounts", "shared.customers.services.accounts_query:list_accounts_page"),
    # action links in alerts (CONTRACT §12): public, the token in the path is the credential
    # (shared/kernel/domain/access.py PUBLIC_RESOURCES); HTML pages, refusals included
    Route("GET", "/a/{token}", "functions.api.links:open_page", ("token", "container"), "links", auth="public"),
    Route("POST", "/a/{token}", "functions.api.links:use_page", ("token", "raw", "container"), "links", auth="public"),
    # privacy (CONTRACT §12, PIPL / GDPR): scope privacy (shared/kernel/domain/access.py)
    Route("POST", "/privacy/erase", "functions.api.privacy:erase", ("payload", "container"), "privacy",
          summary="Erase a person everywhere Closeloop holds them (PIPL art. 47, GDPR art. 17)",
          operation_id="erasePerson", body="shared.composition.messages.privacy:PersonToErase",
          answer="shared.composition.messages.privacy:Erased",
          errors=("ValidationFailed", "BadRequest", "PayloadTooLarge", "UnsupportedMediaType", "Unauthorized",
                  "Conflict", "RulesUnavailable")),
    Route("GET", "/privacy/export", "functions.api.privacy:export", ("params", "container"), "privacy",
          summary="Everything held about a person, as one JSON document (PIPL art. 45, GDPR art. 15)",
          operation_id="exportPerson", query="shared.composition.messages.privacy:PersonToExport",
          answer="shared.composition.messages.privacy:PersonExport",
          errors=("ValidationFailed", "Unauthorized", "RulesUnavailable")),
)
# fmt: on

BY_KEY: dict[tuple[str, str], Route] = {(route.method, route.path): route for route in ROUTES}


def scope_of(method: str, path: str) -> Scope | None:
    """The scope ``method path`` declares (``Route.scope``), if any."""
    route = BY_KEY.get((method.upper(), path))
    return route.scope if route else None


def actor_field(method: str, path: str) -> str | None:
    """The body field naming who acts on ``method path`` (a route template), if any."""
    route = BY_KEY.get((method.upper(), path))
    return route.actor_field if route else None
