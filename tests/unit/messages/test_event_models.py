"""The event models (shared/*/messages): one per event type, closed, and what the KPIs read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.composition.messages.events import EVENT_MODELS, KPI_KEYS, check
from shared.kernel.domain.events import EVENT_TYPES, Event
from shared.kpis.domain import kpi_events

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ASSIGNED = {"owner_id": "u_wu", "team": "Enterprise", "routing_rule": "routing:3"}


def test_every_event_type_has_exactly_one_model_in_the_order_of_event_type() -> None:
    assert list(EVENT_MODELS) == list(EVENT_TYPES)
    assert all(model.__name__ == kind and model.__doc__ for kind, model in EVENT_MODELS.items())
    assert all(model.subject for model in EVENT_MODELS.values() if not model.reserved)


def test_the_kpi_rollups_read_exactly_the_types_whose_models_mark_what_they_read() -> None:
    assert set(kpi_events.READERS) == set(KPI_KEYS)


def test_a_payload_as_emitted_passes() -> None:
    check(Event("LeadAssigned", "lead/ld_1", NOW, ASSIGNED))


@pytest.mark.parametrize(
    "data",
    [
        {**ASSIGNED, "region": "east"},  # a key the model does not name
        {"owner_id": "u_wu", "team": "Enterprise"},  # a key missing
        {**ASSIGNED, "team": 7},  # a number where text is emitted
    ],
    ids=["extra key", "missing key", "wrong type"],
)
def test_a_payload_the_model_does_not_describe_fails(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        check(Event("LeadAssigned", "lead/ld_1", NOW, data))


def test_money_is_decimal_text_and_times_are_iso() -> None:
    won = {
        "by": "u_wang",
        "at": "2026-12-20T08:00:00.000Z",
        "won_at": "2026-12-20T08:00:00.000Z",
        "created_at": "2026-11-20T08:00:00.000Z",
        "contract_id": None,
        "owner_id": "u_wang",
        "team": "Enterprise",
        "amount": "800000.00",
    }
    check(Event("OpportunityWon", "opportunity/op_1", NOW, won))
    for bad in ({"amount": 800000.0}, {"amount": "800k"}, {"won_at": "yesterday"}):
        with pytest.raises(ValidationError):
            check(Event("OpportunityWon", "opportunity/op_1", NOW, won | bad))


def test_an_event_about_a_kind_of_subject_its_model_does_not_name_fails() -> None:
    with pytest.raises(ValueError, match="not lead/<lead_id>"):
        check(Event("LeadAssigned", "case/cs_1", NOW, ASSIGNED))
