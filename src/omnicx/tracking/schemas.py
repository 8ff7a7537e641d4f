"""Contracts of the tracking domain: sources, events, rejections, sessions, touchpoints, channel rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from omnicx.tracking.channel_grouping import Field as RuleField
from omnicx.tracking.channel_grouping import Op
from omnicx.tracking.models import SourceKind
from omnicx.tracking.wire import Received as Received  # the facts of a request, for collect()

# PostgreSQL cannot store NUL characters in text or JSONB: refuse them at the edge with a 422, not a 500.
NO_NUL = r"^[^\x00]*$"


def refuse_nul(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Refuse what the database cannot store: NUL characters, and numbers JSON columns cannot hold."""
    if value is None:
        return None
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise ValueError(f"not storable as JSON: {error}") from None
    if b"\\u0000" in encoded:
        raise ValueError("text may not contain NUL characters")
    return value


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SourceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    kind: SourceKind = SourceKind.WEB


class SourcePublic(_Public):
    id: uuid.UUID
    name: str
    kind: SourceKind
    write_key_prefix: str = Field(description="The first characters of the write key, to recognise it.")
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    last_event_at: datetime | None


class SourceWithKey(BaseModel):
    source: SourcePublic
    write_key: str = Field(description="The write key itself. Shown once; only its hash is stored.")


class AuthenticatedSource(BaseModel):
    """Who is sending: the source a write key belongs to and its workspace."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str


class IngestResult(BaseModel):
    """Outcome of one collection request (answered as `{"success": true}`, plus counts if any refused)."""

    accepted: int
    duplicates: int
    rejected: int
    suppressed: int = Field(
        default=0, description="Events dropped unstored: they name a suppressed identifier."
    )
    errors: list[dict[str, Any]] = []


class ProcessingBacklog(BaseModel):
    """Stored events whose processing (identities, sessions, touchpoints) has not run yet, and for how long.

    Until an event is processed it is on no customer's timeline and in no session, touchpoint or report.
    """

    jobs: int = Field(description="Processing jobs queued or running (one per accepted request).")
    events: int = Field(description="Events those jobs carry.")
    events_estimated: bool = Field(
        description="True when there are more jobs than are read one by one: `events` is then the count of "
        "the oldest jobs scaled to all of them."
    )
    oldest_at: datetime | None = Field(description="When the oldest waiting job was enqueued (UTC).")
    oldest_age_seconds: float = Field(description="Seconds the oldest waiting event has waited; 0 if none.")
    behind: bool = Field(description="True when the oldest event has waited longer than `threshold_seconds`.")
    threshold_seconds: float


class EventPublic(_Public):
    id: uuid.UUID
    source_id: uuid.UUID
    message_id: str
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    timestamp: datetime
    original_timestamp: datetime | None
    sent_at: datetime | None
    received_at: datetime
    customer_id: uuid.UUID | None
    payload: dict[str, Any]


class EventFilter(BaseModel):
    """Filters of the event list; every one optional, all combined."""

    type: str | None = None
    event: str | None = None
    user_id: str | None = None
    anonymous_id: str | None = None
    message_id: str | None = None
    source_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


class RejectedEventPublic(_Public):
    id: uuid.UUID
    source_id: uuid.UUID
    received_at: datetime
    code: str
    message: str
    message_id: str | None
    payload: dict[str, Any]


class SessionPublic(_Public):
    id: uuid.UUID
    customer_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    device_category: str
    landing_page: str | None
    source: str
    medium: str
    campaign: str | None
    channel: str
    page_views: int
    event_count: int
    engaged: bool
    bounced: bool


class TouchpointCreate(BaseModel):
    customer_id: uuid.UUID
    channel: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    kind: str = Field(
        min_length=1, max_length=64, pattern=NO_NUL, description="e.g. store_visit, phone_call, conversation"
    )
    at: datetime
    detail: dict[str, Any] | None = None
    dedup_key: str | None = Field(default=None, max_length=200, pattern=NO_NUL)

    _no_nul = field_validator("detail")(refuse_nul)


class ContactKind(StrEnum):
    """What a person of the business logs by hand: a phone call, a store visit, a note from the store."""

    CALL = "call"
    STORE_VISIT = "store_visit"
    STORE_NOTE = "store_note"


class ContactLog(BaseModel):
    """A contact with a customer outside the inbox, logged by whoever had it (from the customer page, a
    conversation, the API or the CLI): it joins their history, their last contact and their touchpoints."""

    kind: ContactKind
    direction: Literal["inbound", "outbound"] = Field(
        default="inbound",
        description="Who reached whom: the customer called or came (inbound), or was called.",
    )
    at: AwareDatetime | None = Field(default=None, description="When it happened; default now.")
    duration_seconds: int | None = Field(default=None, ge=0, le=86_400)
    outcome: str = Field(
        default="", max_length=100, pattern=NO_NUL, description="resolved, callback, sale..."
    )
    notes: str = Field(default="", max_length=5000, pattern=NO_NUL)
    location: str = Field(
        default="", max_length=200, pattern=NO_NUL, description="The store, for a visit or note."
    )

    @classmethod
    def in_minutes(cls, minutes: float | None, **fields: object) -> ContactLog:
        """A contact whose duration a person gave in minutes (the page's and the CLI's unit)."""
        seconds = round(minutes * 60) if minutes is not None else None
        return cls.model_validate({**fields, "duration_seconds": seconds})


class TouchpointPublic(_Public):
    id: uuid.UUID
    customer_id: uuid.UUID
    at: datetime
    channel: str
    kind: str
    source: str
    session_id: uuid.UUID | None
    detail: dict[str, Any]
    dedup_key: str | None


class RuleCondition(BaseModel):
    field: RuleField
    op: Op
    value: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


class ChannelRuleCreate(BaseModel):
    channel: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    conditions: list[RuleCondition] = Field(min_length=1, max_length=5)
    position: int | None = Field(
        default=None, ge=0, le=10_000, description="Where to insert (default: last)."
    )


class ChannelRulePublic(_Public):
    id: uuid.UUID
    position: int
    channel: str
    conditions: list[RuleCondition]
    created_at: datetime


class ChannelRuleMove(BaseModel):
    position: int = Field(ge=0, le=10_000)


class ClassifyRequest(BaseModel):
    source: str = Field(default="", max_length=200, pattern=NO_NUL)
    medium: str = Field(default="", max_length=200, pattern=NO_NUL)
    campaign: str = Field(default="", max_length=200, pattern=NO_NUL)


class ClassifyResult(BaseModel):
    channel: str
    rule: str = Field(description="`custom` when a workspace rule matched, else `default`.")


class EventCount(BaseModel):
    count: int


class ImportReport(BaseModel):
    path: str
    lines: int
    accepted: int
    duplicates: int
    rejected: int
    resumed_from_line: int
    suppressed: int = Field(default=0, description="Events of this run dropped for a suppressed identifier.")
