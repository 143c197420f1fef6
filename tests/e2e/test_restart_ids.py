"""A local stack restarted forgets its data but not the world it posted to: the same lead posted to
the next stack gets another id (and so its order, invoice and events), so a finance receiver or an
ERP still running from before never drops it as a repeat (issue 16). Within one stack, the same
lead is still the same lead."""

from __future__ import annotations

import pytest

from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import http

pytestmark = pytest.mark.e2e
LEAD = {"email": "restart.twice@example.cn", "company": "重启测试", "province": "上海"}


def lead_ids_of_one_stack() -> tuple[str, str]:
    with running_dev() as stack:
        first = http("POST", f"{stack['api']}/webhooks/leads/website", LEAD)
        again = http("POST", f"{stack['api']}/webhooks/leads/website", {**LEAD, "name": "再次"})
    assert (first[0], again[0]) == (201, 200), (first, again)
    return first[1]["lead_id"], again[1]["lead_id"]


def test_the_same_lead_is_one_lead_in_a_stack_and_a_new_one_in_the_next() -> None:
    first, repeat = lead_ids_of_one_stack()
    assert first == repeat
    after_restart, _ = lead_ids_of_one_stack()
    assert after_restart != first
