"""Fault injection on the local stack (CONTRACT §13): the embedded AWS fails a share of calls the
way AWS does, so the product's handling of throttling, conflicts and lost answers is exercised
for real (through botocore's own retries, PynamoDB and our retry policy), never in AWS.

``CLOSELOOP_CHAOS=throttle=0.2,conflict=0.1,timeout=0.02,seed=7`` — each a share of calls:

- **throttle**: a DynamoDB data-plane call answers ``ProvisionedThroughputExceededException``
  (botocore retries it, as in AWS); half the throttled ``TransactWriteItems`` are instead a
  ``TransactionCanceledException`` with ``ThrottlingError`` on one item (botocore does not retry
  those: our retry policy must); EventBridge ``PutEvents`` answers ``ThrottlingException``.
  Nothing is applied.
- **conflict**: ``TransactWriteItems`` is cancelled with ``TransactionConflict`` on one item.
  Nothing is applied.
- **timeout**: the call is applied, then its answer is lost (HTTP 500 ``InternalServerError``,
  "the request may or may not have succeeded"); botocore sends it again. Only where AWS makes
  that repeat safe: reads, and ``TransactWriteItems``, whose ``ClientRequestToken`` (botocore
  fills it and keeps it on its retries) makes a repeat within 10 minutes answer the first answer
  without applying it again — moto does not do that, so it is done here. Single-item writes,
  batch writes and ``PutEvents`` are never timed out: AWS would apply their repeat twice too.
- **seed**: the same choices for the same sequence of calls.

DynamoDB Streams and control-plane calls (CreateTable, DescribeTable, ...) are never touched.
``GET /_closeloop/chaos`` on the embedded AWS tells what was injected so far; ``POST`` it
``{"active": false}`` to stop the faults (``true`` resumes them) — the bench stops them once its
captures are in, so the plumbing drains at its normal pace.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

DYNAMODB = "DynamoDB_20120810."
EVENTS_PUT = "AWSEvents.PutEvents"
DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
# Calls whose repeat AWS makes safe: a lost answer is sent again by botocore and changes nothing.
TIMEOUT_SAFE = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "TransactWriteItems"})
TOKEN_WINDOW_SECONDS = 600.0  # DynamoDB keeps a ClientRequestToken for 10 minutes
STATUS_PATH = "/_closeloop/chaos"
_DYNAMO_PREFIX = "com.amazonaws.dynamodb.v20120810#"


@dataclass(frozen=True)
class ChaosSettings:
    throttle: float = 0.0
    conflict: float = 0.0
    timeout: float = 0.0
    seed: int | None = None

    @classmethod
    def parse(cls, text: str) -> ChaosSettings | None:
        """CLOSELOOP_CHAOS: ``throttle=0.2,conflict=0.1,timeout=0.02,seed=7`` (any subset; empty or
        ``off``: none). A share is 0–1 and the three together at most 1; anything else is a clear error."""
        text = text.strip()
        if text.lower() in ("", "off", "0", "no", "false"):
            return None
        values: dict[str, Any] = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            name, value = name.strip().lower(), value.strip()
            if name not in ("throttle", "conflict", "timeout", "seed") or not value:
                raise ValueError(
                    f"CLOSELOOP_CHAOS: {part.strip()[:40]!r} is not one of throttle=SHARE, conflict=SHARE, "
                    "timeout=SHARE, seed=N (e.g. throttle=0.2,conflict=0.1,timeout=0.02,seed=7)"
                )
            values[name] = _seed(value) if name == "seed" else _share(name, value)
        settings = cls(**values)
        if settings.throttle + settings.conflict + settings.timeout > 1:
            raise ValueError("CLOSELOOP_CHAOS: throttle + conflict + timeout must be at most 1")
        return settings

    def describe(self) -> str:
        seed = "random" if self.seed is None else str(self.seed)
        return f"throttle={self.throttle:g}, conflict={self.conflict:g}, timeout={self.timeout:g}, seed={seed}"


def _share(name: str, value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ValueError(f"CLOSELOOP_CHAOS: {name} must be a share between 0 and 1, got {value[:40]!r}")
    return share


def _seed(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"CLOSELOOP_CHAOS: seed must be a whole number, got {value[:40]!r}") from None


@dataclass
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Token:
    expires: float
    fingerprint: str
    answer: _Answer


class Chaos:
    """WSGI middleware around moto's app. Not thread-safe by itself: it runs under the embedded
    AWS's one-request-at-a-time lock, which also keeps the seeded choices in call order."""

    def __init__(self, app: Any, settings: ChaosSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._app: Callable[..., Iterable[bytes]] = app
        self.settings = settings
        self._random = random.Random(settings.seed)
        self._clock = clock
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()  # only for the counts, read by the status page
        self.injected: Counter[str] = Counter()  # "throttle GetItem", "timeout TransactWriteItems", ...
        self.active = True  # False: every call passes (the local stack sets itself up first)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == STATUS_PATH:
            if environ.get("REQUEST_METHOD") == "POST":  # {"active": false}: faults stop (and resume)
                self.active = bool(_read_json(environ).get("active", self.active))
            return self._status(start_response)
        if not self.active:
            return self._app(environ, start_response)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target == EVENTS_PUT:
            if self._random.random() < self.settings.throttle:
                self._count("throttle PutEvents")
                return _error(start_response, "1.1", "ThrottlingException", "Rate exceeded")
            return self._app(environ, start_response)
        op = target[len(DYNAMODB) :] if target.startswith(DYNAMODB) else ""
        if op not in DATA_PLANE:
            return self._app(environ, start_response)
        request = _read_json(environ) if op == "TransactWriteItems" else {}
        fault = self._choose(op)
        # A token DynamoDB already applied is answered from its record, before any item is looked
        # at: it can be throttled or lose its answer, never be cancelled.
        replay = self._known(request)
        if fault == "throttle":
            return self._throttle(op, request, start_response, cancel=not replay)
        if fault == "conflict" and replay:
            fault = None
        if fault == "conflict":
            self._count("conflict TransactWriteItems")
            return _cancelled(start_response, _one_of(self._random, request, "TransactionConflict"))
        answer = self._apply(op, request, environ)
        if fault == "timeout":
            self._count(f"timeout {op}")
            return _error(start_response, "1.0", "InternalServerError", "Internal server error", status="500")
        start_response(answer.status, answer.headers)
        return [answer.body]

    def _choose(self, op: str) -> str | None:
        draw, chaos = self._random.random(), self.settings
        if draw < chaos.throttle:
            return "throttle"
        if op == "TransactWriteItems" and draw < chaos.throttle + chaos.conflict:
            return "conflict"
        if op in TIMEOUT_SAFE and draw < chaos.throttle + chaos.conflict + chaos.timeout:
            return "timeout"
        return None

    def _known(self, request: dict[str, Any]) -> bool:
        kept = self._tokens.get(str(request.get("ClientRequestToken") or ""))
        return kept is not None and kept.expires > self._clock()

    def _throttle(self, op: str, request: dict[str, Any], start_response: Any, *, cancel: bool) -> Iterable[bytes]:
        if op == "TransactWriteItems" and self._random.random() < 0.5 and cancel:
            self._count("throttle TransactWriteItems (cancelled: ThrottlingError)")
            return _cancelled(start_response, _one_of(self._random, request, "ThrottlingError"))
        self._count(f"throttle {op}")
        message = "The level of configured provisioned throughput for the table was exceeded."
        return _error(start_response, "1.0", _DYNAMO_PREFIX + "ProvisionedThroughputExceededException", message)

    def _apply(self, op: str, request: dict[str, Any], environ: dict[str, Any]) -> _Answer:
        """Let moto answer; a TransactWriteItems whose token was applied before answers that first
        answer again (or a mismatch when the token comes back with other items), applying nothing."""
        token = str(request.get("ClientRequestToken") or "") if op == "TransactWriteItems" else ""
        now = self._clock()
        if token:
            self._tokens = {t: kept for t, kept in self._tokens.items() if kept.expires > now}
        fingerprint = _fingerprint(request)
        kept = self._tokens.get(token) if token else None
        if kept is not None:
            if kept.fingerprint != fingerprint:
                message = "Request parameters do not match the ones of the earlier request with this ClientRequestToken"
                return _error_answer("1.0", _DYNAMO_PREFIX + "IdempotentParameterMismatchException", message)
            self._count("replayed TransactWriteItems (same ClientRequestToken)")
            return kept.answer
        answer = _call(self._app, environ)
        if token and answer.status.startswith("200"):
            self._tokens[token] = _Token(now + TOKEN_WINDOW_SECONDS, fingerprint, answer)
        return answer

    def _count(self, what: str) -> None:
        with self._lock:
            self.injected[what] += 1

    def _status(self, start_response: Any) -> Iterable[bytes]:
        with self._lock:
            body = {
                "settings": self.settings.__dict__,
                "active": self.active,
                "injected": dict(sorted(self.injected.items())),
            }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


def wrap(app: Any, settings: ChaosSettings | None) -> Any:
    """moto's app with fault injection when settings are given; the app itself otherwise."""
    return app if settings is None else Chaos(app, settings)


# ------------------------------------------------------------------ answers AWS gives


def _error_answer(version: str, kind: str, message: str, status: str = "400") -> _Answer:
    reason = {"400": "Bad Request", "500": "Internal Server Error"}[status]
    body = json.dumps({"__type": kind, "message": message}).encode()
    return _Answer(f"{status} {reason}", _headers(version, body), body)


def _error(start_response: Any, version: str, kind: str, message: str, status: str = "400") -> Iterable[bytes]:
    answer = _error_answer(version, kind, message, status)
    start_response(answer.status, answer.headers)
    return [answer.body]


def _cancelled(start_response: Any, reasons: list[str | None]) -> Iterable[bytes]:
    """TransactionCanceledException as DynamoDB sends it: one reason per item, in item order."""
    codes = ", ".join(code or "None" for code in reasons)
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
    body = json.dumps(
        {
            "__type": _DYNAMO_PREFIX + "TransactionCanceledException",
            "Message": message,
            "CancellationReasons": [_reason(code) for code in reasons],
        }
    ).encode()
    start_response("400 Bad Request", _headers("1.0", body))
    return [body]


def _reason(code: str | None) -> dict[str, str]:
    if code is None:
        return {"Code": "None"}
    if code == "ThrottlingError":
        return {
            "Code": code,
            "Message": "Throughput exceeds the current capacity for one or more global secondary indexes.",
        }
    return {"Code": code, "Message": "Transaction is ongoing for the item"}


def _one_of(rng: random.Random, request: dict[str, Any], code: str) -> list[str | None]:
    """``code`` on one item chosen at random, ``None`` on the others."""
    count = max(1, len(request.get("TransactItems") or []))
    chosen = rng.randrange(count)
    return [code if i == chosen else None for i in range(count)]


def _headers(version: str, body: bytes) -> list[tuple[str, str]]:
    return [
        ("Content-Type", f"application/x-amz-json-{version}"),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", uuid.uuid4().hex),
    ]


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body, leaving an identical body for moto to read."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _fingerprint(request: dict[str, Any]) -> str:
    items = request.get("TransactItems")
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()


def _call(app: Any, environ: dict[str, Any]) -> _Answer:
    """Run the app to the end and keep its whole answer (to send it, replay it or lose it)."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started.update(status=status, headers=list(headers))
        return lambda _data: None

    body = b"".join(app(environ, start_response))
    return _Answer(started["status"], started["headers"], body)
