"""A link works once (CONTRACT §12), on the real conditional put: for any link, the first claim
wins and every replay — of the same action or its alternative, any number of times — loses; a
claim given back (the action was refused) can be won again, once."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.kernel.domain.links import LINK_ACTIONS, LinkClaims

link_ids = st.text(alphabet="0123456789abcdef", min_size=8, max_size=24)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(link_id=link_ids, actions=st.lists(st.sampled_from(LINK_ACTIONS), min_size=2, max_size=6))
def test_a_link_is_claimed_once_whatever_is_replayed(clean_aws: Any, link_id: str, actions: list[str]) -> None:
    keys = clean_aws.links
    claims = [LinkClaims("u_liu", a, "approval/ap_x_1", 2_000_000_000, f"h-{link_id}") for a in actions]  # type: ignore[arg-type]
    first, *replays = claims
    already = keys.used(first)
    won = keys.claim(first)
    assert won != already  # a link id hypothesis drew before is already used
    assert keys.used(first)
    assert not any(keys.claim(replay) for replay in replays)
    keys.release(first)
    assert not keys.used(first) and keys.claim(replays[0]) and not keys.claim(first)
