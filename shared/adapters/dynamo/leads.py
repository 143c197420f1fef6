"""Reading leads from DynamoDB: identity keys and leads in one batch, the capture-day index,
round-robin turns and owner loads. Writes go through the unit of work (unit_of_work.py)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection

from shared.adapters.dynamo.documents import DocumentTable
from shared.adapters.dynamo.faults import batch_get
from shared.adapters.dynamo.models import LeadItem, LeadKeyItem, RoutingStateItem
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import StaleAggregate
from shared.leads.domain.leads import Lead, is_lead_id
from shared.leads.services.ports import LeadFilter, LeadPage, LeadPosition, Lookup

# A day's leads spread over a few index partitions (capture_day = "<day>#<shard>"): a campaign's
# burst of leads on one day never piles its index writes on one key. Readers query each shard.
CAPTURE_SHARDS = 4


def capture_key(day: str, lead_id: str) -> str:
    return f"{day}#{zlib.crc32(lead_id.encode('utf-8')) % CAPTURE_SHARDS}"


def _day_keys(day: date) -> list[str]:
    return [f"{day.isoformat()}#{shard}" for shard in range(CAPTURE_SHARDS)]


def _indexed(lead: Lead) -> dict[str, Any]:
    return {
        "lead_id": lead.lead_id,
        "capture_day": capture_key(lead.captured_at[:10], lead.lead_id),
        "captured_at": lead.captured_at,
        "grade": lead.grade,
        "owner_id": lead.owner_id,
        "team": lead.team,
    }


# a lead is not on the generic lists: GET /leads reads the capture-day index
LEADS: DocumentTable[Lead] = DocumentTable("lead", LeadItem, Lead.from_dict, is_lead_id, _indexed, listed=False)


class DynamoLeadRepository:
    def __init__(self, connection: Connection | None = None) -> None:
        self._connection = connection or Connection(region=LeadItem.Meta.region)

    @property
    def client(self) -> Any:
        return self._connection.client

    def lookup(self, keys: list[str], lead_ids: list[str]) -> Lookup:
        """The key items and the candidate leads, in one BatchGetItem across both tables."""
        keys_table, leads_table = LeadKeyItem.Meta.table_name, LeadItem.Meta.table_name
        request: dict[str, Any] = {}
        if keys:
            request[keys_table] = {"Keys": [{"key": {"S": k}} for k in dict.fromkeys(keys)], "ConsistentRead": True}
        if lead_ids:
            ids = dict.fromkeys(lead_ids)
            request[leads_table] = {"Keys": [{"lead_id": {"S": i}} for i in ids], "ConsistentRead": True}
        owners: dict[str, str] = {}
        leads: dict[str, Lead] = {}
        found = batch_get(self.client, request) if request else {}
        for raw in found.get(keys_table, []):
            owners[raw["key"]["S"]] = raw["lead_id"]["S"]
        for raw in found.get(leads_table, []):
            lead = LEADS.from_item(LeadItem.from_raw_data(raw))
            leads[lead.lead_id] = lead
        return Lookup(owners, leads)

    def find_by_keys(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        found = LeadKeyItem.batch_get(keys, consistent_read=True)
        return {item.key: item.lead_id for item in found}

    def get(self, lead_id: str) -> Lead | None:
        return LEADS.get(lead_id)

    def page(self, limit: int, after: str | None = None) -> tuple[list[Lead], str | None]:
        return LEADS.page(limit, after)

    def captured_between(self, start: datetime, end: datetime) -> Iterator[Lead]:
        """Leads captured in [start, end), in capture order: day by day through the by_capture_day
        index (each shard of the day, merged), then the leads themselves a hundred at a time."""
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            condition = LeadItem.captured_at.between(iso(start), iso(end))
            found = sorted(
                (str(item.captured_at), str(item.lead_id))
                for key in _day_keys(day)
                for item in LeadItem.by_capture_day.query(key, condition)
            )
            ids = [lead_id for _, lead_id in found]
            for first in range(0, len(ids), 100):
                yield from self._whole(ids[first : first + 100])
            day += timedelta(days=1)

    def _whole(self, lead_ids: list[str]) -> list[Lead]:
        """The leads an index query named, in its order. The index holds their keys and the
        filtered attributes only: a copy of every lead would be rewritten on every change of it."""
        if not lead_ids:
            return []
        table = LeadItem.Meta.table_name
        request = {table: {"Keys": [{"lead_id": {"S": i}} for i in dict.fromkeys(lead_ids)], "ConsistentRead": True}}
        found = {
            lead.lead_id: lead
            for lead in (
                LEADS.from_item(LeadItem.from_raw_data(raw)) for raw in batch_get(self.client, request).get(table, [])
            )
        }
        return [found[i] for i in lead_ids if i in found]

    def recent(
        self, since: datetime, until: datetime, filters: LeadFilter, limit: int, after: LeadPosition | None = None
    ) -> LeadPage:
        """Newest first by (captured_at, lead_id), one capture day at a time from ``until`` (or the
        day ``after`` is on) back to ``since``: each day is one descending Query per shard of the
        by_capture_day index, with the filters as a FilterExpression on the projected owner_id,
        team and grade, merged. One lead more than the page is read, so the last page says there
        is nothing more (no cursor) instead of sending the caller to an empty one."""
        listed: list[tuple[str, str]] = []  # (captured_at, lead_id), newest first
        wanted = limit + 1
        condition = _filter_condition(filters)
        first_day = until.astimezone(UTC).date()
        if after is not None:
            first_day = min(first_day, date.fromisoformat(after.day))
        day, last_day = first_day, since.astimezone(UTC).date()
        while day >= last_day:
            below = (after.captured_at, after.lead_id) if after and day.isoformat() == after.day else None
            upper = below[0] if below else iso(until)
            window = LeadItem.captured_at.between(iso(since), upper)
            found = [
                key
                for shard_key in _day_keys(day)
                for key in _newest(shard_key, window, condition, below, wanted - len(listed))
            ]
            listed.extend(sorted(found, reverse=True))
            if len(listed) >= wanted:
                page = listed[:limit]
                cursor = LeadPosition(*page[-1]) if page else None
                return LeadPage(self._whole([lead_id for _, lead_id in page]), cursor)
            day -= timedelta(days=1)
        return LeadPage(self._whole([lead_id for _, lead_id in listed]), None)

    def next_turn(self, team: str, counter_key: str, owner_ids: Sequence[str]) -> tuple[int, dict[str, int]]:
        """Take the next round-robin turn of a pool (one UpdateItem on the team's state), then
        read the open load of each owner in it (one BatchGetItem of their load items)."""
        try:
            response = self.client.update_item(
                TableName=RoutingStateItem.Meta.table_name,
                Key={"pk": {"S": f"team#{team}"}},
                UpdateExpression="ADD #turn :one",
                ExpressionAttributeNames={"#turn": f"turn:{counter_key}"},
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            # DynamoDB refuses a plain write to an item an in-flight transaction holds;
            # botocore does not retry that: we do.
            if exc.response.get("Error", {}).get("Code") == "TransactionConflictException":
                raise StaleAggregate(f"team#{team}") from None
            raise
        turn = int(response["Attributes"][f"turn:{counter_key}"]["N"])
        return turn - 1, self.loads(owner_ids)

    def loads(self, owner_ids: Sequence[str]) -> dict[str, int]:
        """Open items per owner, across teams; an owner with no load item has none."""
        wanted = list(dict.fromkeys(owner_ids))
        loads: dict[str, int] = {}
        for start in range(0, len(wanted), 100):  # BatchGetItem takes 100 keys at most
            keys = [{"pk": {"S": f"load#{owner}"}} for owner in wanted[start : start + 100]]
            request: dict[str, Any] = {RoutingStateItem.Meta.table_name: {"Keys": keys, "ConsistentRead": True}}
            for item in batch_get(self.client, request).get(RoutingStateItem.Meta.table_name, []):
                owner = item["pk"]["S"].removeprefix("load#")
                loads[owner] = max(0, int(item.get("open", {}).get("N", "0")))
        return loads


# Items read per Query at least: with a selective filter, reading a handful at a time would take
# one round trip per few leads; reading a page of them costs little more than one.
_MIN_PAGE = 100


def _filter_condition(filters: LeadFilter) -> Any:
    condition: Any = None
    for attribute, wanted in (
        (LeadItem.owner_id, filters.owner_id),
        (LeadItem.team, filters.team),
        (LeadItem.grade, filters.grade),
    ):
        if wanted is not None:
            condition = attribute == wanted if condition is None else condition & (attribute == wanted)
    return condition


def _newest(
    shard_key: str, window: Any, condition: Any, below: tuple[str, str] | None, count: int
) -> list[tuple[str, str]]:
    """The newest ``count`` leads of one shard of a day in the window, below the cursor's lead (the
    window includes its instant: another lead of that same millisecond may still follow it)."""
    found: list[tuple[str, str]] = []
    if count <= 0:
        return found
    results = LeadItem.by_capture_day.query(
        shard_key,
        window,
        filter_condition=condition,
        scan_index_forward=False,
        page_size=max(count, _MIN_PAGE),
    )
    for item in results:
        key = (str(item.captured_at), str(item.lead_id))
        if below is not None and key >= below:
            continue
        found.append(key)
        if len(found) >= count:
            break
    return found
