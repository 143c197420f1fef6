"""Net promoter answers (CONTRACT §15): parsing, the respondent's answer per quarter, the KPI fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.customers.domain.nps import account_nps, answer_of, email_of, quarter_of, record_answer
from shared.kernel.domain.events import iso
from shared.kpis.domain.kpi_definitions import nps
from shared.kpis.domain.kpi_events import read_event
from shared.kpis.domain.kpi_rollups import Fact, contribution, fold

NOW = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
ACCOUNT = "ac_" + "1" * 20


def answer(email: str | None, score: int, at: datetime) -> dict[str, Any]:
    return answer_of(ACCOUNT, score, iso(at), None, email_of(email) if email else None)


def test_a_respondent_is_a_hash_and_their_quarter_is_utc() -> None:
    parsed = answer("CFO@Acme.cn", 9, NOW)
    assert parsed["respondent"].startswith("r-") and "acme" not in parsed["respondent"]
    assert parsed["respondent"] == answer("cfo@acme.cn", 3, NOW)["respondent"]
    assert (parsed["quarter"], quarter_of("2027-01-01T00:00:00Z")) == ("2026-Q4", "2027-Q1")


def test_the_same_anonymous_answer_twice_is_one_answer() -> None:
    assert answer(None, 7, NOW)["respondent"] == answer(None, 7, NOW)["respondent"]
    assert answer(None, 7, NOW)["respondent"] != answer(None, 8, NOW)["respondent"]


def test_a_new_quarter_is_a_new_answer_and_the_account_counts_90_days() -> None:
    answers: list[dict[str, Any]] = []
    assert record_answer(answers, answer("a@x.cn", 2, NOW - timedelta(days=100)), "s") == (True, False)
    assert record_answer(answers, answer("a@x.cn", 10, NOW - timedelta(days=1)), "s") == (True, False)
    assert record_answer(answers, answer("b@x.cn", 8, NOW - timedelta(days=2)), "s") == (True, False)
    assert len(answers) == 3
    assert {k: account_nps(answers, NOW)[k] for k in ("value", "denominator", "promoters", "passives")} == {
        "value": 0.5, "denominator": 2, "promoters": 1, "passives": 1
    }  # fmt: skip


def test_the_kpi_counts_promoters_detractors_and_answers() -> None:
    assert nps(3, 1, 5) == {"value": 0.4, "numerator": 2, "denominator": 5, "promoters": 3, "passives": 1,
                            "detractors": 1}  # fmt: skip
    assert nps(0, 0, 0)["value"] is None


@given(st.permutations([(0, 3), (1, 10), (2, 6), (3, 9)]))
def test_the_kpi_keeps_the_respondents_latest_answer_whatever_order_they_arrive_in(order: list[Any]) -> None:
    facts: dict[str, Any] = {}
    for minutes, score in order:
        envelope = {
            "id": f"evt_{minutes}",
            "type": "NpsAnswerRecorded",
            "time": iso(NOW),
            "subject": f"account/{ACCOUNT}",
            "data": {"account_id": ACCOUNT, "respondent": "r-1", "quarter": "2026-Q4", "score": score,
                     "at": iso(NOW - timedelta(hours=5) + timedelta(minutes=minutes))},
        }  # fmt: skip
        reading = read_event(envelope, lambda owner: None)
        assert isinstance(reading, Fact)
        facts = fold(facts, reading)
    counts = {cell[3]: n for cell, n in contribution(facts, "Asia/Shanghai").items()}
    assert counts == {"nps_n": 1, "nps_pro": 1, "nps_det": 0}  # the 9 given last
