"""Every event type's ``data`` model, by type (``EVENT_MODELS``), and what follows from them: the
data keys the KPI rollups read (``KPI_KEYS``, which template.yaml's ``KpiEventsRule`` lists) and
the check of one event against its model (``check``, which the tests run on every committed event).

The models live by capability (``events_leads.py``, ``events_sales.py``, ...); shared/domain/
events.py keeps the names (``EventType``) and the envelope, and imports nothing from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.domain.events import EVENT_TYPES, Event, EventType
from shared.messages import (
    events_customers,
    events_fulfilment,
    events_leads,
    events_rules,
    events_sales,
    events_service,
    events_time,
)
from shared.messages.event_types import EventData

_MODULES = (events_leads, events_time, events_service, events_sales, events_fulfilment, events_customers, events_rules)
_BY_NAME: dict[str, type[EventData]] = {
    name: model
    for module in _MODULES
    for name, model in vars(module).items()
    if isinstance(model, type) and issubclass(model, EventData) and model is not EventData
}
EVENT_MODELS: Mapping[EventType, type[EventData]] = MappingProxyType(
    {kind: _BY_NAME[kind] for kind in EVENT_TYPES if kind in _BY_NAME}
)


def kpi_keys() -> dict[EventType, tuple[tuple[str, bool], ...]]:
    """Event type -> the data keys the KPIs read (key, whether they need it), for every type they read."""
    return {kind: keys for kind, model in EVENT_MODELS.items() if (keys := model.kpi_keys()) or model.counted_by_kpis}


KPI_KEYS = kpi_keys()


def meaning(model: type[EventData]) -> str:
    """The model's docstring as one line: what the event means."""
    return " ".join((model.__doc__ or "").split())


def check(event: Event) -> None:
    """ValidationError unless the event's data is exactly what its type's model describes."""
    model = EVENT_MODELS[event.type]
    if model.reserved:
        raise ValueError(f"{event.type} is reserved: describe its data on {model.__name__} before emitting it")
    model.model_validate(event.data, strict=True)
