"""Webhook routes: what each one records. Who may post, bodies, the honeypot, idempotency
and redirects are the one policy of inbound.py."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from functions.api.inbound import Handled, Route, preflight, receive
from shared.leads.services.capture import capture_lead
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Source

# A lead's route imports only what a capture needs: cases, orders, health and behaviour load on
# their own route's first request (a cold start answers a lead first, most often).

LEADS = Route("lead", "lead captured", "LeadsCaptured", browser_forms=True)
BEHAVIOUR = Route("behavior", "behaviour recorded", "BehaviourRecorded")
CASES = Route("case", "case opened", "CasesOpened")
SHIPMENTS = Route("shipment", "shipment recorded", "ShipmentsRecorded")
SIGNATURES = Route("esign", "e-signature recorded", "SignaturesRecorded")
USAGE = Route("usage", "usage recorded", "UsageRecorded")
SURVEYS = Route("survey", "survey answer recorded", "SurveyAnswersRecorded")

__all__ = ["behavior", "capture", "case", "esign", "preflight", "shipment", "survey", "usage"]


def capture(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        result = capture_lead(payload, source, active, c.uow, c.clock)
        return Handled(201 if result.status == "created" else 200, result.body())

    return receive(LEADS, source_name, raw, headers, c, work, lambda_context)


def behavior(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        from shared.kernel.messages.validation import read
        from shared.leads.messages.leads import Behavior
        from shared.leads.services.behavior import record_behavior

        lead = record_behavior(read(Behavior, payload, now=c.clock(), active=active), active, c.uow, c.clock)
        return Handled(200, lead.summary(active.version))

    return receive(BEHAVIOUR, source_name, raw, headers, c, work, lambda_context)


def case(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        from shared.kernel.messages.validation import read
        from shared.service_desk.messages.cases import CaseOpening
        from shared.service_desk.services.cases import open_case

        opening = read(CaseOpening, payload, now=c.clock(), active=active)
        result = open_case(opening, source, active, c.uow, c.clock)
        return Handled(201 if result.status == "created" else 200, result.body)

    return receive(CASES, source_name, raw, headers, c, work, lambda_context)


def shipment(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        from shared.fulfilment.messages.orders import ShipmentReport
        from shared.fulfilment.services.orders import record_shipment_report
        from shared.kernel.messages.validation import read

        report = read(ShipmentReport, payload, now=c.clock(), active=active)
        return Handled(200, record_shipment_report(report, source.source, active, c.uow, c.clock))

    return receive(SHIPMENTS, source_name, raw, headers, c, work, lambda_context)


def esign(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    from shared.fulfilment.messages.orders import SignatureReport
    from shared.kernel.messages.validation import read
    from shared.sales.services.esign import record_signature

    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        signature = read(SignatureReport, payload, now=c.clock(), active=active)
        status, body = record_signature(signature, source.source, active, c.uow, c.clock)
        return Handled(status, body)

    return receive(SIGNATURES, source_name, raw, headers, c, work, lambda_context)


def usage(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        from shared.customers.messages.accounts import UsageReport
        from shared.customers.services.health import report_usage
        from shared.kernel.messages.validation import read

        usage = read(UsageReport, payload, now=c.clock(), active=active)
        return Handled(200, report_usage(usage, source, active, c.uow, c.clock))

    return receive(USAGE, source_name, raw, headers, c, work, lambda_context)


def survey(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    def work(payload: dict[str, Any], source: Source, active: ActiveRules) -> Handled:
        from shared.customers.messages.accounts import SurveyAnswer
        from shared.customers.services.surveys import record_survey
        from shared.kernel.messages.validation import read

        answer = read(SurveyAnswer, payload, now=c.clock(), active=active)
        return Handled(200, record_survey(answer, source, active, c.uow, c.clock))

    return receive(SURVEYS, source_name, raw, headers, c, work, lambda_context)
