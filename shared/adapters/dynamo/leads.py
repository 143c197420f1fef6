"""The lead store over DynamoDB: unique keys, optimistic versions, round-robin turns and
owner loads, and the outbox — each change committed in one TransactWriteItems call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from shared.adapters.dynamo.models import EventItem, LeadItem, LeadKeyItem, RoutingStateItem
from shared.domain.events import Event, iso
from shared.domain.leads import Lead, is_lead_id
from shared.services.ports import KeyTaken, LeadChange, Lookup, OwnerFull, StaleLead


def event_item(event: Event, seq: int = 0) -> EventItem:
    envelope = event.envelope()
    return EventItem(
        event_id=event.id,
        type=event.type,
        subject=event.subject,
        time=envelope["time"],
        rules_version=event.rules_version,
        data=event.data,
        seq=seq,
        pending="yes",
    )


def lead_item(lead: Lead) -> LeadItem:
    return LeadItem(
        lead_id=lead.lead_id,
        capture_day=lead.captured_at[:10],
        captured_at=lead.captured_at,
        grade=lead.grade,
        owner_id=lead.owner_id,
        team=lead.team,
        doc={k: v for k, v in lead.to_dict().items() if k != "version"},
    )


def lead_from_item(item: LeadItem) -> Lead:
    lead = Lead.from_dict(dict(item.doc))
    lead.version = int(item.version or 0)
    return lead


class DynamoLeadStore:
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
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            for raw in response["Responses"].get(keys_table, []):
                owners[raw["key"]["S"]] = raw["lead_id"]["S"]
            for raw in response["Responses"].get(leads_table, []):
                lead = lead_from_item(LeadItem.from_raw_data(raw))
                leads[lead.lead_id] = lead
            request = response.get("UnprocessedKeys") or {}  # throttled part: ask again
        return Lookup(owners, leads)

    def find_by_keys(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        found = LeadKeyItem.batch_get(keys, consistent_read=True)
        return {item.key: item.lead_id for item in found}

    def get(self, lead_id: str) -> Lead | None:
        if not is_lead_id(lead_id):
            return None
        try:
            return lead_from_item(LeadItem.get(lead_id, consistent_read=True))
        except LeadItem.DoesNotExist:
            return None

    def captured_between(self, start: datetime, end: datetime) -> Iterator[Lead]:
        """Leads captured in [start, end), read day by day through the by_capture_day index."""
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            condition = LeadItem.captured_at.between(iso(start), iso(end))
            for item in LeadItem.by_capture_day.query(day.isoformat(), condition):
                yield lead_from_item(item)
            day += timedelta(days=1)

    def next_turn(self, team: str, counter_key: str) -> tuple[int, dict[str, int]]:
        """Take the next round-robin turn of a pool; also returns the team's current loads."""
        try:
            response = self.client.update_item(
                TableName=RoutingStateItem.Meta.table_name,
                Key={"pk": {"S": f"team#{team}"}},
                UpdateExpression="ADD #turn :one SET #loads = if_not_exists(#loads, :empty)",
                ExpressionAttributeNames={"#turn": f"turn:{counter_key}", "#loads": "loads"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":empty": {"M": {}}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            # DynamoDB refuses a plain write to an item an in-flight transaction holds (the team's
            # loads are updated inside lead transactions); botocore does not retry that: we do.
            if exc.response.get("Error", {}).get("Code") == "TransactionConflictException":
                raise StaleLead(f"team#{team}") from None
            raise
        attributes = response["Attributes"]
        turn = int(attributes[f"turn:{counter_key}"]["N"])
        loads = {owner: int(v["N"]) for owner, v in attributes.get("loads", {}).get("M", {}).items()}
        return turn - 1, loads

    def commit(self, change: LeadChange) -> None:
        puts, updates, purposes = self._operations(change)
        try:
            self._connection.transact_write_items(
                condition_check_items=[], delete_items=[], put_items=puts, update_items=updates
            )
        except TransactWriteError as exc:
            raise self._why(exc, purposes, change) from None
        change.lead.version = (change.expected_version or 0) + 1

    def _operations(self, change: LeadChange) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
        lead = lead_item(change.lead)
        if change.expected_version is not None:
            lead.version = change.expected_version  # the save adds "version = expected" and bumps it
        puts = [lead.get_save_kwargs_from_instance()]
        purposes = ["lead"]
        for key in change.claim_keys:
            claim = LeadKeyItem(key=key, lead_id=change.lead.lead_id)
            puts.append(claim.get_save_kwargs_from_instance(condition=LeadKeyItem.key.does_not_exist()))
            purposes.append("key")
        for seq, event in enumerate(change.events):
            puts.append(event_item(event, seq).get_save_kwargs_from_instance())
            purposes.append("event")
        updates = []
        if change.assign is not None:
            updates.append(self._take_load(change.assign.team, change.assign.owner_id, change.assign.capacity))
            purposes.append("load")
        return puts, updates, purposes

    @staticmethod
    def _take_load(team: str, owner_id: str, capacity: int | None) -> dict[str, Any]:
        names = {"#loads": "loads", "#owner": owner_id}
        values: dict[str, Any] = {":one": {"N": "1"}, ":zero": {"N": "0"}}
        condition = "attribute_exists(#loads)"
        if capacity is not None:
            condition += " AND (attribute_not_exists(#loads.#owner) OR #loads.#owner < :cap)"
            values[":cap"] = {"N": str(capacity)}
        return {
            "TableName": RoutingStateItem.Meta.table_name,
            "Key": {"pk": {"S": f"team#{team}"}},
            "UpdateExpression": "SET #loads.#owner = if_not_exists(#loads.#owner, :zero) + :one",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    @staticmethod
    def _why(exc: TransactWriteError, purposes: list[str], change: LeadChange) -> Exception:
        """Turn a cancelled transaction into the reason the service can act on."""
        reasons = exc.cancellation_reasons or []
        failed = {purposes[i] for i, r in enumerate(reasons) if r is not None and r.code != "None"}
        if "key" in failed:
            return KeyTaken(change.lead.lead_id)
        if "lead" in failed:
            return StaleLead(change.lead.lead_id)
        if "load" in failed and change.assign is not None:
            return OwnerFull(change.assign.owner_id)
        if any(r is not None and r.code == "TransactionConflict" for r in reasons):
            return StaleLead(change.lead.lead_id)  # a concurrent transaction touched our items: retry
        return exc
