"""Every event type's ``data`` model, by type (``EVENT_MODELS``), and what follows from them: the
data keys the KPI rollups read (``KPI_KEYS``, which template.yaml's ``KpiEventsRule`` lists) and
the check of one event against its model (``check``, which the tests run on every committed event).

The models live by capability (``shared/leads/messages/events_leads.py``, ...; an aggregate's may
live in its own messages module): every public ``EventData`` of every messages module is one, named
as its type. The domain's ``EventType`` (shared/kernel/domain/event_names.py) is generated from
them by ``python -m tools.docs``, in their order here; the domain imports nothing from here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import cast

import shared
from shared.kernel.domain.events import Event, EventType, subject_parts
from shared.kernel.messages.event_types import EventData


def _messages() -> list[ModuleType]:
    """Every messages module (``shared.<capability>.messages.*``)."""
    names = [m.name for m in pkgutil.walk_packages(shared.__path__, "shared.") if ".messages." in m.name]
    return [importlib.import_module(name) for name in names if name != __name__]


# the capabilities in the order docs/events.md tells their events: a lead's way to cash, then the
# rules; a capability not named here follows, alphabetically
TELLING_ORDER = ("leads", "time", "service_desk", "sales", "fulfilment", "customers", "rules")


def _capability(module: ModuleType) -> tuple[int, str, str]:
    capability = module.__name__.split(".")[1]
    rank = TELLING_ORDER.index(capability) if capability in TELLING_ORDER else len(TELLING_ORDER)
    return rank, capability, module.__name__


def _models() -> dict[str, type[EventData]]:
    """Every event model by its type, in telling order: by capability, then module, then as defined
    (a leading ``_`` marks a shared base, not a type)."""
    return {
        name: model
        for module in sorted(_messages(), key=_capability)
        for name, model in vars(module).items()
        if isinstance(model, type)
        and issubclass(model, EventData)
        and model is not EventData
        and model.__module__ == module.__name__
        and not name.startswith("_")
    }


# typed by the generated names: tests/unit/messages/test_event_models.py checks they are these
EVENT_MODELS = cast(Mapping[EventType, type[EventData]], MappingProxyType(_models()))


def kpi_keys() -> dict[EventType, tuple[tuple[str, bool], ...]]:
    """Event type -> the data keys the KPIs read (key, whether they need it), for every type they read."""
    return {kind: keys for kind, model in EVENT_MODELS.items() if (keys := model.kpi_keys()) or model.counted_by_kpis}


KPI_KEYS = kpi_keys()


def meaning(model: type[EventData]) -> str:
    """The model's docstring as one line: what the event means."""
    return " ".join((model.__doc__ or "").split())


def subject_kinds(model: type[EventData]) -> tuple[str, ...]:
    """The subject kinds a model names (``lead/<lead_id> or case/<case_id>``: lead, case); none when
    its subject is open-ended (``…``) or told in words."""
    return () if "…" in model.subject else tuple(re.findall(r"([a-z_]+)/<", model.subject))


def check(event: Event) -> None:
    """ValueError (a pydantic ValidationError for the data) unless the event is what its type's
    model describes: its data exactly, and its subject of a kind the model names."""
    model = EVENT_MODELS[event.type]
    if model.reserved:
        raise ValueError(f"{event.type} is reserved: describe its data on {model.__name__} before emitting it")
    kinds = subject_kinds(model)
    if kinds and subject_parts(event.subject)[0] not in kinds:
        raise ValueError(f"{event.type}: subject {event.subject!r} is not {model.subject}")
    model.model_validate(event.data, strict=True)
