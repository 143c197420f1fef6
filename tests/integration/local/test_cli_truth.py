"""The CLI tells the truth in words a person acts on: one-line failures, the outcome of a sync,
what each rules version is, recent leads, and events as they happen."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra import cli
from shared.leads.services.capture import capture_lead

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "admin_sheets" / "examples"


def closeloop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=ROOT,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def second_terminal(clean_aws: Any, aws: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`closeloop …` in this process, reaching the embedded AWS as a second terminal would."""
    monkeypatch.setenv("CLOSELOOP_AWS_PORT", aws.rsplit(":", 1)[1])
    return clean_aws


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def edited_rules(tmp_path: Path, old: str, new: str, tab: str = "Settings") -> str:
    rules = tmp_path / f"rules-{abs(hash((old, new))) % 10_000}"
    shutil.copytree(EXAMPLES, rules)
    path = rules / f"{tab}.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return f"dir:{rules}"


# ------------------------------------------------------------------ one-line failures


def test_sheets_init_with_a_missing_key_file_says_so_in_one_line(tmp_path: Path) -> None:
    missing = closeloop("sheets", "init", "--title", "x", "--credentials", str(tmp_path / "key.json"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "key.json: no such file" in missing.stderr and "Errno" not in missing.stderr
    (tmp_path / "notjson.json").write_text("hello", encoding="utf-8")
    garbled = closeloop("sheets", "init", "--title", "x", "--credentials", str(tmp_path / "notjson.json"))
    assert garbled.returncode == 1 and "not a JSON key file" in garbled.stderr and garbled.stderr.count("\n") == 1


def test_the_deployed_stack_without_aws_credentials_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        CLOSELOOP_STACK="aws",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    for command in (["events", "list"], ["rules", "versions"], ["leads", "list"]):
        result = closeloop(*command, env=env)
        assert result.returncode == 1, command
        assert result.stderr.splitlines() == [f"closeloop: {cli.NO_AWS_CREDENTIALS}"], result.stderr


def test_the_deployed_stack_needs_its_stage_named(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLOSELOOP_STAGE"))}
    env.update(
        CLOSELOOP_STACK="aws", AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="x", AWS_REGION="eu-west-1"
    )
    unnamed = closeloop("events", "list", env=env)
    assert unnamed.returncode == 1 and unnamed.stderr.splitlines() == [f"closeloop: {cli.NO_STAGE}"]
    wrong = closeloop("events", "list", env={**env, "CLOSELOOP_STAGE": "Prod!"})
    assert wrong.returncode == 1 and "CLOSELOOP_STAGE must be 1 to 12 lower-case letters" in wrong.stderr


def test_a_stage_names_its_own_tables_bus_and_secrets() -> None:
    from shared.adapters.settings import Settings

    prod = Settings.from_env({"CLOSELOOP_STAGE": "prod"})
    assert (prod.table("leads"), prod.event_bus, prod.secret("api-keys"), prod.dead_letters("deliveries")) == (
        "closeloop-prod-leads",
        "closeloop-prod",
        "closeloop-prod-api-keys",
        "closeloop-prod-deliveries-dlq",
    )
    # what the template sets in AWS still wins
    assert Settings.from_env({"CLOSELOOP_STAGE": "prod", "LEADS_TABLE": "x"}).table("leads") == "x"


def test_no_credentials_deep_in_a_pynamodb_error_is_recognised() -> None:
    from botocore.exceptions import NoCredentialsError
    from pynamodb.exceptions import GetError

    try:
        try:
            raise NoCredentialsError()
        except NoCredentialsError as inner:
            raise GetError("Failed to get item: Unable to locate credentials") from inner
    except GetError as outer:
        assert cli._no_credentials(outer)
    assert not cli._no_credentials(ValueError("other"))


def test_an_unknown_event_type_is_a_usage_error_listing_the_known_ones() -> None:
    result = closeloop("events", "list", "--type", "LeadCapturd")
    assert result.returncode == 2
    assert "unknown event type 'LeadCapturd'; did you mean LeadCaptured?" in result.stderr
    assert "RulesPublished" in result.stderr and "ActivityRecorded" in result.stderr


# ------------------------------------------------------------------ rules sync and versions


def test_a_dry_run_says_what_a_sync_would_do(second_terminal: Any, tmp_path: Path, capsys: Any) -> None:
    live = second_terminal.rules_store.active().version_id
    code, out, _ = run(["rules", "sync", "--dry-run", "--source", "dir:admin_sheets/examples"], capsys)
    assert (code, out) == (0, f"valid: the same rules as the live {live}; a sync would publish nothing (dry run)\n")
    changed = edited_rules(tmp_path, "sql_threshold,80", "sql_threshold,85")
    code, out, _ = run(["rules", "sync", "--dry-run", "--source", changed], capsys)
    assert code == 0 and out.startswith("valid: a sync would publish it as v2-")
    assert out.rstrip().endswith(f"dry run: nothing published, {live} stays live")
    broken = edited_rules(tmp_path, "SMB North", "SMB Nrth", tab="Routing")
    code, out, _ = run(["rules", "sync", "--dry-run", "--source", broken], capsys)
    lines = out.splitlines()
    assert code == 1 and lines[0].startswith("Routing!")
    assert lines[-1] == f"rejected: {len(lines) - 1} problem(s) above; dry run: nothing published, {live} stays live"
    assert [v.version_id for v in second_terminal.rules_store.versions()] == [live]  # nothing published


def test_sync_outcomes_name_the_live_version_and_what_to_do(second_terminal: Any, tmp_path: Path, capsys: Any) -> None:
    v1 = second_terminal.rules_store.active().version_id
    broken = edited_rules(tmp_path, "SMB North", "SMB Nrth", tab="Routing")
    code, out, _ = run(["rules", "sync", "--source", broken], capsys)
    problems = out.splitlines()[:-1]
    assert code == 1 and problems
    assert out.splitlines()[-1] == f"rejected: {len(problems)} problem(s) above; nothing published, {v1} stays live"

    changed = edited_rules(tmp_path, "sql_threshold,80", "sql_threshold,85")
    code, out, _ = run(["rules", "sync", "--source", changed], capsys)
    v2 = out.split()[1]
    assert code == 0 and out == f"published: {v2} ({changed}); new leads are judged by it\n"
    code, out, _ = run(["rules", "sync", "--source", changed], capsys)
    assert out.startswith(f"unchanged: {v2} is live and {changed} holds the same rules")

    assert run(["rules", "rollback", "1"], capsys)[0] == 0
    code, out, _ = run(["rules", "sync", "--source", changed], capsys)
    assert code == 0
    assert out == f"held: {changed} still holds the rules rolled back from; edit it to publish again; {v1} stays live\n"

    code, out, err = run(["rules", "versions"], capsys)
    rows = out.splitlines()
    assert rows[0].split()[:2] == ["version", "what"]
    assert rows[1].startswith(f"* {v1}") and "live (rolled back to)" in rows[1]
    assert rows[2].startswith(f"  {v2}") and "rolled back from; held while the source has it" in rows[2]
    assert "* = live" in err


def test_versions_of_a_stack_that_only_moved_forward(second_terminal: Any, capsys: Any) -> None:
    code, out, _ = run(["rules", "versions"], capsys)
    [_, row] = out.splitlines()
    assert code == 0 and row.startswith("* v1-") and row.split()[2] == "live"


# ------------------------------------------------------------------ leads list


def test_leads_list_prints_one_line_per_lead_newest_first(second_terminal: Any, capsys: Any) -> None:
    active = second_terminal.rules.current()
    now = datetime.now(UTC)
    made = []
    for n, (days, extra) in enumerate([(3, {}), (1, {"employees": 1500, "industry": "制造业", "province": "上海"})]):
        at = now - timedelta(days=days)
        payload = {"email": f"cli{n}@example.cn", "name": f"李{n}", "company": f"公司{n}", **extra}
        made.append(
            capture_lead(payload, active.rules.source_named("website"), active, second_terminal.uow, lambda at=at: at)
        )
    code, out, err = run(["leads", "list", "--since", "7d"], capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and "(2 leads, newest first)" in err
    newest, oldest = made[1].lead, made[0].lead
    assert newest.lead_id in lines[0] and oldest.lead_id in lines[1]
    assert "李1 · 公司1 · cli1@example.cn" in lines[0] and f"{newest.team}/{newest.owner_id}" in lines[0]
    code, out, _ = run(["leads", "list", "--since", "2d", "--json"], capsys)
    assert [line for line in out.splitlines() if newest.lead_id in line] and oldest.lead_id not in out
    code, out, err = run(["leads", "list", "--limit", "1"], capsys)
    assert len(out.splitlines()) == 1 and "more with --limit 2" in err
    code, out, err = run(["leads", "list", "--since", "soon"], capsys)
    assert code == 1 and err.startswith("closeloop: --since 'soon': must be a duration") and err.count("\n") == 1


# ------------------------------------------------------------------ events list --follow


def test_events_list_follow_prints_new_events_until_ctrl_c(second_terminal: Any, aws: str) -> None:
    env = {**os.environ, "CLOSELOOP_AWS_PORT": aws.rsplit(":", 1)[1]}
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "events", "list", "--follow", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(90, process.kill)  # a hung follow fails the test instead of hanging it
    watchdog.start()
    try:
        assert process.stdout is not None
        assert "RulesPublished" in process.stdout.readline()  # what was there before
        active = second_terminal.rules.current()
        lead = capture_lead(
            {"email": "followed@example.cn"},
            active.rules.source_named("website"),
            active,
            second_terminal.uow,
            lambda: datetime.now(UTC),
        ).lead
        told = []
        while not any("LeadCaptured" in line for line in told):
            line = process.stdout.readline()
            assert line, "events list --follow ended by itself"
            told.append(line)
        assert any(f"lead/{lead.lead_id}" in line for line in told)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
        process.kill()
    assert process.returncode == 0 and "Traceback" not in err and err.strip().endswith("events)")


def test_follow_tells_each_event_once_though_polls_overlap(second_terminal: Any) -> None:
    from infra.local.inspect import follow_events

    active = second_terminal.rules.current()
    polls = 0

    def between_polls(_: float) -> None:
        nonlocal polls
        polls += 1
        if polls == 1:
            capture_lead(
                {"email": "twice@example.cn"},
                active.rules.source_named("website"),
                active,
                second_terminal.uow,
                lambda: datetime.now(UTC),
            )
        if polls > 3:
            raise KeyboardInterrupt

    told: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        for envelope in follow_events(sleep=between_polls):
            told.append(envelope["id"])
    assert len(told) == len(set(told)) >= 3  # RulesPublished, then the lead's events, each once
