"""Privacy (issue 17): what erasing one person costs DynamoDB — over the embedded moto server,
counted at the botocore layer as the other request benches count (bench/service.py
``counting_dynamodb``).

- ``ddb_requests_per_erasure``: the requests of one ``POST /privacy/erase`` (the service as the
  route calls it) for a person with 1 lead, 2 cases and 50 recorded events (the lead's captures
  and merges, the cases' openings). A trend figure: one Query per index look-up, one BatchGetItem
  per 100 events, one UpdateItem per event that held something personal, one transaction per case
  and one for the lead with its claims and PersonErased.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.segments import T0, _embedded
from shared.kernel.messages.validation import read
from shared.service_desk.messages.cases import CaseOpening

EVENTS = 50


def privacy_metrics(progress: Callable[[str], None]) -> dict[str, Any]:
    from bench.service import counting_dynamodb
    from shared.adapters.dynamo.models import EventItem
    from shared.composition.services.privacy import erase_person
    from shared.leads.services.capture import capture_lead
    from shared.service_desk.services.cases import open_case

    with _embedded() as container:
        active = container.rules.current()
        progress(f"privacy: one erasure of a person with 1 lead, 2 cases and {EVENTS} events")
        person = {"email": "bench.person@example.cn", "phone": "13912349999", "name": "基准", "company": "基准公司"}
        website, center = active.rules.source_named("website"), active.rules.source_named("contact-center")
        at = [T0]

        def clock() -> Any:
            at[0] += timedelta(seconds=1)
            return at[0]

        capture_lead(person, website, active, container.uow, clock)
        for n in range(2):
            case = {"external_id": f"bench-privacy-{n}", "priority": "P3", "account": {"company": "基准公司",
                    "country": "CN"}, "contact": {"name": "基准", "email": person["email"]}}  # fmt: skip
            open_case(read(CaseOpening, case, now=(clock)(), active=active), center, active, container.uow, clock)

        def recorded() -> int:  # the bench's own count (a Scan), not the erasure's
            return sum(1 for _ in EventItem.scan())

        n = 0
        while recorded() < EVENTS:
            capture_lead({**person, "message": f"第 {n} 条留言"}, website, active, container.uow, clock)
            n += 1
        held = recorded()
        with counting_dynamodb() as calls:
            result = erase_person({"email": person["email"]}, active, container.uow, container.personal_records, clock)
    return {
        "ddb_requests_per_erasure": {
            "value": sum(calls.values()),
            "unit": "requests/erasure",
            "note": f"trend: DynamoDB requests of one erasure ({dict(sorted(calls.items()))}) of a person with "
            f"{result.leads} lead, {result.cases} cases and {held} recorded events ({result.events} held "
            f"something personal and were rewritten); embedded DynamoDB, counted at botocore",
        }
    }
