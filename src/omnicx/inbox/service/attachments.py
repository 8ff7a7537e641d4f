"""Attachments of inbound messages: written under the data directory when the message is stored, read back
(in the caller's workspace and scope) for download."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.errors import MessageNotFound
from omnicx.inbox.models import Inbox, Message
from omnicx.inbox.schemas import Attachment, AttachmentPublic
from omnicx.inbox.service import visibility
from omnicx.kernel.access.principal import Principal

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def store_attachments(
    root: Path, inbox: Inbox, message_id: uuid.UUID, attachments: list[Attachment]
) -> list[dict[str, object]]:
    """Write attachments under `<data dir>/attachments/<workspace>/<message>/`; names are made safe."""
    folder = root / str(inbox.workspace_id) / str(message_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored: list[dict[str, object]] = []
    for index, attachment in enumerate(attachments):
        name = _UNSAFE_NAME.sub("_", attachment.filename).strip("._")[:120] or f"attachment-{index}"
        path = folder / f"{index}-{name}"
        path.write_bytes(attachment.data)
        stored.append(
            {
                "filename": attachment.filename[:255],
                "content_type": attachment.content_type,
                "size": len(attachment.data),
                "path": str(path.relative_to(root)),
            }
        )
    return stored


def get_attachment(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    message_id: uuid.UUID,
    index: int,
    principal: Principal | None = None,
) -> AttachmentPublic:
    """One stored attachment of a message in this workspace (its `path` is under the attachments folder)."""
    message = session.scalar(
        select(Message).where(Message.id == message_id, Message.workspace_id == workspace_id)
    )
    if message is not None and principal is not None:
        visibility.ensure_visible(session, principal, message.conversation_id)
    files = (message.attachments or {}).get("files", []) if message is not None else []
    if message is None or not 0 <= index < len(files):
        raise MessageNotFound(f"attachment {index} of message {message_id} not found")
    return AttachmentPublic.model_validate(files[index])
