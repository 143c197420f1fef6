"""Real DynamoDB answers a write to an item held by an in-flight transaction with
TransactionConflictException (moto never does): the store turns it into a retryable race."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from shared.adapters.dynamo.leads import DynamoLeadRepository
from shared.kernel.services.ports import StaleLead


@pytest.fixture
def store(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return DynamoLeadRepository()


def test_a_turn_taken_during_a_transaction_on_the_team_is_a_retryable_race(store):
    with Stubber(store.client) as stub:
        stub.add_client_error("update_item", service_error_code="TransactionConflictException", http_status_code=400)
        with pytest.raises(StaleLead):
            store.next_turn("SMB East", "SMB East|*", ["u_wang"])


def test_other_errors_are_not_hidden(store):
    from botocore.exceptions import ClientError

    with Stubber(store.client) as stub:
        stub.add_client_error("update_item", service_error_code="ResourceNotFoundException", http_status_code=400)
        with pytest.raises(ClientError):
            store.next_turn("SMB East", "SMB East|*", ["u_wang"])
