"""An AWS server fault that outlasts botocore's retries (DynamoDB's InternalServerError: "the
request may or may not have succeeded") is AWS failing, not a bug of ours: the API answers
`503 busy` with Retry-After, never `500 internal_error`; a ValidationException stays a bug."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import GetError

from functions.api.app import api
from shared.adapters.dynamo.faults import is_throttling, is_transient


def aws_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetItem"
    )


@pytest.mark.parametrize("code", ["InternalServerError", "ServiceUnavailable"])
def test_a_server_fault_is_transient_but_not_throttling(code: str) -> None:
    error = aws_error(code, 500)
    assert is_transient(error) and not is_throttling(error)  # never retried as load: it may have applied
    wrapped = GetError("Failed to get item", aws_error(code, 500))
    assert is_transient(wrapped)


def test_the_api_answers_busy_for_a_server_fault_and_internal_error_for_a_bug() -> None:
    def read_failed() -> None:
        raise GetError("Failed to get item", aws_error("InternalServerError", 500))

    def refused() -> None:
        raise GetError("Failed to get item", aws_error("ValidationException", 400))

    busy = api(read_failed)()
    assert busy.status_code == 503 and json.loads(busy.body)["error"]["code"] == "busy"
    assert int(busy.headers["Retry-After"]) >= 1
    assert api(refused)().status_code == 500
