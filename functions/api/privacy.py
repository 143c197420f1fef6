"""The privacy routes (CONTRACT §12): ``POST /privacy/erase`` and ``GET /privacy/export``, as
functions/api/routes.py declares them (scope ``privacy``, shared/kernel/domain/access.py). They take the
container for the personal-records look-ups (events by subject, cases by contact)."""

from __future__ import annotations

from typing import Any


def erase(payload: Any, container: Any) -> dict[str, Any]:
    """Erase the person ``{"email"}`` or ``{"phone"}`` names: ``{"erased": {...}}``."""
    from shared.composition.services.privacy import erase_person

    c = container
    return erase_person(payload, c.rules.current(), c.uow, c.personal_records, c.clock).body()


def export(params: dict[str, str], container: Any) -> dict[str, Any]:
    """Everything held about the person ``?email=`` or ``?phone=`` names, as one JSON document."""
    from shared.composition.services.privacy import export_person

    c = container
    return export_person(params, c.rules.current(), c.uow, c.personal_records, c.clock)
