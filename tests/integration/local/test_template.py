"""template.yaml: lint-clean, least privilege, and the shape the rest of the code relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cfnlint
import pytest

from infra import template as cfn
from infra.local.plumbing import stream_mappings
from shared.adapters.dynamo.models import PLAIN_MODELS, TABLES
from shared.adapters.settings import Settings

TEMPLATE = cfn.load_template()
GLOBAL_ENV = cfn.function_globals(TEMPLATE)["Environment"]["Variables"]


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(cfn.TEMPLATE_PATH)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# cfn-lint skips its IAM action check (W3037) on SAM templates, so we do it here.
_KNOWN_ACTIONS = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json").read_text())


@pytest.mark.parametrize("spec", cfn.functions(TEMPLATE), ids=lambda s: s.logical_id)
def test_every_function_has_least_privilege_policies(spec: cfn.FunctionSpec) -> None:
    statements = cfn.policy_statements(spec)
    assert statements, f"{spec.logical_id} has no Policies"
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources, statement
    for action in cfn.policy_actions(spec):
        assert "*" not in action, f"{spec.logical_id}: wildcard action {action}"
        service, _, name = action.partition(":")
        assert name.lower() in _KNOWN_ACTIONS[service]["Actions"], f"{spec.logical_id}: no IAM action {action}"


def test_transactions_are_authorised_by_item_actions_not_a_transact_action() -> None:
    assert "transactwriteitems" not in _KNOWN_ACTIONS["dynamodb"]["Actions"]
    api = _grants("ApiFunction")
    # a lead change: put lead, keys and events, update the owner's load, in one transaction
    assert "dynamodb:PutItem" in api["LeadsTable"] & api["LeadKeysTable"] & api["EventsTable"]
    assert "dynamodb:UpdateItem" in api["RoutingStateTable"]


def _resource_id(resource: object) -> str:
    """LeadsTable for !GetAtt LeadsTable.Arn / !Ref LeadsTable; LeadsTable/index/x for an index Sub."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        return str(logical_id) if attribute == "Arn" else f"{logical_id}.{attribute}"
    if isinstance(resource, dict) and "Ref" in resource:
        return str(resource["Ref"])
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        return resource["Fn::Sub"].replace("${", "").replace(".Arn}", "")
    if isinstance(resource, dict) and "Fn::If" in resource:
        condition, *choices = resource["Fn::If"]
        return str((condition, *(c["Fn::Sub"] for c in choices)))
    return str(resource)


def _grants(logical_id: str) -> dict[str, set[str]]:
    """Resource (logical id) -> every action a function's policies allow on it."""
    spec = next(f for f in cfn.functions(TEMPLATE) if f.logical_id == logical_id)
    grants: dict[str, set[str]] = {}
    for statement in cfn.policy_statements(spec):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            grants.setdefault(_resource_id(resource), set()).update(actions)
    return grants


def _dynamodb(*names: str) -> set[str]:
    return {f"dynamodb:{name}" for name in names}


