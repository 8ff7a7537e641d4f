"""Canned responses: saved replies of a workspace, inserted by typing `/shortcut`.

The reply box completes `/` followed by letters in the browser; the server expands too, so a reply whose whole
text is `/shortcut` (API, CLI, a browser without JavaScript) is sent as the response's content.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.errors import CannedResponseNotFound, DuplicateCannedResponse
from omnicx.inbox.models import CannedResponse
from omnicx.inbox.schemas import CannedResponseCreate, CannedResponsePublic, CannedResponseUpdate
from omnicx.kernel.access.principal import Principal

_WHOLE_SHORTCUT = re.compile(r"^/([a-z0-9][a-z0-9_-]{0,63})$")


def list_canned(session: Session, *, workspace_id: uuid.UUID, prefix: str = "") -> list[CannedResponsePublic]:
    """The workspace's canned responses by shortcut; `prefix` keeps those whose shortcut starts with it."""
    stmt = select(CannedResponse).where(CannedResponse.workspace_id == workspace_id)
    if prefix:
        stmt = stmt.where(CannedResponse.shortcut.startswith(prefix.lower(), autoescape=True))
    return [
        CannedResponsePublic.model_validate(r)
        for r in session.scalars(stmt.order_by(CannedResponse.shortcut))
    ]


def _load(session: Session, workspace_id: uuid.UUID, canned_id: uuid.UUID) -> CannedResponse:
    row = session.scalar(
        select(CannedResponse).where(
            CannedResponse.id == canned_id, CannedResponse.workspace_id == workspace_id
        )
    )
    if row is None:
        raise CannedResponseNotFound(f"canned response {canned_id} not found")
    return row


def _ensure_free(session: Session, workspace_id: uuid.UUID, shortcut: str, own: uuid.UUID | None) -> None:
    taken = session.scalar(
        select(CannedResponse.id).where(
            CannedResponse.workspace_id == workspace_id, CannedResponse.shortcut == shortcut
        )
    )
    if taken is not None and taken != own:
        raise DuplicateCannedResponse(f"the shortcut /{shortcut} is already used")


def get_canned(session: Session, *, workspace_id: uuid.UUID, canned_id: uuid.UUID) -> CannedResponsePublic:
    return CannedResponsePublic.model_validate(_load(session, workspace_id, canned_id))


def create_canned(
    session: Session, *, principal: Principal, data: CannedResponseCreate
) -> CannedResponsePublic:
    """Save a canned response; its shortcut is unique in the workspace. Committed."""
    _ensure_free(session, principal.workspace_id, data.shortcut, None)
    row = CannedResponse(workspace_id=principal.workspace_id, shortcut=data.shortcut, content=data.content)
    session.add(row)
    session.flush()
    result = CannedResponsePublic.model_validate(row)
    session.commit()
    return result


def update_canned(
    session: Session, *, principal: Principal, canned_id: uuid.UUID, data: CannedResponseUpdate
) -> CannedResponsePublic:
    row = _load(session, principal.workspace_id, canned_id)
    if data.shortcut is not None:
        _ensure_free(session, principal.workspace_id, data.shortcut, row.id)
        row.shortcut = data.shortcut
    if data.content is not None:
        row.content = data.content
    session.flush()
    result = CannedResponsePublic.model_validate(row)
    session.commit()
    return result


def delete_canned(session: Session, *, principal: Principal, canned_id: uuid.UUID) -> None:
    session.delete(_load(session, principal.workspace_id, canned_id))
    session.commit()


def expand_canned(session: Session, *, workspace_id: uuid.UUID, text: str) -> str:
    """`text` itself, or the content of the canned response when `text` is exactly `/shortcut` (an unknown
    shortcut is kept as written: the agent may mean a literal slash)."""
    match = _WHOLE_SHORTCUT.match(text.strip())
    if match is None:
        return text
    content = session.scalar(
        select(CannedResponse.content).where(
            CannedResponse.workspace_id == workspace_id, CannedResponse.shortcut == match.group(1)
        )
    )
    return content if content is not None else text
