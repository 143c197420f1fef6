"""The embedded AWS: a moto server holding every resource template.yaml declares.

Resources are created from the template (infra.template), never declared again here.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from botocore.exceptions import ClientError
from moto.moto_server.threaded_moto_server import MotoRequestHandler  # type: ignore[attr-defined]
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server
from werkzeug.wsgi import LimitedStream

from infra import template as cfn
from infra.local import moto_fixes

# the second terminal's part (reaching the stack: its environment, clients) imports no moto
from infra.local.aws_env import ACCOUNT_ID, REGION, aws_env, client, queue_arn
from infra.local.chaos import Chaos, ChaosSettings, wrap

__all__ = ["ACCOUNT_ID", "REGION", "PortInUseError", "aws_env", "client", "create_resources", "queue_arn", "start_moto"]


class PortInUseError(RuntimeError):
    """The embedded AWS could not listen on its port."""


class _MotoServer(ThreadedMotoServer):
    # ThreadedMotoServer.start() waits forever when the bind fails: werkzeug answers a
    # taken port with sys.exit(1) inside the server thread, so the ready event is never
    # set. Record the failure and release start() instead.
    def __init__(self, ip_address: str, port: int, chaos: ChaosSettings | None = None) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.bind_error: str | None = None
        self._chaos_settings = chaos
        self.chaos: Chaos | None = None  # the fault injector, when CLOSELOOP_CHAOS asked for one

    def _server_entry(self) -> None:
        try:
            self._serve()
        except (OSError, SystemExit) as error:
            self.bind_error = getattr(error, "strerror", None) or "address already in use"
            self._server_ready_event.set()

    def _serve(self) -> None:
        # One request at a time, as DynamoDB applies each request atomically: moto's backends
        # are plain dicts with no locks, and a transaction's check-then-apply (moto_fixes)
        # must see no other write in between. Clients stay concurrent: only moto's handling
        # of each request is serialised. Faults are injected inside the lock: the seeded choices
        # follow the order in which calls are applied.
        inner = wrap(DomainDispatcherApplication(create_backend_app), self._chaos_settings)
        self.chaos = inner if isinstance(inner, Chaos) else None
        app = _OneAtATime(inner)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=_KeepAliveHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


class _KeepAliveHandler(MotoRequestHandler):
    """moto's request handler, keeping HTTP/1.1 connections open between requests.

    Werkzeug's dev server answers every request with "Connection: close" and then reads the
    socket dry (http.server cannot skip an unread body before the next request line), so each
    AWS call cost a TCP connection and a server thread. Here the body is read exactly to its
    Content-Length before the answer goes out, and the read-dry step finds nothing to read; a
    chunked request still closes its connection.
    """

    _body: LimitedStream | None = None
    _socket_file: Any = None

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: on a kept connection, Nagle's algorithm
        # would hold the body until the client's delayed ACK (40 ms a request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self) -> None:
        self._body = None
        self._socket_file, self.rfile = self.rfile, _UntilAnswered(self.rfile)  # type: ignore[assignment]
        try:
            super().run_wsgi()
        finally:
            self.rfile = self._socket_file

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        length = environ.get("CONTENT_LENGTH")
        if length and not environ.get("wsgi.input_terminated"):
            self._body = environ["wsgi.input"] = LimitedStream(self._socket_file, int(length))
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        keep = self.request_version == "HTTP/1.1" and not chunked
        if keyword.lower() == "connection" and value.lower() == "close" and keep:
            return
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        # The answer starts: whatever of the body the application left unread goes now, and
        # werkzeug's read-dry step after the answer must not eat the next request.
        if self._body is not None:
            self._body.exhaust()
        if isinstance(self.rfile, _UntilAnswered):
            self.rfile.answered = True
        super().end_headers()


class _UntilAnswered:
    """The request's socket file, reading nothing once the answer has started."""

    def __init__(self, socket_file: Any) -> None:
        self._socket_file = socket_file
        self.answered = False

    def read(self, size: int = -1) -> bytes:
        return b"" if self.answered else bytes(self._socket_file.read(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._socket_file, name)


class _OneAtATime:
    """WSGI middleware: a request is handled, body and all, under one lock."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


def start_moto(port: int, host: str = "127.0.0.1", chaos: ChaosSettings | None = None) -> _MotoServer:
    """Start moto on host:port in a daemon thread; PortInUseError if it cannot bind. With chaos, a
    share of DynamoDB and EventBridge calls fail as AWS fails them (infra.local.chaos)."""
    # werkzeug logs every request at INFO on stderr; the stream poller makes ~10 a second.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto_fixes.install()  # atomic transactions, one record per upsert, 24-hour streams, no leak
    # Probe first: werkzeug reports a taken port with two lines on stderr and an exit.
    _probe_port(host, port)
    server = _MotoServer(host, port, chaos)
    server.start()
    if server.bind_error is not None:
        raise _port_error(host, port, server.bind_error)
    return server


def _probe_port(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise _port_error(host, port, error.strerror or str(error)) from None


def _port_error(host: str, port: int, reason: str) -> PortInUseError:
    return PortInUseError(
        f"cannot start the embedded AWS on {host}:{port}: {reason}"
        " (is another closeloop dev or moto running? set CLOSELOOP_AWS_PORT)"
    )


def forget_stream_iterator(iterator: str) -> None:
    """Release a used DynamoDB stream iterator held by an in-process moto server.

    moto keeps every iterator it ever minted (each GetRecords mints one), so polling a stream
    ten times a second grows memory by tens of MB an hour. A no-op when moto is elsewhere.
    """
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    # dict.get, not [...]: moto's backend dicts create a backend on first subscript.
    account = dict.get(dynamodbstreams_backends, ACCOUNT_ID)
    backend = dict.get(account, REGION) if account is not None else None
    if backend is not None:
        backend.shard_iterators.pop(iterator, None)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# ------------------------------------------------------------------ resources


def create_resources(template: cfn.Template, endpoint_url: str, *, secrets: dict[str, str]) -> None:
    """Create every table, bus, queue and secret of the template; safe to run again."""
    dynamodb = client("dynamodb", endpoint_url)
    for spec in cfn.tables(template):
        _create_table(dynamodb, spec)
    events = client("events", endpoint_url)
    for bus in cfn.event_buses(template):
        _ignore_codes(events.create_event_bus, "ResourceAlreadyExistsException", Name=bus.name)
    sqs = client("sqs", endpoint_url)
    for queue in cfn.queues(template):
        sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)  # idempotent in SQS
    secretsmanager = client("secretsmanager", endpoint_url)
    for secret in cfn.secrets(template):
        _create_secret(secretsmanager, secret, secrets.get(secret.name))
    sender = cfn.parameter_defaults(template).get("SesSender")
    if sender:  # in AWS an operator verifies the sender once; SES refuses to send from anyone else
        client("ses", endpoint_url).verify_email_identity(EmailAddress=str(sender))


def _ignore_codes(call: Any, *codes: str, **kwargs: Any) -> None:
    """call(**kwargs), treating the given error codes as "already there"."""
    try:
        call(**kwargs)
    except ClientError as error:
        if _error_code(error) not in codes:
            raise


def _create_table(dynamodb: Any, spec: cfn.TableSpec) -> None:
    kwargs: dict[str, Any] = {
        "TableName": spec.name,
        "KeySchema": spec.key_schema,
        "AttributeDefinitions": spec.attribute_definitions,
        "BillingMode": spec.billing_mode,
        "SSESpecification": {"Enabled": spec.sse_enabled},
    }
    if spec.global_secondary_indexes:
        kwargs["GlobalSecondaryIndexes"] = spec.global_secondary_indexes
    if spec.local_secondary_indexes:
        kwargs["LocalSecondaryIndexes"] = spec.local_secondary_indexes
    if spec.stream_view_type:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream_view_type}
    if spec.billing_mode == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    _ignore_codes(dynamodb.create_table, "ResourceInUseException", **kwargs)
    if spec.ttl_attribute and not _ttl_enabled(dynamodb, spec.name):
        dynamodb.update_time_to_live(
            TableName=spec.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
    if spec.point_in_time_recovery:
        dynamodb.update_continuous_backups(
            TableName=spec.name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def _ttl_enabled(dynamodb: Any, table_name: str) -> bool:
    status = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    return status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")


def _create_secret(secretsmanager: Any, spec: cfn.SecretSpec, value: str | None) -> None:
    try:
        secretsmanager.create_secret(Name=spec.name, Description=spec.description, SecretString=value or "{}")
    except ClientError as error:
        if _error_code(error) != "ResourceExistsException":
            raise
        if value is not None:  # a re-run with a new value replaces it; no value keeps what is there
            secretsmanager.put_secret_value(SecretId=spec.name, SecretString=value)


# ------------------------------------------------------------------ environment
