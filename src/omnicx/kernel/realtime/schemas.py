"""Contracts of the realtime domain: what one server-sent event carries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RealtimeEventPublic(BaseModel):
    """The JSON in the `data:` field of each event on `GET /api/v1/realtime/stream`.

    The SSE `event:` field repeats `topic` and the SSE `id:` field repeats `id`. A `realtime.resync` event
    means the stream lost events (slow reader, broker reconnect, reconnecting client): reload, keep listening.
    """

    id: str = Field(description="Time-ordered event id, also sent as the SSE `id:`.")
    workspace_id: uuid.UUID
    topic: str = Field(description="What happened, dot-separated, e.g. `inbox.message.created`, `job.dead`.")
    action: str = Field(description="The permission a role needs to receive this event, e.g. `inbox.read`.")
    at: datetime = Field(description="When it happened (UTC).")
    data: dict[str, Any] = Field(description="Topic-specific details, e.g. the ids of the changed objects.")
