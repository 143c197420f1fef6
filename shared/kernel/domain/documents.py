"""Aggregates stored as one JSON document each (lead, case, quote, order, …)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, Self


class Document:
    """A dataclass kept whole in one item: ``to_dict`` for the store, ``from_dict`` reading it back
    and ignoring keys the class no longer (or does not yet) have, so old and new items both load."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        known = getattr(cls, "__dataclass_fields__", {})
        return cls(**{k: v for k, v in data.items() if k in known})
