"""Real DynamoDB cancels a transaction for reasons moto never gives: throttling (load, backed off
and answered 503 busy when the wait would outlast the request), a refused item (a bug, never
retried), a transaction conflict (a race) — told apart from a condition that failed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.kernel.domain.errors import Busy, Conflict
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, ConcurrentChange, Save, StaleAggregate, StorageRefused, Throttled
from shared.kernel.services.retry import ConflictRetry
from shared.time.domain.timers import Timer
from tests.unit.services.helpers import note_on

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def uow(monkeypatch: pytest.MonkeyPatch) -> DynamoUnitOfWork:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return DynamoUnitOfWork()


def change() -> Change:
    """Two items: a timer saved, and its event."""
    timer = Timer("remind", "lead/ld_1", T0)
    return Change(saves=[Save(timer, None)], events=[Event("ConsentWithdrawn", "lead/ld_1", T0, {"at": iso(T0)})])


def cancelled(stub: Stubber, *reasons: str) -> None:
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message="Transaction cancelled",
        http_status_code=400,
        response_meta=None,
        modeled_fields={"CancellationReasons": [{"Code": r} for r in reasons]},
    )


@pytest.mark.parametrize(
    ("reasons", "raised"),
    [
        (("ThrottlingError", "None"), Throttled),
        (("None", "ProvisionedThroughputExceeded"), Throttled),
        (("ValidationError", "None"), StorageRefused),
        (("TransactionConflict", "None"), ConcurrentChange),
        (("ConditionalCheckFailed", "None"), StaleAggregate),
    ],
)
def test_each_cancellation_reason_means_what_dynamodb_means(
    uow: DynamoUnitOfWork, reasons: tuple[str, ...], raised: type[Exception]
) -> None:
    with Stubber(uow._connection.client) as stub:
        cancelled(stub, *reasons)
        with pytest.raises(raised):
            uow.commit(change())


def test_a_throttled_call_is_throttling_and_a_refused_call_a_bug(uow: DynamoUnitOfWork) -> None:
    with Stubber(uow._connection.client) as stub:
        stub.add_client_error("transact_write_items", service_error_code="ThrottlingException", http_status_code=400)
        stub.add_client_error("transact_write_items", service_error_code="ValidationException", http_status_code=400)
        with pytest.raises(Throttled):
            uow.commit(change())
        with pytest.raises(StorageRefused):
            uow.commit(change())


def test_a_change_over_four_megabytes_is_refused_before_it_is_sent(uow: DynamoUnitOfWork) -> None:
    big = [note_on("lead/ld_1", T0, "字" * 150_000) for _ in range(10)]
    with Stubber(uow._connection.client), pytest.raises(StorageRefused, match="4194304"):
        uow.commit(Change(events=big))  # the stub has no answer queued: nothing was sent


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_throttling_backs_off_exponentially_then_answers_busy_within_the_budget() -> None:
    sleeps = Sleeps()
    retry = ConflictRetry(sleep=sleeps, jitter=lambda low, high: high)  # the longest wait each time

    def always_throttled() -> None:
        raise Throttled("slow down")

    with pytest.raises(Busy) as busy:
        retry.run(always_throttled, give_up=lambda: Conflict("lost"))
    assert busy.value.retry_after > 0
    assert sleeps.slept[:4] == [0.05, 0.1, 0.2, 0.4] and max(sleeps.slept) == 1.0
    assert sum(sleeps.slept) <= retry.throttle_budget_seconds


def test_throttling_that_passes_is_absorbed_and_a_refusal_is_not_retried() -> None:
    sleeps, calls = Sleeps(), []
    retry = ConflictRetry(sleep=sleeps)

    def throttled_twice() -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise Throttled("slow down")
        return "done"

    assert retry.run(throttled_twice, give_up=lambda: Conflict("lost")) == "done" and len(sleeps.slept) == 2

    def refused() -> None:
        calls.append(1)
        raise StorageRefused("item too large")

    calls.clear()
    with pytest.raises(StorageRefused):
        retry.run(refused, give_up=lambda: Conflict("lost"))
    assert len(calls) == 1


class Unprocessing:
    """A client that leaves keys unprocessed ``times`` times (DynamoDB throttled), then answers."""

    def __init__(self, times: int) -> None:
        self.times, self.calls = times, 0

    def batch_get_item(self, RequestItems: dict) -> dict:
        self.calls += 1
        if self.calls <= self.times:
            return {"Responses": {"t": [{"k": {"S": str(self.calls)}}]}, "UnprocessedKeys": RequestItems}
        return {"Responses": {"t": [{"k": {"S": "last"}}]}}


def test_unprocessed_keys_are_asked_again_after_a_growing_back_off() -> None:
    from shared.adapters.dynamo.faults import batch_get

    sleeps = Sleeps()
    found = batch_get(Unprocessing(3), {"t": {"Keys": []}}, sleep=sleeps, jitter=lambda low, high: high)
    assert [i["k"]["S"] for i in found["t"]] == ["1", "2", "3", "last"]
    assert sleeps.slept == [0.05, 0.1, 0.2]
    with pytest.raises(Throttled):
        batch_get(Unprocessing(100), {"t": {"Keys": []}}, sleep=sleeps)
