"""Fixtures of the customers tests: customers resolved through identity, and a test timeline provider."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from omnicx.customers import service as customers_service
from omnicx.customers.schemas import ProfileFacts, TimelineItem
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind

PROVIDER = "test-provider"


def make_customer(
    db: Session, workspace_id: uuid.UUID, *identifiers: tuple[str, str], **traits: object
) -> uuid.UUID:
    customer_id = identity_service.resolve(
        db,
        workspace_id=workspace_id,
        identifiers=[Identifier(kind=IdentifierKind(kind), value=value) for kind, value in identifiers],
        traits=traits or None,
    )
    db.commit()
    assert customer_id is not None
    return customer_id


def _items(
    session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Three items per customer: an old inbound message, an outbound reply, and a newer page view."""
    if not ids:
        return []
    return [
        TimelineItem(
            at=datetime(2026, 3, 1, 9, tzinfo=UTC),
            kind="message",
            title="Where is my order?",
            channel="whatsapp",
            direction="inbound",
            source=PROVIDER,
        ),
        TimelineItem(
            at=datetime(2026, 3, 1, 10, tzinfo=UTC),
            kind="message",
            title="It ships today",
            channel="email",
            direction="outbound",
            source=PROVIDER,
        ),
        TimelineItem(
            at=datetime(2026, 3, 2, 8, tzinfo=UTC),
            kind="event",
            title="Viewed pricing",
            channel="web",
            source=PROVIDER,
            url="javascript:alert(1)",
        ),
    ][:limit]


def _facts(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> ProfileFacts:
    return ProfileFacts.model_validate(
        {
            "devices": [{"label": "iPhone", "os": "iOS"}],
            "first_touch_channel": "organic_search",
            "first_touch_at": datetime(2026, 2, 1, tzinfo=UTC),
        }
    )


@pytest.fixture
def timeline_provider() -> Iterator[str]:
    customers_service.register_timeline_provider(PROVIDER, _items)
    customers_service.register_profile_facts_provider(PROVIDER, _facts)
    yield PROVIDER
    customers_service.unregister_provider(PROVIDER)
