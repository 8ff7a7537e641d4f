"""What tracking adds to the customer 360: timeline items (events, visits), facts (devices, first touch) and
the first-touch channel filter of the customer list. Registered with customers in `tracking/tasks.py`.

Direction follows who acted: a visit (session) and an action the customer took on a site or app (a track call
from a web or app source) are inbound; page views, identify calls and server-side or imported events are
facts. Titles, details and channel names (omnicx's own channel groups among them: "Organic Search" is
"Recherche naturelle" in French) are in the request's language; what the site sent (event names, page paths,
properties) and a workspace's own channel names stay as they are.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.customers.schemas import DeviceFact, ProfileFacts, TimelineItem
from omnicx.customers.service import device_label
from omnicx.identity import service as identity_service
from omnicx.kernel.i18n import gettext as _
from omnicx.kernel.i18n import lazy as N_
from omnicx.tracking.context import as_dict, device_category
from omnicx.tracking.labels import SOURCE_KIND_NAMES, channel_label
from omnicx.tracking.models import Event, Source, SourceKind, Touchpoint, TrackingSession

CUSTOMER_SIDE = frozenset({SourceKind.WEB, SourceKind.APP})
DEVICE_SAMPLE = 500
_BROWSERS = (
    ("Edge", re.compile(r"Edg/")),
    ("Opera", re.compile(r"OPR/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Safari", re.compile(r"Safari/")),
)


def _event_title(row: Any) -> str:
    payload: dict[str, Any] = row.payload
    page = as_dict(as_dict(payload.get("context")).get("page"))
    match row.type:
        case "track":
            return str(row.event or _("Event"))
        case "page":
            return _("Viewed %(page)s") % {"page": row.event or page.get("path") or page.get("url") or "/"}
        case "screen":
            return _("Viewed screen %(name)s") % {"name": row.event or ""}
        case "identify":
            return _("Identified")
        case "group":
            return _("Joined group %(id)s") % {"id": payload.get("groupId", "")}
        case "alias":
            return _("Linked a previous identity")
    return str(row.type)


def _event_detail(row: Any) -> str:
    properties = as_dict(row.payload.get("properties"))
    shown = ", ".join(f"{k}: {v}" for k, v in list(properties.items())[:4] if not isinstance(v, dict | list))
    return shown[:300]


def _event_items(
    session: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID], limit: int
) -> list[TimelineItem]:
    rows = session.execute(
        select(Event.type, Event.event, Event.timestamp, Event.payload, Source.kind)
        .join(Source, Source.id == Event.source_id)
        .where(Event.workspace_id == workspace_id, Event.customer_id.in_(ids))
        .order_by(Event.timestamp.desc())
        .limit(limit)
    )
    return [
        TimelineItem(
            at=row.timestamp,
            kind="event",
            title=_event_title(row),
            detail=_event_detail(row),
            detail_recorded=True,
            channel=row.kind.value,
            channel_label=_(SOURCE_KIND_NAMES[row.kind]),
            direction="inbound" if row.type == "track" and row.kind in CUSTOMER_SIDE else "none",
            source="tracking",
        )
        for row in rows
    ]


def _session_items(
    session: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID], limit: int
) -> list[TimelineItem]:
    rows = session.scalars(
        select(TrackingSession)
        .where(TrackingSession.workspace_id == workspace_id, TrackingSession.customer_id.in_(ids))
        .order_by(TrackingSession.started_at.desc())
        .limit(limit)
    )
    return [
        TimelineItem(
            at=row.started_at,
            kind="session",
            title=_("Visit via %(channel)s") % {"channel": channel_label(row.channel)},
            detail=_visit_detail(row),
            channel=row.channel,
            channel_label=channel_label(row.channel),
            direction="inbound",
            source="tracking",
        )
        for row in rows
    ]


def _visit_detail(row: TrackingSession) -> str:
    """A visit's numbers, where it came from and where it landed."""
    detail = _(
        "%(views)s page views, %(seconds)s s, %(device)s, %(source)s / %(medium)s, landing %(page)s"
    ) % {
        "views": row.page_views,
        "seconds": round(row.duration_seconds),
        "device": device_label(row.device_category),
        "source": row.source,
        "medium": row.medium,
        "page": row.landing_page or "—",
    }
    return detail if row.engaged else _("%(detail)s, bounced") % {"detail": detail}


# Touchpoints of contacts outside the screen: logged by hand, imported or recorded through the API. (A
# conversation's touchpoint is shown by the inbox's own items.)
OFFLINE_SOURCES = ("logged", "offline", "api")
CONTACT_TITLES = {
    "call": N_("Phone call"),
    "store_visit": N_("Store visit"),
    "visit": N_("Store visit"),
    "store_note": N_("Store note"),
}
DIRECTION_NAMES = {"inbound": N_("inbound"), "outbound": N_("outbound")}


def _contact_items(
    session: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID], limit: int
) -> list[TimelineItem]:
    rows = session.scalars(
        select(Touchpoint)
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.customer_id.in_(ids),
            Touchpoint.source.in_(OFFLINE_SOURCES),
        )
        .order_by(Touchpoint.at.desc())
        .limit(limit)
    )
    return [_contact_item(row) for row in rows]


