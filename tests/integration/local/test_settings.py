"""Settings and template.yaml name the same tables, secrets, queue and bus: each variable the
template sets to one of them is the one Settings derives from its name, each name's default is
the template's, and the code names every table the template declares (and no other), so the
code run without the template's environment (tests, the CLI) talks to the same resources."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from infra import template as cfn
from infra.local.stack import StackSettings, local_secrets
from shared.adapters import idempotency, secrets
from shared.adapters.dynamo.models import TABLES
from shared.adapters.settings import Settings

Reader = Callable[[Settings], str]


def _readers(template: cfn.Template) -> dict[str, tuple[str, Reader]]:
    """Logical id -> (physical name, how Settings names it by its name) of every table, secret,
    dead-letter queue and bus."""
    prefix = cfn.stage_prefix(template)

    def named(physical: str, suffix: str = "") -> str:
        return physical.removeprefix(prefix).removesuffix(suffix)

    found: dict[str, tuple[str, Reader]] = {}
    for t in cfn.tables(template):
        found[t.logical_id] = (t.name, partial(Settings.table, name=named(t.name)))
    for secret in cfn.secrets(template):
        found[secret.logical_id] = (secret.name, partial(Settings.secret, name=named(secret.name)))
    for queue in (q for q in cfn.queues(template) if q.name.endswith("-dlq")):
        found[queue.logical_id] = (queue.name, partial(Settings.dead_letters, name=named(queue.name, "-dlq")))
    for bus in cfn.event_buses(template):
        found[bus.logical_id] = (bus.name, attrgetter("event_bus"))
    return found


def _variables(template: cfn.Template) -> dict[str, Any]:
    """Every environment variable the template gives a function (Globals and per function)."""
    found = dict((cfn.function_globals(template).get("Environment") or {}).get("Variables") or {})
    for resource in cfn.resources_of_type(template, "AWS::Serverless::Function").values():
        found.update(((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    return found


def test_every_name_the_template_gives_a_function_is_the_one_settings_derives() -> None:
    template = cfn.load_template()
    readers, told = _readers(template), set()
    for variable, value in _variables(template).items():
        if not (isinstance(value, dict) and value.get("Ref") in readers):
            continue
        name, read = readers[value["Ref"]]
        assert read(Settings()) == name, variable  # the template's name for its default stage
        assert read(Settings.for_stage("prod")) == name.replace("closeloop-dev", "closeloop-prod", 1), variable
        assert read(Settings.from_env({variable: "from-env"})) == "from-env", f"Settings never reads {variable}"
        told.add(value["Ref"])
    # every table, secret and the bus was checked; of the queues, only the deliveries' dead letters
    # are the code's (the others are the plumbing's: failed stream and bus deliveries)
    assert set(readers) - told <= {q.logical_id for q in cfn.queues(template)}
    assert "DeliveriesDeadLetterQueue" in told


def _disagreements(template: cfn.Template) -> set[str]:
    """The tables the template declares that the code never names, and those the code names that
    the template does not declare. The code names each model's table (models.py TABLES) and the
    idempotency table, whose items Powertools Idempotency and the action links keep (no model)."""
    named = {Settings().table(name) for name in (*TABLES.values(), idempotency.TABLE)}
    return named ^ {t.name for t in cfn.tables(template)}


def test_the_code_names_every_table_of_the_template_and_no_other() -> None:
    assert _disagreements(cfn.load_template()) == set()


def test_a_table_the_code_never_names_fails_the_check() -> None:
    template = copy.deepcopy(cfn.load_template())
    template["Resources"]["StrayTable"] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {"TableName": {"Fn::Sub": "closeloop-${Stage}-stray"}},
    }
    assert _disagreements(template) == {"closeloop-dev-stray"}


def test_the_code_names_every_secret_of_the_template_and_no_other() -> None:
    """The secrets the adapter reads (shared/adapters/secrets.py's names, which the local stack
    fills too) are exactly the template's."""
    names = (
        secrets.WEBHOOK_SECRETS,
        secrets.API_KEYS,
        secrets.GOOGLE_ACCOUNT,
        secrets.CHAT_WEBHOOKS,
        secrets.DELIVERY_SECRET,
        secrets.LINK_SECRET,
    )
    assert {Settings().secret(name) for name in names} == {s.name for s in cfn.secrets(cfn.load_template())}
    assert set(local_secrets(StackSettings.from_env())) == {Settings().secret(name) for name in names}


def test_any_table_is_named_by_the_environment_or_the_stage() -> None:
    """A new aggregate's table too (docs/architecture.md, the RMA recipe): nothing declares it here."""
    assert Settings().table("rmas") == "closeloop-dev-rmas"
    assert Settings.for_stage("prod").table("rmas") == "closeloop-prod-rmas"
    env = {"RMAS_TABLE": "t-rmas", "CLOSELOOP_STAGE": "prod", "EVENTS_TABLE": "t-events", "AWS_SECRET_ACCESS_KEY": "k"}
    read = Settings.from_env(env)
    assert (read.table("rmas"), read.table("events"), read.table("other")) == (
        "t-rmas",
        "t-events",
        "closeloop-prod-other",
    )
    assert read.names == (("EVENTS_TABLE", "t-events"), ("RMAS_TABLE", "t-rmas"))  # names only, nothing else


def test_settings_read_the_environment_once_into_typed_values() -> None:
    env = {"EVENTS_TABLE": "t-events", "CLOSELOOP_RULES_CHECK_SECONDS": "0", "AWS_REGION": "eu-west-1"}
    read = Settings.from_env(env)
    assert (read.table("events"), read.rules_check_seconds, read.region) == ("t-events", 0.0, "eu-west-1")
    assert read.table("leads") == "closeloop-dev-leads"


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
