"""The local stack as a user runs it: `closeloop dev` in one terminal, curl and the CLI in another."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from shared.kernel.services.webhook_auth import sign
from tests.conftest import free_port
from tests.e2e.terminal import fresh_terminal_env
from tests.fakes.receiver import running_receiver

ROOT = Path(__file__).resolve().parents[2]
README_LEAD = {
    "email": "zhang.wei@example.cn",
    "name": "张伟",
    "company": "上海精密制造",
    "province": "上海",
    "industry": "制造业",
    "employees": 1500,
    "title": "采购总监",
    "phone": "13800138000",
}


def closeloop(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def robot():
    """The WeCom group robot the example Owners' `notify` cells name, as a real HTTP receiver."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def stack(robot):
    env = fresh_terminal_env(  # nothing but the CLOSELOOP_* settings
        CLOSELOOP_PORT=str(free_port()),
        CLOSELOOP_AWS_PORT=str(free_port()),
        CLOSELOOP_RULES_CHECK_SECONDS="0",
        CLOSELOOP_SCHEDULES="off",  # time is driven by `schedule run --at`: nothing fires by itself
        CLOSELOOP_CHAT_WEBHOOKS=json.dumps({"wecom": {"kind": "wecom", "url": f"{robot.url}/cgi-bin/webhook/send"}}),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner = _wait_for_banner(process)
    console: list[str] = []  # what the terminal shows from here on (also keeps the pipe from filling)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            console.append(line)

    threading.Thread(target=read, daemon=True).start()
    yield {
        "env": env,
        "api": f"http://127.0.0.1:{env['CLOSELOOP_PORT']}",
        "banner": banner,
        "aws": f"http://127.0.0.1:{env['CLOSELOOP_AWS_PORT']}",
        "console": console,
    }
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    finally:
        process.kill()


def _wait_for_banner(process: subprocess.Popen[str]) -> str:
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("closeloop dev exited early:\n" + "".join(lines))
        lines.append(line)
        if "Ctrl-C stops" in line:
            return "".join(lines)
    raise AssertionError("closeloop dev did not become ready:\n" + "".join(lines))


@pytest.fixture(scope="module")
def bus_queue(stack):
    """An SQS queue subscribed to every event on the closeloop bus, as a downstream system would."""
    kwargs = {
        "endpoint_url": stack["aws"],
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    sqs, events = boto3.client("sqs", **kwargs), boto3.client("events", **kwargs)
    url = sqs.create_queue(QueueName="e2e-downstream")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="e2e-all", EventBusName="closeloop-dev", EventPattern=json.dumps({"source": ["closeloop"]}))
    events.put_targets(Rule="e2e-all", EventBusName="closeloop-dev", Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def test_the_banner_teaches_the_next_step(stack):
    assert stack["api"] in stack["banner"] and "dev-admin-key" in stack["banner"] and "curl" in stack["banner"]


def test_without_allow_dev_origins_a_page_on_localhost_is_refused_and_told_how(stack):
    assert "dev origins:   off (--allow-dev-origins" in stack["banner"]
    for origin in ("http://localhost:5500", "null"):
        status, answer = http(
            "POST", f"{stack['api']}/webhooks/leads/website", {"email": "dev.page@example.cn"}, {"Origin": origin}
        )
        assert status == 403 and answer["error"]["code"] == "forbidden", answer
        assert "closeloop dev --allow-dev-origins" in answer["error"]["message"]


def test_the_console_shows_one_line_per_request_and_per_event_and_no_json(stack):
    status, lead = http("POST", f"{stack['api']}/webhooks/leads/website", {"email": "console@example.cn"})
    assert status == 201
    http("GET", f"{stack['api']}/no/such/route")
    subject = f"lead/{lead['lead_id']}"
    deadline = time.monotonic() + 30
    while not any("LeadCaptured" in line and subject in line for line in stack["console"]):
        assert time.monotonic() < deadline, "".join(stack["console"])
        time.sleep(0.2)
    lines = list(stack["console"])
    assert any("POST    /webhooks/leads/website  → 201" in line for line in lines), lines
    assert any("GET     /no/such/route  → 404" in line for line in lines), lines
    assert any("lead captured" in line and lead["lead_id"] in line for line in lines), lines
    assert not [line for line in lines if line.lstrip().startswith("{")], "JSON logs or metric blobs in the console"
    assert "console@example.cn" not in "".join(lines)


def test_readme_curl_posts_a_lead_and_reads_back_its_decision(stack, bus_queue):
    status, created = http(
        "POST", f"{stack['api']}/webhooks/leads/website", README_LEAD, {"Origin": "https://www.example.com"}
    )
    assert status == 201, created
    assert (created["grade"], created["tier"], created["team"]) == ("sql", "vip", "Enterprise")
    status, lead = http("GET", f"{stack['api']}/leads/{created['lead_id']}", headers={"X-Api-Key": "dev-admin-key"})
    assert status == 200 and lead["decision"]["chosen"] == created["owner_id"]
    assert lead["decision"]["rules_version"] == created["rules_version"]

    assert closeloop("pump", env=stack["env"]).returncode == 0
    listed = [json.loads(line) for line in closeloop("events", "list", "--json", env=stack["env"]).stdout.splitlines()]
    mine = [e for e in listed if e["subject"] == f"lead/{created['lead_id']}"]
    assert [e["type"] for e in mine] == ["LeadCaptured", "LeadAssigned"]
    assert all(e["id"].startswith("evt_") and e["rules_version"] for e in mine)

    sqs, url = bus_queue
    delivered = _drain_queue(sqs, url, want=len(listed))
    on_bus = {d["detail"]["id"]: d for d in delivered}
    for event in mine:
        assert on_bus[event["id"]]["detail-type"] == event["type"] and on_bus[event["id"]]["detail"] == event


def _drain_queue(sqs: Any, url: str, want: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while len(messages) < want and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        messages += [json.loads(m["Body"]) for m in batch]
    return messages


def test_signed_behaviour_wakes_a_nurture_lead(stack):
    status, lead = http("POST", f"{stack['api']}/webhooks/leads/website", {"email": "quiet@example.cn"})
    assert status == 201 and lead["grade"] == "nurture"
    body = json.dumps({"email": "quiet@example.cn", "event": "demo_request"}).encode()
    headers = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()), body)}
    status, woken = http("POST", f"{stack['api']}/webhooks/behavior/hubspot", body, headers)
    assert status == 200 and woken["grade"] in ("mql", "sql") and woken["owner_id"]
    types = closeloop("events", "list", "--subject", f"lead/{lead['lead_id']}", env=stack["env"]).stdout
    assert "LeadRequalified" in types and "LeadAssigned" in types


