"""The one error hierarchy. Entry points map these to HTTP statuses in one place."""

from __future__ import annotations


class CloseloopError(Exception):
    """Base of every error the domain and services raise on purpose."""

    code = "error"
    status = 500

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class ValidationFailed(CloseloopError):
    code, status = "validation_failed", 400


class BadRequest(CloseloopError):
    code, status = "bad_request", 400


class InvalidRedirect(CloseloopError):
    """A form's `_redirect` that a browser could follow somewhere other than an allowed origin."""

    code, status = "invalid_redirect", 400


class Unauthorized(CloseloopError):
    code, status = "unauthorized", 401


class Forbidden(CloseloopError):
    code, status = "forbidden", 403


class SourceInactive(CloseloopError):
    code, status = "source_inactive", 403


class UnknownSource(CloseloopError):
    code, status = "unknown_source", 404


class LeadNotFound(CloseloopError):
    code, status = "lead_not_found", 404


class NotFound(CloseloopError):
    code, status = "not_found", 404


class PayloadTooLarge(CloseloopError):
    code, status = "payload_too_large", 413


class UnsupportedMediaType(CloseloopError):
    code, status = "unsupported_media_type", 415


class Conflict(CloseloopError):
    """A concurrent change won; the caller may retry."""

    code, status = "conflict", 409


class IdempotencyKeyReused(CloseloopError):
    """The same Idempotency-Key came back with another body."""

    code, status = "idempotency_key_reused", 409


class RulesUnavailable(CloseloopError):
    code, status = "rules_unavailable", 503
