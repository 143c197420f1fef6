"""What Lambda's event-source mappings do in AWS, done in-process for the local stack.

For every DynamoDB stream event in template.yaml, a daemon thread reads the table's stream
from the embedded AWS and invokes the handler the template names, with the event Lambda
would send: same record shape, same batch size, ReportBatchItemFailures, bounded retries
and the OnFailure destination.

Handlers run in this process, so its environment must already point at the embedded AWS
(os.environ.update(aws_env(endpoint_url)) before start()).
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra import template as cfn
from infra.local import aws

POLL_INTERVAL = 0.1
DISCOVERY_INTERVAL = 1.0  # how often shards are listed again (new shards, recreated tables)

Handler = Callable[[dict[str, Any], Any], Any]


def _log(message: str) -> None:
    sys.stderr.write(f"closeloop plumbing: {message}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------ Lambda context


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function_name: str, memory_limit_in_mb: int, timeout_seconds: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{aws.REGION}:{aws.ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# ------------------------------------------------------------------ mappings


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
    table_names = {t.logical_id: t.name for t in cfn.tables(template)}
    queue_names = {q.logical_id: q.name for q in cfn.queues(template)}
    mappings = []
    for function, table_id in cfn.stream_consumers(template):
        for event_type, props in function.events:
            if event_type != "DynamoDB" or cfn.getatt_target(props.get("Stream"), "StreamArn") != table_id:
                continue
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            queue_id = cfn.getatt_target(destination, "Arn")
            mappings.append(
                StreamMapping(
                    function=function,
                    table_name=table_names[table_id],
                    batch_size=int(props.get("BatchSize", 100)),
                    starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                    max_retries=int(props.get("MaximumRetryAttempts", -1)),
                    report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                    on_failure_queue=queue_names.get(queue_id) if queue_id else None,
                )
            )
    return mappings


def load_handler(dotted: str) -> Handler:
    """The callable named by "package.module.attr", resolved as the Lambda runtime does."""
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {dotted!r} is not of the form module.attribute")
    handler = getattr(importlib.import_module(module_name), attr)
    if not callable(handler):
        raise TypeError(f"handler {dotted!r} is not callable")
    return handler  # type: ignore[no-any-return]


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


class Plumbing:
    """Polls every consumed table stream and invokes the consuming handlers, continuously."""

    def __init__(self, template: cfn.Template, endpoint_url: str, *, poll_interval: float = POLL_INTERVAL) -> None:
        self.mappings = stream_mappings(template)
        self._endpoint_url = endpoint_url
        self._poll_interval = poll_interval
        self._readers: dict[tuple[str, str, str], _ShardReader] = {}
        self._finished: set[tuple[str, str, str]] = set()
        self._handlers: dict[str, Handler] = {}
        self._queue_urls: dict[str, str] = {}
        self._clients: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._sweeps_started = 0
        self._quiet_sweep = -1  # number of the last sweep that found nothing to do
        self._busy = True  # the current sweep found work (not idle until a quiet sweep ends)
        self._next_discovery = 0.0
        self._discovery_requested = False  # drain() wants shards listed again before it trusts a sweep
        self._last_error = ""
        self._progressed = False  # the current sweep moved a checkpoint forward

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=30)
        for service in ("dynamodb", "dynamodbstreams", "sqs"):
            self._clients[service] = aws.client(service, self._endpoint_url, config=config)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="closeloop-plumbing", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def idle(self) -> bool:
        """No records waiting and none in flight, as of the last complete poll."""
        with self._state:
            return not self._busy and self._quiet_sweep >= 0

    def drain(self, timeout: float) -> bool:
        """Wait until every record written before this call has been handled (or given up on)."""
        if self._thread is None or not self._thread.is_alive():
            return False
        with self._state:
            called_at = self._sweeps_started
        self._discovery_requested = True  # a table recreated just now must not wait a second
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._state:
            # Only a sweep that started after this call can vouch for records written before it.
            while self._quiet_sweep <= called_at:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._state.wait(min(remaining, self._poll_interval))
        return True

    # -------------------------------------------------------------- loop

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._state:
                self._sweeps_started += 1
                number = self._sweeps_started
            try:
                quiet = not self._sweep()
            except Exception as error:  # never let the thread die; say why and carry on
                quiet = False
                self._log_once(f"poll failed: {error!r}")
            with self._state:
                self._busy = not quiet
                if quiet:
                    self._quiet_sweep = number
                self._state.notify_all()
            # A backlog is read back to back, as Lambda does; failures and quiet streams wait.
            if not self._progressed:
                self._wake.wait(self._poll_interval)
            self._wake.clear()
            self._progressed = False

    def _sweep(self) -> bool:
        """One pass over every shard; True when there was work (records fetched or pending)."""
        if self._discovery_requested or time.monotonic() >= self._next_discovery:
            self._discovery_requested = False
            self._discover()
            self._next_discovery = time.monotonic() + DISCOVERY_INTERVAL
        worked = False
        for reader in list(self._readers.values()):
            if not self._parent_done(reader):
                continue
            if not reader.pending and not reader.closed:
                self._fetch(reader)
            if reader.pending:
                with self._state:
                    self._busy = True
                worked = True
                self._deliver(reader)
            if reader.finished:
                self._finished.add(reader.key)
                del self._readers[reader.key]
        return worked or any(r.pending for r in self._readers.values())

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
        table = self._clients["dynamodb"].describe_table(TableName=table_name)["Table"]
        return str(table.get("LatestStreamArn") or "")

    def _shards(self, stream_arn: str) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = self._clients["dynamodbstreams"].describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            if not description.get("LastEvaluatedShardId"):
                return shards
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def _forget_old_streams(self, mapping: StreamMapping, stream_arn: str) -> None:
        # A recreated table has a new stream; the old one's records are gone with it.
        for key in [k for k in self._readers if k[0] == mapping.id and k[1] != stream_arn]:
            del self._readers[key]

    def _fetch(self, reader: _ShardReader) -> None:
        streams = self._clients["dynamodbstreams"]
        try:
            if reader.iterator is None:
                reader.iterator = self._iterator(reader)
            response = streams.get_records(ShardIterator=reader.iterator, Limit=reader.mapping.batch_size)
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
        return str(self._clients["dynamodbstreams"].get_shard_iterator(**kwargs)["ShardIterator"])

    # -------------------------------------------------------------- delivery

    def _deliver(self, reader: _ShardReader) -> None:
        mapping = reader.mapping
        batch = reader.pending[: mapping.batch_size]
        event = {"Records": [lambda_record(r, reader.stream_arn) for r in batch]}
        failed_from, error = self._invoke(mapping, event, batch)
        if failed_from is None:
            self._advance(reader, len(batch))
            return
        self._advance(reader, failed_from)
        reader.attempts += 1
        retries = f"{reader.attempts}/{mapping.max_retries}" if mapping.max_retries >= 0 else f"{reader.attempts}"
        _log(
            f"{mapping.function.logical_id} ({mapping.function.handler}) failed on "
            f"{len(batch) - failed_from} of {len(batch)} record(s) from {mapping.table_name}, "
            f"retry {retries}: {error}"
        )
        if 0 <= mapping.max_retries < reader.attempts:
            failed = batch[failed_from:]
            self._send_to_on_failure(reader, failed, error)
            self._advance(reader, len(failed))

    def _advance(self, reader: _ShardReader, count: int) -> None:
        if count <= 0:
            return
        reader.checkpoint = reader.pending[count - 1]["dynamodb"]["SequenceNumber"]
        reader.pending = reader.pending[count:]
        reader.attempts = 0
        self._progressed = True

    def _invoke(
        self, mapping: StreamMapping, event: dict[str, Any], batch: list[dict[str, Any]]
    ) -> tuple[int | None, str]:
        """(index re-delivery starts at or None, what went wrong)."""
        function = mapping.function
        try:
            handler = self._handler(function.handler)
            result = handler(event, LambdaContext(function.logical_id, function.memory_size, function.timeout))
        except Exception as error:
            return 0, f"{type(error).__name__}: {error}"
        if not mapping.report_item_failures:
            return None, ""
        failed_from = first_failed_index(result, batch)
        if failed_from is None:
            return None, ""
        return (
            failed_from,
            f"batchItemFailures from sequence {batch[failed_from]['dynamodb']['SequenceNumber']}",
        )

    def _handler(self, dotted: str) -> Handler:
        if dotted not in self._handlers:
            self._handlers[dotted] = load_handler(dotted)
        return self._handlers[dotted]

    def _send_to_on_failure(self, reader: _ShardReader, records: list[dict[str, Any]], error: str) -> None:
        mapping = reader.mapping
        if mapping.on_failure_queue is None:
            _log(f"{mapping.id}: dropping {len(records)} record(s) after {mapping.max_retries} retries")
            return
        try:
            sqs = self._clients["sqs"]
            if mapping.on_failure_queue not in self._queue_urls:
                url = sqs.get_queue_url(QueueName=mapping.on_failure_queue)["QueueUrl"]
                self._queue_urls[mapping.on_failure_queue] = url
            message = on_failure_message(mapping, reader, records, error)
            sqs.send_message(QueueUrl=self._queue_urls[mapping.on_failure_queue], MessageBody=json.dumps(message))
            _log(f"{mapping.id}: retries ran out, sent {len(records)} record(s) to {mapping.on_failure_queue}")
        except (ClientError, BotoCoreError) as send_error:
            _log(f"{mapping.id}: lost {len(records)} record(s), OnFailure queue unreachable: {send_error}")

    def _log_once(self, message: str) -> None:
        # A stopped moto server would otherwise print the same line ten times a second.
        if message != self._last_error:
            self._last_error = message
            _log(message)


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
            "functionArn": LambdaContext(function.logical_id, 0, 0).invoked_function_arn,
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
