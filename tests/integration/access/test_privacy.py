"""Privacy (CONTRACT §12) over the embedded AWS: a person with a lead, two cases and their events is
erased; then every table of the stack is scanned for their email, phone and name (nothing), the
KPIs are what they were, and a later post of the email is a new lead."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from infra.template import load_template, tables
from tests.conftest import ADMIN_KEY
from tests.integration.access.conftest import call
from tests.integration.api.helpers import body, post_lead, signed_headers

EMAIL, PHONE, NAME = "zhang.wei@jingmi.example.cn", "+8613912345678", "张伟伟"
PERSON = {
    "email": "Zhang.Wei@Jingmi.example.cn",
    "phone": "139 1234 5678",
    "name": NAME,
    "title": "采购总监",
    "company": "上海精密制造",
    "employees": 500,
    "industry": "制造业",
    "budget": "500,000",
    "country": "CN",
    "province": "江苏省",
    "message": "请尽快联系我",
    "wechat_id": "zww_1988",
}
TRACES = (EMAIL, "Zhang.Wei@Jingmi", "13912345678", "139 1234 5678", NAME, "请尽快联系我", "zww_1988")


@pytest.fixture
def plumbing(aws: str, scoped_keys: Any) -> Iterator[Any]:
    from infra.local.plumbing import Plumbing

    running = Plumbing(load_template(), aws, poll_interval=0.05)
    running.start()
    yield running
    running.stop()


def _post_case(client: Any, external_id: str, contact: dict[str, str]) -> Any:
    raw = json.dumps({"external_id": external_id, "priority": "P2", "subject": "设备故障", "contact": contact,
                      "account": {"company": "上海精密制造", "country": "CN"}}).encode()  # fmt: skip
    return client.http.post("/webhooks/cases/contact-center", headers=signed_headers(raw), body=raw)


def _person_world(client: Any) -> tuple[str, list[str]]:
    """A lead (captured, merged with a second message, worked by its owner) and two cases."""
    created = post_lead(client, "website", PERSON)
    assert created.status_code == 201, created.body
    lead_id = body(created)["lead_id"]
    assert post_lead(client, "website", {**PERSON, "message": "第二条留言"}).status_code == 200
    owner = body(created)["owner_id"]
    touched = call(client, "POST", f"/leads/{lead_id}/activities", ADMIN_KEY, {"type": "call", "by": owner})
    assert touched.status_code == 201, touched.body
    cases = []
    for n, contact in enumerate(({"name": NAME, "email": EMAIL}, {"name": NAME, "phone": "+86 139 1234 5678"})):
        opened = _post_case(client, f"privacy-{n}", contact)
        assert opened.status_code == 201, opened.body
        cases.append(body(opened)["case_id"])
    return lead_id, cases


def _kpis(client: Any) -> dict[str, Any]:
    # KPI days are the business's (Asia/Shanghai, UTC+8) and `to` is exclusive: from 16:00 UTC a
    # lead captured now is counted on the day after the UTC date
    today = datetime.now(UTC).date()
    query = f"from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    answer = client.http.get(f"/kpis?{query}", headers={"X-Api-Key": ADMIN_KEY})
    assert answer.status_code == 200, answer.body
    return dict(body(answer)["kpis"])


def _traces_in_every_table(endpoint: str) -> dict[str, list[str]]:
    """Scan every table of the template (a test may; a request never does) for the person."""
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    found: dict[str, list[str]] = {}
    for spec in tables(load_template()):
        for page in client.get_paginator("scan").paginate(TableName=spec.name):
            for item in page["Items"]:
                text = json.dumps(item, ensure_ascii=False, default=repr)  # binary: the rules' gzip chunks
                hits = [t for t in TRACES if t in text or json.dumps(t)[1:-1] in text]
                if hits:
                    found.setdefault(spec.name, []).extend(hits)
    return found


def test_an_erased_person_leaves_no_trace_in_any_table_and_the_kpis_add_up(
    aws: str, client: Any, plumbing: Any
) -> None:
    lead_id, cases = _person_world(client)
    assert plumbing.drain(60)
    assert _traces_in_every_table(aws)  # the scan finds them before: it would notice
    kpis = _kpis(client)
    assert kpis["mql_to_sql_rate"]["denominator"] >= 1

    erased = call(client, "POST", "/privacy/erase", "key-only-privacy", {"email": PERSON["email"]})
    assert erased.status_code == 200, erased.body
    answer = body(erased)["erased"]
    assert (answer["leads"], answer["cases"]) == (1, 2) and answer["events"] >= 1
    assert plumbing.drain(60)

    assert _traces_in_every_table(aws) == {}
    assert _kpis(client) == kpis
    lead = body(call(client, "GET", f"/leads/{lead_id}", ADMIN_KEY))
    assert (lead["email"], lead["phone"], lead["name"], lead["title"], lead["extra"]) == (None,) * 5
    assert lead["company"] == "上海精密制造" and lead["grade"] == "sql" and lead["owner_id"]
    case = body(call(client, "GET", f"/cases/{cases[0]}", ADMIN_KEY))
    assert case["contact"] == {"name": None, "email": None, "phone": None} and case["priority"] == "P2"

    again = call(client, "POST", "/privacy/erase", "key-only-privacy", {"phone": "13912345678"})
    assert body(again) == {"erased": {"leads": 0, "cases": 0, "events": 0}}
    reposted = post_lead(client, "website", {**PERSON, "message": "我又来了"})  # (the same bytes: a repeat)
    assert reposted.status_code == 201, reposted.body
    assert body(reposted)["lead_id"] != lead_id
    audit = body(call(client, "GET", "/audit?actor=only-privacy", ADMIN_KEY))["audit"]
    assert {e["type"] for e in audit} == {"PersonErased"}
    assert all(EMAIL not in json.dumps(e) and e["subject"].startswith("person/") for e in audit)


def test_export_is_the_persons_records_as_one_document(client: Any) -> None:
    lead_id, cases = _person_world(client)
    answer = client.http.get("/privacy/export?phone=13912345678", headers={"X-Api-Key": "key-only-privacy"})
    assert answer.status_code == 200, answer.body
    document = body(answer)
    assert document["person"] == {"phone": PHONE}
    assert [lead["lead_id"] for lead in document["leads"]] == [lead_id]
    assert sorted(c["case_id"] for c in document["cases"]) == sorted(cases)
    assert sorted(document["identity_keys"]) == [f"email#{EMAIL}", f"phone#{PHONE}"]
    assert {"LeadCaptured", "LeadMerged", "CaseOpened"} <= {e["type"] for e in document["events"]}


@pytest.mark.parametrize(
    ("key", "status"), [("key-only-read", 403), ("key-only-leads", 403), ("key-only-privacy", 200), (ADMIN_KEY, 200)]
)
def test_only_a_privacy_key_erases_or_exports(client: Any, key: str, status: int) -> None:
    erased = call(client, "POST", "/privacy/erase", key, {"email": "nobody@example.cn"})
    exported = client.http.get("/privacy/export?email=nobody@example.cn", headers={"X-Api-Key": key})
    assert (erased.status_code, exported.status_code) == (status, status)
    if status == 403:
        assert "privacy" in body(erased)["error"]["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "email"), ({"email": "zhang at example"}, "email"), ({"phone": "12"}, "phone"), ({"mail": "a@b.cn"}, "mail")],
)
def test_a_bad_body_is_a_400_naming_the_field(client: Any, payload: Any, field: str) -> None:
    answer = call(client, "POST", "/privacy/erase", "key-only-privacy", payload)
    assert answer.status_code == 400, answer.body
    assert field in body(answer)["error"]["fields"]
    bad = client.http.get("/privacy/export?email=zhang%20at%20example", headers={"X-Api-Key": "key-only-privacy"})
    assert bad.status_code == 400 and "email" in body(bad)["error"]["fields"]


def test_retention_sweep_erases_an_idle_lead_as_of_the_schedules_time(client: Any, scoped_keys: Any) -> None:
    from schedules.retention_sweep import handler as retention_sweep
    from shared.kernel.domain.events import iso
    from shared.leads.services.capture import capture_lead
    from shared.rules.services.rules_publishing import publish_rules

    container = scoped_keys
    content = container.rules_store.content(container.rules.current().version)
    content = {**content, "Settings": [*content["Settings"], {"key": "lead_retention_days", "value": 30}]}
    assert publish_rules(content, [], "dir:retention", container.rules_store, container.clock).status == "published"
    container.rules.invalidate()
    active = container.rules.current()
    assert active.rules.settings.lead_retention_days == 30
    at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    idle = capture_lead(
        {"email": EMAIL, "name": NAME}, active.rules.source_named("website"), active, container.uow, lambda: at
    )
    assert idle.lead.owner_id is None  # nurture: no open work

    assert retention_sweep({"time": iso(at + timedelta(days=29))}, None)["erased"] == 0
    summary = retention_sweep({"time": iso(at + timedelta(days=31))}, None)
    assert (summary["erased"], summary["failed"], summary["finished"]) == (1, 0, True)
    lead = body(call(client, "GET", f"/leads/{idle.lead.lead_id}", ADMIN_KEY))
    assert (lead["email"], lead["name"]) == (None, None)
    assert _traces_in_every_table(boto3.client("dynamodb").meta.endpoint_url) == {}
    digest = hashlib.sha256(EMAIL.encode()).hexdigest()
    [erased] = body(call(client, "GET", f"/audit?subject=person/{digest}", ADMIN_KEY))["audit"]
    assert erased["type"] == "PersonErased" and erased["data"]["reason"] == "retention"
    assert erased["actor"] == {"kind": "schedule", "name": "retention-sweep"}
    subject = body(call(client, "GET", f"/audit?subject=lead/{idle.lead.lead_id}", ADMIN_KEY))["audit"]
    assert subject and all(EMAIL not in json.dumps(e, ensure_ascii=False) for e in subject)


def test_the_cli_erases_and_exports_as_the_routes_do(
    client: Any, aws: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra import cli

    lead_id, _ = _person_world(client)
    monkeypatch.setenv("CLOSELOOP_AWS_PORT", aws.rsplit(":", 1)[1])
    capsys.readouterr()  # the requests' metric lines
    assert cli.main(["privacy", "export", "--phone", "13912345678"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [lead["lead_id"] for lead in exported["leads"]] == [lead_id] and len(exported["cases"]) == 2
    assert cli.main(["privacy", "erase", "--email", EMAIL]) == 0
    assert json.loads(capsys.readouterr().out) == {"erased": {"leads": 1, "cases": 2, "events": 1}}
    assert cli.main(["privacy", "erase", "--email", "not an email"]) != 0
    assert "--email" in capsys.readouterr().err


def test_a_shed_or_failed_page_of_leads_is_read_again(scoped_keys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """retention-sweep pages through every lead with a Scan: a page DynamoDB sheds, or fails with
    its own fault, past PynamoDB's retries is read again after a back-off (faults.read_again)."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import ScanError

    from shared.adapters.dynamo import faults
    from shared.adapters.dynamo.models import LeadItem
    from shared.leads.services.capture import capture_lead

    container = scoped_keys
    active = container.rules.current()
    at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    lead = capture_lead(
        {"email": EMAIL, "name": NAME}, active.rules.source_named("website"), active, container.uow, lambda: at
    )
    scan, shed = LeadItem.scan, ["ThrottlingException", "InternalServerError"]

    def shedding(*args: Any, **kwargs: Any) -> Any:
        if shed:
            cause = ClientError({"Error": {"Code": shed.pop(0), "Message": "shed"}}, "Scan")
            raise ScanError("Failed to scan items", cause=cause)
        return scan(*args, **kwargs)

    monkeypatch.setattr(LeadItem, "scan", shedding)
    monkeypatch.setattr(faults.time, "sleep", lambda seconds: None)
    leads, after = container.uow.leads.page(10)
    assert shed == [] and [found.lead_id for found in leads] == [lead.lead.lead_id] and after is None
