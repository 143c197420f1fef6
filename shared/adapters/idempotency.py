"""Idempotent webhooks with Powertools Idempotency over the idempotency table.

A request with an ``Idempotency-Key`` is remembered for 24 hours; without one, the raw body
(hashed) is the key for 10 minutes. A repeat gets the first response back, status and body.
A key is bound to its body: the same key with another body is refused (``IdempotencyKeyReused``)
instead of silently answering for a request that was never processed — Powertools' payload
validation compares the stored digest of the body.

The record's own writes ride out throttling with more attempts than botocore's default three
(standard mode). Once the work has run, its answer is the answer: if recording it fails anyway,
the sender still hears it (answering 503 would make it send again and hear "in progress", then a
different answer); the record stays "in progress" until the function's timeout, and a repeat after
that runs the work again, which the domain's own keys (email, event ids) make harmless.

A signed request's signature is claimed too (``claim_signature``: one conditional put of a small
item pointing at the key its answer is stored under, or holding its refusal), so a captured request
replayed under another Idempotency-Key is answered from the first (CONTRACT §12).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from shared.kernel.domain.errors import Conflict, IdempotencyKeyReused

TABLE = "idempotency"  # its name in template.yaml (Settings.table); action links keep their uses there too
IN_PROGRESS_WAITS, IN_PROGRESS_PAUSE = 30, 0.1  # up to ~3 s
WITH_KEY_SECONDS = 24 * 3600
BODY_ONLY_SECONDS = 10 * 60
# A signature is accepted 300 s either side of its t: first seen at t − 300 at the earliest, it must
# be remembered past t + 300 — 10 minutes and a margin for clocks.
SIGNATURE_SECONDS = 11 * 60
WINDOWS = (WITH_KEY_SECONDS, BODY_ONLY_SECONDS)
RECORD_ATTEMPTS = 8  # per write of the record; botocore's standard mode would give up after 3


@dataclass(frozen=True)
class SeenSignature:
    """What the first request with a signature left: the key its answer is stored under, or the
    refusal it was answered (a refused request leaves no answer record)."""

    answer_key: str
    explicit: bool
    refusal: dict[str, Any] | None = None


class Idempotency:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @cached_property
    def _client(self) -> Any:
        import boto3
        from botocore.config import Config

        from shared.adapters.aws_sessions import session

        config = Config(retries={"mode": "standard", "total_max_attempts": RECORD_ATTEMPTS})
        return boto3.Session(botocore_session=session()).client("dynamodb", config=config)

    def claim_signature(self, scope: str, signature: str, answer_key: str, explicit: bool) -> SeenSignature | None:
        """One conditional put: None when this signature is new (now claimed, pointing at the key
        its answer will be stored under); else what its first request left. Kept SIGNATURE_SECONDS."""
        now = int(time.time())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": _signature_id(scope, signature)},
                    "expiration": {"N": str(now + SIGNATURE_SECONDS)},
                    "answer_key": {"S": answer_key},
                    "explicit": {"BOOL": explicit},
                },
                ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except self._client.exceptions.ConditionalCheckFailedException as failed:
            item = failed.response.get("Item", {})
            refusal = item.get("refusal", {}).get("S")
            return SeenSignature(
                item.get("answer_key", {}).get("S", answer_key),
                bool(item.get("explicit", {}).get("BOOL", explicit)),
                json.loads(refusal) if refusal else None,
            )

    def remember_refusal(self, scope: str, signature: str, answer: dict[str, Any]) -> None:
        """The signature's first answer was a refusal: a replay gets it, whatever has changed since."""
        self._client.update_item(
            TableName=self._table,
            Key={"id": {"S": _signature_id(scope, signature)}},
            UpdateExpression="SET refusal = :answer",
            ExpressionAttributeValues={":answer": {"S": json.dumps(answer, ensure_ascii=False)}},
        )

    def forget_signature(self, scope: str, signature: str) -> None:
        """The request could not be answered (busy, a bug): the sender's own retry of it may run."""
        self._client.delete_item(TableName=self._table, Key={"id": {"S": _signature_id(scope, signature)}})

    @cached_property
    def _persistence(self) -> Any:
        import boto3
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
        from botocore.config import Config

        from shared.adapters.aws_sessions import session

        # a session on the shared service models: no second parse of DynamoDB's (aws_sessions.py)
        return DynamoDBPersistenceLayer(
            table_name=self._table,
            boto_config=Config(retries={"mode": "standard", "total_max_attempts": RECORD_ATTEMPTS}),
            boto3_session=boto3.Session(botocore_session=session()),
        )

    @cached_property
    def _configs(self) -> dict[int, Any]:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        return {
            seconds: IdempotencyConfig(
                event_key_jmespath="[scope, key]",
                payload_validation_jmespath="digest",
                expires_after_seconds=seconds,
                raise_on_no_idempotency_key=True,
            )
            for seconds in WINDOWS
        }

    @cached_property
    def _runners(self) -> dict[int, Callable[..., Any]]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        def run(request: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return work()

        return {
            seconds: idempotent_function(
                data_keyword_argument="request",
                persistence_store=self._persistence,
                config=self._configs[seconds],
            )(run)
            for seconds in WINDOWS
        }

    def once(
        self,
        scope: str,
        key: str,
        *,
        explicit: bool,
        work: Callable[[], dict[str, Any]],
        digest: str = "",
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        """Run ``work`` once per (scope, key); a repeat with the same ``digest`` (of the body)
        returns the stored result, one with another digest is refused. Remembered 24 h for the
        sender's explicit key, 10 min for a body."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        seconds = WITH_KEY_SECONDS if explicit else BODY_ONLY_SECONDS
        if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
            self._configs[seconds].register_lambda_context(lambda_context)  # in-progress expiry
        runner = self._runners[seconds]
        answered: list[dict[str, Any]] = []

        def work_once() -> dict[str, Any]:
            answered.append(work())
            return answered[-1]

        # A double-submitted form: wait briefly for the first to finish and answer what it answered.
        for _ in range(IN_PROGRESS_WAITS):
            try:
                result: dict[str, Any] = runner(request={"scope": scope, "key": key, "digest": digest}, work=work_once)
                return result
            except IdempotencyPersistenceLayerError:
                if not answered:
                    raise  # nothing was done: the caller hears why (busy, mostly)
                from shared.adapters.observability import logger

                logger().warning("a request was done but its idempotency record not saved", extra={"scope": scope})
                return answered[-1]
            except IdempotencyAlreadyInProgressError:
                time.sleep(IN_PROGRESS_PAUSE)
            except IdempotencyValidationError:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used with a different body; use a new key for a new request"
                ) from None
        raise Conflict("an identical request is still being processed; retry in a moment")


def _signature_id(scope: str, signature: str) -> str:
    return f"{scope}#signature#{signature}"