def test_rules_validate_names_the_bad_cell(tmp_path, stack):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    routing = (rules / "Routing.csv").read_text(encoding="utf-8").replace("SMB North", "SMB Nrth", 1)
    (rules / "Routing.csv").write_text(routing, encoding="utf-8")
    result = closeloop("rules", "validate", f"dir:{rules}", env=stack["env"], check=False)
    assert result.returncode == 1
    assert any(line.startswith("Routing!B") and "SMB Nrth" in line for line in result.stdout.splitlines())


def test_rules_sync_publishes_a_change_that_health_then_reports(tmp_path, stack):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    settings = (rules / "Settings.csv").read_text(encoding="utf-8").replace("sql_threshold,80", "sql_threshold,85")
    (rules / "Settings.csv").write_text(settings, encoding="utf-8")
    result = closeloop("rules", "sync", "--source", f"dir:{rules}", env=stack["env"])
    assert result.stdout.startswith("published: v2-")
    version = result.stdout.split()[1]
    status, health = http("GET", f"{stack['api']}/health")
    assert status == 200 and health["rules_version"] == version
    again = closeloop("rules", "sync", "--source", f"dir:{rules}", env=stack["env"])
    assert again.stdout.startswith(f"unchanged: {version}")
    assert "*" in closeloop("rules", "versions", env=stack["env"]).stdout


def test_every_command_teaches_with_help():
    env = dict(os.environ)
    for args in (
        ["--help"],
        ["dev", "--help"],
        ["events", "list", "--help"],
        ["rules", "sync", "--help"],
        ["notifications", "list", "--help"],
        ["deliveries", "list", "--help"],
        ["deliveries", "retry", "--help"],
    ):
        result = closeloop(*args, env=env)
        assert "usage: closeloop" in result.stdout


