"""`closeloop <aggregate> list` (CONTRACT §11) from a second terminal: a table with local times,
the same filters as the API as flags, --json one summary per line, one-line failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import cli
from shared.services.ports import Change, Save
from tests.integration.api.test_lists_api import account, case, hexid, quote


@pytest.fixture
def second_terminal(clean_aws: Any, aws: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CLOSELOOP_AWS_PORT", aws.rsplit(":", 1)[1])
    return clean_aws


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cases_list_is_a_table_in_local_time_with_the_apis_filters(second_terminal: Any, capsys: Any) -> None:
    made = [
        case(1, 1, priority="P1", team="Support", owner_id="u_a", title="打印机卡纸"),
        case(2, 2, priority="P2", team="VIP"),
        case(3, 3, priority="P1", team="Support"),
    ]
    second_terminal.uow.commit(Change(saves=[Save(c, None) for c in made]))
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


def test_other_lists_take_their_own_flags(second_terminal: Any, capsys: Any) -> None:
    second_terminal.uow.commit(
        Change(saves=[Save(quote(1, 1, approver="u_zhao"), None), Save(account(1, 1, "u_am", 30), None)])
    )
    code, out, _ = run(["quotes", "list", "--approver", "u_zhao", "--json"], capsys)
    assert code == 0 and json.loads(out)["quote_id"] == hexid("qt", 1)
    code, out, _ = run(["accounts", "list", "--below-health"], capsys)
    assert code == 0 and hexid("ac", 1) in out
    code, out, err = run(["accounts", "list", "--below-health", "false"], capsys)
    assert code == 0 and out == "" and "(0 accounts" in err


def test_a_bad_flag_value_fails_in_one_line_naming_the_flag(second_terminal: Any, capsys: Any) -> None:
    code, _, err = run(["orders", "list", "--since", "soon"], capsys)
    assert code == 1 and err.startswith("closeloop: --since 'soon': must be a duration") and err.count("\n") == 1
    code, _, err = run(["contracts", "list", "--ending-before", "31/12/2027"], capsys)
    assert code == 1 and err.startswith("closeloop: --ending-before '31/12/2027': must be a date")
    code, _, err = run(["invoices", "list", "--limit", "0"], capsys)
    assert code == 1 and "--limit must be at least 1" in err
