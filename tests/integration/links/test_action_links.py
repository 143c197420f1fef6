"""Action links over the embedded AWS (CONTRACT §12): an alert that asks one person to act carries
links in the message the robot gets; GET shows the confirm page and changes nothing; POST does it
once, as that person, through the API's own services (their refusals, as pages); a second POST or
an expired link → 410, a forged or altered one → 404; the change is recorded with a `link` actor."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from datetime import timedelta
from typing import Any

from chalice.test import Client

from functions.api.app import app
from schedules.timer_sweep import handler as timer_sweep
from shared.adapters.container import utc_now
from shared.kernel.domain.links import LinkClaims, make_token
from shared.leads.services.capture import capture_lead
from tests.conftest import ADMIN_KEY, LINK_SECRET
from tests.integration.api.helpers import body, post_lead
from tests.unit.services.helpers import SQL_LEAD

PUBLIC = "https://links.example.com"
KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LEAD = {**SQL_LEAD, "email": "link.buyer@acme.cn", "name": "张伟", "company": "上海精密制造"}


def _path(url: str) -> str:
    assert url.startswith(f"{PUBLIC}/a/"), url
    return url.removeprefix(PUBLIC)


def _post(client: Client, path: str, payload: Any) -> Any:
    return client.http.post(path, headers=KEY, body=json.dumps(payload).encode())


def _audit(client: Client, subject: str) -> list[dict[str, Any]]:
    return list(body(client.http.get(f"/audit?subject={subject}", headers=KEY))["audit"])


def test_a_first_touch_warning_carries_links_that_log_the_owners_call_once(configure, receiver, plumbing) -> None:
    container = configure(chat={"wecom": {"kind": "wecom", "url": f"{receiver.url}/wecom"}}, public_url=PUBLIC)
    active = container.rules.current()
    lead = capture_lead(LEAD, active.rules.source_named("website"), active, container.uow, utc_now).lead
    owner = lead.owner_id
    assert owner and lead.grade == "sql"
    assert timer_sweep({"time": lead.sla["first_touch"]["due_at"]}, None)["fired"] == 2
    assert plumbing.drain(30)

    # the owner's warning on WeCom: markdown links; the manager's breach: none (the call is not theirs)
    contents = [p.json["markdown"]["content"] for p in receiver.posts]
    [warning] = [c for c in contents if "/a/" in c]
    links = dict(re.findall(r"\[([^\]]+)\]\((https://[^)]+)\)", warning))
    assert set(links) == {"Log a call", "Log an email", "Log a meeting"}
    assert sum("/a/" in c for c in contents) == 1

    # notifications list --json: each alert's links as [{"action", "url"}]
    from infra.cli_deliveries import cmd_notifications_list

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        cmd_notifications_list(argparse.Namespace(to=owner, json=True))
    listed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {(link["action"], link["url"]) for row in listed for link in row["links"]} == {
        ("call", links["Log a call"]),
        ("email", links["Log an email"]),
        ("meeting", links["Log a meeting"]),
    }

    with Client(app) as client:
        page = client.http.get(_path(links["Log a call"]))
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
        html = page.body.decode() if isinstance(page.body, bytes) else page.body
        owner_name = active.rules.owners[owner].name
        assert owner_name in html and "Log a call" in html and "张伟 (上海精密制造)" in html and "<form" in html
        assert container.uow.leads.get(lead.lead_id).first_touch_at is None  # GET changed nothing

        done = client.http.post(_path(links["Log a call"]), headers=FORM, body=b"")
        assert done.status_code == 200, done.body
        touched = container.uow.leads.get(lead.lead_id)
        assert touched.first_touch_at and [(a["type"], a["by"]) for a in touched.activities] == [("call", owner)]

        # the same alert's other link, or the same one again: used up, nothing more recorded
        for again in (links["Log a call"], links["Log an email"]):
            gone = client.http.post(_path(again), headers=FORM, body=b"")
            assert gone.status_code == 410 and "text/html" in gone.headers["Content-Type"]
        assert len(container.uow.leads.get(lead.lead_id).activities) == 1
        assert client.http.get(_path(links["Log a meeting"])).status_code == 410  # its page says so too

        by_link = [e for e in _audit(client, f"lead/{lead.lead_id}") if (e.get("actor") or {}).get("kind") == "link"]
        assert {e["type"] for e in by_link} >= {"ActivityRecorded", "LeadFirstTouched"}
        assert all(e["actor"]["owner_id"] == owner and e["actor"]["name"].startswith("link-") for e in by_link)


def _pending_quote(client: Client) -> dict[str, Any]:
    lead = body(post_lead(client, "website", {**SQL_LEAD, "email": "quote.links@acme.cn"}))
    opened = _post(client, "/opportunities", {"lead_id": lead["lead_id"], "name": "Acme IoT", "owner_id": "u_wang"})
    opportunity_id = body(opened)["opportunity_id"]
    _post(client, f"/opportunities/{opportunity_id}/activities", {"type": "call", "by": "u_wang"})
    moved = _post(
        client,
        f"/opportunities/{opportunity_id}/stage",
        {"stage": "discovery", "by": "u_wang", "fields": {"decision_maker": "王总"}},
    )
    assert moved.status_code == 200, moved.body
    lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
    quoted = _post(client, "/quotes", {"opportunity_id": opportunity_id, "by": "u_wang", "lines": lines})
    assert quoted.status_code == 201, quoted.body
    return dict(body(quoted))


def test_an_approver_decides_from_the_link_in_turn_once_and_the_audit_says_so(configure) -> None:
    container = configure(public_url=PUBLIC)
    with Client(app) as client:
        quote = _pending_quote(client)
        _, second = (s["approval_id"] for s in quote["approval"]["steps"])
        alerts = [d for d in container.uow.deliveries.about(f"quote/{quote['quote_id']}") if d.to == "u_liu"]
        assert {d.channel for d in alerts} == {"email", "wecom"}
        urls = {u["action"]: u["url"] for u in container.links.urls(alerts[0].payload["links"])}
        assert set(urls) == {"approve", "reject"}
        assert container.links.urls(alerts[1].payload["links"]) == container.links.urls(alerts[0].payload["links"])

        # the director's link before the manager decided: the API's refusal, as a page; nothing used up
        soon = int((utc_now() + timedelta(hours=1)).timestamp())
        director = make_token(LinkClaims("u_chen", "approve", f"approval/{second}", soon, "director-1"), LINK_SECRET)
        early = client.http.post(f"/a/{director}", headers=FORM, body=b"")
        assert early.status_code == 409 and "not_your_turn" in early.body.decode()

        confirm = client.http.get(_path(urls["reject"])).body.decode()
        assert "<textarea" in confirm and "刘洋 Liu Yang" in confirm and "Reject" in confirm
        assert body(client.http.get(f"/quotes/{quote['quote_id']}", headers=KEY))["approval"]["steps"][0]["status"] == (
            "pending"
        )

        approved = client.http.post(_path(urls["approve"]), headers=FORM, body=b"note=%3Cb%3Eok%3C%2Fb%3E")
        assert approved.status_code == 200, approved.body
        assert "<b>ok</b>" not in approved.body.decode()
        steps = body(client.http.get(f"/quotes/{quote['quote_id']}", headers=KEY))["approval"]["steps"]
        assert (steps[0]["status"], steps[0].get("decided_by")) == ("approved", "u_liu")
        assert client.http.post(_path(urls["reject"]), headers=FORM, body=b"").status_code == 410

        # now it is the director's turn: the same link works (its refused POST did not use it)
        later = client.http.post(f"/a/{director}", headers=FORM, body=b"")
        assert later.status_code == 200, later.body
        assert body(client.http.get(f"/quotes/{quote['quote_id']}", headers=KEY))["status"] == "approved"

        decided = [e for e in _audit(client, f"quote/{quote['quote_id']}") if e["type"] == "ApprovalDecided"]
        assert sorted((e["data"]["by"], e["actor"]["kind"], e["actor"]["owner_id"]) for e in decided) == [
            ("u_chen", "link", "u_chen"),
            ("u_liu", "link", "u_liu"),
        ]


def test_forged_altered_and_expired_links_change_nothing(configure) -> None:
    configure(public_url=PUBLIC)
    with Client(app) as client:
        case = "case/cs_00000000000000000000"
        soon = int((utc_now() + timedelta(hours=1)).timestamp())
        token = make_token(LinkClaims("u_yang", "first_response", case, soon, "forge-1"), LINK_SECRET)
        forged = make_token(LinkClaims("u_yang", "first_response", case, soon, "forge-1"), "not-our-secret")
        altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        for bad in (forged, altered, "nonsense", "a.b"):
            for method in ("GET", "POST"):
                answer = client.http.request(method, f"/a/{bad}", headers=FORM, body=b"")
                assert answer.status_code == 404 and "text/html" in answer.headers["Content-Type"], (bad, method)
        past = int((utc_now() - timedelta(seconds=1)).timestamp())
        expired = make_token(LinkClaims("u_yang", "first_response", case, past, "old-1"), LINK_SECRET)
        for method in ("GET", "POST"):
            assert client.http.request(method, f"/a/{expired}", headers=FORM, body=b"").status_code == 410
        # a real token for a case that does not exist: the API's 404, as a page
        missing = client.http.post(f"/a/{token}", headers=FORM, body=b"")
        assert missing.status_code == 404 and "case_not_found" in missing.body.decode()
