"""The process's settings, read from the environment once.

Every table, secret and queue of template.yaml is named by the code with its one name, as the
template's physical name ends (``settings.table("lead-keys")``, ``settings.secret("api-keys")``,
``settings.dead_letters("deliveries")``): the environment variable the template's Globals set
derives from it (``LEAD_KEYS_TABLE``, ``API_KEYS_ARN``, ``DELIVERIES_DLQ``), and so does the stage's
physical name where none is set (``closeloop-<stage>-lead-keys``); the bus is ``EVENT_BUS_NAME``,
else ``closeloop-<stage>``. tests/integration/local/test_settings.py checks every such variable of
the template against that derivation, and that the code names every table the template declares.
In AWS the template sets every name; CLOSELOOP_STAGE names another stage's resources for a process
without them (the CLI pointed at a deployed stage). Index names are their PynamoDB classes'
(shared/adapters/dynamo/models.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from shared.leads.domain.origins import DevOrigins

# environment variable -> the field it fills (the template sets these in AWS)
ENVIRONMENT = {
    "CLOSELOOP_PUBLIC_URL": "public_url",
    "CLOSELOOP_ERP_URL": "erp_url",
    "CLOSELOOP_FINANCE_URL": "finance_url",
    "SES_SENDER": "ses_sender",
    "SPREADSHEET_ID": "spreadsheet_id",
    "CLOSELOOP_RULES": "local_rules_source",
    "CLOSELOOP_RULES_CHECK_SECONDS": "rules_check_seconds",
    "SES_CONFIGURATION_SET": "ses_configuration_set",
    "CLOSELOOP_ID_NAMESPACE": "id_namespace",
}

# template.yaml's Stage default: the local stack's stage. Every physical name is closeloop-<stage>-...
DEFAULT_STAGE = "dev"

# what ends the variable naming a table, a secret (its ARN) and a dead-letter queue (its URL)
_TABLE, _SECRET, _DEAD_LETTERS = "_TABLE", "_ARN", "_DLQ"
_BUS = "EVENT_BUS_NAME"
# The one table whose variable is not its name's: the template's Globals set ROUTING_TABLE for
# closeloop-<stage>-routing-state (renaming a deployed function's variable is a change of its own).
_TABLE_VARIABLES = {"routing-state": "ROUTING_TABLE"}


@dataclass(frozen=True)
class Settings:
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
    # the names the environment gives (``LEADS_TABLE``, ``API_KEYS_ARN``, ``DELIVERIES_DLQ``,
    # ``EVENT_BUS_NAME``: the template's Globals set them in AWS); any other is the stage's
    names: tuple[tuple[str, str], ...] = field(default=())

    def table(self, name: str) -> str:
        """A table of template.yaml by its name (``lead-keys``): ``LEAD_KEYS_TABLE``, else the
        stage's ``closeloop-<stage>-lead-keys``."""
        return self._named(table_variable(name), name)

    def secret(self, name: str) -> str:
        """A secret's id by its name (``api-keys``): ``API_KEYS_ARN`` (the template's Ref, an ARN),
        else the stage's ``closeloop-<stage>-api-keys``."""
        return self._named(_variable(name, _SECRET), name)

    def dead_letters(self, name: str) -> str:
        """The dead-letter queue of ``name``'s sends (``deliveries``): ``DELIVERIES_DLQ`` (the
        template's Ref, the queue's URL), else the stage's ``closeloop-<stage>-deliveries-dlq``."""
        return self._named(_variable(name, _DEAD_LETTERS), f"{name}-dlq")

    @property
    def event_bus(self) -> str:
        """``EVENT_BUS_NAME``, else the stage's bus, ``closeloop-<stage>``."""
        return dict(self.names).get(_BUS, f"closeloop-{self.stage}")

    def _named(self, variable: str, name: str) -> str:
        return dict(self.names).get(variable, f"closeloop-{self.stage}-{name}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for variable, name in ENVIRONMENT.items():
            if variable in e:
                values[name] = float(e[variable]) if types[name] in (float, "float") else e[variable]
        values["region"] = e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or cls.region
        values["names"] = tuple(
            sorted((k, v) for k, v in e.items() if k.endswith((_TABLE, _SECRET, _DEAD_LETTERS)) or k == _BUS)
        )
        stage = e.get("CLOSELOOP_STAGE", "").strip()
        base = cls.for_stage(stage) if stage else cls()
        return replace(base, **values)  # type: ignore[arg-type]

    @classmethod
    def for_stage(cls, stage: str) -> Settings:
        """The names of a deployed stage's tables, queue, bus and secrets (closeloop-<stage>-...)."""
        if not _STAGE.fullmatch(stage):
            raise ValueError(f"CLOSELOOP_STAGE must be 1 to 12 lower-case letters or digits, not {stage[:40]!r}")
        return cls(stage=stage)


def table_variable(name: str) -> str:
    """The environment variable naming a table: ``lead-keys`` → ``LEAD_KEYS_TABLE``."""
    return _TABLE_VARIABLES.get(name) or _variable(name, _TABLE)


def _variable(name: str, suffix: str) -> str:
    return name.replace("-", "_").upper() + suffix


_STAGE = re.compile(r"[a-z][a-z0-9]{0,11}")  # the template's Stage AllowedPattern
