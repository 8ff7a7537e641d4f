"""The sessioniser: one customer's events in, their visits out. Pure: no database, no clock.

A new session starts after 30 minutes without activity, when an event carries a different campaign than the
session's (new utm parameters or ad click), or when the session reaches 24 hours. A session is engaged when it
lasts at least 10 seconds, has at least 2 page (or screen) views, or contains a key event; otherwise it
bounced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from omnicx.tracking.context import campaign_key, campaign_of, device_category, page_of, traffic_source

INACTIVITY = timedelta(minutes=30)
MAX_LENGTH = timedelta(hours=24)
ENGAGED_SECONDS = 10.0
ENGAGED_PAGE_VIEWS = 2
DEFAULT_KEY_EVENTS = frozenset({"order completed", "signed up", "lead generated", "checkout started"})
VIEW_TYPES = frozenset({"page", "screen"})


@dataclass(frozen=True)
class Hit:
    """What the sessioniser needs of one event."""

    id: str
    at: datetime
    type: str
    name: str | None = None
    page_url: str | None = None
    page_path: str | None = None
    referrer: str | None = None
    campaign: dict[str, str] = field(default_factory=dict)
    device_category: str = "other"

    @classmethod
    def from_message(cls, event_id: str, at: datetime, message: dict[str, Any]) -> Hit:
        page = page_of(message)
        context = message.get("context") if isinstance(message.get("context"), dict) else {}
        name = message.get("event") if message.get("type") == "track" else message.get("name")
        return cls(
            id=event_id,
            at=at,
            type=str(message.get("type") or "track"),
            name=name if isinstance(name, str) else None,
            page_url=page.get("url"),
            page_path=page.get("path"),
            referrer=page.get("referrer"),
            campaign=campaign_of(message, page),
            device_category=device_category(context or {}),
        )


@dataclass(frozen=True)
class SessionSpan:
    """One visit, with GA4-style attributes."""

    start: datetime
    end: datetime
    hit_ids: tuple[str, ...]
    device_category: str
    landing_page: str | None
    source: str
    medium: str
    campaign: str
    page_views: int
    key_events: int

    @property
    def duration_seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def engaged(self) -> bool:
        return (
            self.duration_seconds >= ENGAGED_SECONDS
            or self.page_views >= ENGAGED_PAGE_VIEWS
            or self.key_events > 0
        )

    @property
    def bounced(self) -> bool:
        return not self.engaged


def _starts_new(current: list[Hit], hit: Hit, current_key: tuple[str, str, str] | None) -> bool:
    if hit.at - current[-1].at > INACTIVITY or hit.at - current[0].at >= MAX_LENGTH:
        return True
    key = campaign_key(hit.campaign)
    return key is not None and key != current_key


def split(hits: Iterable[Hit]) -> list[list[Hit]]:
    """Group time-ordered hits (ties broken by id) into sessions."""
    groups: list[list[Hit]] = []
    current_key: tuple[str, str, str] | None = None
    for hit in sorted(hits, key=lambda h: (h.at, h.id)):
        if not groups or _starts_new(groups[-1], hit, current_key):
            groups.append([hit])
            current_key = campaign_key(hit.campaign)
        else:
            groups[-1].append(hit)
            current_key = current_key or campaign_key(hit.campaign)
    return groups


def _landing(group: Sequence[Hit]) -> Hit:
    return next((h for h in group if h.type in VIEW_TYPES), group[0])


def summarise(group: Sequence[Hit], key_events: frozenset[str] = DEFAULT_KEY_EVENTS) -> SessionSpan:
    first = _landing(group)
    tagged = next((h for h in group if campaign_key(h.campaign) is not None), first)
    source, medium, campaign = traffic_source(tagged.campaign, first.referrer, first.page_url)
    landing = first.page_path or first.page_url if first.type in VIEW_TYPES else None
    if first.type == "screen":
        landing = first.name or landing
    return SessionSpan(
        start=group[0].at,
        end=group[-1].at,
        hit_ids=tuple(h.id for h in group),
        device_category=first.device_category,
        landing_page=landing,
        source=source,
        medium=medium,
        campaign=campaign,
        page_views=sum(1 for h in group if h.type in VIEW_TYPES),
        key_events=sum(1 for h in group if h.type == "track" and (h.name or "").lower() in key_events),
    )


def sessionize(hits: Iterable[Hit], key_events: frozenset[str] = DEFAULT_KEY_EVENTS) -> list[SessionSpan]:
    """All sessions of one customer's hits, oldest first."""
    return [summarise(group, key_events) for group in split(hits)]
