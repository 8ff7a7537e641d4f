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
    customers: int = Field(
        default=0,
        description="Distinct customers (merged profiles once; a sender not known as a customer yet, such as an "
        "unverified address, counts once per conversation).",
    )


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


class ReasonRow(BaseModel):
    """One contact reason (a detected intent; "none" when no rule matched) over the range, or all of them."""

    reason: str
    conversations: int
    share: float = Field(description="Of all conversations in the range (0-1).")
    repeat: int = Field(description="Conversations of a customer who had written within the 7 days before.")
    repeat_rate: float | None
    resolved: int
    first_contact_resolved: int = Field(
        description="Resolved, and the customer did not write again within 7 days of the resolution."
    )
    fcr: float | None = Field(description="First-contact resolution: first_contact_resolved / resolved.")


class ReasonCount(BaseModel):
    """Conversations of one reason in one week (the week's Monday) or on one channel."""

    key: str
    reason: str
    conversations: int


class Phrase(BaseModel):
    text: str
    count: int


class ContactReasonsReport(BaseModel):
    workspace_id: uuid.UUID
    start: date
    end: date
    timezone: str
    total: ReasonRow
    reasons: list[ReasonRow]
    weekly: list[ReasonCount] = Field(description="Per week (key: the Monday, ISO date) and reason.")
    by_channel: list[ReasonCount] = Field(description="Per messaging channel (key) and reason.")
    phrases: dict[str, list[Phrase]] = Field(
        description="The most frequent phrases of each reason's first messages."
    )
