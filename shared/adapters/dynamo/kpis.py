"""The KPI rollup store on DynamoDB (closeloop-kpis).

A batch of events' effect is one TransactWriteItems: an observation's marker (``seen#<id>``, put
only if absent: a redelivered event fails here and writes nothing), each subject's state (put at
the version read; it remembers the events folded into it, so a fact needs no marker), and one
ADD-only UpdateItem per rollup item. Queries read one scope's items for
a range of period keys: one Query per range, never per lead.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamo.faults import REFUSED_REASONS, THROTTLE_REASONS, is_throttling
from shared.kernel.services.ports import ConcurrentChange, StaleAggregate, StorageRefused, Throttled
from shared.kpis.domain.kpi_rollups import RollupWrite, SubjectState, decode_counts, encode_counts
from shared.kpis.services.kpi_ports import AlreadyCounted

MAX_TRANSACTION_ITEMS = 100
MARKER_DAYS = 35  # longer than EventBridge's 24 h of retries and a DLQ redrive a month on


def _cancelled(write: RollupWrite, reasons: list[str | None]) -> Exception:
    """Markers come first, then states, then counters: which item failed says what happened."""
    markers, states = len(write.event_ids), len(write.states)
    for index, code in enumerate(reasons):
        if code == "ConditionalCheckFailed" and index < markers:
            return AlreadyCounted(write.event_ids[index])
        if code == "ConditionalCheckFailed" and index < markers + states:
            return StaleAggregate(write.states[index - markers][0].key)
    if any(code in THROTTLE_REASONS for code in reasons):
        return Throttled("DynamoDB throttled a KPI rollup")
    if any(code in REFUSED_REASONS for code in reasons):
        return StorageRefused(f"DynamoDB refused a KPI rollup write: {reasons}")
    return ConcurrentChange("a concurrent KPI rollup touched the same items")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(value, 6))


class DynamoKpiStore:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self._client = client
        self.items_read = 0

    def state(self, key: str) -> SubjectState | None:
        answer = self._client.get_item(
            TableName=self.table, Key={"pk": {"S": f"state#{key}"}, "sk": {"S": "state"}}, ConsistentRead=True
        )
        item = answer.get("Item")
        if not item:
            return None
        return SubjectState(
            key,
            json.loads(item["facts"]["S"]),
            decode_counts(json.loads(item["contributed"]["S"])),
            int(item["version"]["N"]),
            tuple(item["counted"]["S"].split()) if "counted" in item else (),
        )

    def apply(self, write: RollupWrite) -> None:
        if write.item_count() > MAX_TRANSACTION_ITEMS:
            raise ValueError(
                f"one event touches {write.item_count()} KPI items; DynamoDB takes {MAX_TRANSACTION_ITEMS}"
            )
        expires = int(time.time()) + MARKER_DAYS * 86400
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {"pk": {"S": f"seen#{event_id}"}, "sk": {"S": "seen"}, "expires_at": {"N": str(expires)}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for event_id in write.event_ids
        ]
        items += [{"Put": self._state_put(state, expected)} for state, expected in write.states]
        for (scope, period), attrs in sorted(write.updates.items()):
            names = {f"#a{i}": attr for i, attr in enumerate(sorted(attrs))}
            values = {f":v{i}": {"N": _number(attrs[attr])} for i, attr in enumerate(sorted(attrs))}
            update = "ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(names)))
            items.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {"pk": {"S": scope}, "sk": {"S": period}},
                        "UpdateExpression": update,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as exc:
            raise _cancelled(write, [r.get("Code") for r in exc.response.get("CancellationReasons", [])]) from None
        except ClientError as exc:
            if is_throttling(exc):
                raise Throttled("DynamoDB throttled a KPI rollup") from None
            raise

    def _state_put(self, state: SubjectState, expected: int) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "pk": {"S": f"state#{state.key}"},
                "sk": {"S": "state"},
                "facts": {"S": json.dumps(state.facts, separators=(",", ":"), sort_keys=True)},
                "contributed": {"S": json.dumps(encode_counts(state.contributed), separators=(",", ":"))},
                "version": {"N": str(state.version)},
            },
        }
        if state.counted:
            put["Item"]["counted"] = {"S": " ".join(state.counted)}
        if expected == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :read"
            put["ExpressionAttributeValues"] = {":read": {"N": str(expected)}}
        return put

    def items(self, scope: str, first: str, last: str) -> dict[str, dict[str, float]]:
        found: dict[str, dict[str, float]] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {":pk": {"S": scope}, ":first": {"S": first}, ":last": {"S": last}},
        }
        while True:
            page = self._client.query(**kwargs)
            for item in page.get("Items", []):
                self.items_read += 1
                found[item["sk"]["S"]] = {
                    k: float(Decimal(v["N"])) for k, v in item.items() if k not in ("pk", "sk") and "N" in v
                }
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
