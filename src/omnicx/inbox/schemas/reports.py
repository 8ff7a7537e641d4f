"""Contracts of the inbox reports (wall-clock seconds; conversations created in the range, workspace time zone)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class ReportRow(BaseModel):
    """One group of a report (a channel, an agent, a team, or the totals). Times are wall-clock seconds."""

    key: str
    label: str
    conversations: int
    resolved: int
    open: int = Field(description="Not resolved now (open, pending or snoozed).")
    first_response_median_seconds: float | None
    first_response_p90_seconds: float | None
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    sla_hit_rate: float | None = Field(
        description="First responses on time among conversations answered or already past due; null if none."
    )
    sla_breached: int


class ReportDay(BaseModel):
    day: date
    conversations: int
    resolved: int
    sla_hit_rate: float | None


class InboxReport(BaseModel):
    workspace_id: uuid.UUID
    start: date
    end: date
    timezone: str
    totals: ReportRow
    by_channel: list[ReportRow]
    by_agent: list[ReportRow]
    by_team: list[ReportRow]
    daily: list[ReportDay]


class SlaStatusCounts(BaseModel):
    """Unresolved conversations by the worst state of their SLA clocks right now."""

    on_track: int
    warning: int
    breached: int