def test_a_second_terminal_without_a_stack_gets_one_clear_line():
    env = {**os.environ, "CLOSELOOP_AWS_PORT": str(free_port())}
    result = closeloop("pump", env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "closeloop dev" in result.stderr


def test_schedule_run_rules_sync_reads_the_source_last_published(tmp_path, stack):
    """rules-sync (and `rules sync` without --source) reads the source the live rules came from:
    it never silently puts the example rules back over a set a person just published (issue 16)."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    settings = (rules / "Settings.csv").read_text(encoding="utf-8").replace("sql_threshold,80", "sql_threshold,83")
    (rules / "Settings.csv").write_text(settings, encoding="utf-8")
    published = closeloop("rules", "sync", "--source", f"dir:{rules}", env=stack["env"]).stdout.split()[1]
    result = closeloop("schedule", "run", "rules-sync", "--at", "2026-11-22T08:00:00Z", env=stack["env"])
    summary = json.loads(result.stdout)
    assert summary["source"] == f"dir:{rules}" and summary["at"] == "2026-11-22T08:00:00Z"
    assert summary["status"] == "unchanged" and http("GET", f"{stack['api']}/health")[1]["rules_version"] == published
    (rules / "Settings.csv").write_text(settings.replace("sql_threshold,83", "sql_threshold,84"), encoding="utf-8")
    again = closeloop("rules", "sync", env=stack["env"])  # no --source: the same dir
    assert again.stdout.startswith("published: ") and f"(dir:{rules})" in again.stdout
    closeloop("rules", "sync", "--source", "dir:admin_sheets/examples", env=stack["env"])  # the examples again
    unknown = closeloop("schedule", "run", "no-such-job", env=stack["env"], check=False)
    assert unknown.returncode == 1 and "rules-sync" in unknown.stderr


def test_backtest_from_the_cli_reports_json(tmp_path, stack):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    routing = (rules / "Routing.csv").read_text(encoding="utf-8").replace(",SMB North,", ",SMB East,")
    (rules / "Routing.csv").write_text(routing, encoding="utf-8")
    http(
        "POST",
        f"{stack['api']}/webhooks/leads/website",
        {"email": "bj@example.cn", "province": "北京", "employees": 300, "industry": "能源", "budget": 800000},
    )
    result = closeloop("rules", "backtest", f"dir:{rules}", "--since", "1d", "--json", env=stack["env"])
    report = json.loads(result.stdout)
    assert report["leads"] >= 1 and report["changed"]["team"] >= 1
    assert any(e["after"]["team"] == "SMB East" for e in report["examples"]["team"])


def test_dev_on_a_busy_port_says_so_in_one_line():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "CLOSELOOP_AWS_PORT": str(port), "CLOSELOOP_PORT": str(free_port())}
        result = closeloop("dev", env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_dev_with_invalid_rules_lists_the_problems_and_exits(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    (rules / "Owners.csv").write_text("owner_id,name\nu_1,Solo\n", encoding="utf-8")
    env = {
        **os.environ,
        "CLOSELOOP_AWS_PORT": str(free_port()),
        "CLOSELOOP_PORT": str(free_port()),
        "CLOSELOOP_RULES": f"dir:{rules}",
    }
    result = closeloop("dev", env=env, check=False)
    assert result.returncode == 1 and "Owners!" in result.stderr and "not valid" in result.stderr


def test_an_untouched_sql_lead_breaches_when_timer_sweep_runs_at_its_due_time(stack, robot):
    lead = {
        "email": "sla.e2e@example.cn",
        "company": "苏州精工",
        "province": "江苏省",
        "industry": "制造业",
        "employees": 800,
        "title": "采购总监",
        "phone": "13900139000",
        "budget": "600,000",
    }
    status, created = http("POST", f"{stack['api']}/webhooks/leads/website", lead)
    assert status == 201 and created["grade"] == "sql" and created["owner_id"]
    subject = f"lead/{created['lead_id']}"
    _, stored = http("GET", f"{stack['api']}/leads/{created['lead_id']}", headers={"X-Api-Key": "dev-admin-key"})
    clock = stored["sla"]["first_touch"]
    timers = [
        json.loads(line)
        for line in closeloop("timers", "list", "--subject", subject, "--json", env=stack["env"]).stdout.splitlines()
    ]
    assert sorted(t["kind"] for t in timers) == ["sla_breach", "sla_reassign", "sla_warn"]

    closeloop("schedule", "run", "timer-sweep", "--at", clock["due_at"], env=stack["env"])
    breached = [
        json.loads(line)
        for line in closeloop(
            "events", "list", "--type", "SlaBreached", "--subject", subject, "--json", env=stack["env"]
        ).stdout.splitlines()
    ]
    assert [e["data"]["role"] for e in breached] == ["manager"]
    _, after = http("GET", f"{stack['api']}/leads/{created['lead_id']}", headers={"X-Api-Key": "dev-admin-key"})
    assert after["sla"]["first_touch"]["state"] == "breached"

    # the manager hears it on every channel of their `notify` cell: SES email and the WeCom robot
    notified = [
        json.loads(line)
        for line in closeloop("notifications", "list", "--to", "u_liu", "--json", env=stack["env"]).stdout.splitlines()
    ]
    mine = [n for n in notified if n["about"] == subject]
    assert {(n["channel"], n["status"]) for n in mine} == {("email", "delivered"), ("wecom", "delivered")}
    assert all(n["title"] == "⚠️ First touch overdue" and "苏州精工" in n["text"] for n in mine)
    posts = [p.json["markdown"]["content"] for p in robot.posts if p.path == "/cgi-bin/webhook/send"]
    assert any(content.startswith("**⚠️ First touch overdue**") and "苏州精工" in content for content in posts)
    readable = closeloop("notifications", "list", "--to", "u_liu", env=stack["env"]).stdout
    assert "via email  [delivered]" in readable and "    ⚠️ First touch overdue" in readable
    listed = closeloop("deliveries", "list", "--status", "delivered", env=stack["env"]).stdout
    assert "alert" in listed and "last answer: 200" in listed
    refused = closeloop("deliveries", "retry", mine[0]["delivery_id"], env=stack["env"], check=False)
    assert refused.returncode == 1 and "never sent again" in refused.stderr


def test_dev_with_a_malformed_chat_channel_says_which_in_one_line():
    env = {**os.environ, "CLOSELOOP_CHAT_WEBHOOKS": '{"ops": {"kind": "teams", "url": "https://x"}}'}
    result = closeloop("dev", "--port", str(free_port()), "--aws-port", str(free_port()), env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "CLOSELOOP_CHAT_WEBHOOKS: chat channel 'ops' needs kind" in result.stderr


def test_a_p1_case_paused_on_the_customer_breaches_at_the_right_instant_then_escalates(stack):
    """Reported late: opened three hours ago, answered in time, waited on the customer for an hour.
    The 8-hour (24x7) resolution target moves by that hour; the sweep at that instant tells the
    support manager, one full target later the director."""
    from datetime import UTC, datetime, timedelta

    from shared.kernel.domain.events import iso

    opened = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    case = {"external_id": "e2e-p1", "priority": "P1", "account": {"company": "苏州精工", "country": "CN"},
            "opened_at": iso(opened)}  # fmt: skip
    body = json.dumps(case).encode()
    headers = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()), body)}
    status, created = http("POST", f"{stack['api']}/webhooks/cases/contact-center", body, headers)
    assert status == 201 and created["team"] == "Support L2", created
    key, owner = {"X-Api-Key": "dev-admin-key"}, created["owner_id"]
    events_url = f"{stack['api']}/cases/{created['case_id']}/events"
    for kind, minutes in (("first_response", 20), ("waiting_on_customer", 30), ("customer_replied", 90)):
        event = {"type": kind, "by": owner, "at": iso(opened + timedelta(minutes=minutes))}
        assert http("POST", events_url, event, key)[0] == 201
    _, shown = http("GET", f"{stack['api']}/cases/{created['case_id']}", headers=key)
    due = opened + timedelta(hours=9)
    assert shown["sla"]["resolution"]["due_at"] == iso(due) and shown["sla"]["resolution"]["paused_hours"] == 1.0
    assert shown["sla"]["first_response"]["state"] == "met"

    subject = f"case/{created['case_id']}"

    def told(kind: str) -> list[Any]:
        found = closeloop("events", "list", "--type", kind, "--subject", subject, "--json", env=stack["env"])
        return [json.loads(line)["data"]["notify"] for line in found.stdout.splitlines()]

    closeloop("schedule", "run", "timer-sweep", "--at", iso(due - timedelta(seconds=1)), env=stack["env"])
    assert told("SlaBreached") == []
    closeloop("schedule", "run", "timer-sweep", "--at", iso(due), env=stack["env"])
    assert told("SlaBreached") == [["u_ma"]]
    closeloop("schedule", "run", "timer-sweep", "--at", iso(due + timedelta(hours=8)), env=stack["env"])
    assert told("SlaEscalated") == [["u_chen"]]
