"""`closeloop <aggregate> list` (CONTRACT §11) from a second terminal: a table with local times,
the same filters as the API as flags, --json one summary per line, one-line failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import cli
from shared.kernel.messages.validation import read
from shared.kernel.services.ports import Change, Save
from shared.service_desk.messages.cases import CaseOpening
from tests.integration.api.test_lists_api import account, case, hexid, quote


@pytest.fixture
def second_terminal(clean_aws: Any, aws: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CLOSELOOP_AWS_PORT", aws.rsplit(":", 1)[1])
    return clean_aws


@pytest.fixture
def local_api(second_terminal: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`closeloop dev`'s API in this process: a list asks it, as from a second terminal."""
    from functions.api.app import app
    from infra.local.api_server import LocalApiServer
    from tests.conftest import ADMIN_KEY

    server = LocalApiServer(app, "127.0.0.1", 0, on_request=lambda *line: None).start()  # no access log
    monkeypatch.setenv("CLOSELOOP_PORT", str(server.port))
    monkeypatch.setenv("CLOSELOOP_ADMIN_KEY", ADMIN_KEY)
    try:
        yield second_terminal
    finally:
        server.stop()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cases_list_is_a_table_in_local_time_with_the_apis_filters(local_api: Any, capsys: Any) -> None:
    made = [
        case(1, 1, priority="P1", team="Support", owner_id="u_a", title="打印机卡纸"),
        case(2, 2, priority="P2", team="VIP"),
        case(3, 3, priority="P1", team="Support"),
    ]
    local_api.uow.commit(Change(saves=[Save(c, None) for c in made]))
    code, out, err = run(["cases", "list"], capsys)
    header, *rows = out.splitlines()
    assert code == 0 and header.split() == [
        "OPENED_AT",
        "CASE_ID",
        "PRIORITY",
        "STATUS",
        "TEAM",
        "OWNER_ID",
        "ACCOUNT_ID",
        "TITLE",
    ]
    assert [row.split()[2] for row in rows] == [hexid("cs", n) for n in (1, 2, 3)]  # date, time, id
    assert "(3 cases, newest first)" in err
    # the example rules' Settings timezone is Asia/Shanghai: UTC+8, shown without seconds or Z
    from datetime import datetime, timedelta

    opened = datetime.fromisoformat(made[0].opened_at.replace("Z", "+00:00")) + timedelta(hours=8)
    assert rows[0].startswith(opened.strftime("%Y-%m-%d %H:%M")) and "打印机卡纸" in rows[0]
    code, out, err = run(["cases", "list", "--priority", "P1", "--team", "Support", "--limit", "1"], capsys)
    assert code == 0 and hexid("cs", 1) in out and hexid("cs", 3) not in out and "more with --limit 2" in err
    code, out, _ = run(["cases", "list", "--owner", "u_a", "--json"], capsys)
    [line] = out.splitlines()
    assert json.loads(line)["case_id"] == hexid("cs", 1) and json.loads(line)["opened_at"] == made[0].opened_at


def test_other_lists_take_their_own_flags(local_api: Any, capsys: Any) -> None:
    local_api.uow.commit(
        Change(saves=[Save(quote(1, 1, approver="u_zhao"), None), Save(account(1, 1, "u_am", 30), None)])
    )
    code, out, _ = run(["quotes", "list", "--approver", "u_zhao", "--json"], capsys)
    assert code == 0 and json.loads(out)["quote_id"] == hexid("qt", 1)
    code, out, _ = run(["accounts", "list", "--below-health"], capsys)
    assert code == 0 and hexid("ac", 1) in out
    code, out, err = run(["accounts", "list", "--below-health", "false"], capsys)
    assert code == 0 and out == "" and "(0 accounts" in err


def test_a_bad_flag_value_fails_in_one_line_naming_the_flag(local_api: Any, capsys: Any) -> None:
    code, _, err = run(["orders", "list", "--since", "soon"], capsys)
    assert code == 1 and err.startswith("closeloop: --since 'soon': must be a duration") and err.count("\n") == 1
    code, _, err = run(["contracts", "list", "--ending-before", "31/12/2027"], capsys)
    assert code == 1 and err.startswith("closeloop: --ending-before '31/12/2027': must be a date")
    code, _, err = run(["invoices", "list", "--limit", "0"], capsys)
    assert code == 1 and "--limit must be at least 1" in err


# ------------------------------------------------------------------ show


