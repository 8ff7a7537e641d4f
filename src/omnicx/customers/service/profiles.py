"""The customer list, the 360 view and the timeline: identity's profile plus what other domains provide."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from omnicx.customers.schemas import (
    Customer360,
    CustomerSummary,
    DeviceFact,
    IdentifierView,
    MergeView,
    ProfileFacts,
    TimelineItem,
)
from omnicx.customers.service.registry import customer_filter, facts_providers, timeline_providers
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import CustomerPublic, CustomerSearch, DataSubject
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.schemas import Page

TIMELINE_LIMIT = 100
# Last contact and last communication are looked for further back than the timeline shows.
RECENT_CONTACT_WINDOW = 500


def _summary(customer: CustomerPublic) -> CustomerSummary:
    return CustomerSummary(
        id=customer.id,
        display_name=customer.display_name,
        email=customer.email,
        phone=customer.phone,
        first_seen_at=customer.first_seen_at,
        last_seen_at=customer.last_seen_at,
        created_at=customer.created_at,
    )


def list_customers(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    q: str | None = None,
    seen_since: datetime | None = None,
    seen_until: datetime | None = None,
    has_email: bool | None = None,
    channel: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[CustomerSummary]:
    """Customers most recently seen first; `q` searches name, email, phone and identifier values.

    `channel` filters by first-touch channel when a domain registered the `channel` filter; without one no
    customer has a known channel, so the page is empty.
    """
    among = None
    channel = (channel or "").replace("\x00", "").strip()
    if channel:
        channel_filter = customer_filter("channel")
        if channel_filter is None:
            return Page[CustomerSummary](items=[], total=0, offset=offset, limit=limit)
        among = channel_filter(session, workspace_id, channel)
    search = CustomerSearch(q=q, seen_since=seen_since, seen_until=seen_until, has_email=has_email)
    page = identity_service.search_customers(
        session, workspace_id=workspace_id, search=search, among=among, offset=offset, limit=limit
    )
    return Page[CustomerSummary](
        items=[_summary(c) for c in page.items], total=page.total, offset=page.offset, limit=page.limit
    )


def _collect_timeline(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for provider in timeline_providers().values():
        items.extend(provider(session, workspace_id, customer_ids, limit))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def timeline(
    session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID, limit: int = TIMELINE_LIMIT
) -> list[TimelineItem]:
    """One timeline across every channel and domain, newest first (merged profiles' history included)."""
    lineage = identity_service.customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    return _collect_timeline(session, workspace_id, lineage, limit)


def _facts(session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]) -> ProfileFacts:
    """Combine every provider's facts: devices add up, the earliest first touch wins, extras merge."""
    combined = ProfileFacts()
    for provider in facts_providers().values():
        found = provider(session, workspace_id, customer_ids)
        facts = found if isinstance(found, ProfileFacts) else ProfileFacts.model_validate(dict(found))
        combined.devices.extend(facts.devices)
        combined.extra.update(facts.extra)
        if facts.first_touch_channel and _earlier(facts.first_touch_at, combined):
            combined.first_touch_channel = facts.first_touch_channel
            combined.first_touch_at = facts.first_touch_at
    combined.devices.sort(key=_device_recency, reverse=True)
    return combined


def _earlier(at: datetime | None, current: ProfileFacts) -> bool:
    if current.first_touch_channel is None:
        return True
    return at is not None and (current.first_touch_at is None or at < current.first_touch_at)


def _device_recency(device: DeviceFact) -> float:
    return device.last_seen_at.timestamp() if device.last_seen_at else 0.0


def _newest(items: Sequence[TimelineItem], direction: str) -> TimelineItem | None:
    return next((item for item in items if item.direction == direction), None)


def get_customer_360(
    session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID, timeline_limit: int = TIMELINE_LIMIT
) -> Customer360:
    """Profile, every identifier, devices, first touch, last contact, last communication and the timeline.

    A merged id answers with its survivor's view.
    """
    lineage = identity_service.customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    customer = identity_service.get_customer(session, workspace_id=workspace_id, customer_id=lineage[0])
    identifiers = identity_service.list_identifiers(
        session, workspace_id=workspace_id, customer_id=lineage[0]
    )
    merges = identity_service.list_merges(session, workspace_id=workspace_id, customer_id=lineage[0])
    recent = _collect_timeline(session, workspace_id, lineage, max(RECENT_CONTACT_WINDOW, timeline_limit))
    facts = _facts(session, workspace_id, lineage)
    return Customer360(
        customer=_summary(customer),
        traits=customer.traits,
        identifiers=[
            IdentifierView(kind=i.kind.value, value=i.value, created_at=i.created_at) for i in identifiers
        ],
        merged_customer_ids=lineage[1:],
        merges=[
            MergeView(
                source_id=m.source_id,
                target_id=m.target_id,
                status=m.status.value,
                reason=m.reason,
                created_at=m.created_at,
            )
            for m in merges
        ],
        devices=facts.devices,
        first_touch_channel=facts.first_touch_channel,
        first_touch_at=facts.first_touch_at,
        facts=facts.extra,
        last_contact=_newest(recent, "inbound"),
        last_communication=_newest(recent, "outbound"),
        timeline=recent[:timeline_limit],
    )


def merge(
    session: Session,
    *,
    principal: Principal,
    target_id: uuid.UUID,
    source_id: uuid.UUID,
    reason: str = "manual",
) -> CustomerSummary:
    """Merge a duplicate contact into `target_id` (which survives); audited and committed."""
    merged = identity_service.merge_customers(
        session, principal=principal, source_id=source_id, target_id=target_id, reason=reason
    )
    session.commit()
    return _summary(merged)


def identifiers(session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> list[IdentifierView]:
    found = identity_service.list_identifiers(session, workspace_id=workspace_id, customer_id=customer_id)
    return [IdentifierView(kind=i.kind.value, value=i.value, created_at=i.created_at) for i in found]


def merge_timeline(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Identity's own timeline items: the merges that built this profile."""
    if not customer_ids:
        return []
    merges = identity_service.list_merges(session, workspace_id=workspace_id, customer_id=customer_ids[0])
    return [
        TimelineItem(
            at=m.created_at,
            kind="identity",
            title="Profiles merged" if m.status.value == "merged" else "Merge refused",
            detail=f"{m.reason}: {m.source_id or '—'} → {m.target_id}",
            source="identity",
        )
        for m in merges[:limit]
    ]


def timeline_export(session: Session, subject: DataSubject) -> list[dict[str, object]]:
    """The whole timeline as JSON, for privacy exports."""
    items = _collect_timeline(session, subject.workspace_id, subject.customer_ids, 10_000)
    return [item.model_dump(mode="json") for item in items]
