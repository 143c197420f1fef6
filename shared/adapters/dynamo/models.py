"""PynamoDB models: one per table of template.yaml (a test keeps them in step).

Each model names its table once, by its name in template.yaml (``@stored_in("lead-keys")``):
Settings.table reads the environment the template sets (``LEAD_KEYS_TABLE`` ...) when the models
are bound, else the stage's (``closeloop-<stage>-lead-keys``). Each index's name is its class's
``index_name``, the one the template declares (tests/integration/test_consistency.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from shared.adapters.settings import Settings
from shared.kernel.domain.stored_json import dumps


class StoredJSONAttribute(JSONAttribute):
    """JSON as the size guards measure it (shared/kernel/domain/stored_json.py): unescaped UTF-8 and
    compact, so Chinese text takes 3 bytes a character, not 6. Reads both that and the escaped
    form older items were written in (both are JSON)."""

    def serialize(self, value: Any) -> str | None:
        return None if value is None else dumps(value)


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


TABLES: dict[type[Model], str] = {}  # every model -> its table's name in template.yaml (Settings.table)
_Model = TypeVar("_Model", bound=type[Model])


def stored_in(table: str) -> Callable[[_Model], _Model]:
    """A model's table, by its name in template.yaml: the dev stage's (the local stack's) until
    bind_tables names this process's."""

    def register(model: _Model) -> _Model:
        model.Meta.table_name = Settings().table(table)
        TABLES[model] = table
        return model

    return register


class ListedIndex(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """A kind's list (CONTRACT §11), newest first: ``listed_at`` is ``<time>#<id>`` within one of a
    few shards (a busy day's writes spread over them; a page merges them). Only the filtered
    values and the page row are copied (``list_fields``): an aggregate's other changes leave the
    index entry alone unless one of those changes."""

    class Meta:
        index_name = "by_recency"
        projection = IncludeProjection(["list_fields"])

    list_shard = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class CaptureDayIndex(GlobalSecondaryIndex["LeadItem"]):  # type: ignore[no-untyped-call]
    """The leads of one capture day's shard (``<day>#<n>``: dynamo/leads.py spreads a day over
    CAPTURE_SHARDS keys), newest first, with the attributes the list filters on: a
    lead's other changes (touches, SLA, notes) never rewrite its index entry; readers BatchGet."""

    class Meta:
        index_name = "by_capture_day"
        projection = IncludeProjection(["owner_id", "team", "grade"])

    capture_day = UnicodeAttribute(hash_key=True)
    captured_at = UnicodeAttribute(range_key=True)


@stored_in("leads")
class LeadItem(Model):
    """A lead. The whole entity lives in ``doc``; the top-level attributes serve indexes."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    lead_id = UnicodeAttribute(hash_key=True)
    capture_day = UnicodeAttribute()
    captured_at = UnicodeAttribute()
    grade = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    team = UnicodeAttribute(null=True)
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    by_capture_day = CaptureDayIndex()


@stored_in("lead-keys")
class LeadKeyItem(Model):
    """A unique identity key (``email#...``, ``phone#...``, ``credit#...``) owned by one lead."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    key = UnicodeAttribute(hash_key=True)
    lead_id = UnicodeAttribute()


@stored_in("routing-state")
class RoutingStateItem(Model):
    """Per team: round-robin turn counters (``turn:<pool>``) and a ``loads`` map of owner → leads."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    pk = UnicodeAttribute(hash_key=True)


class SubjectIndex(GlobalSecondaryIndex["EventItem"]):  # type: ignore[no-untyped-call]
    """Keys only: a reader BatchGets the events (an index copy would double their write units)."""

    class Meta:
        index_name = "by_subject"
        projection = KeysOnlyProjection()

    subject = UnicodeAttribute(hash_key=True)
    time = UnicodeAttribute(range_key=True)


class PendingIndex(GlobalSecondaryIndex["EventItem"]):  # type: ignore[no-untyped-call]
    """Sparse: only events not yet on the bus carry ``pending``. Keys only, like by_subject."""

    class Meta:
        index_name = "pending"
        projection = KeysOnlyProjection()

    pending = UnicodeAttribute(hash_key=True)
    time = UnicodeAttribute(range_key=True)


class AuditActorIndex(GlobalSecondaryIndex["EventItem"]):  # type: ignore[no-untyped-call]
    """Sparse: changes made by people (an API key, an action link, the CLI) and rules publishing."""

    class Meta:
        index_name = "audit_by_actor"
        projection = KeysOnlyProjection()

    audit_actor = UnicodeAttribute(hash_key=True)
    time = UnicodeAttribute(range_key=True)


class AuditDayIndex(GlobalSecondaryIndex["EventItem"]):  # type: ignore[no-untyped-call]
    """The same changes by UTC day: an unfiltered audit reads one day per Query, newest first."""

    class Meta:
        index_name = "audit_by_day"
        projection = KeysOnlyProjection()

    audit_day = UnicodeAttribute(hash_key=True)
    time = UnicodeAttribute(range_key=True)


@stored_in("events")
class EventItem(Model):
    """The outbox: one domain event, written in the same transaction as its change."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    event_id = UnicodeAttribute(hash_key=True)
    type = UnicodeAttribute()
    subject = UnicodeAttribute()
    time = UnicodeAttribute()
    rules_version = UnicodeAttribute(null=True)
    data = StoredJSONAttribute()
    seq = NumberAttribute(null=True)  # order within one transaction (events there share a time)
    published_at = UnicodeAttribute(null=True)
    pending = UnicodeAttribute(null=True)  # "p#0".."p#3" until published, removed then (sparse index); "failed"
    publish_failures = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL, set when published
    last_error = UnicodeAttribute(null=True)
    actor = StoredJSONAttribute(null=True)  # who made the change (CONTRACT §12): never a key
    audit_actor = UnicodeAttribute(null=True)  # the actor's name, on audited changes only (sparse)
    audit_day = UnicodeAttribute(null=True)  # YYYY-MM-DD of an audited change
    by_subject = SubjectIndex()
    pending_index = PendingIndex()
    audit_by_actor = AuditActorIndex()
    audit_by_day = AuditDayIndex()


@stored_in("rules")
class RulesItem(Model):
    """Rules versions: the ``active`` pointer, version records and gzip'd content chunks."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version_id = UnicodeAttribute(null=True)
    number = NumberAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)
    meta = StoredJSONAttribute(null=True)
    chunk = BinaryAttribute(null=True, legacy_encoding=False)


class DueIndex(GlobalSecondaryIndex["TimerItem"]):  # type: ignore[no-untyped-call]
    """Timers by due time within a shard: a sweep's query returns only timers already due."""

    class Meta:
        index_name = "by_due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class AboutIndex(GlobalSecondaryIndex["TimerItem"]):  # type: ignore[no-untyped-call]
    """The timers of one lead or case, by due time."""

    class Meta:
        index_name = "by_about"
        projection = AllProjection()

    about = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


@stored_in("timers")
class TimerItem(Model):
    """A pending timer. Firing deletes it in the same transaction as what firing does."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    timer_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    about = UnicodeAttribute()
    due_at = UnicodeAttribute()
    due_shard = UnicodeAttribute()
    data = StoredJSONAttribute()
    set_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)  # absent on timers set before failures were noted: 1
    failures = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    failed_at = UnicodeAttribute(null=True)  # set aside (due_shard "failed") until retried
    by_due = DueIndex()
    by_about = AboutIndex()


class DeliveryAboutIndex(GlobalSecondaryIndex["DeliveryItem"]):  # type: ignore[no-untyped-call]
    """The deliveries about one record, oldest first; keys only (readers BatchGet them)."""

    class Meta:
        index_name = "by_about"
        projection = KeysOnlyProjection()

    about = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@stored_in("deliveries")
class DeliveryItem(Model):
    """An outbound delivery (alert, ERP, finance): the whole aggregate in ``doc``; the stream of
    this table drives sending."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    delivery_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # TTL: 30 days after it was delivered
    about = UnicodeAttribute(null=True)  # the record it is about (by_about); absent on older items
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    by_about = DeliveryAboutIndex()


class CaseAccountIndex(GlobalSecondaryIndex["CaseItem"]):  # type: ignore[no-untyped-call]
    """An account's cases by opening time, with their priority and status: the open P1 cases that
    hold a renewal are read from the account's slice, never by a scan. Cases without an account
    are not in it (sparse)."""

    class Meta:
        index_name = "by_account"
        projection = IncludeProjection(["priority", "status"])

    account_id = UnicodeAttribute(hash_key=True)
    opened_at = UnicodeAttribute(range_key=True)


class CaseContactIndex(GlobalSecondaryIndex["CaseItem"]):  # type: ignore[no-untyped-call]
    """The cases of one contact (``email#…`` or ``phone#…``): an erasure finds them without a scan.
    Keys only and sparse: a case without a contact, or whose contact was erased, is not in it."""

    class Meta:
        index_name = "by_contact"
        projection = KeysOnlyProjection()

    contact_key = UnicodeAttribute(hash_key=True)


@stored_in("cases")
class CaseItem(Model):
    """A support case. The whole case (history included) lives in ``doc``; ``account_id``,
    ``priority`` and ``status`` (the replayed one) also feed the ``by_account`` index."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    case_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(null=True)
    priority = UnicodeAttribute()
    status = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute()
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    by_account = CaseAccountIndex()
    contact_key = UnicodeAttribute(null=True)  # by_contact (privacy); absent once erased
    by_contact = CaseContactIndex()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()


class ContractAccountIndex(GlobalSecondaryIndex["ContractItem"]):  # type: ignore[no-untyped-call]
    """The contracts of one account, by end date; keys only."""

    class Meta:
        index_name = "by_account"
        projection = KeysOnlyProjection()

    account_id = UnicodeAttribute(hash_key=True)
    end_date = UnicodeAttribute(range_key=True)


@stored_in("contracts")
class ContractItem(Model):
    """A signed contract (CONTRACT §2.8): the whole contract in ``doc``; ``by_account`` lists an
    account's contracts (renewal holds, the account view) without a scan."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    contract_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    end_date = UnicodeAttribute()
    status = UnicodeAttribute()
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    by_account = ContractAccountIndex()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()


@stored_in("orders")
class OrderItem(Model):
    """An order: lines, shipments, invoices and history in ``doc``; the top-level attributes are
    there for people reading the table."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    order_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    amount = UnicodeAttribute()  # a decimal string: money is never a float
    currency = UnicodeAttribute()
    created_at = UnicodeAttribute()
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()


class AccountSegmentIndex(GlobalSecondaryIndex["AccountItem"]):  # type: ignore[no-untyped-call]
    """The accounts of one segment, newest in it first (CONTRACT §15: ``GET /accounts?segment=``);
    accounts without a segment are not in it (sparse)."""

    class Meta:
        index_name = "by_segment"
        projection = KeysOnlyProjection()

    segment = UnicodeAttribute(hash_key=True)
    segment_since = UnicodeAttribute(range_key=True)


@stored_in("accounts")
class AccountItem(Model):
    """An account (the customer company): the whole aggregate in ``doc``; ``segment`` and
    ``segment_since`` also feed the ``by_segment`` index."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    account_id = UnicodeAttribute(hash_key=True)
    company = UnicodeAttribute()
    country = UnicodeAttribute(null=True)
    account_manager_id = UnicodeAttribute(null=True)
    segment = UnicodeAttribute(null=True)
    segment_since = UnicodeAttribute(null=True)
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()
    by_segment = AccountSegmentIndex()


@stored_in("opportunities")
class OpportunityItem(Model):
    """An opportunity (CONTRACT §2.6). The whole opportunity lives in ``doc``; the top-level
    attributes are there for people reading the table."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    opportunity_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    stage = UnicodeAttribute()
    status = UnicodeAttribute()
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()


@stored_in("quotes")
class QuoteItem(Model):
    """A quote with its approval steps and history (CONTRACT §2.7), all in ``doc``."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    quote_id = UnicodeAttribute(hash_key=True)
    opportunity_id = UnicodeAttribute()
    status = UnicodeAttribute()
    doc = StoredJSONAttribute()
    version = VersionAttribute()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()


@stored_in("invoices")
class InvoiceItem(Model):
    """An invoice as lists show it (``doc``: shared/fulfilment/domain/orders.py ListedInvoice): a copy, put
    with every change of its order in the same transaction; the order holds the invoice."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    invoice_id = UnicodeAttribute(hash_key=True)
    doc = StoredJSONAttribute()
    list_shard = UnicodeAttribute(null=True)
    listed_at = UnicodeAttribute(null=True)
    list_fields = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    by_recency = ListedIndex()


@stored_in("kpis")
class KpiItem(Model):
    """KPI rollups (shared/adapters/dynamo/kpis.py writes them with low-level expressions: their
    counters are attributes named by what they count): ``kpi|<team>|<owner>`` × period, one
    lead's / case's / account's KPI state, and one marker per event counted (TTL ``expires_at``)."""

    class Meta:
        table_name: str  # @stored_in
        region = _region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def _plain_model(kind: str) -> type[Model]:
    """The model of an aggregate read only by its id: ``<kind>_id``, the aggregate in ``doc``, its
    ``version``; its table is template.yaml's ``closeloop-<stage>-<kind>s``."""
    attributes = {
        "__module__": __name__,
        "__doc__": f"A {kind}: the whole aggregate in ``doc``.",
        "Meta": type("Meta", (), {"region": _region()}),
        f"{kind}_id": UnicodeAttribute(hash_key=True),
        "doc": StoredJSONAttribute(),
        "version": VersionAttribute(),
    }
    return stored_in(f"{kind}s")(type(f"{kind.title().replace('_', '')}Item", (Model,), attributes))


# An aggregate read only by its id (no index, no list) is one line here: its subject kind and its
# class, "module:Class" (a Document dataclass with ``<kind>_id``, ``version`` and ``subject``,
# imported on first use). Its model is made above, documents.py stores and reads it, and its table
# is template.yaml's closeloop-<stage>-<kind>s (docs/architecture.md, "Adding an aggregate").
PLAIN: dict[str, str] = {
    # "rma": "shared.fulfilment.domain.rmas:Rma",
}
PLAIN_MODELS: dict[str, type[Model]] = {kind: _plain_model(kind) for kind in PLAIN}
MODELS: tuple[type[Model], ...] = tuple(TABLES)


def bind_tables(settings: Settings | None = None) -> None:
    """Point the models at the tables this process was configured with."""
    settings = settings or Settings.from_env()
    for model, table in TABLES.items():
        model.Meta.table_name = settings.table(table)
        model.Meta.region = settings.region
        model._connection = None  # drop a connection made for another table name
