"""The sessioniser: one customer's events in, their visits out. Pure: no database, no clock.

A new session starts after 30 minutes without activity, when an event carries a different campaign than the
session's (new utm parameters or ad click), or when the session reaches 24 hours. A session is engaged when it
lasts at least 10 seconds, has at least 2 page (or screen) views, or contains a key event; otherwise it
bounced.

`resume` carries on a stored session with later hits from its stored summary (its campaign key included), with
the same result as sessionising all of its hits again: a visitor's open session grows by a few events per batch,
and re-reading every earlier event of it each time made processing quadratic in the session's length. Only a
stored session without a page view yet also needs its first hit (its landing is still to come).
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
    #: A resumed session's stored part: its events (not in `hit_ids`) and whether it was engaged already.
    carried_events: int = 0
    carried_engaged: bool = False
    #: The campaign key of its first hit: a later hit with another key starts a new session.
    key: tuple[str, str, str] | None = None

    @property
    def event_count(self) -> int:
        return self.carried_events + len(self.hit_ids)

    @property
    def duration_seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def engaged(self) -> bool:
        return (
            self.carried_engaged
            or self.duration_seconds >= ENGAGED_SECONDS
            or self.page_views >= ENGAGED_PAGE_VIEWS
            or self.key_events > 0
        )

    @property
    def bounced(self) -> bool:
        return not self.engaged


def _starts_new(start: datetime, end: datetime, hit: Hit, current_key: tuple[str, str, str] | None) -> bool:
    """Whether `hit` begins a new session after one running from `start` to `end` with campaign `current_key`."""
    if hit.at - end > INACTIVITY or hit.at - start >= MAX_LENGTH:
        return True
    key = campaign_key(hit.campaign)
    return key is not None and key != current_key


def split(hits: Iterable[Hit]) -> list[list[Hit]]:
    """Group time-ordered hits (ties broken by id) into sessions."""
    groups: list[list[Hit]] = []
    current_key: tuple[str, str, str] | None = None
    for hit in sorted(hits, key=lambda h: (h.at, h.id)):
        if not groups or _starts_new(groups[-1][0].at, groups[-1][-1].at, hit, current_key):
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
        key=campaign_key(group[0].campaign),
    )


def sessionize(hits: Iterable[Hit], key_events: frozenset[str] = DEFAULT_KEY_EVENTS) -> list[SessionSpan]:
    """All sessions of one customer's hits, oldest first."""
    return [summarise(group, key_events) for group in split(hits)]


@dataclass(frozen=True)
class OpenSession:
    """A stored session to carry on: its summary as stored (`span`, whose `hit_ids` may be empty:
    `carried_events` then holds the count; its `key` decides which later hits continue it) and, needed only
    while it has no page view, its first hit."""

    span: SessionSpan
    first: Hit | None = None


def resume(
    open_session: OpenSession, hits: Iterable[Hit], key_events: frozenset[str] = DEFAULT_KEY_EVENTS
) -> list[SessionSpan]:
    """The open session carried on with `hits` (each later than its end), then any sessions they start: what
    `sessionize` would give for the session's hits and `hits` together, without the session's hits.

    The summary is enough because of how sessions are cut: only a session's first hit can carry a campaign
    that differs from nothing (a later tagged hit with another campaign starts a new session), its landing hit
    stays the first view once it has one, and being engaged only ever becomes true.
    """
    stored = open_session.span
    ordered = sorted(hits, key=lambda h: (h.at, h.id))
    key = stored.key
    end, taken = stored.end, 0
    for hit in ordered:
        if _starts_new(stored.start, end, hit, key):
            break
        end, taken = hit.at, taken + 1
    carried, rest = ordered[:taken], ordered[taken:]
    return [_carried(open_session, carried, key_events), *sessionize(rest, key_events)]


def _carried(open_session: OpenSession, carried: Sequence[Hit], key_events: frozenset[str]) -> SessionSpan:
    """The stored session with `carried` appended. Without a view yet, its landing (hence device and source) is
    the first view among them, found by summarising its first hit with them."""
    stored = open_session.span
    if not carried:
        return stored
    fixed = stored
    if stored.page_views == 0:
        if open_session.first is None:
            raise ValueError("carrying on a session without a page view needs its first hit")
        fixed = summarise([open_session.first, *carried], key_events)
    return SessionSpan(
        start=stored.start,
        end=carried[-1].at,
        hit_ids=tuple(h.id for h in carried),
        device_category=fixed.device_category,
        landing_page=fixed.landing_page,
        source=fixed.source,
        medium=fixed.medium,
        campaign=fixed.campaign,
        page_views=stored.page_views + sum(1 for h in carried if h.type in VIEW_TYPES),
        key_events=sum(1 for h in carried if h.type == "track" and (h.name or "").lower() in key_events),
        carried_events=stored.event_count,
        carried_engaged=stored.engaged,
        key=stored.key,
    )
