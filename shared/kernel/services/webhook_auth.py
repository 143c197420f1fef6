"""Signed webhooks: HMAC with a timestamp (who may post from a browser: :mod:`shared.leads.domain.origins`)."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.kernel.domain.errors import Unauthorized

TOLERANCE_SECONDS = 300


def transport_now() -> datetime:
    """The instant a signature's freshness is judged by, and outgoing signatures carry: the wall
    clock, never the business clock. Senders, receivers and chat vendors sign with their own real
    time; a local stack started at CLOSELOOP_CLOCK_START keeps its business time shifted, but its
    signatures still agree with everyone else's."""
    return datetime.now(UTC)


_SIGNATURE = re.compile(r"^\s*t=(\d{1,12})\s*,\s*v1=([0-9a-fA-F]{64})\s*$")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a sender puts in X-Closeloop-Signature (used by tests and docs)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True, slots=True)
class Signature:
    """A verified signature, canonical: however the header spelt it (hex case, spaces, zeros before
    ``t``), the same ``t`` and ``v1`` are the same signature — a repeat, not a new request."""

    timestamp: int
    v1: str

    @property
    def key(self) -> str:
        return f"{self.timestamp}.{self.v1}"


def verify_signature(header: str | None, secret: str | None, body: bytes, now: datetime | None = None) -> Signature:
    """Refuses a missing, malformed, stale (more than 300 s from ``now``, the wall clock by
    default) or wrong signature, each with its own message; the signature, canonical, when good."""
    now = now or transport_now()
    if not header:
        raise Unauthorized("missing X-Closeloop-Signature header (t=<unix seconds>,v1=<hex HMAC-SHA256>)")
    match = _SIGNATURE.match(header)
    if match is None:
        raise Unauthorized("malformed X-Closeloop-Signature header; expected t=<unix seconds>,v1=<64 hex>")
    timestamp, presented = int(match.group(1)), match.group(2).lower()
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise Unauthorized(
            f"signature timestamp t={timestamp} is more than {TOLERANCE_SECONDS} s from the server's clock "
            f"({int(now.timestamp())} now): sign with the current Unix time"
        )
    if not secret:
        raise Unauthorized("this source has no signing secret configured")
    expected = sign(secret, timestamp, body).split("v1=")[1]
    if not hmac.compare_digest(expected, presented):
        raise Unauthorized("signature does not match the body")
    return Signature(timestamp, presented)
