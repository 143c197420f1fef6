"""leads.wakes / leads.decide: the wake rule the live behaviour path and the backtest share."""

from __future__ import annotations

import pytest

from shared.leads.domain.leads import Lead, click_rate, decide, wakes
from shared.leads.domain.routing import index_of
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Settings

SETTINGS = Settings(nurture_below=60, wake_click_rate=0.08, wake_events=("whitepaper_download", "demo_request"))


@pytest.mark.parametrize(
    ("behavior", "rate"),
    [({}, 0.0), ({"email_sent": 4, "email_click": 2}, 0.0), ({"email_sent": 5, "email_click": 1}, 0.2)],
)
def test_click_rate_needs_five_sent(behavior: dict[str, int], rate: float) -> None:
    assert click_rate(behavior) == rate


@pytest.mark.parametrize(
    ("behavior", "score", "event", "woken"),
    [
        ({}, 60, None, True),  # the score crossed nurture_below
        ({}, 59, None, False),
        ({"email_sent": 25, "email_click": 2}, 0, None, False),  # 8% is not above 8%
        ({"email_sent": 25, "email_click": 3}, 0, None, True),
        ({"demo_request": 1}, 0, "demo_request", True),  # live: the event that just happened
        ({"demo_request": 1, "page_view": 1}, 0, "page_view", False),  # live: only this event counts
        ({"demo_request": 1, "page_view": 1}, 0, None, True),  # re-judged: any wake event it ever did
        ({"webinar_attended": 3}, 0, None, False),
    ],
)
def test_wake_rule(behavior: dict[str, int], score: int, event: str | None, woken: bool) -> None:
    assert wakes(behavior, score, SETTINGS, event) is woken


def lead(**state: object) -> Lead:
    base = Lead("ld_" + "1" * 20, "2026-11-22T08:00:00.000Z", fields={"country": "CN"})
    for name, value in state.items():
        setattr(base, name, value)
    return base


def test_a_nurture_lead_with_a_wake_event_is_at_least_mql(example_rules: ActiveRules) -> None:
    decision = decide(
        lead(behavior={"whitepaper_download": 1}, nurture=True), example_rules.rules, index_of(example_rules)
    )
    assert decision.woken and decision.assessment.grade == "mql" and decision.assessment.score.value == 15


def test_withdrawn_consent_and_unsubscribe_never_wake(example_rules: ActiveRules) -> None:
    rules, index = example_rules.rules, index_of(example_rules)
    assert not decide(lead(behavior={"demo_request": 1}, consent=False), rules, index).woken
    assert not decide(lead(behavior={"demo_request": 1}), rules, index, event="unsubscribe").woken


def test_an_assigned_lead_is_not_demoted(example_rules: ActiveRules) -> None:
    assigned = lead(grade="sql", owner_id="u_wang", team="SMB East")
    decision = decide(assigned, example_rules.rules, index_of(example_rules))
    assert decision.assessment.score.value == 5 and decision.assessment.grade == "sql" and not decision.woken


def test_a_lead_the_live_path_demoted_waits_for_its_next_behaviour(example_rules: ActiveRules) -> None:
    """Woken, queued (nobody could take it), then demoted by its next post: nurture, not enrolled."""
    demoted = lead(grade="nurture", nurture=False, queue="SMB East", behavior={"demo_request": 1})
    assert decide(demoted, example_rules.rules, index_of(example_rules)).assessment.grade == "nurture"
    woken = decide(demoted, example_rules.rules, index_of(example_rules), event="demo_request")
    assert woken.woken and woken.assessment.grade == "mql"