SES_IDENTITY = (  # a domain (SesIdentity) or the sender's own address: the one identity it is verified as
    "HasSesIdentity",
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SesIdentity}",
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SesSender}",
)
SES_CONFIGURATION_SET = _resource_id(
    {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${AlertEmails}"}
)

# An aggregate read only by its id (models.py PLAIN): its table, named by its declaration, with
# its id as the key and nothing else; the API reads it (GetItem) and puts it in its change (PutItem).
PLAIN = {  # logical id -> (its name, its key)
    next(t.logical_id for t in cfn.tables(TEMPLATE) if t.name == Settings().table(TABLES[model])): (
        Settings().table(TABLES[model]),
        str(model._hash_keyname),
    )
    for model in PLAIN_MODELS.values()
}

# Exactly what each function's code does, table by table: no index, delete or condition-check
# access the code does not use.
LISTED_TABLES = (
    "CasesTable",
    "OpportunitiesTable",
    "QuotesTable",
    "ContractsTable",
    "OrdersTable",
    "AccountsTable",
    "InvoicesTable",
)
WORK_LISTS = ("CasesTable", "QuotesTable", "ContractsTable", "InvoicesTable")  # what the Work tab lists
GRANTS = {
    "ApiFunction": {
        "LeadsTable": _dynamodb("GetItem", "BatchGetItem", "PutItem"),
        "LeadsTable/index/by_capture_day": _dynamodb("Query"),  # GET /leads
        # an erasure gives up the lead's identity keys (DeleteItem)
        "LeadKeysTable": _dynamodb("GetItem", "BatchGetItem", "PutItem", "DeleteItem"),
        "RoutingStateTable": _dynamodb("UpdateItem", "BatchGetItem"),  # turns; owner loads
        # GET /audit reads the events its index names; an erasure rewrites an event's data
        "EventsTable": _dynamodb("PutItem", "BatchGetItem", "UpdateItem"),
        # GET /audit: a subject's events, the audited changes by actor or by day (keys only)
        "EventsTable/index/by_subject": _dynamodb("Query"),
        "EventsTable/index/audit_by_actor": _dynamodb("Query"),
        "EventsTable/index/audit_by_day": _dynamodb("Query"),
        "TimersTable": _dynamodb("PutItem", "DeleteItem"),  # SLA timers set and cancelled
        "IdempotencyTable": _dynamodb("GetItem", "PutItem", "UpdateItem", "DeleteItem"),
        "RulesTable": _dynamodb("GetItem", "Query"),
        "CasesTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),  # a case change: a versioned put; lists
        # orders and accounts: versioned puts in the change transaction
        "OrdersTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),
        "AccountsTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),
        "AccountsTable/index/by_segment": _dynamodb("Query"),  # GET /accounts?segment=: one segment's keys
        # e-sign: one contract per envelope (a conditional put); GET /accounts/{id} batch-reads an account's
        "ContractsTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),
        "OpportunitiesTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),  # opportunities: versioned puts
        "QuotesTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),  # quotes and their approval steps
        # GET /cases, /opportunities, ... (CONTRACT §11): one Query per shard, then the page's batch read
        **{f"{table}/index/by_recency": _dynamodb("Query") for table in LISTED_TABLES},
        "InvoicesTable": _dynamodb("PutItem", "BatchGetItem"),  # the invoices' list copies, with their order
        # finance deliveries and alerts (account manager, approver) made with their change; GET /orders/{id}
        # reads them
        "DeliveriesTable": _dynamodb("GetItem", "PutItem", "BatchGetItem"),
        # an erasure: the alerts about the person (by_about), the cases of their contact (by_contact)
        "DeliveriesTable/index/by_about": _dynamodb("Query"),
        "CasesTable/index/by_contact": _dynamodb("Query"),
        # GET /accounts/{id}: the account's contracts (keys from the index, then one batch read)
        "ContractsTable/index/by_account": _dynamodb("Query"),
        "KpisTable": _dynamodb("Query"),  # GET /kpis: one Query per period range of one scope
        # the P1 hold: a P1 case's account's open P1 cases (its contracts: by_account and the batch read above)
        "CasesTable/index/by_account": _dynamodb("Query"),
        "WebhookSecrets": {"secretsmanager:GetSecretValue"},
        "ApiKeys": {"secretsmanager:GetSecretValue"},
        "LinkSecret": {"secretsmanager:GetSecretValue"},  # action links: a token's signature
        **{table: _dynamodb("GetItem", "PutItem") for table in PLAIN},
    },
    "OutboxPublisherFunction": {
        "EventBus": {"events:PutEvents"},
        "EventsTable": _dynamodb("GetItem", "UpdateItem"),
        "EventsTable.StreamArn": _dynamodb("DescribeStream", "GetRecords", "GetShardIterator"),
        "OutboxDeadLetterQueue": {"sqs:SendMessage"},
    },
    "RulesSyncFunction": {
        "RulesTable": _dynamodb("GetItem", "PutItem", "Query", "BatchWriteItem"),
        "EventsTable": _dynamodb("PutItem"),
        "GoogleServiceAccount": {"secretsmanager:GetSecretValue"},
    },
    "OutboxSweepFunction": {
        "EventsTable/index/pending": _dynamodb("Query"),
        "EventsTable": _dynamodb("GetItem", "UpdateItem"),
        "EventBus": {"events:PutEvents"},
    },
    "DeliveryFunction": {
        # read the delivery as stored; record the answer in a transaction with its retry timer
        # or its DeliveryFailed event
        "DeliveriesTable": _dynamodb("GetItem", "PutItem"),
        "DeliveriesTable.StreamArn": _dynamodb("DescribeStream", "GetRecords", "GetShardIterator"),
        "TimersTable": _dynamodb("PutItem"),
        "EventsTable": _dynamodb("PutItem"),
        # only from the configured sender's identity and through the stage's configuration set
        str(SES_IDENTITY): {"ses:SendEmail"},
        SES_CONFIGURATION_SET: {"ses:SendEmail"},
        "ChatWebhooks": {"secretsmanager:GetSecretValue"},
        "DeliverySecret": {"secretsmanager:GetSecretValue"},
        "LinkSecret": {"secretsmanager:GetSecretValue"},  # signs the action links an alert carries
        "DeliveriesDeadLetterQueue": {"sqs:SendMessage"},
    },
    "TimerSweepFunction": {
        "TimersTable/index/by_due": _dynamodb("Query"),
        "TimersTable": _dynamodb("GetItem", "DeleteItem", "PutItem"),
        "EventsTable": _dynamodb("PutItem"),
        # reassignment reads the pool's owner loads in one BatchGetItem
        "LeadsTable": _dynamodb("GetItem", "BatchGetItem", "PutItem", "UpdateItem"),
        "RoutingStateTable": _dynamodb("GetItem", "BatchGetItem", "PutItem", "UpdateItem"),
        "RulesTable": _dynamodb("GetItem", "Query"),
        # alerts are created in the SLA change; a retry timer makes a delivery due again
        "DeliveriesTable": _dynamodb("GetItem", "PutItem"),
        "CasesTable": _dynamodb("GetItem", "PutItem"),  # a case clock's alert: the case records it was told
        # a stalled opportunity's alert, an approval time-out's escalation
        "OpportunitiesTable": _dynamodb("GetItem", "PutItem"),
        "QuotesTable": _dynamodb("GetItem", "PutItem"),
        # a renewal reminder: the contract records it; the account's manager and open P1 cases
        "ContractsTable": _dynamodb("GetItem", "PutItem"),
        "AccountsTable": _dynamodb("GetItem"),
        "CasesTable/index/by_account": _dynamodb("Query"),
    },
    "KpiRollupFunction": {
        # one transaction per batch: markers and facts put (conditioned), counters added; the
        # queue's poller permissions are SAM's (the SQS event source), its DLQ the queue's redrive
        "KpisTable": _dynamodb("GetItem", "PutItem", "UpdateItem"),
        "RulesTable": _dynamodb("GetItem", "Query"),
    },
    "HealthSweepFunction": {
        # every account once a day, a Scan page at a time; re-read after a lost race; versioned put
        "AccountsTable": _dynamodb("Scan", "GetItem", "PutItem"),
        "EventsTable": _dynamodb("PutItem"),  # HealthWarning
        "DeliveriesTable": _dynamodb("PutItem"),  # the account manager's alerts
        "RulesTable": _dynamodb("GetItem", "Query"),
        "RoutingStateTable": _dynamodb("GetItem", "PutItem"),  # where a run that ran out of time stopped
    },
    "SegmentSweepFunction": {
        # every account once a day, a Scan page at a time; re-read after a lost race; versioned put
        "AccountsTable": _dynamodb("Scan", "GetItem", "PutItem"),
        "OrdersTable": _dynamodb("GetItem"),  # orders from before accounts kept their ledger, once
        "EventsTable": _dynamodb("PutItem"),  # AccountSegmentChanged
        "DeliveriesTable": _dynamodb("PutItem"),  # the new row's notify roles' alerts
        "RulesTable": _dynamodb("GetItem", "Query"),
        # where a run that ran out of time stopped; the round-robin turn of a row naming a new segment
        "RoutingStateTable": _dynamodb("GetItem", "PutItem", "UpdateItem"),
    },
    "RetentionSweepFunction": {
        # every lead once a day, a Scan page at a time; re-read after a lost race; put back erased
        "LeadsTable": _dynamodb("Scan", "GetItem", "PutItem"),
        "LeadKeysTable": _dynamodb("BatchGetItem", "DeleteItem"),  # which keys it holds; given up
        "EventsTable": _dynamodb("BatchGetItem", "UpdateItem", "PutItem"),  # its events erased; PersonErased
        "EventsTable/index/by_subject": _dynamodb("Query"),
        "DeliveriesTable": _dynamodb("BatchGetItem", "GetItem", "PutItem"),  # its alerts cancelled / blanked
        "DeliveriesTable/index/by_about": _dynamodb("Query"),
        "TimersTable/index/by_about": _dynamodb("Query"),  # open work: a clock still running on it
        "OpportunitiesTable": _dynamodb("GetItem", "PutItem"),  # open (open work), or its contact erased
        "RulesTable": _dynamodb("GetItem", "Query"),
        "RoutingStateTable": _dynamodb("GetItem", "PutItem"),  # where a run that ran out of time stopped
    },
    "KpiSnapshotFunction": {
        "KpisTable": _dynamodb("Query"),
        "AccountsTable/index/by_segment": _dynamodb("Query"),  # the Dashboard's accounts per segment
        "RulesTable": _dynamodb("GetItem", "Query"),
        "GoogleServiceAccount": {"secretsmanager:GetSecretValue"},
        # the Work tab: one list page per kind, the leads of the last 7 capture days, read whole
        "LeadsTable/index/by_capture_day": _dynamodb("Query"),
        **{f"{table}/index/by_recency": _dynamodb("Query") for table in WORK_LISTS},
        **{table: _dynamodb("BatchGetItem") for table in ("LeadsTable", *WORK_LISTS)},
        "AccountsTable": _dynamodb("GetItem"),  # a blocked invoice's account manager
    },
}


@pytest.mark.parametrize("logical_id", sorted(GRANTS))
def test_each_function_is_granted_exactly_what_its_code_uses_per_resource(logical_id: str) -> None:
    assert _grants(logical_id) == GRANTS[logical_id]


# deleting a timer is firing or cancelling it
DELETES_ALLOWED = {
    ("TimerSweepFunction", "TimersTable"),
    ("ApiFunction", "TimersTable"),
    # an erased person's identity keys are given up (CONTRACT §12), by the API and the retention sweep
    ("ApiFunction", "LeadKeysTable"),
    ("RetentionSweepFunction", "LeadKeysTable"),
}
INDEX_READERS = {  # the indexes functions read: each one a sparse or bounded slice
    # the lists: one page (plus one item) per shard, never the whole index
    *(("ApiFunction", f"{table}/index/by_recency") for table in LISTED_TABLES),
    ("OutboxSweepFunction", "EventsTable/index/pending"),  # unpublished events only
    ("TimerSweepFunction", "TimersTable/index/by_due"),  # due timers only
    ("ApiFunction", "LeadsTable/index/by_capture_day"),  # GET /leads: one capture day per Query, bounded window
    ("ApiFunction", "ContractsTable/index/by_account"),  # GET /accounts/{id}, the P1 hold: one account's contracts
    # one account's cases, filtered to unresolved P1 (the renewal hold)
    ("ApiFunction", "CasesTable/index/by_account"),
    ("TimerSweepFunction", "CasesTable/index/by_account"),
    # GET /audit: one subject's events; people's changes (sparse) by actor, or one day per Query
    ("ApiFunction", "EventsTable/index/by_subject"),
    ("ApiFunction", "EventsTable/index/audit_by_actor"),
    ("ApiFunction", "EventsTable/index/audit_by_day"),
    ("ApiFunction", "AccountsTable/index/by_segment"),  # GET /accounts?segment=: one segment, a page per Query
    ("KpiSnapshotFunction", "AccountsTable/index/by_segment"),  # a count per segment, hourly
    # the Work tab, hourly: one page of 200 per kind; the leads of 7 capture days
    *(("KpiSnapshotFunction", f"{table}/index/by_recency") for table in WORK_LISTS),
    ("KpiSnapshotFunction", "LeadsTable/index/by_capture_day"),
    # an erasure (POST /privacy/erase, retention-sweep): one person's cases, keys, alerts, events
    *(
        (function, index)
        for function in ("ApiFunction", "RetentionSweepFunction")
        for index in (
            "CasesTable/index/by_contact",
            "DeliveriesTable/index/by_about",
            "EventsTable/index/by_subject",
        )
    ),
    ("RetentionSweepFunction", "TimersTable/index/by_about"),  # one lead's pending timers (open work)
}


def test_no_function_may_delete_or_condition_check_outside_the_idempotency_table() -> None:
    for spec in cfn.functions(TEMPLATE):
        for resource, actions in _grants(spec.logical_id).items():
            assert "dynamodb:ConditionCheckItem" not in actions, (spec.logical_id, resource)
            # deletes: idempotency records, and timers (firing a timer deletes it)
            if (spec.logical_id, resource) not in DELETES_ALLOWED and resource != "IdempotencyTable":
                assert "dynamodb:DeleteItem" not in actions, (spec.logical_id, resource)
            if "/index/" in resource:
                assert (spec.logical_id, resource) in INDEX_READERS, (spec.logical_id, resource)


def _gateway_responses() -> dict[str, dict[str, object]]:
    return dict(TEMPLATE["Globals"]["Api"]["GatewayResponses"])


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),  # an unknown route
        ("DEFAULT_4XX", None, "bad_request"),  # keeps API Gateway's own status (413, 429...)
        ("DEFAULT_5XX", None, "internal_error"),
    ],
)
def test_gateway_responses_use_the_contract_error_shape(response_type: str, status: str | None, code: str) -> None:
    response = _gateway_responses()[response_type]
    assert response.get("StatusCode") == status
    templates = response["ResponseTemplates"]
    assert isinstance(templates, dict) and set(templates) == {"application/json"}
    # $context.error.messageString arrives JSON-quoted: substitute it the way API Gateway does
    message = json.dumps('Too Many Requests "quoted"')
    body = json.loads(templates["application/json"].replace("$context.error.messageString", message))
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message"} and isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


