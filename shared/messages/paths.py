"""The path parameters of the API, each described once (``{case_id}`` in any route's path is
this model's ``case_id``); the description names each ``components/parameters`` entry after its
field (``case_id`` → ``CaseId``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.messages.cases import EXAMPLE_CASE_ID


class PathParameters(BaseModel):
    case_id: str = Field(description="the case's id, as returned when it opened", examples=[EXAMPLE_CASE_ID])
