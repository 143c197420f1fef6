"""The one place adapters are wired. Built lazily on first use: nothing connects at import."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from shared.adapters.settings import Settings
from shared.kernel.domain.errors import RulesUnavailable
from shared.kernel.domain.ids import use_namespace
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet

if TYPE_CHECKING:  # the adapters' modules load boto3 and pynamodb: only on first use
    from shared.adapters.courier import DeliveryCourier
    from shared.adapters.dynamo.audit import DynamoAuditLog
    from shared.adapters.dynamo.kpis import DynamoKpiStore
    from shared.adapters.dynamo.privacy import DynamoPersonalRecords
    from shared.adapters.dynamo.rules import DynamoRulesStore
    from shared.adapters.dynamo.sweeps import DynamoSweepProgress
    from shared.adapters.idempotency import Idempotency
    from shared.adapters.links import ActionLinks
    from shared.adapters.outbox import EventBusPublisher
    from shared.adapters.secrets import Secrets
    from shared.composition.services.ports import AllWork  # every capability's ports: types only


class RulesCache:
    """Holds the active rules in memory; looks for a newer version at most every N seconds."""

    def __init__(self, store: DynamoRulesStore, check_seconds: float, monotonic: Callable[[], float] = time.monotonic):
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
            self._active = ActiveRules(rules)
        self._checked_at = self._monotonic()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Container:
    """Adapters for one process, each built on first use (nothing connects at import)."""

    def __init__(self, settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings or Settings.from_env()
        self.clock = clock
        use_namespace(self.settings.id_namespace)  # the ids this process derives (shared/kernel/domain/ids.py)

    def _bind(self) -> None:
        from shared.adapters.aws_sessions import share_service_models
        from shared.adapters.dynamo.models import bind_tables

        share_service_models()
        bind_tables(self.settings)

    @cached_property
    def uow(self) -> AllWork:
        from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork

        self._bind()
        return DynamoUnitOfWork()

    @cached_property
    def rules_store(self) -> DynamoRulesStore:
        from shared.adapters.dynamo.rules import DynamoRulesStore

        self._bind()
        return DynamoRulesStore()

    @cached_property
    def rules(self) -> RulesCache:
        return RulesCache(self.rules_store, self.settings.rules_check_seconds)

    @cached_property
    def secrets(self) -> Secrets:
        from shared.adapters.secrets import Secrets

        return Secrets(self.settings)

    @cached_property
    def links(self) -> ActionLinks:
        from shared.adapters.links import ActionLinks

        return ActionLinks(self.settings, self.secrets)

    @cached_property
    def courier(self) -> DeliveryCourier:
        from shared.adapters.courier import DeliveryCourier

        return DeliveryCourier(self.settings, self.secrets)

    @cached_property
    def idempotency(self) -> Idempotency:
        from shared.adapters.idempotency import TABLE, Idempotency

        return Idempotency(self.settings.table(TABLE))

    @cached_property
    def kpis(self) -> DynamoKpiStore:
        import boto3

        from shared.adapters.dynamo.kpis import DynamoKpiStore

        return DynamoKpiStore(self.settings.table("kpis"), boto3.client("dynamodb", region_name=self.settings.region))

    @cached_property
    def audit(self) -> DynamoAuditLog:
        import boto3

        from shared.adapters.dynamo.audit import DynamoAuditLog

        return DynamoAuditLog(self.settings.table("events"), boto3.client("dynamodb", region_name=self.settings.region))

    @cached_property
    def personal_records(self) -> DynamoPersonalRecords:
        import boto3

        from shared.adapters.dynamo.privacy import DynamoPersonalRecords

        self._bind()  # the by_subject and by_contact queries go through the bound models
        return DynamoPersonalRecords(
            self.settings.table("events"), boto3.client("dynamodb", region_name=self.settings.region)
        )

    @cached_property
    def sweeps(self) -> DynamoSweepProgress:
        import boto3

        from shared.adapters.dynamo.sweeps import DynamoSweepProgress

        return DynamoSweepProgress(
            self.settings.table("routing-state"), boto3.client("dynamodb", region_name=self.settings.region)
        )

    @cached_property
    def publisher(self) -> EventBusPublisher:
        from shared.adapters.outbox import EventBusPublisher

        return EventBusPublisher(self.settings.event_bus, self.settings.table("events"))


_container: Container | None = None
_container_lock = threading.Lock()
_clock: Callable[[], datetime] = utc_now  # of the containers container() builds (use_clock)


def container() -> Container:
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container(clock=_clock)
    return _container


def use_clock(clock: Callable[[], datetime]) -> None:
    """The clock of the containers built from now on: the CLI's commands against a local stack
    whose business clock is shifted (CLOSELOOP_CLOCK_START) record at the stack's time."""
    global _clock
    _clock = clock


def reset_container(new: Container | None = None) -> None:
    """For tests and the local stack: start over with a fresh (or given) container."""
    global _container
    _container = new
