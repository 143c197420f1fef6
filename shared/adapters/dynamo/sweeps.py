"""Where a sweep that ran out of time stopped: one item per sweep in the routing-state table
(``sweep#<name>``), so the next run carries on instead of starting over."""

from __future__ import annotations

from typing import Any

from shared.kernel.domain.events import iso, parse_iso
from shared.kernel.services.ports import SweepCursor


class DynamoSweepProgress:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self._client = client

    def get(self, name: str) -> SweepCursor | None:
        item = self._client.get_item(TableName=self.table, Key={"pk": {"S": f"sweep#{name}"}}, ConsistentRead=True)
        found = item.get("Item")
        if not found:
            return None
        after = found.get("after", {}).get("S")
        return SweepCursor(parse_iso(found["at"]["S"]), after)

    def save(self, name: str, cursor: SweepCursor) -> None:
        item: dict[str, Any] = {"pk": {"S": f"sweep#{name}"}, "at": {"S": iso(cursor.at)}}
        if cursor.after is not None:
            item["after"] = {"S": cursor.after}
        self._client.put_item(TableName=self.table, Item=item)
