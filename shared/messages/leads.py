"""Leads (CONTRACT §2.1–2.4): what is recorded on a lead, as answered."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Activity(BaseModel):
    """a sales activity as recorded"""

    activity_id: str
    type: str
    by: str
    at: datetime
    note: str | None = None
