"""DynamoDB stream event-source mappings, played locally.

For every DynamoDB event in template.yaml, the poller reads the table's stream from the
embedded AWS and invokes the handler the template names, with the event Lambda would send:
same record shape, same batch size, ReportBatchItemFailures, bounded retries and the
OnFailure destination. Shards are read in order (a child after its parent).
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra import event_sources as triggers
from infra import template as cfn
from infra.local import aws
from infra.local.runtime import Invoker, LogOnce, Queues, function_arn, log

DISCOVERY_INTERVAL = 1.0  # how often shards are listed again (new shards, recreated tables)


@dataclass(frozen=True)
class StreamMapping:
    """One DynamoDB event of one function: what AWS turns into an event-source mapping."""

    function: cfn.FunctionSpec
    table_name: str
    batch_size: int
    starting_position: str
    max_retries: int  # -1: retry until the records expire (AWS default)
    report_item_failures: bool
    on_failure_queue: str | None

    @property
    def id(self) -> str:
        return f"{self.function.logical_id}<-{self.table_name}"


def stream_mappings(template: cfn.Template) -> list[StreamMapping]:
    cfn.stream_consumers(template)  # says which DynamoDB event is malformed, if one is
    table_names = {t.logical_id: t.name for t in cfn.tables(template)}
    queue_names = {q.logical_id: q.name for q in cfn.queues(template)}
    mappings = []
    for source in triggers.event_sources(template, "DynamoDB"):
        props = source.properties
        table_id = str(cfn.getatt_target(props.get("Stream"), "StreamArn"))
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        queue_id = cfn.getatt_target(destination, "Arn")
        mappings.append(
            StreamMapping(
                function=source.function,
                table_name=table_names[table_id],
                batch_size=int(props.get("BatchSize", 100)),
                starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                on_failure_queue=queue_names.get(queue_id) if queue_id else None,
            )
        )
    return mappings


# ------------------------------------------------------------------ record shape


def _jsonable(value: Any) -> Any:
    # boto3 decodes B/BS to bytes; Lambda delivers them base64-encoded, as on the wire.
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


_STREAM_RECORD_KEYS = ("Keys", "NewImage", "OldImage", "SequenceNumber", "SizeBytes", "StreamViewType")


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function."""
    stream = record.get("dynamodb", {})
    body: dict[str, Any] = {}
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        body["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is not None:
        body["ApproximateCreationDateTime"] = created
    body.update({k: _jsonable(stream[k]) for k in _STREAM_RECORD_KEYS if k in stream})
    shaped = {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", aws.REGION),
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # present on TTL deletions
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def first_failed_index(result: Any, batch: list[dict[str, Any]]) -> int | None:
    """Where re-delivery starts after a ReportBatchItemFailures response; None: all succeeded.

    As in AWS: a malformed response or an unknown identifier fails the whole batch.
    """
    if result is None or (isinstance(result, dict) and not result.get("batchItemFailures")):
        return None
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not isinstance(failures, list):
        return 0
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in positions:
            return 0
        indexes.append(positions[identifier])
    return min(indexes)


# ------------------------------------------------------------------ shard readers


@dataclass
class _ShardReader:
    mapping: StreamMapping
    stream_arn: str
    shard_id: str
    parent_shard_id: str | None
    iterator: str | None = None
    checkpoint: str | None = None  # sequence number of the last record done with
    pending: list[dict[str, Any]] = field(default_factory=list)  # fetched, not yet done
    attempts: int = 0  # failed deliveries of the current batch
    closed: bool = False  # the shard ended (no NextShardIterator)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.mapping.id, self.stream_arn, self.shard_id)

    @property
    def finished(self) -> bool:
        return self.closed and not self.pending


class StreamPoller:
    """Reads every consumed table stream and delivers its records, one pass per poll()."""

    def __init__(self, template: cfn.Template, clients: dict[str, Any], invoke: Invoker, queues: Queues) -> None:
        self.mappings = stream_mappings(template)
        self._dynamodb, self._streams = clients["dynamodb"], clients["dynamodbstreams"]
        self._invoke = invoke
        self._queues = queues
        self._readers: dict[tuple[str, str, str], _ShardReader] = {}
        self._finished: set[tuple[str, str, str]] = set()
        self._next_discovery = 0.0
        self._log_once = LogOnce()

    def poll(self, *, rediscover: bool = False) -> tuple[bool, bool]:
        """One pass over every shard: (records were fetched or pending, a checkpoint moved)."""
        if rediscover or time.monotonic() >= self._next_discovery:
            self._discover()
            self._next_discovery = time.monotonic() + DISCOVERY_INTERVAL
        worked = progressed = False
        for reader in list(self._readers.values()):
            if not self._parent_done(reader):
                continue
            if not reader.pending and not reader.closed:
                self._fetch(reader)
            if reader.pending:
                worked = True
                progressed |= self._deliver(reader)
            if reader.finished:
                self._finished.add(reader.key)
                del self._readers[reader.key]
        return worked or any(r.pending for r in self._readers.values()), progressed

    def _parent_done(self, reader: _ShardReader) -> bool:
        # Records of a child shard come after its parent's, as with Lambda.
        parent = (reader.mapping.id, reader.stream_arn, reader.parent_shard_id or "")
        return parent not in self._readers

    # -------------------------------------------------------------- shards

    def _discover(self) -> None:
        for mapping in self.mappings:
            try:
                stream_arn = self._stream_arn(mapping.table_name)
                shards = self._shards(stream_arn) if stream_arn else []
            except (ClientError, BotoCoreError) as error:
                self._log_once(f"cannot read the stream of {mapping.table_name}: {error}")
                continue
            self._forget_old_streams(mapping, stream_arn)
            for shard in shards:
                key = (mapping.id, stream_arn, shard["ShardId"])
                if key not in self._readers and key not in self._finished:
                    self._readers[key] = _ShardReader(mapping, stream_arn, shard["ShardId"], shard.get("ParentShardId"))

    def _stream_arn(self, table_name: str) -> str:
        table = self._dynamodb.describe_table(TableName=table_name)["Table"]
        return str(table.get("LatestStreamArn") or "")

    def _shards(self, stream_arn: str) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            if not description.get("LastEvaluatedShardId"):
                return shards
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def _forget_old_streams(self, mapping: StreamMapping, stream_arn: str) -> None:
        # A recreated table has a new stream; the old one's records are gone with it.
        for key in [k for k in self._readers if k[0] == mapping.id and k[1] != stream_arn]:
            del self._readers[key]

    def _fetch(self, reader: _ShardReader) -> None:
        try:
            if reader.iterator is None:
                reader.iterator = self._iterator(reader)
            response = self._streams.get_records(ShardIterator=reader.iterator, Limit=reader.mapping.batch_size)
        except (ClientError, BotoCoreError) as error:
            # Expired or unknown iterator (e.g. moto restarted): start again from the checkpoint.
            reader.iterator = None
            self._log_once(f"{reader.mapping.id}: cannot read shard {reader.shard_id}: {error}")
            return
        reader.pending = list(response.get("Records", []))
        used, reader.iterator = reader.iterator, response.get("NextShardIterator")
        if used != reader.iterator:
            aws.forget_stream_iterator(used)
        reader.closed = reader.iterator is None

    def _iterator(self, reader: _ShardReader) -> str:
        kwargs: dict[str, Any] = {"StreamArn": reader.stream_arn, "ShardId": reader.shard_id}
        if reader.checkpoint is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=reader.checkpoint)
        else:
            kwargs["ShardIteratorType"] = reader.mapping.starting_position
        return str(self._streams.get_shard_iterator(**kwargs)["ShardIterator"])

    # -------------------------------------------------------------- delivery

    def _deliver(self, reader: _ShardReader) -> bool:
        """Deliver one batch; True when the checkpoint moved."""
        mapping = reader.mapping
        batch = reader.pending[: mapping.batch_size]
        event = {"Records": [lambda_record(r, reader.stream_arn) for r in batch]}
        failed_from, error = self._failed_from(mapping, event, batch)
        if failed_from is None:
            return _advance(reader, len(batch))
        progressed = _advance(reader, failed_from)
        reader.attempts += 1
        retries = f"{reader.attempts}/{mapping.max_retries}" if mapping.max_retries >= 0 else f"{reader.attempts}"
        log(
            f"{mapping.function.logical_id} ({mapping.function.handler}) failed on "
            f"{len(batch) - failed_from} of {len(batch)} record(s) from {mapping.table_name}, "
            f"retry {retries}: {error}"
        )
        if 0 <= mapping.max_retries < reader.attempts:
            failed = batch[failed_from:]
            self._send_to_on_failure(reader, failed, error)
            progressed = _advance(reader, len(failed))
        return progressed

    def _failed_from(
        self, mapping: StreamMapping, event: dict[str, Any], batch: list[dict[str, Any]]
    ) -> tuple[int | None, str]:
        """(index re-delivery starts at or None, what went wrong)."""
        outcome = self._invoke(mapping.function, event)
        if outcome.error is not None:
            return 0, outcome.error
        if not mapping.report_item_failures:
            return None, ""
        failed_from = first_failed_index(outcome.result, batch)
        if failed_from is None:
            return None, ""
        return failed_from, f"batchItemFailures from sequence {batch[failed_from]['dynamodb']['SequenceNumber']}"

    def _send_to_on_failure(self, reader: _ShardReader, records: list[dict[str, Any]], error: str) -> None:
        mapping = reader.mapping
        if mapping.on_failure_queue is None:
            log(f"{mapping.id}: dropping {len(records)} record(s) after {mapping.max_retries} retries")
            return
        message = on_failure_message(mapping, reader, records, error)
        if self._queues.send(mapping.on_failure_queue, message):
            log(f"{mapping.id}: retries ran out, sent {len(records)} record(s) to {mapping.on_failure_queue}")
        else:
            log(f"{mapping.id}: lost {len(records)} record(s), OnFailure queue unreachable")


def _advance(reader: _ShardReader, count: int) -> bool:
    if count <= 0:
        return False
    reader.checkpoint = reader.pending[count - 1]["dynamodb"]["SequenceNumber"]
    reader.pending = reader.pending[count:]
    reader.attempts = 0
    return True


def on_failure_message(
    mapping: StreamMapping, reader: _ShardReader, records: list[dict[str, Any]], error: str
) -> dict[str, Any]:
    """The invocation record Lambda sends to a stream mapping's OnFailure destination.

    AWS sends only the batch coordinates; "Records" (the records as delivered) is a local
    extra so a developer can see what failed without re-reading the stream.
    """
    function = mapping.function
    times = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
    arrivals = [t.isoformat() if isinstance(t, dt.datetime) else t for t in times]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn(function.logical_id),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": mapping.max_retries + 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": error},
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": reader.shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrivals[0],
            "approximateArrivalOfLastRecord": arrivals[-1],
            "batchSize": len(records),
            "streamArn": reader.stream_arn,
        },
        "Records": [lambda_record(r, reader.stream_arn) for r in records],
    }
