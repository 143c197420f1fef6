"""`closeloop dev --allow-dev-origins` / CLOSELOOP_DEV_ORIGINS: off unless asked, the flag wins
over the variable, a value that is neither on nor off is a one-line error."""

from __future__ import annotations

import pytest

from infra import cli
from infra.cli_rules import CommandError
from infra.local.stack import StackSettings, local_dev_origins
from shared.leads.domain.origins import DevOrigins


def settings_for(*argv: str) -> StackSettings:
    return cli._stack_settings(cli._parser().parse_args(["dev", *argv]))


@pytest.mark.parametrize(
    ("variable", "argv", "allowed"),
    [
        (None, [], False),
        ("off", [], False),
        ("", [], False),
        ("on", [], True),
        ("1", [], True),
        ("Yes", [], True),
        (None, ["--allow-dev-origins"], True),
        ("off", ["--allow-dev-origins"], True),  # the flag wins over the variable
    ],
)
def test_dev_origins_are_off_unless_asked(monkeypatch, variable, argv, allowed) -> None:
    monkeypatch.delenv("CLOSELOOP_DEV_ORIGINS", raising=False)
    if variable is not None:
        monkeypatch.setenv("CLOSELOOP_DEV_ORIGINS", variable)
    settings = settings_for(*argv)
    assert settings.dev_origins is allowed
    assert local_dev_origins(settings) is (DevOrigins.ALLOWED if allowed else DevOrigins.REFUSED)


def test_a_stack_started_in_process_does_not_allow_them() -> None:
    assert StackSettings().dev_origins is False  # tests and benchmarks


def test_a_value_that_is_neither_on_nor_off_is_refused_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CLOSELOOP_DEV_ORIGINS", "maybe")
    with pytest.raises(CommandError, match=r"^CLOSELOOP_DEV_ORIGINS must be on or off, not 'maybe'$"):
        settings_for()
    assert cli.main(["dev"]) == 1
    assert capsys.readouterr().err == "closeloop: CLOSELOOP_DEV_ORIGINS must be on or off, not 'maybe'\n"


def test_dev_help_documents_the_flag_and_its_variable(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["dev", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--allow-dev-origins" in text and "CLOSELOOP_DEV_ORIGINS=on" in text and "Origin: null" in text
    assert "sheets:SPREADSHEET_ID" in text


@pytest.mark.parametrize("allowed", [True, False])
def test_the_banner_says_whether_pages_on_this_machine_may_post(capsys, allowed) -> None:
    cli._print_banner(StackSettings(dev_origins=allowed), "v1-test")
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("dev origins:"))
    assert line.split(":", 1)[1].strip().startswith("on:" if allowed else "off (--allow-dev-origins")
