"""Settings and template.yaml name the same tables, bus and secrets: every variable the
template sets is one Settings reads, and each Settings default is the template's name, so the
code run without the template's environment (tests, the CLI) talks to the same resources."""

from __future__ import annotations

from typing import Any

from infra import template as cfn
from shared.adapters import settings as settings_module
from shared.adapters.settings import ENVIRONMENT, Settings, table_variable


def _names(template: cfn.Template) -> dict[str, str]:
    """Logical id -> physical name of every table, bus and secret."""
    names = {t.logical_id: t.name for t in cfn.tables(template)}
    names.update({b.logical_id: b.name for b in cfn.event_buses(template)})
    names.update({s.logical_id: s.name for s in cfn.secrets(template)})
    return names


def _variables(template: cfn.Template) -> dict[str, Any]:
    """Every environment variable the template gives a function (Globals and per function)."""
    found = dict((cfn.function_globals(template).get("Environment") or {}).get("Variables") or {})
    for resource in cfn.resources_of_type(template, "AWS::Serverless::Function").values():
        found.update(((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    return found


def test_every_resource_variable_of_the_template_is_read_by_settings_with_the_same_default() -> None:
    template = cfn.load_template()
    names, defaults = _names(template), Settings()
    checked = 0
    for variable, value in _variables(template).items():
        if not (isinstance(value, dict) and value.get("Ref") in names):
            continue
        if variable in ENVIRONMENT:
            assert getattr(defaults, ENVIRONMENT[variable]) == names[value["Ref"]], variable
        else:  # a plain document table's (documents.py): read by its name, from the environment
            assert variable.endswith("_TABLE"), f"template sets {variable} but Settings never reads it"
            table = names[value["Ref"]].removeprefix("closeloop-dev-")
            assert table_variable(table) == variable and defaults.table(table) == names[value["Ref"]], variable
            assert Settings.from_env({variable: "t-x"}).table(table) == "t-x", variable
        checked += 1
    assert checked >= 8  # tables, bus and secrets: the check really ran


def test_index_names_are_the_templates() -> None:
    indexes = {
        index["IndexName"]
        for table in cfn.tables(cfn.load_template())
        for index in table.global_secondary_indexes or []
    }
    declared = {v for k, v in vars(settings_module).items() if k.endswith("_INDEX")}
    assert declared <= indexes, declared - indexes


def test_a_table_without_a_field_is_named_by_the_environment_or_the_stage() -> None:
    assert Settings().table("rmas") == "closeloop-dev-rmas"
    assert Settings.for_stage("prod").table("rmas") == "closeloop-prod-rmas"
    read = Settings.from_env({"RMAS_TABLE": "t-rmas", "CLOSELOOP_STAGE": "prod", "EVENTS_TABLE": "t-events"})
    assert (read.table("rmas"), read.table("other"), read.other_tables) == (
        "t-rmas",
        "closeloop-prod-other",
        (("RMAS_TABLE", "t-rmas"),),
    )


def test_settings_read_the_environment_once_into_typed_values() -> None:
    env = {"EVENTS_TABLE": "t-events", "CLOSELOOP_RULES_CHECK_SECONDS": "0", "AWS_REGION": "eu-west-1"}
    read = Settings.from_env(env)
    assert (read.events_table, read.rules_check_seconds, read.region) == ("t-events", 0.0, "eu-west-1")
    assert read.leads_table == "closeloop-dev-leads"


def test_a_starting_stack_takes_a_fresh_id_namespace_that_its_second_terminal_reads() -> None:
    """Each start: a new namespace (shared/kernel/domain/ids.py), kept beside the stack's port so the
    CLI connecting to it (connect_env) derives ids with the same one."""
    from infra.local.stack import StackSettings, new_id_namespace, stack_id_namespace
    from tests.conftest import free_port

    stack = StackSettings(aws_port=free_port())
    new_id_namespace(stack)
    first = stack_id_namespace(stack)
    assert first and stack_id_namespace(stack) == first
    new_id_namespace(stack)  # the stack restarted
    assert stack_id_namespace(stack) not in ("", first)
    assert Settings.from_env({"CLOSELOOP_ID_NAMESPACE": first}).id_namespace == first
