"""The rules' events (CONTRACT §5): a workbook published, rejected, rolled back, or not read."""

from __future__ import annotations

from pydantic import Field

from shared.kernel.messages.event_types import EventData


class RulesPublished(EventData):
    """a valid workbook became the active rules version"""

    subject = "rules/<version_id>"
    version_id: str = Field(description="`v<number>-<hash8>`")
    number: int = Field(description="the version's number")
    content_hash: str = Field(description="SHA-256 of the canonical content")
    source: str = Field(description="where it was read (`dir:…`, `xlsx:…`, `sheets:…`)")
    row_counts: dict[str, int] = Field(description="rows per tab")


class RulesRejected(EventData):
    """a workbook was invalid: nothing published, the last good version stays (told once per set of problems)"""

    subject = "rules/<source>"
    source: str = Field(description="where it was read")
    problems: list[str] = Field(description="`Tab!Cell: message`, the first 500")
    problem_count: int = Field(description="how many problems in all")


class RulesRolledBack(EventData):
    """an earlier version was made active again (`closeloop rules rollback`)"""

    subject = "rules/<version_id>"
    version_id: str = Field(description="the version now active")
    number: int = Field(description="its number")
    content_hash: str = Field(description="its content hash")
    from_: str | None = Field(alias="from", description="the version that was active before")


class RulesSyncFailed(EventData):
    """rules-sync could not read the source: nothing published, the last good version stays"""

    subject = "rules/<source>"
    source: str = Field(description="the source")
    error: str = Field(description="why it could not be read")