def test_show_puts_a_case_its_events_alerts_and_timers_in_one_view(
    second_terminal: Any, capsys: Any, example_rules: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from shared.composition.services.timer_handlers import handlers
    from shared.service_desk.services.cases import open_case
    from shared.time.services.timers import sweep_timers
    from tests.unit.services.helpers import FixedRules, TickingClock, now_of

    store, clock = second_terminal.uow, TickingClock(datetime.now(UTC) - timedelta(hours=20))
    payload = {
        "external_id": "CC-SHOW",
        "priority": "P1",
        "subject": "线路中断",
        "account": {"company": "Acme", "country": "CN"},
    }
    case_id = open_case(
        read(CaseOpening, payload, now=now_of(clock), active=example_rules),
        example_rules.rules.sources["contact-center"],
        example_rules,
        store,
        clock,
    ).case.case_id
    subject = f"case/{case_id}"
    warned_at = min(t.due_at for t in store.timers.pending(subject))
    sweep_timers(warned_at, store, handlers(FixedRules(example_rules)))
    timers_left = store.timers.pending(subject)
    alerts = [d for d in store.deliveries.about(subject) if d.kind == "alert"]
    assert alerts, "the SLA warning alerted someone"

    code, out, _ = run(["show", subject, "--json"], capsys)
    view = json.loads(out)
    assert code == 0 and view["subject"] == subject and view["record"]["case_id"] == case_id
    assert view["events"][0]["type"] == "CaseOpened"
    assert "SlaWarning" in {e["type"] for e in view["events"]}
    assert [a["delivery_id"] for a in view["alerts"]] == [a.delivery_id for a in alerts]
    assert [t["timer_id"] for t in view["timers"]] == [t.timer_id for t in timers_left]

    code, out, _ = run(["show", subject], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0] == subject and "  subject: 线路中断" in lines
    assert f"events ({len(view['events'])})" in lines and f"alerts ({len(alerts)})" in lines
    assert f"pending timers ({len(timers_left)})" in lines and "deliveries (0)" in lines


def test_show_names_what_is_wrong_in_one_line(second_terminal: Any, capsys: Any) -> None:
    code, _, err = run(["show", "case/cs_00000000000000000000"], capsys)
    assert code == 1 and err.startswith("closeloop: no case with id") and err.count("\n") == 1
    code, _, err = run(["show", "widget/1"], capsys)
    assert code == 1 and "KIND is one of lead, case," in err


# ------------------------------------------------------------------ send


@pytest.fixture
def stack_api(second_terminal: Any, aws: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The local API in this process on a free port, judging signatures by a clock two hours
    behind this machine's (as a stack on another machine might): a signature made with this
    machine's clock fails. `closeloop send` runs in a second process, as from a second terminal."""
    import os
    from datetime import UTC, datetime, timedelta

    from functions.api.app import app
    from infra.local.api_server import LocalApiServer
    from infra.local.stack import shifted_clock
    from shared.adapters.container import Container, reset_container
    from shared.kernel.services import webhook_auth
    from tests.conftest import WEBHOOK_SECRET

    behind = shifted_clock(datetime.now(UTC) - timedelta(hours=2))
    monkeypatch.setattr(webhook_auth, "transport_now", behind)
    reset_container(Container())
    server = LocalApiServer(app, "127.0.0.1", 0, on_request=lambda *line: None).start()
    env = {
        **os.environ,
        "CLOSELOOP_AWS_PORT": aws.rsplit(":", 1)[1],
        "CLOSELOOP_PORT": str(server.port),
        "CLOSELOOP_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    try:
        yield env
    finally:
        server.stop()


def send(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "send", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def test_send_signs_with_the_stacks_secret_and_clock_and_prints_the_answer(stack_api: Any, tmp_path: Any) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps({"email": "send@example.cn", "name": "王芳", "company": "苏州精工"}), encoding="utf-8")
    code, out, err = send(stack_api, "hubspot", str(lead))
    assert code == 0, err
    answer = json.loads(out)
    assert answer["lead_id"].startswith("ld_") and "HTTP 201 from POST /webhooks/leads/hubspot" in err
    code, out, err = send(stack_api, "hubspot", str(lead), "--idempotency-key", "k-1")
    assert code == 0 and json.loads(out)["lead_id"] == answer["lead_id"]  # the same person: no second lead


def test_send_exits_1_with_the_refusal(stack_api: Any, tmp_path: Any) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"external_id": "CC-S", "priority": "P9"}), encoding="utf-8")
    code, out, err = send(stack_api, "contact-center", str(case), "--kind", "cases")
    assert code == 1 and json.loads(out)["error"]["fields"]["priority"] and "HTTP 400" in err
    code, out, err = send(
        {**stack_api, "CLOSELOOP_WEBHOOK_SECRET": "not-it"}, "contact-center", str(case), "--kind", "cases"
    )
    assert code == 1 and json.loads(out)["error"]["code"] == "unauthorized" and "HTTP 401" in err
    code, _, err = send(stack_api, "contact-center", str(tmp_path / "missing.json"))
    assert code == 1 and err.startswith("closeloop: cannot read")
