"""The process's settings, read from the environment once.

Every name of a table, index, bus, queue or secret lives here, with template.yaml's names
for the Stage's default (dev, the local stack's) as the defaults;
tests/integration/local/test_settings.py checks both against the template (the environment
variable each is read from, and the default), so a rename in one place cannot drift from the
other. In AWS the template's Globals set every name; CLOSELOOP_STAGE names another stage's
resources for a process without them (the CLI pointed at a deployed stage).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from shared.leads.domain.origins import DevOrigins

# environment variable -> the field it fills (the template's Globals set these in AWS)
ENVIRONMENT = {
    "LEADS_TABLE": "leads_table",
    "LEAD_KEYS_TABLE": "lead_keys_table",
    "ROUTING_TABLE": "routing_table",
    "EVENTS_TABLE": "events_table",
    "RULES_TABLE": "rules_table",
    "IDEMPOTENCY_TABLE": "idempotency_table",
    "TIMERS_TABLE": "timers_table",
    "DELIVERIES_TABLE": "deliveries_table",
    "DELIVERIES_DLQ": "deliveries_dlq",
    "CHAT_WEBHOOKS_ARN": "chat_webhooks_id",
    "DELIVERY_SECRET_ARN": "delivery_secret_id",
    "LINK_SECRET_ARN": "link_secret_id",
    "CLOSELOOP_PUBLIC_URL": "public_url",
    "CLOSELOOP_ERP_URL": "erp_url",
    "CLOSELOOP_FINANCE_URL": "finance_url",
    "SES_SENDER": "ses_sender",
    "CASES_TABLE": "cases_table",
    "CONTRACTS_TABLE": "contracts_table",
    "ORDERS_TABLE": "orders_table",
    "ACCOUNTS_TABLE": "accounts_table",
    "OPPORTUNITIES_TABLE": "opportunities_table",
    "QUOTES_TABLE": "quotes_table",
    "INVOICES_TABLE": "invoices_table",
    "KPIS_TABLE": "kpis_table",
    "EVENT_BUS_NAME": "event_bus",
    "WEBHOOK_SECRETS_ARN": "webhook_secrets_id",
    "API_KEYS_ARN": "api_keys_id",
    "GOOGLE_SERVICE_ACCOUNT_ARN": "google_account_id",
    "SPREADSHEET_ID": "spreadsheet_id",
    "CLOSELOOP_RULES": "local_rules_source",
    "CLOSELOOP_RULES_CHECK_SECONDS": "rules_check_seconds",
    "SES_CONFIGURATION_SET": "ses_configuration_set",
    "CLOSELOOP_ID_NAMESPACE": "id_namespace",
}

# template.yaml's Stage default: the local stack's stage. Every physical name is closeloop-<stage>-...
DEFAULT_STAGE = "dev"
_PREFIX = f"closeloop-{DEFAULT_STAGE}-"

# index names (declared in the template; the PynamoDB models carry the same names)
EVENTS_PENDING_INDEX = "pending"
EVENTS_BY_SUBJECT_INDEX = "by_subject"
EVENTS_AUDIT_BY_ACTOR_INDEX = "audit_by_actor"  # (audit_actor, time): sparse, people's changes
EVENTS_AUDIT_BY_DAY_INDEX = "audit_by_day"  # (audit_day, time): the same changes, a day at a time
LEADS_BY_CAPTURE_DAY_INDEX = "by_capture_day"
TIMERS_DUE_INDEX = "by_due"  # (due_shard, due_at): a sweep reads only what is due
TIMERS_BY_ABOUT_INDEX = "by_about"  # (about, due_at): the timers of one lead or case
CONTRACTS_BY_ACCOUNT_INDEX = "by_account"  # (account_id, end_date): the contracts of one account
DELIVERIES_BY_ABOUT_INDEX = "by_about"  # (about, created_at): the deliveries of one record
LISTED_INDEX = "by_recency"  # (list_shard, listed_at) + list_fields: every list of CONTRACT §11
CASES_BY_ACCOUNT_INDEX = "by_account"  # (account_id, opened_at) + priority, status: an account's cases
CASES_BY_CONTACT_INDEX = "by_contact"  # (contact_key): a contact's cases, for erasure (sparse, keys only)
ACCOUNTS_BY_SEGMENT_INDEX = "by_segment"  # (segment, segment_since): the accounts of one segment


@dataclass(frozen=True)
class Settings:
    leads_table: str = f"{_PREFIX}leads"
    lead_keys_table: str = f"{_PREFIX}lead-keys"
    routing_table: str = f"{_PREFIX}routing-state"
    events_table: str = f"{_PREFIX}events"
    rules_table: str = f"{_PREFIX}rules"
    idempotency_table: str = f"{_PREFIX}idempotency"
    timers_table: str = f"{_PREFIX}timers"
    deliveries_table: str = f"{_PREFIX}deliveries"
    deliveries_dlq: str = f"{_PREFIX}deliveries-dlq"  # a queue name, or its URL (the template's Ref)
    cases_table: str = f"{_PREFIX}cases"
    contracts_table: str = f"{_PREFIX}contracts"
    orders_table: str = f"{_PREFIX}orders"
    accounts_table: str = f"{_PREFIX}accounts"
    opportunities_table: str = f"{_PREFIX}opportunities"
    quotes_table: str = f"{_PREFIX}quotes"
    invoices_table: str = f"{_PREFIX}invoices"  # the invoices' list copies (the order holds the invoice)
    kpis_table: str = f"{_PREFIX}kpis"
    event_bus: str = f"closeloop-{DEFAULT_STAGE}"
    webhook_secrets_id: str = f"{_PREFIX}webhook-secrets"
    api_keys_id: str = f"{_PREFIX}api-keys"
    google_account_id: str = f"{_PREFIX}google-service-account"
    chat_webhooks_id: str = f"{_PREFIX}chat-webhooks"
    delivery_secret_id: str = f"{_PREFIX}delivery-secret"
    link_secret_id: str = f"{_PREFIX}link-secret"  # signs action links (CONTRACT §12)
    # where people's browsers reach the API: action links are <public_url>/a/<token>
    public_url: str = "http://127.0.0.1:8000"
    erp_url: str = ""  # none: ERP deliveries wait as pending
    finance_url: str = ""  # none: finance deliveries wait as pending
    ses_sender: str = "alerts@closeloop.local"  # the template's SesSender default
    ses_configuration_set: str = ""  # AWS: the stage's (sends, bounces, complaints as metrics)
    spreadsheet_id: str = ""
    local_rules_source: str = ""
    rules_check_seconds: float = 30.0
    region: str = "us-east-1"
    id_namespace: str = ""  # salts derived ids (shared/kernel/domain/ids.py): the local stack's, fresh each start
    # Pages on localhost or opened from disk posting to public sources. Never read from the
    # environment: only the local stack sets it (infra/local/stack.py, from `closeloop dev
    # --allow-dev-origins`), so no variable of a deployed function can turn it on.
    dev_origins: DevOrigins = DevOrigins.NEVER
    stage: str = DEFAULT_STAGE
    # the tables of the aggregates read only by id (shared/adapters/dynamo/models.py PLAIN) have no
    # field each: ``<NAME>_TABLE`` as the template's Globals set it (``RMAS_TABLE``), or the stage's
    other_tables: tuple[tuple[str, str], ...] = field(default=())

    def table(self, name: str) -> str:
        """The name of a table with no field here (template.yaml's ``closeloop-<stage>-<name>``)."""
        return dict(self.other_tables).get(table_variable(name), f"closeloop-{self.stage}-{name}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for variable, name in ENVIRONMENT.items():
            if variable in e:
                values[name] = float(e[variable]) if types[name] in (float, "float") else e[variable]
        values["region"] = e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or cls.region
        values["other_tables"] = tuple(
            sorted((k, v) for k, v in e.items() if k.endswith("_TABLE") and k not in ENVIRONMENT)
        )
        stage = e.get("CLOSELOOP_STAGE", "").strip()
        base = cls.for_stage(stage) if stage else cls()
        return replace(base, **values)  # type: ignore[arg-type]

    @classmethod
    def for_stage(cls, stage: str) -> Settings:
        """The names of a deployed stage's tables, queue, bus and secrets (closeloop-<stage>-...)."""
        if not _STAGE.fullmatch(stage):
            raise ValueError(f"CLOSELOOP_STAGE must be 1 to 12 lower-case letters or digits, not {stage[:40]!r}")
        defaults = cls()
        renamed = {
            f.name: _restage(getattr(defaults, f.name), stage)
            for f in fields(cls)
            if isinstance(getattr(defaults, f.name), str) and getattr(defaults, f.name).startswith("closeloop-")
        }
        return replace(defaults, **renamed, stage=stage)  # type: ignore[arg-type]


def table_variable(name: str) -> str:
    """The environment variable naming a table with no Settings field: ``rmas`` → ``RMAS_TABLE``."""
    return name.replace("-", "_").upper() + "_TABLE"


_STAGE = re.compile(r"[a-z][a-z0-9]{0,11}")  # the template's Stage AllowedPattern


def _restage(name: str, stage: str) -> str:
    if name == f"closeloop-{DEFAULT_STAGE}":  # the bus
        return f"closeloop-{stage}"
    return f"closeloop-{stage}-" + name.removeprefix(_PREFIX)
