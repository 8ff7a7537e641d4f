"""Each inbox's satisfaction survey: on or off, the delay after a resolution, the question's wording."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.feedback.errors import InboxNotFound
from omnicx.feedback.models import CsatSetting
from omnicx.feedback.schemas import CsatSettingPublic, CsatSettingUpdate
from omnicx.inbox import service as inbox_service
from omnicx.inbox.errors import InboxNotFound as NoSuchInbox
from omnicx.kernel.access.principal import Principal


def list_settings(session: Session, *, workspace_id: uuid.UUID) -> list[CsatSettingPublic]:
    """Every inbox of the workspace with its survey settings (off where never set)."""
    rows = {
        s.inbox_id: s
        for s in session.scalars(select(CsatSetting).where(CsatSetting.workspace_id == workspace_id))
    }
    return [
        _public(inbox.id, inbox.name, inbox.channel.value, rows.get(inbox.id))
        for inbox in inbox_service.list_inboxes(session, workspace_id=workspace_id)
    ]


def update_setting(
    session: Session, *, principal: Principal, inbox_id: uuid.UUID, data: CsatSettingUpdate
) -> CsatSettingPublic:
    """Turn an inbox's survey on or off, set its delay and wording; audited; commits."""
    try:
        inbox = inbox_service.get_inbox(session, workspace_id=principal.workspace_id, inbox_id=inbox_id)
    except NoSuchInbox as missing:
        raise InboxNotFound("no such inbox") from missing
    row = session.get(CsatSetting, inbox_id)
    if row is None:
        row = CsatSetting(inbox_id=inbox_id, workspace_id=principal.workspace_id)
        session.add(row)
    row.enabled = data.enabled
    row.delay_minutes = data.delay_minutes
    row.wording = dict(data.wording)
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="feedback.csat_settings",
        target_type="inbox",
        target_id=str(inbox_id),
        detail={"enabled": data.enabled, "delay_minutes": data.delay_minutes},
    )
    result = _public(inbox.id, inbox.name, inbox.channel.value, row)
    session.commit()
    return result


def _public(inbox_id: uuid.UUID, name: str, channel: str, row: CsatSetting | None) -> CsatSettingPublic:
    return CsatSettingPublic(
        inbox_id=inbox_id,
        inbox_name=name,
        channel=channel,
        enabled=bool(row and row.enabled),
        delay_minutes=row.delay_minutes if row else 0,
        wording=dict(row.wording) if row else {},
    )
