"""Reading the triggers of a template: what infra.event_sources returns is what the plumbing plays."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import event_sources as triggers
from infra import template as cfn
from infra.local.bus import json_path, rule_queue_name
from infra.local.queues import queue_mappings
from infra.local.scheduler import validate
from infra.local.streams import stream_mappings

TEMPLATE = cfn.load_template()

SOURCES = """\
Globals:
  Function:
    DeadLetterQueue:
      Type: SQS
      TargetArn: !GetAtt Dead.Arn
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: closeloop}
  Dead:
    Type: AWS::SQS::Queue
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
      VisibilityTimeout: 60
      RedrivePolicy: '{"deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}, "maxReceiveCount": "5"}'
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: m.h
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Jobs.Arn}}
      Events:
        FromJobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            FilterCriteria: {Filters: [{Pattern: '{"body": {"kind": ["invoice"]}}'}]}
        OnOrder:
          Type: EventBridgeRule
          Properties: {EventBusName: !GetAtt Bus.Name, Pattern: {source: [erp]}, InputPath: $.detail}
        OnDefaultBus:
          Type: CloudWatchEvent
          Properties: {Pattern: {source: [aws.s3]}, State: DISABLED}
        Weekdays:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 9 ? * MON-FRI *)
            ScheduleExpressionTimezone: Asia/Shanghai
        Once:
          Type: Schedule
          Properties: {Schedule: rate(1 hour), Enabled: false}
  Standalone:
    Type: AWS::Events::Rule
    Properties:
      Name: finance-events
      EventBusName: arn:aws:events:us-east-1:123456789012:event-bus/closeloop
      EventPattern: '{"detail-type": ["InvoiceIssued"]}'
      Targets:
        - {Id: fn, Arn: !GetAtt Fn.Arn, Input: '{"constant": true}'}
  Hourly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Id: fn, Arn: !GetAtt Fn.Arn}]
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> cfn.Template:
    path = tmp_path_factory.mktemp("t") / "template.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    return cfn.load_template(path)


def test_every_trigger_of_template_yaml_can_be_played_locally() -> None:
    # A schedule expression, bus or queue the local stack cannot play fails here, not at `make run`.
    stream_mappings(TEMPLATE)
    queue_mappings(TEMPLATE)
    for spec in triggers.schedules(TEMPLATE):
        validate(spec)
    buses = {b.name for b in cfn.event_buses(TEMPLATE)} | {"default"}
    assert {rule.bus_name for rule in triggers.bus_rules(TEMPLATE)} <= buses
    names = [spec.name for spec in triggers.schedules(TEMPLATE)]
    assert len(names) == len(set(names)), "two schedules share a Name: `closeloop schedule run` needs it unique"
    assert {"closeloop-dev-rules-sync", "closeloop-dev-outbox-sweep"} <= set(names)


def test_sqs_sources_with_their_filters_and_the_queue_redrive(template: cfn.Template) -> None:
    [(source, queue_id)] = triggers.queue_consumers(template)
    assert (source.function.logical_id, source.name, queue_id) == ("Fn", "FromJobs", "Jobs")
    [mapping] = queue_mappings(template)
    assert (mapping.queue_name, mapping.batch_size, mapping.report_item_failures) == ("jobs", 10, False)
    assert mapping.filters == [{"body": {"kind": ["invoice"]}}]
    jobs = next(q for q in cfn.queues(template) if q.logical_id == "Jobs")
    assert (jobs.dead_letter_queue, jobs.max_receive_count) == ("Dead", 5)
    assert jobs.attributes == {"VisibilityTimeout": "60"}


def test_asynchronous_invocation_settings_merge_globals(template: cfn.Template) -> None:
    [function] = cfn.functions(template)
    assert (function.async_max_retries, function.async_on_failure_queue, function.dead_letter_queue) == (
        0,
        "Jobs",
        "Dead",
    )


def test_bus_rules_from_function_events_and_standalone_rules(template: cfn.Template) -> None:
    rules = {r.name: r for r in triggers.bus_rules(template)}
    assert set(rules) == {"Fn-OnOrder", "Fn-OnDefaultBus", "finance-events"}
    on_order = rules["Fn-OnOrder"]
    assert (on_order.bus_name, on_order.pattern, on_order.input_path) == ("closeloop", {"source": ["erp"]}, "$.detail")
    assert rules["Fn-OnDefaultBus"].bus_name == "default" and not rules["Fn-OnDefaultBus"].enabled
    finance = rules["finance-events"]
    assert (finance.bus_name, finance.pattern, finance.input) == (
        "closeloop",
        {"detail-type": ["InvoiceIssued"]},
        '{"constant": true}',
    )
    assert rule_queue_name(finance) == "closeloop-local-rule-finance-events-Fn"


def test_schedules_from_function_events_and_standalone_rules(template: cfn.Template) -> None:
    found = {s.name: s for s in triggers.schedules(template)}
    assert set(found) == {"Fn-Weekdays", "Fn-Once", "Hourly"}
    weekdays = found["Fn-Weekdays"]
    assert (weekdays.expression, weekdays.scheduler, weekdays.timezone) == (
        "cron(0 9 ? * MON-FRI *)",
        True,
        "Asia/Shanghai",
    )
    assert not found["Fn-Once"].enabled and found["Hourly"].expression == "rate(1 hour)"


def test_a_queue_source_must_name_its_queue_by_getatt(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: m.h\n"
        "      Events:\n        Q:\n          Type: SQS\n          Properties: {Queue: arn:aws:sqs:x}\n"
    )
    with pytest.raises(ValueError, match=r"F\.Q: SQS event Queue must be !GetAtt"):
        triggers.queue_consumers(cfn.load_template(path))


def test_input_path_selects_part_of_the_event() -> None:
    event = {"detail": {"order": {"id": "o-1"}}, "source": "erp"}
    assert json_path(event, "$") is event
    assert json_path(event, "$.detail.order") == {"id": "o-1"}
    with pytest.raises(ValueError, match="only"):
        json_path(event, "$.detail[0]")
