"""template.yaml is deployable and operable (CONTRACT §13): stage names, retention, alarms that
tell someone, throttled public doors. Each check also runs on a broken copy, to show it bites."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from infra import deploy_checks as checks
from infra import template as cfn

TEMPLATE = cfn.load_template()
RESOURCES = TEMPLATE["Resources"]


def test_template_yaml_passes_every_deploy_check() -> None:
    assert checks.problems(TEMPLATE) == []


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    template = copy.deepcopy(TEMPLATE)
    change(template["Resources"])
    return template


@pytest.mark.parametrize(
    ("check", "change", "expected"),
    [
        (
            checks.names_without_stage,
            lambda r: r["LeadsTable"]["Properties"].update(TableName="closeloop-leads"),
            "LeadsTable.TableName",
        ),
        (
            checks.names_without_stage,
            lambda r: r["TimerSweepFunction"]["Properties"]["Events"]["EveryMinute"]["Properties"].update(
                Name="timer-sweep"
            ),
            "TimerSweepFunction.Events.EveryMinute.Name",
        ),
        (
            checks.names_without_stage,
            lambda r: r["OutboxDeadLetterQueue"]["Properties"].pop("QueueName"),
            "OutboxDeadLetterQueue.QueueName: no physical name",
        ),
        (
            checks.functions_without_logs,
            lambda r: r["KpiSnapshotFunction"]["Properties"].pop("LoggingConfig"),
            "KpiSnapshotFunction: no LoggingConfig",
        ),
        (
            checks.functions_without_logs,
            lambda r: r["ApiFunctionLogs"]["Properties"].pop("RetentionInDays"),
            "ApiFunction: its log group ApiFunctionLogs keeps logs forever",
        ),
        (
            checks.unwatched_dead_letter_queues,
            lambda r: r.pop("KpiRollupDeadLetterQueueAlarm"),
            "KpiRollupDeadLetterQueue: a dead-letter queue no alarm watches",
        ),
        (
            checks.alarms_without_actions,
            lambda r: r["Api5xxAlarm"]["Properties"].pop("AlarmActions"),
            "Api5xxAlarm: an alarm that tells no one",
        ),
        (
            checks.unwatched_functions,
            lambda r: r.pop("DeliveryFunctionIteratorAgeAlarm"),
            "DeliveryFunction: no alarm on the IteratorAge",
        ),
        (
            checks.unwatched_functions,
            lambda r: r.pop("HealthSweepFunctionThrottlesAlarm"),
            "HealthSweepFunction: no alarm on its Throttles",
        ),
        (
            checks.unthrottled_public_routes,
            lambda r: r["Api"]["Properties"].update(MethodSettings=r["Api"]["Properties"]["MethodSettings"][:1]),
            "POST /webhooks/leads/{source}: a public route without its own throttling",
        ),
    ],
)
def test_each_check_finds_what_it_is_for(
    check: Callable[[cfn.Template], list[str]], change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    found = check(_broken(change))
    assert any(problem.startswith(expected) for problem in found), found


def test_two_stages_have_no_physical_name_in_common() -> None:
    def names(stage: str) -> set[str]:
        staged = copy.deepcopy(TEMPLATE)
        staged["Parameters"]["Stage"]["Default"] = stage
        return {cfn.resolve_parameters(value, staged, where) for where, value in checks._named(staged)}

    dev, prod = names("dev"), names("prod")
    assert len(dev) > 60 and dev.isdisjoint(prod)
    assert {"closeloop-prod-leads", "closeloop-prod", "closeloop-prod-api-keys", "closeloop-prod-timer-sweep"} <= prod


def test_a_failed_first_deploy_leaves_nothing_behind_and_later_deletes_keep_the_data() -> None:
    for logical_id in [
        *cfn.resources_of_type(TEMPLATE, "AWS::DynamoDB::Table"),
        *cfn.resources_of_type(TEMPLATE, "AWS::SecretsManager::Secret"),
    ]:
        resource = RESOURCES[logical_id]
        if logical_id == "IdempotencyTable":  # a 24-hour cache of answers: deleted with the stack
            assert "DeletionPolicy" not in resource
            continue
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert resource["Properties"]["DeletionProtectionEnabled"] == {"Fn::If": ["IsProtectedStage", True, False]}
    assert TEMPLATE["Conditions"]["IsProtectedStage"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "dev"]}]}


def _action_target(alarm: dict[str, Any]) -> list[Any]:
    return [alarm["Properties"][key] for key in ("AlarmActions", "OKActions")]


def test_every_alarm_notifies_the_alarm_email_or_the_given_topic() -> None:
    expected = [{"Fn::If": ["HasAlarmTopicArn", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}]
    for logical_id, alarm in cfn.resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").items():
        assert _action_target(alarm) == [expected, expected], logical_id
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "SubscribeAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert RESOURCES["AlarmTopic"]["Condition"] == "CreateAlarmTopic"


RESOURCES_GLOBALS_SERVICE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"][
    "Fn::Sub"
]


@pytest.mark.parametrize(
    ("logical_id", "metric"), [("TimersFailedAlarm", "TimersFailed"), ("EventsSetAsideAlarm", "EventsSetAside")]
)
def test_set_aside_timers_and_events_raise_an_alarm(
    logical_id: str, metric: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The alarm watches exactly the metric the sweep emits: same name, same dimensions (an
    alarm on a metric without the `service` dimension Powertools adds would never fire)."""
    import json

    from shared.adapters.observability import count

    props = RESOURCES[logical_id]["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("Closeloop", metric)
    service = RESOURCES_GLOBALS_SERVICE.replace("${Stage}", "prod")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", service)
    capsys.readouterr()
    count(metric, 2)
    emitted = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    [names] = emitted["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    alarm = {d["Name"]: d["Value"]["Fn::Sub"].replace("${Stage}", "prod") for d in props["Dimensions"]}
    assert alarm == {name: emitted[name] for name in names} == {"service": "closeloop-prod"}
    assert (props["Statistic"], props["Period"], props["Threshold"], props["ComparisonOperator"]) == (
        "Sum",
        300,
        0,
        "GreaterThanThreshold",
    )


def test_rules_sync_alarms_after_thirty_minutes_of_failures_errors_or_failed_outcomes() -> None:
    props = RESOURCES["RulesSyncFailingAlarm"]["Properties"]
    periods = {m["Id"]: m["MetricStat"]["Period"] for m in props["Metrics"] if "MetricStat" in m}
    assert set(periods.values()) == {300} and props["EvaluationPeriods"] == props["DatapointsToAlarm"] == 6
    [expression] = [m["Expression"] for m in props["Metrics"] if "Expression" in m]
    assert expression == "FILL(errors, 0) + FILL(failed, 0)"
    filter_ = RESOURCES["RulesSyncFailures"]["Properties"]
    assert filter_["LogGroupName"] == {"Ref": "RulesSyncFunctionLogs"}
    # the log line schedules/rules_sync.py writes at the end of every run
    assert filter_["FilterPattern"] == '{ $.message = "rules-sync finished" && $.status = "failed" }'


def test_reserved_concurrency_is_opt_in_and_fits_an_account_of_a_thousand() -> None:
    reserved = {}
    for logical_id, resource in cfn.resources_of_type(TEMPLATE, "AWS::Serverless::Function").items():
        condition, amount, otherwise = resource["Properties"]["ReservedConcurrentExecutions"]["Fn::If"]
        assert (condition, otherwise) == ("ReservesConcurrency", {"Ref": "AWS::NoValue"})
        reserved[logical_id] = amount
    assert TEMPLATE["Parameters"]["ReserveConcurrency"]["Default"] == "no"  # a new account may have 10
    total = sum(reserved.values())
    assert f"({total} in all)" in TEMPLATE["Parameters"]["ReserveConcurrency"]["Description"]
    assert total + 100 <= 1000  # AWS keeps 100 unreserved
    assert all(reserved[f] <= 3 for f in reserved if "Sweep" in f or f in ("RulesSyncFunction", "KpiSnapshotFunction"))


def test_outputs_name_every_url_table_queue_secret_and_alarm() -> None:
    outputs = {str(o["Value"]) for o in TEMPLATE["Outputs"].values()}
    for resource_type in (
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::SecretsManager::Secret",
        "AWS::CloudWatch::Alarm",
    ):
        for logical_id in cfn.resources_of_type(TEMPLATE, resource_type):
            assert str({"Ref": logical_id}) in outputs, logical_id
    assert TEMPLATE["Outputs"]["ApiUrl"]["Value"]["Fn::If"][0] == "HasDomain"


def test_the_ses_policy_names_a_domain_or_the_sender_address() -> None:
    assert TEMPLATE["Parameters"]["SesIdentity"]["Default"] == ""
    env = RESOURCES["DeliveryFunction"]["Properties"]["Environment"]["Variables"]
    assert env["SES_CONFIGURATION_SET"] == {"Ref": "AlertEmails"}