def test_every_function_is_built_by_the_makefile_from_the_project_root() -> None:
    # sam build runs `make build-<LogicalId>` (tests/integration/local/test_build.py runs it)
    for logical_id, resource in cfn.resources_of_type(TEMPLATE, "AWS::Serverless::Function").items():
        assert resource.get("Metadata") == {"BuildMethod": "makefile"}, logical_id
        assert resource["Properties"]["CodeUri"] == ".", logical_id


def test_every_reference_names_something_that_exists() -> None:
    # cfn-lint does not check ${...} in Sub on SAM templates either.
    known = set(TEMPLATE["Resources"]) | set(TEMPLATE["Parameters"])
    sam_implicit = {"Api.Stage"}  # the stage SAM makes for the Api resource
    pseudo = {"AWS::Region", "AWS::URLSuffix", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::NoValue"}
    assert cfn.referenced_names(TEMPLATE) - known - sam_implicit - pseudo == set()


TABLES = {
    "LeadsTable": ("closeloop-dev-leads", [("lead_id", "HASH")], None),
    "LeadKeysTable": ("closeloop-dev-lead-keys", [("key", "HASH")], None),
    "RoutingStateTable": ("closeloop-dev-routing-state", [("pk", "HASH")], None),
    "EventsTable": ("closeloop-dev-events", [("event_id", "HASH")], "NEW_IMAGE"),
    "RulesTable": ("closeloop-dev-rules", [("pk", "HASH"), ("sk", "RANGE")], None),
    "IdempotencyTable": ("closeloop-dev-idempotency", [("id", "HASH")], None),
    "TimersTable": ("closeloop-dev-timers", [("timer_id", "HASH")], None),
    # keys only: the sender reads the delivery as stored, so no text or address is in the stream
    "DeliveriesTable": ("closeloop-dev-deliveries", [("delivery_id", "HASH")], "KEYS_ONLY"),
    "CasesTable": ("closeloop-dev-cases", [("case_id", "HASH")], None),
    "OrdersTable": ("closeloop-dev-orders", [("order_id", "HASH")], None),
    "AccountsTable": ("closeloop-dev-accounts", [("account_id", "HASH")], None),
    "OpportunitiesTable": ("closeloop-dev-opportunities", [("opportunity_id", "HASH")], None),
    "QuotesTable": ("closeloop-dev-quotes", [("quote_id", "HASH")], None),
    "KpisTable": ("closeloop-dev-kpis", [("pk", "HASH"), ("sk", "RANGE")], None),
    "ContractsTable": ("closeloop-dev-contracts", [("contract_id", "HASH")], None),
    "InvoicesTable": ("closeloop-dev-invoices", [("invoice_id", "HASH")], None),
    **{table: (name, [(key, "HASH")], None) for table, (name, key) in PLAIN.items()},
}


def test_tables_have_stage_names_keys_and_settings() -> None:
    specs = {t.logical_id: t for t in cfn.tables(TEMPLATE)}
    assert set(specs) == set(TABLES)
    for logical_id, (name, keys, stream) in TABLES.items():
        spec = specs[logical_id]
        assert spec.name == name
        assert [(k["AttributeName"], k["KeyType"]) for k in spec.key_schema] == keys
        assert spec.stream_view_type == stream
        assert spec.billing_mode == "PAY_PER_REQUEST" and spec.point_in_time_recovery and spec.sse_enabled
    assert specs["IdempotencyTable"].ttl_attribute == "expiration"
    assert specs["KpisTable"].ttl_attribute == "expires_at"  # the markers of events counted expire
    for table in LISTED_TABLES:  # the lists (CONTRACT §11): a few shards, newest first, filtered values only
        listed = next(g for g in specs[table].global_secondary_indexes if g["IndexName"] == "by_recency")
        assert [k["AttributeName"] for k in listed["KeySchema"]] == ["list_shard", "listed_at"], table
        assert listed["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["list_fields"]}, table
    by_account, _ = specs["ContractsTable"].global_secondary_indexes
    assert (by_account["IndexName"], [k["AttributeName"] for k in by_account["KeySchema"]]) == (
        "by_account",
        ["account_id", "end_date"],
    )
    cases_by_account, _, by_contact = specs["CasesTable"].global_secondary_indexes  # the P1 hold: one account's cases
    assert [k["AttributeName"] for k in cases_by_account["KeySchema"]] == ["account_id", "opened_at"]
    assert cases_by_account["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["priority", "status"]}
    # erasure (CONTRACT §12): a contact's cases, keys only (an index copy costs writes)
    assert (by_contact["IndexName"], [k["AttributeName"] for k in by_contact["KeySchema"]]) == (
        "by_contact",
        ["contact_key"],
    )
    assert by_contact["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert specs["LeadKeysTable"].global_secondary_indexes == []  # a lead's keys are on the lead: no index
    assert all(specs[table].global_secondary_indexes == [] for table in PLAIN)  # read by id only
    leads_gsi, events_gsi, timers_gsi = (
        specs["LeadsTable"].global_secondary_indexes,
        specs["EventsTable"].global_secondary_indexes,
        specs["TimersTable"].global_secondary_indexes,
    )
    assert [(g["IndexName"], [k["AttributeName"] for k in g["KeySchema"]]) for g in leads_gsi] == [
        ("by_capture_day", ["capture_day", "captured_at"])
    ]
    # index copies cost write units on every change: the lead list's filters only, event keys only
    assert leads_gsi[0]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["owner_id", "team", "grade"],
    }
    assert {g["Projection"]["ProjectionType"] for g in events_gsi} == {"KEYS_ONLY"}
    assert [(g["IndexName"], [k["AttributeName"] for k in g["KeySchema"]]) for g in events_gsi] == [
        ("by_subject", ["subject", "time"]),
        ("pending", ["pending", "time"]),
        ("audit_by_actor", ["audit_actor", "time"]),  # sparse: people's changes (CONTRACT §12)
        ("audit_by_day", ["audit_day", "time"]),
    ]
    assert [(g["IndexName"], [k["AttributeName"] for k in g["KeySchema"]]) for g in timers_gsi] == [
        ("by_due", ["due_shard", "due_at"]),
        ("by_about", ["about", "due_at"]),
    ]


def test_every_function_gets_the_shared_environment() -> None:
    assert GLOBAL_ENV["EVENT_BUS_NAME"] == {"Ref": "EventBus"}
    assert GLOBAL_ENV["WEBHOOK_SECRETS_ARN"] == {"Ref": "WebhookSecrets"}
    for spec in cfn.functions(TEMPLATE):
        assert spec.environment.keys() >= GLOBAL_ENV.keys()
        # rules-sync gets longer: it talks to Google with bounded retries inside its own time
        # (so does kpi-snapshot, which writes the Dashboard tab)
        expected_timeout = 60 if spec.logical_id in ("RulesSyncFunction", "KpiSnapshotFunction") else 30
        if spec.logical_id in ("HealthSweepFunction", "SegmentSweepFunction", "RetentionSweepFunction"):
            expected_timeout = 900  # one pass over every account (lead), once a day
        assert (spec.timeout, spec.memory_size) == (expected_timeout, 512)


def test_the_outbox_publisher_consumes_the_events_stream_with_a_dead_letter_queue() -> None:
    consumers = {(f.logical_id, f.handler, table_id) for f, table_id in cfn.stream_consumers(TEMPLATE)}
    assert consumers == {
        ("OutboxPublisherFunction", "functions.outbox_publisher.handler.handler", "EventsTable"),
        ("DeliveryFunction", "functions.deliveries.handler.handler", "DeliveriesTable"),
    }
    [mapping] = [m for m in stream_mappings(TEMPLATE) if m.function.logical_id == "OutboxPublisherFunction"]
    assert (mapping.table_name, mapping.batch_size, mapping.starting_position) == (
        "closeloop-dev-events",
        100,
        "TRIM_HORIZON",
    )
    assert mapping.max_retries == 10 and mapping.report_item_failures
    assert mapping.on_failure_queue == "closeloop-dev-outbox-dlq"


def test_secrets_are_declared_without_values() -> None:
    names = {s.name for s in cfn.secrets(TEMPLATE)}
    assert names == {
        "closeloop-dev-webhook-secrets",
        "closeloop-dev-api-keys",
        "closeloop-dev-google-service-account",
        "closeloop-dev-chat-webhooks",
        "closeloop-dev-delivery-secret",
        "closeloop-dev-link-secret",
    }
    for resource in cfn.resources_of_type(TEMPLATE, "AWS::SecretsManager::Secret").values():
        assert "SecretString" not in resource["Properties"]


def test_short_tags_load_in_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  A:\n    Type: X\n    Properties:\n"
        "      B: !GetAtt T.StreamArn\n      C: !Sub '${T.Arn}/index/x'\n      D: !Join [',', [!Ref P]]\n"
    )
    loaded = cfn.load_template(path)
    assert loaded["AWSTemplateFormatVersion"] == "2010-09-09"
    props = loaded["Resources"]["A"]["Properties"]
    assert props["B"] == {"Fn::GetAtt": ["T", "StreamArn"]}
    assert props["C"] == {"Fn::Sub": "${T.Arn}/index/x"}
    assert props["D"] == {"Fn::Join": [",", [{"Ref": "P"}]]}


def test_the_delivery_function_consumes_the_deliveries_stream_one_at_a_time_with_a_dead_letter_queue() -> None:
    [mapping] = [m for m in stream_mappings(TEMPLATE) if m.function.logical_id == "DeliveryFunction"]
    assert (mapping.table_name, mapping.batch_size, mapping.starting_position) == (
        "closeloop-dev-deliveries",
        1,
        "TRIM_HORIZON",
    )
    assert mapping.max_retries == 10 and mapping.report_item_failures
    assert mapping.on_failure_queue == "closeloop-dev-deliveries-dlq"
    env = next(f for f in cfn.functions(TEMPLATE) if f.logical_id == "DeliveryFunction").environment
    assert env["CLOSELOOP_ERP_URL"] == {"Ref": "ErpUrl"} and env["CLOSELOOP_FINANCE_URL"] == {"Ref": "FinanceUrl"}
    assert env["SES_SENDER"] == {"Ref": "SesSender"}


def test_failed_deliveries_raise_an_alarm() -> None:
    props = cfn.resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")["DeliveriesDeadLetterQueueAlarm"]["Properties"]
    assert props["Namespace"] == "AWS/SQS" and props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeliveriesDeadLetterQueue", "QueueName"]}}
    ]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_kpi_rollups_hear_exactly_the_events_the_kpis_read() -> None:
    from infra.event_sources import queue_consumers, queue_rules
    from shared.composition.messages.events import KPI_KEYS

    [rule] = [r for r in queue_rules(TEMPLATE) if r.queue == "KpiEventsQueue"]
    assert rule.bus_name == "closeloop-dev" and rule.pattern["source"] == ["closeloop"]
    # the types whose models mark a key the KPIs read (the template cannot import them: this is the link)
    assert sorted(rule.pattern["detail-type"]) == sorted(KPI_KEYS)
    [(source, queue)] = [(s, q) for s, q in queue_consumers(TEMPLATE) if s.function.logical_id == "KpiRollupFunction"]
    assert queue == "KpiEventsQueue" and source.properties["BatchSize"] == 100  # folded a batch at a time
    [spec] = [q for q in cfn.queues(TEMPLATE) if q.logical_id == "KpiEventsQueue"]
    assert spec.dead_letter_queue == "KpiRollupDeadLetterQueue"
    [schedule] = [s for s in schedules_of(TEMPLATE) if s.name == "closeloop-dev-kpi-snapshot"]
    assert schedule.expression == "rate(1 hour)" and schedule.function.logical_id == "KpiSnapshotFunction"


def schedules_of(template: dict[str, object]) -> list[object]:
    from infra.event_sources import schedules

    return list(schedules(template))  # type: ignore[arg-type]


def test_the_segment_sweep_runs_daily_on_its_own_function_with_its_continuation() -> None:
    found = {s.name: s for s in schedules_of(TEMPLATE)}
    daily, carry_on = found["closeloop-dev-segment-sweep"], found["closeloop-dev-segment-sweep-continue"]
    assert daily.expression == "rate(1 day)" and daily.function.logical_id == "SegmentSweepFunction"
    assert carry_on.function.logical_id == "SegmentSweepFunction" and carry_on.expression == "rate(15 minutes)"
    assert daily.function.handler == "schedules.segment_sweep.handler"


def test_the_health_sweep_runs_daily_on_its_own_function() -> None:
    [schedule] = [s for s in schedules_of(TEMPLATE) if s.name == "closeloop-dev-health-sweep"]
    assert schedule.expression == "rate(1 day)" and schedule.function.logical_id == "HealthSweepFunction"
    assert schedule.function.handler == "schedules.health_sweep.handler"


def test_the_retention_sweep_runs_daily_on_its_own_function_with_its_continuation() -> None:
    found = {s.name: s for s in schedules_of(TEMPLATE)}
    daily, carry_on = found["closeloop-dev-retention-sweep"], found["closeloop-dev-retention-sweep-continue"]
    assert daily.expression == "rate(1 day)" and daily.function.logical_id == "RetentionSweepFunction"
    assert carry_on.function.logical_id == "RetentionSweepFunction" and carry_on.expression == "rate(15 minutes)"
    assert daily.function.handler == "schedules.retention_sweep.handler"
