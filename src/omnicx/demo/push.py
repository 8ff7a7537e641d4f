"""Browsers that allowed the shop's notifications: the demo subscribes the browsers of a few visitors of its
world (devices that browsed the shop and never signed in) to web push on the local push service, as the shop's
pages would (`omnicx-push.js`), so Settings → Web push lists them and a test notification is delivered and
decrypted by the browser.

The browsers are derived from the server's secret key and the visitor: a restarted demo subscribes the same
ones again (the same endpoints update their rows), and its fresh push service knows them.
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.orm import Session

from omnicx.channels import service as channels_service
from omnicx.demo.providers import RunningProviders
from omnicx.demo.world import SHOP
from omnicx.identity import service as identity_service
from omnicx.kernel.settings import Settings
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import EventFilter, SourceCreate

BROWSERS = 8
PAGES_LOOKED_AT = 400
SOURCE = "Demo web push"


def seed_push(
    session: Session, *, workspace_id: uuid.UUID, settings: Settings, providers: RunningProviders
) -> int:
    """Subscribe the demo's browsers; returns how many. Commits."""
    key = channels_service.push_public_key(session, workspace_id=workspace_id, settings=settings)
    found = tracking_service.find_source(session, workspace_id=workspace_id, name=SOURCE)
    made = (
        tracking_service.create_source(session, workspace_id=workspace_id, data=SourceCreate(name=SOURCE))
        if found is None
        else tracking_service.rotate_source(session, workspace_id=workspace_id, source_id=found.id)
    )
    source = tracking_service.authenticate_write_key(session, write_key=made.write_key)
    visitors = _anonymous_visitors(session, workspace_id)
    for device in visitors:
        seed = hashlib.sha256(f"{settings.resolved_secret_key}:{device}".encode()).digest()
        browser = providers.push.subscribe(providers.push_base, key, seed=seed)
        data = channels_service.SubscribeRequest.model_validate(
            {"anonymousId": device, "subscription": browser, "url": f"{SHOP}/"}
        )
        channels_service.subscribe_browser(session, source=source, data=data, settings=settings)
    return len(visitors)


def _anonymous_visitors(session: Session, workspace_id: uuid.UUID) -> list[str]:
    """Up to `BROWSERS` devices that viewed the shop's pages lately and belong to no identified customer (the
    profiles a browser's subscription may join), oldest events' devices first, so the choice is stable."""
    pages = tracking_service.list_events(
        session, workspace_id=workspace_id, filters=EventFilter(type="page"), limit=PAGES_LOOKED_AT
    ).items
    found: list[str] = []
    for device in sorted({e.anonymous_id for e in pages if e.anonymous_id and not e.user_id}):
        owner = identity_service.resolve_device(session, workspace_id=workspace_id, anonymous_id=device)
        if owner is not None:
            found.append(device)
        if len(found) == BROWSERS:
            break
    session.rollback()
    return found
