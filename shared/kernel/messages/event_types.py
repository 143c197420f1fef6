"""The base of every event payload model and the field types events share: an instant, a day,
money as decimal text, an owner id. Strict and closed: a key or a type the model does not name
is an error, so a model says exactly what its event carries."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo

from shared.kernel.domain.events import parse_date, parse_iso

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _instant(text: str) -> str:
    parse_iso(text)  # ValueError: not an ISO 8601 time in 1900..2200
    return text


def _day(text: str) -> str:
    parse_date(text)
    return text


def _decimal(text: str) -> str:
    if not _DECIMAL.fullmatch(text):
        raise ValueError("must be decimal text, e.g. 20199.99")
    return text


Instant = Annotated[str, AfterValidator(_instant)]  # ISO 8601, as written (`2026-11-20T09:30:00.000Z`)
Day = Annotated[str, AfterValidator(_day)]  # YYYY-MM-DD
DecimalText = Annotated[str, AfterValidator(_decimal)]  # a decimal as text, never a float: "0.25"
Money = DecimalText  # an amount: "20199.99"
OwnerId = Annotated[str, Field(min_length=1)]  # a person of the Owners tab (u_…)
Priority = Literal["P1", "P2", "P3", "P4"]

CLOSED = ConfigDict(extra="forbid", strict=True)  # nested objects too name every key they may hold

# What the KPI rollups read of an event (shared/kpis/domain/kpi_events.py's readers): a key they need
# (without it the ingredient is skipped and counted as such), or one they read when present.
KPI_NEEDS: JsonDict = {"kpi": "needs"}
KPI_READS: JsonDict = {"kpi": "reads"}


def described_as(other: FieldInfo, marker: JsonDict | None = None) -> Any:
    """A field in another's words, e.g. an inherited one marked as read by the KPIs for this event
    type only (a subclass's override keeps the field's place)."""
    return Field(description=other.description, json_schema_extra=marker)


class EventData(BaseModel):
    """The ``data`` of one event type. The docstring says when it happens (docs/events.md)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    subject: ClassVar[str]  # the envelope's subject, e.g. "lead/<lead_id>"
    reserved: ClassVar[bool] = False  # named in CONTRACT §4, not emitted yet: its data is not documented
    counted_by_kpis: ClassVar[bool] = False  # read by the KPIs though no data key is (LeadConverted)

    @classmethod
    def kpi_keys(cls) -> tuple[tuple[str, bool], ...]:
        """The data keys the KPIs read, each with whether they need it."""
        marked = []
        for name, field in cls.model_fields.items():
            extra: Any = field.json_schema_extra
            if isinstance(extra, dict) and "kpi" in extra:
                marked.append((field.alias or name, extra["kpi"] == "needs"))
        return tuple(marked)
