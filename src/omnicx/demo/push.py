"""Browsers that allowed the shop's notifications: the demo subscribes a few visitors' browsers to web push on
the local push service, as the shop's pages would (`omnicx-push.js`), so Settings → Web push lists them and a
test notification is delivered and decrypted by the browser.

The browsers are derived from the server's secret key: a restarted demo subscribes the same ones again (the
same endpoints update their rows), and its fresh push service knows them.
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.orm import Session

from omnicx.channels import service as channels_service
from omnicx.demo.providers import RunningProviders
from omnicx.demo.world import SHOP
from omnicx.kernel.settings import Settings
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import SourceCreate

BROWSERS = 8
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
    for number in range(BROWSERS):
        name = f"demo-browser-{number:02d}"
        seed = hashlib.sha256(f"{settings.resolved_secret_key}:{name}".encode()).digest()
        browser = providers.push.subscribe(providers.push_base, key, seed=seed)
        data = channels_service.SubscribeRequest.model_validate(
            {"anonymousId": name, "subscription": browser, "url": f"{SHOP}/"}
        )
        channels_service.subscribe_browser(session, source=source, data=data, settings=settings)
    return BROWSERS
