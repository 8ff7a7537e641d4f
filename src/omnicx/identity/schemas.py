"""Contracts of the identity domain: identifiers, customers as the graph knows them, merges, privacy requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class IdentifierKind(StrEnum):
    """What an identifier is; its place in `identity.merging.PRIORITY` decides which customer survives a merge."""

    ANONYMOUS_ID = "anonymous_id"
    USER_ID = "user_id"
    EMAIL = "email"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    TELEGRAM = "telegram"
    EXTERNAL = "external"


class Identifier(BaseModel, frozen=True):
    """One way of recognising a person: a kind and a value (normalise it with `identity.service.normalise`)."""

    kind: IdentifierKind
    value: str


@dataclass(frozen=True, slots=True)
class ResolveItem:
    """One resolution request of a batch (`identity.service.resolve_many`): the identifiers an event carried.

    A plain dataclass, not a model: event processing builds one per event from values already validated, and
    validating each again (its traits copied key by key) cost a tenth of processing a visitor's identify calls.
    """

    identifiers: tuple[Identifier, ...]
    traits: dict[str, Any] | None = None
    seen_at: datetime | None = None
    reason: str = "event"


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IdentifierPublic(_Public):
    kind: IdentifierKind
    value: str
    created_at: datetime


class CustomerPublic(_Public):
    """A customer profile as the identity graph holds it (`merged_into_id` is set once it merged away)."""

    id: uuid.UUID
    display_name: str
    email: str | None
    phone: str | None
    traits: dict[str, Any]
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    merged_into_id: uuid.UUID | None
    created_at: datetime


class MergeStatus(StrEnum):
    """`merged`: the source now points at the target; `refused`: a per-type limit kept them apart."""

    MERGED = "merged"
    REFUSED = "refused"


class MergePublic(_Public):
    id: uuid.UUID
    source_id: uuid.UUID | None
    target_id: uuid.UUID
    status: MergeStatus
    reason: str
    detail: dict[str, Any]
    created_at: datetime


class SuppressionCreate(BaseModel):
    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=320)


class SuppressionPublic(_Public):
    id: uuid.UUID
    kind: IdentifierKind
    value: str
    created_by: str
    created_at: datetime


class ConsentChange(BaseModel):
    """Record that the holder of an identifier opted out of (or back into) messages on a channel."""

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=320)
    channel: str = Field(pattern=r"^[a-z_]{2,32}$", description="The messaging channel: sms, whatsapp...")
    opted_out: bool
    keyword: str = Field(default="", max_length=40, description="What the customer wrote, if they did.")


class ConsentPublic(_Public):
    kind: IdentifierKind
    value: str
    channel: str
    opted_out: bool
    keyword: str
    source: str
    changed_by: str
    changed_at: datetime


class ErasureRequest(BaseModel):
    """Erase a customer; with `suppress`, their identifiers are also suppressed so collection stays stopped."""

    suppress: bool = False


class DataSubject(BaseModel, frozen=True):
    """The person a privacy request is about, as every domain's eraser and exporter receives them.

    `customer_ids` holds the surviving customer first, then every customer merged into it (other domains' rows
    may carry any of them); `identifiers` are the survivor's, normalised (rows never resolved to a customer are
    found through them). `data_dir` is the installation's data directory, where domains keep files
    (attachments): set for an erasure, None for an export.
    """

    workspace_id: uuid.UUID
    customer_ids: tuple[uuid.UUID, ...]
    identifiers: tuple[Identifier, ...]
    data_dir: Path | None = None

    def values(self, *kinds: IdentifierKind) -> list[str]:
        """The identifier values of these kinds (every kind when none is named)."""
        return [i.value for i in self.identifiers if not kinds or i.kind in kinds]


class ErasureStatus(BaseModel):
    """Progress of an erasure, which runs as a durable job (`queued`, `running`, `succeeded`, `dead`)."""

    job_id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    created_at: datetime
    finished_at: datetime | None


class CustomerExport(BaseModel):
    """Everything omnicx holds about one customer, for a data subject access request."""

    exported_at: datetime
    customer: CustomerPublic
    merged_customer_ids: list[uuid.UUID]
    identifiers: list[IdentifierPublic]
    merges: list[MergePublic]
    consents: list[ConsentPublic] = Field(
        default_factory=list, description="What their identifiers said about being messaged (an SMS STOP)."
    )
    sections: dict[str, Any] = Field(description="What other domains export (timeline, events, orders...).")


class CustomerSearch(BaseModel):
    """Filters of the customer list; `q` matches name, email, phone or any identifier value."""

    q: str | None = None
    seen_since: datetime | None = None
    seen_until: datetime | None = None
    has_email: bool | None = None
