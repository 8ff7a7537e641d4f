"""Contracts of the customers domain: list rows, the 360 view, and what other domains plug in (timeline items,
profile facts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

Direction = Literal["inbound", "outbound", "none"]


class TimelineItem(BaseModel):
    """One thing that happened with a customer, supplied by a domain's timeline provider.

    `direction` says who spoke: `inbound` (the customer reached the business: a message, a call, a visit),
    `outbound` (the business reached the customer), `none` (a fact: an order status, a page view).
    """

    at: AwareDatetime
    kind: str = Field(description="event, session, order, conversation, message, identity...")
    title: str
    detail: str = ""
    detail_recorded: bool = Field(
        default=False,
        description="The detail is data as the site or app sent it (an event's properties), not a sentence.",
    )
    channel: str | None = None
    channel_label: str | None = Field(
        default=None, description="The channel as the page's language names it (`channel` when absent)."
    )
    direction: Direction = "none"
    url: str | None = None
    source: str = Field(description="The provider that supplied the item (the domain's name).")


class DeviceFact(BaseModel):
    """A device the customer was seen on (from tracking's sessions)."""

    label: str
    type: str | None = None
    os: str | None = None
    browser: str | None = None
    last_seen_at: AwareDatetime | None = None


class ProfileFacts(BaseModel):
    """What a facts provider knows about a customer; several providers' facts are combined."""

    devices: list[DeviceFact] = []
    first_touch_channel: str | None = None
    first_touch_at: AwareDatetime | None = None
    extra: dict[str, Any] = {}


class CustomerSummary(BaseModel):
    """A row of the customer list."""

    id: uuid.UUID
    display_name: str
    email: str | None
    phone: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime


class IdentifierView(BaseModel):
    kind: str
    value: str
    created_at: datetime


class MergeView(BaseModel):
    source_id: uuid.UUID | None
    target_id: uuid.UUID
    status: str
    reason: str
    created_at: datetime


class Customer360(BaseModel):
    """Everything the customer page shows.

    `last_contact` is the customer's newest inbound interaction on any channel; `last_communication` is the
    business's newest outbound message.
    """

    customer: CustomerSummary
    traits: dict[str, Any]
    identifiers: list[IdentifierView]
    merged_customer_ids: list[uuid.UUID]
    merges: list[MergeView]
    devices: list[DeviceFact]
    first_touch_channel: str | None
    first_touch_at: datetime | None
    facts: dict[str, Any]
    last_contact: TimelineItem | None
    last_communication: TimelineItem | None
    timeline: list[TimelineItem]


class CustomerMerge(BaseModel):
    """Merge `source_id` into the customer of the URL, which survives."""

    source_id: uuid.UUID
    reason: str = Field(default="manual", min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")
