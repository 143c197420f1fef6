"""`closeloop pump` (and every `schedule run`) waits until every recorded event is published: a
count DynamoDB sheds under load is "not idle yet", never the end of the wait."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import QueryError

from infra.cli import _pending_events


def _refused(code: str) -> QueryError:
    cause = ClientError({"Error": {"Code": code, "Message": "no"}}, "Query")
    error = QueryError("Failed to query items", cause=cause)
    error.__cause__ = cause
    return error


def _raising(error: Exception) -> int:
    raise error


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_a_shed_count_is_not_idle_yet(code: str) -> None:
    assert _pending_events(lambda: _raising(_refused(code))) is None


def test_a_count_is_the_count_and_a_real_error_ends_the_wait() -> None:
    assert _pending_events(lambda: 0) == 0 and _pending_events(lambda: 3) == 3
    with pytest.raises(QueryError):
        _pending_events(lambda: _raising(_refused("ResourceNotFoundException")))
