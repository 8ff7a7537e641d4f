"""What other domains plug into the customer view, without customers importing them.

The composition root registers each providing domain's functions before anything serves
(`omnicx.app.wiring`), for example:

    from omnicx.customers import service as customers_service

    customers_service.register_timeline_provider("tracking", events_timeline)
    customers_service.register_profile_facts_provider("tracking", devices_and_first_touch)
    customers_service.register_customer_filter("channel", customers_by_first_touch_channel)
    customers_service.register_customer_grouping("orders", buyer_groups, BUYER_GROUP_LABELS)

Providers receive every id the customer ever had (the survivor first, then the ids merged into it), since
records keep the id they were resolved to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from omnicx.customers.schemas import ProfileFacts, TimelineItem

# (session, workspace_id, customer_ids incl. merged ones, limit) -> the provider's newest items (any order).
TimelineProvider = Callable[[Session, uuid.UUID, Sequence[uuid.UUID], int], list[TimelineItem]]
# (session, workspace_id, customer_ids incl. merged ones) -> facts (a ProfileFacts or a dict of its fields).
ProfileFactsProvider = Callable[[Session, uuid.UUID, Sequence[uuid.UUID]], ProfileFacts | Mapping[str, Any]]
# (session, workspace_id, value) -> the customer ids matching (merged ids count for survivors).
CustomerFilter = Callable[[Session, uuid.UUID, str], Collection[uuid.UUID]]

# (session, workspace_id, customer ids) -> each customer's group, a key of the grouping's labels (absent: none).
CustomerGrouping = Callable[[Session, uuid.UUID, Collection[uuid.UUID]], Mapping[uuid.UUID, str]]


@dataclass(frozen=True)
class Grouping:
    """A way to split customers that another domain knows (by what they bought, for example), with a label
    (a message id, translated where shown) per group key."""

    name: str
    groups_of: CustomerGrouping
    labels: Mapping[str, str]


_TIMELINES: dict[str, TimelineProvider] = {}
_GROUPINGS: dict[str, Grouping] = {}
_FACTS: dict[str, ProfileFactsProvider] = {}
_FILTERS: dict[str, CustomerFilter] = {}


def register_timeline_provider(name: str, provider: TimelineProvider) -> None:
    """Add `provider`'s items to every customer timeline (registering a name again replaces it)."""
    _TIMELINES[name] = provider


def register_profile_facts_provider(name: str, provider: ProfileFactsProvider) -> None:
    """Add `provider`'s facts (devices, first-touch channel...) to every customer 360."""
    _FACTS[name] = provider


def register_customer_filter(name: str, customer_filter: CustomerFilter) -> None:
    """Offer a list filter computed by another domain; `channel` is the first-touch channel filter."""
    _FILTERS[name] = customer_filter


def register_customer_grouping(name: str, groups_of: CustomerGrouping, labels: Mapping[str, str]) -> None:
    """Offer a way to split customers into groups (reports break their numbers down by it)."""
    _GROUPINGS[name] = Grouping(name=name, groups_of=groups_of, labels=dict(labels))


def unregister_provider(name: str) -> None:
    """Remove every provider and filter registered under `name` (tests, unloaded plug-ins)."""
    _TIMELINES.pop(name, None)
    _FACTS.pop(name, None)
    _FILTERS.pop(name, None)
    _GROUPINGS.pop(name, None)


def timeline_providers() -> dict[str, TimelineProvider]:
    return dict(_TIMELINES)


def facts_providers() -> dict[str, ProfileFactsProvider]:
    return dict(_FACTS)


def customer_filter(name: str) -> CustomerFilter | None:
    return _FILTERS.get(name)


def available_filters() -> list[str]:
    return sorted(_FILTERS)


def customer_groupings() -> list[Grouping]:
    return [_GROUPINGS[name] for name in sorted(_GROUPINGS)]
