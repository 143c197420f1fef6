"""The one place adapters are wired. Built lazily on first use: nothing connects at import."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from shared.domain.errors import RulesUnavailable
from shared.domain.routing import RoutingIndex
from shared.domain.rules import RuleSet
from shared.services.ports import ActiveRules


@dataclass(frozen=True)
class Config:
    """The environment, read once."""

    idempotency_table: str
    event_bus: str
    webhook_secrets_id: str
    api_keys_id: str
    google_account_id: str
    spreadsheet_id: str
    rules_check_seconds: float

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        e = dict(os.environ if env is None else env)
        return cls(
            idempotency_table=e.get("IDEMPOTENCY_TABLE", "closeloop-idempotency"),
            event_bus=e.get("EVENT_BUS_NAME", "closeloop"),
            webhook_secrets_id=e.get("WEBHOOK_SECRETS_ARN", "closeloop/webhook-secrets"),
            api_keys_id=e.get("API_KEYS_ARN", "closeloop/api-keys"),
            google_account_id=e.get("GOOGLE_SERVICE_ACCOUNT_ARN", "closeloop/google-service-account"),
            spreadsheet_id=e.get("SPREADSHEET_ID", ""),
            rules_check_seconds=float(e.get("CLOSELOOP_RULES_CHECK_SECONDS", "30")),
        )


class RulesCache:
    """Holds the active rules in memory; looks for a newer version at most every N seconds."""

    def __init__(self, store: Any, check_seconds: float, monotonic: Callable[[], float] = time.monotonic):
        self._store = store
        self._check_seconds = check_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._active: ActiveRules | None = None
        self._checked_at = float("-inf")

    def current(self) -> ActiveRules:
        if self._monotonic() - self._checked_at < self._check_seconds and self._active is not None:
            return self._active
        with self._lock:
            if self._monotonic() - self._checked_at >= self._check_seconds or self._active is None:
                self._refresh()
        assert self._active is not None
        return self._active

    def invalidate(self) -> None:
        self._checked_at = float("-inf")

    def _refresh(self) -> None:
        pointer = self._store.active()
        if pointer is None:
            raise RulesUnavailable("no rules version has been published yet; run `closeloop rules sync`")
        if self._active is None or self._active.version != pointer.version_id:
            rules = RuleSet.from_content(self._store.content(pointer.version_id), pointer.version_id)
            self._active = ActiveRules(rules=rules, index=RoutingIndex(rules.routing))
        self._checked_at = self._monotonic()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Container:
    """Adapters for one process, each built on first use."""

    def __init__(self, config: Config | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config or Config.from_env()
        self.clock = clock

    @cached_property
    def lead_store(self) -> Any:
        from shared.adapters.dynamo.leads import DynamoLeadStore
        from shared.adapters.dynamo.models import bind_tables

        bind_tables()
        return DynamoLeadStore()

    @cached_property
    def rules_store(self) -> Any:
        from shared.adapters.dynamo.models import bind_tables
        from shared.adapters.dynamo.rules import DynamoRulesStore

        bind_tables()
        return DynamoRulesStore()

    @cached_property
    def rules(self) -> RulesCache:
        return RulesCache(self.rules_store, self.config.rules_check_seconds)

    @cached_property
    def secrets(self) -> Any:
        from shared.adapters.secrets import Secrets

        return Secrets(self.config.webhook_secrets_id, self.config.api_keys_id, self.config.google_account_id)

    @cached_property
    def idempotency(self) -> Any:
        from shared.adapters.idempotency import Idempotency

        return Idempotency(self.config.idempotency_table)


_container: Container | None = None
_container_lock = threading.Lock()


def container() -> Container:
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container()
    return _container


def reset_container(new: Container | None = None) -> None:
    """For tests and the local stack: start over with a fresh (or given) container."""
    global _container
    _container = new
