"""Rules publishing and rollback, `deliveries retry` and the schedules are audited the same way
(CONTRACT §12): the CLI's changes as the operator at the terminal, a sweep's as its schedule."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

import pytest

from infra.cli_rules import CommandError
from shared.adapters.acting import cli_actor
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, post_lead
from tests.unit.admin_sheets.helpers import EXAMPLES


def _audit(client: Any, **params: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = client.http.get(f"/audit?{query}", headers={"X-Api-Key": ADMIN_KEY})
    assert answer.status_code == 200, answer.body
    return list(body(answer)["audit"])


def test_a_rules_publication_and_a_rollback_from_the_cli_are_the_operator_s(
    client: Any, scoped_keys: Any, tmp_path: Any, capsys: Any
) -> None:
    edited = tmp_path / "rules"
    edited.mkdir()
    for csv in EXAMPLES.glob("*.csv"):
        text = csv.read_text(encoding="utf-8")
        (edited / csv.name).write_text(text.replace("sql_threshold,80", "sql_threshold,85"), encoding="utf-8")
    from admin_sheets.publishing import sync_rules
    from shared.adapters.acting import acting_as
    from shared.rules.services.rules_publishing import rollback_rules

    with acting_as(cli_actor()):  # what `closeloop rules sync` / `rules rollback` run, as infra.cli.main does
        assert sync_rules(f"dir:{edited}", scoped_keys).status == "published"
        assert rollback_rules("1", scoped_keys.rules_store, scoped_keys.clock).status == "rolled_back"
    operator = cli_actor()["name"]
    mine = _audit(client, actor=operator)
    assert [e["type"] for e in mine][:2] == ["RulesRolledBack", "RulesPublished"], mine
    assert all(e["actor"] == {"kind": "cli", "name": operator} for e in mine)
    # and `closeloop audit list` shows them (the same listing, read by the CLI)
    from infra.cli_audit import cmd_audit_list

    cmd_audit_list(argparse.Namespace(subject=None, actor=operator, since=None, limit=10, json=True))
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["id"] for e in printed] == [e["id"] for e in mine]
    with pytest.raises(CommandError, match="--since 'yesterday'"):  # a bad flag: one line, exit 1
        cmd_audit_list(argparse.Namespace(subject=None, actor=None, since="yesterday", limit=10, json=False))


def test_a_sweep_s_changes_are_its_schedule_s(client: Any, scoped_keys: Any) -> None:
    import schedules.timer_sweep as timer_sweep
    from shared.adapters.container import utc_now
    from shared.kernel.domain.events import iso

    lead = {"email": "swept@example.cn", "name": "张伟", "company": "上海精密制造", "province": "上海",
            "industry": "制造业", "employees": 1500, "title": "采购总监", "phone": "13800138222"}  # fmt: skip
    made = post_lead(client, "website", lead)
    assert made.status_code == 201 and body(made)["owner_id"]
    later = iso(utc_now() + timedelta(days=30))
    assert timer_sweep.handler({"time": later}, None)["fired"]
    events = _audit(client, subject=f"lead/{body(made)['lead_id']}", to=later)
    actors = {e["type"]: e["actor"] for e in events}
    assert actors["LeadCaptured"] == {"kind": "webhook", "name": "website"}, actors
    swept = [a for kind, a in actors.items() if kind.startswith("Sla") or kind == "LeadReassigned"]
    assert swept and all(a == {"kind": "schedule", "name": "timer-sweep"} for a in swept), actors