def _contact_item(row: Touchpoint) -> TimelineItem:
    detail: dict[str, Any] = row.detail or {}
    direction = str(detail.get("direction") or ("none" if row.kind == "store_note" else "inbound"))
    facts = [_(DIRECTION_NAMES.get(direction, direction))] if row.kind == "call" else []
    if detail.get("duration_seconds"):
        facts.append(f"{max(1, round(int(detail['duration_seconds']) / 60))} min")
    known = CONTACT_TITLES.get(row.kind)
    title = _(known) if known else row.kind.replace("_", " ").capitalize()
    parts = [str(detail[k]) for k in ("location", "reason", "outcome", "notes") if detail.get(k)]
    by = " " + _("(logged by %(name)s)") % {"name": detail["logged_by"]} if detail.get("logged_by") else ""
    return TimelineItem(
        at=row.at,
        kind="contact",
        title=title + (f" ({', '.join(facts)})" if facts else ""),
        detail=" · ".join(parts) + by,
        channel=row.channel,
        channel_label=channel_label(row.channel),
        direction=direction if direction in ("inbound", "outbound") else "none",
        source="tracking",
    )


def timeline_items(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """The customer's newest events, visits and offline contacts (up to `limit` of each)."""
    ids = list(customer_ids)
    return (
        _event_items(session, workspace_id, ids, limit)
        + _session_items(session, workspace_id, ids, limit)
        + _contact_items(session, workspace_id, ids, limit)
    )


_SYSTEMS = (
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Android", re.compile(r"Android")),
    ("Mac OS", re.compile(r"Mac OS X|Macintosh")),
    ("Windows", re.compile(r"Windows")),
    ("Linux", re.compile(r"Linux")),
)


def _os(agent: str) -> str | None:
    return next((name for name, pattern in _SYSTEMS if pattern.search(agent)), None)


def _browser(agent: str) -> str | None:
    return next((name for name, pattern in _BROWSERS if pattern.search(agent)), None)


def _device(context: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(category, os, browser) of one event's context."""
    agent = str(context.get("userAgent") or "")
    os_name = as_dict(context.get("os")).get("name") or _os(agent)
    return device_category(context), str(os_name) if os_name else None, _browser(agent)


def profile_facts(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> ProfileFacts:
    """Devices seen in the customer's recent events, and their first touchpoint's channel."""
    rows = session.execute(
        select(Event.timestamp, Event.payload)
        .where(Event.workspace_id == workspace_id, Event.customer_id.in_(list(customer_ids)))
        .order_by(Event.timestamp.desc())
        .limit(DEVICE_SAMPLE)
    )
    seen: dict[tuple[str, str | None, str | None], datetime] = {}
    for row in rows:
        key = _device(as_dict(row.payload.get("context")))
        if key[0] != "other" and key not in seen:
            seen[key] = row.timestamp
    devices = [
        DeviceFact(
            label=" · ".join(part for part in (browser, os_name) if part) or category,  # the kind apart
            type=category,
            os=os_name,
            browser=browser,
            last_seen_at=at,
        )
        for (category, os_name, browser), at in seen.items()
    ]
    first = session.execute(
        select(Touchpoint.channel, Touchpoint.at)
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.customer_id.in_(list(customer_ids)))
        .order_by(Touchpoint.at, Touchpoint.id)
        .limit(1)
    ).first()
    return ProfileFacts(
        devices=devices,
        first_touch_channel=first.channel if first else None,
        first_touch_at=first.at if first else None,
    )


#: Each customer's first touch (earliest, then lowest id, as the profile's first-touch channel) in the copy.
FIRST_TOUCH_IN = """
SELECT person_id FROM (
    SELECT person_id, channel, row_number() OVER (PARTITION BY person_id ORDER BY touched_at, id) AS n
    FROM touchpoints
) first
WHERE n = 1 AND channel = $channel
"""


def customers_by_first_touch_channel(
    session: Session, workspace_id: uuid.UUID, channel: str
) -> list[uuid.UUID]:
    """Ids of the customers whose first touchpoint came through `channel` (the customer list's filter), found
    in the analytics copy."""
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=FIRST_TOUCH_IN, params={"channel": channel}
    )
    return [row[0] for row in rows]


#: The first touch of each of some customers (by their current id), as the profile's first-touch channel.
FIRST_TOUCHES = """
SELECT person_id, channel FROM (
    SELECT person_id, channel, row_number() OVER (PARTITION BY person_id ORDER BY touched_at, id) AS n
    FROM touchpoints
    WHERE list_contains($people, CAST(person_id AS VARCHAR))
) first
WHERE n = 1
"""


def first_touch_channels(
    session: Session, workspace_id: uuid.UUID, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Each given customer's first-touch channel (ids merged away answer for their survivor's history), found in
    the analytics copy; customers without a touchpoint are absent."""
    if not customer_ids:
        return {}
    current = identity_service.current_customer_ids(
        session, workspace_id=workspace_id, customer_ids=customer_ids
    )
    people = sorted({str(survivor) for survivor in current.values()})
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=FIRST_TOUCHES, params={"people": people}
    )
    channels = {uuid.UUID(str(person)): str(channel) for person, channel in rows}
    return {old: channels[new] for old, new in current.items() if new in channels}
