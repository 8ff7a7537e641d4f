"""Attachments of inbound messages: written under the data directory when the message is stored, read back
(in the caller's workspace and scope) for download.

A provider channel (SMS, WhatsApp, Messenger, Instagram, Telegram) names media its webhook does not carry: the
message is stored at once with those attachments pending (`pending_entries`), in the transaction that queues
`inbox.fetch_attachments`. The channels own that job (they speak to the providers): it reads what is pending
(`pending_attachments`), fetches with no transaction open, and records each outcome (`record_attachment`,
`record_attachment_failure`), which the agents' screens are told about. Recording is idempotent: an attachment
is written once, whichever run of the job gets there first.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import AttachmentStatus, InboxTopic
from omnicx.inbox.errors import MessageNotFound
from omnicx.inbox.models import Conversation, Inbox, Message
from omnicx.inbox.schemas import (
    Attachment,
    AttachmentPublic,
    AttachmentToFetch,
    PendingAttachments,
    RemoteAttachment,
)
from omnicx.inbox.service import visibility
from omnicx.inbox.service.providers import unseal_credentials
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.access.principal import Principal

ATTACHMENTS = "attachments"  # under the data directory
FETCH_ATTACHMENTS_JOB = "inbox.fetch_attachments"
# With the worker's backoff (capped at an hour) a provider's outage is waited out for about half a day.
FETCH_ATTACHMENTS_ATTEMPTS = 10
MAX_ERROR_CHARS = 500
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def store_attachments(
    root: Path, inbox: Inbox, message_id: uuid.UUID, attachments: list[Attachment]
) -> list[dict[str, object]]:
    """Write attachments under `<data dir>/attachments/<workspace>/<message>/`; names are made safe."""
    folder = root / str(inbox.workspace_id) / str(message_id)
    return [_write(root, folder, index, attachment) for index, attachment in enumerate(attachments)]


def _write(root: Path, folder: Path, index: int, attachment: Attachment) -> dict[str, object]:
    """Write one attachment as `<index>-<safe name>` (the same path however often it is written)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = _UNSAFE_NAME.sub("_", attachment.filename).strip("._")[:120] or f"attachment-{index}"
    path = folder / f"{index}-{name}"
    path.write_bytes(attachment.data)
    return {
        "filename": attachment.filename[:255],
        "content_type": attachment.content_type,
        "size": len(attachment.data),
        "path": str(path.relative_to(root)),
        "status": AttachmentStatus.STORED.value,
    }


def pending_entries(remote: list[RemoteAttachment]) -> list[dict[str, object]]:
    """How a provider's attachments are kept on the message until they are fetched: named, with what the
    channel needs to fetch them (`source`, dropped once the attachment is stored or refused)."""
    return [
        {
            "filename": item.filename[:255],
            "content_type": item.content_type,
            "size": 0,
            "path": "",
            "status": AttachmentStatus.PENDING.value,
            "source": dict(item.source),
        }
        for item in remote
    ]


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
    found = AttachmentPublic.model_validate(files[index])
    if found.status is not AttachmentStatus.STORED:
        raise MessageNotFound(f"attachment {index} of message {message_id} is {found.status.value}")
    return found


def pending_attachments(
    session: Session, *, message_id: uuid.UUID, secret_key: str
) -> PendingAttachments | None:
    """What is left to fetch of a message's attachments, with its inbox's credentials (empty when they cannot
    be unsealed); None when the message is gone (erased) or nothing is pending."""
    row = session.execute(
        select(Message, Inbox).join(Inbox, Inbox.id == Message.inbox_id).where(Message.id == message_id)
    ).first()
    if row is None:
        return None
    message, inbox = row
    waiting = [
        AttachmentToFetch(
            index=index,
            filename=str(entry.get("filename") or ""),
            content_type=str(entry.get("content_type") or "application/octet-stream"),
            source={str(k): str(v) for k, v in (entry.get("source") or {}).items()},
        )
        for index, entry in enumerate((message.attachments or {}).get("files", []))
        if isinstance(entry, dict) and entry.get("status") == AttachmentStatus.PENDING.value
    ]
    if not waiting:
        return None
    return PendingAttachments(
        message_id=message.id,
        workspace_id=message.workspace_id,
        inbox_id=inbox.id,
        channel=inbox.channel,
        credentials=unseal_credentials(secret_key, inbox.credentials) or {},
        attachments=waiting,
    )


def record_attachment(
    session: Session, *, message_id: uuid.UUID, index: int, attachment: Attachment, data_dir: Path
) -> bool:
    """Store the fetched bytes of a pending attachment and tell the agents' screens; no commit. False (and
    nothing written) when it is no longer pending: another run of the job stored it, or the message is gone."""
    message, _ = _pending(session, message_id, index)
    if message is None:
        return False
    root = data_dir / ATTACHMENTS
    folder = root / str(message.workspace_id) / str(message.id)
    _replace(message, index, _write(root, folder, index, attachment))
    _announce(session, message, f"Attachment received: {attachment.filename[:80]}")
    return True


def record_attachment_failure(session: Session, *, message_id: uuid.UUID, index: int, error: str) -> bool:
    """Mark a pending attachment as refused by its provider (shown on the message with `error`); no commit.
    False when it is no longer pending."""
    message, entry = _pending(session, message_id, index)
    if message is None:
        return False
    failed = {k: v for k, v in entry.items() if k != "source"}
    failed |= {"status": AttachmentStatus.FAILED.value, "error": error[:MAX_ERROR_CHARS]}
    _replace(message, index, failed)
    _announce(session, message, f"Attachment not received: {entry.get('filename', '')}"[:120])
    return True


def _pending(session: Session, message_id: uuid.UUID, index: int) -> tuple[Message | None, dict[str, object]]:
    """The message, locked, and its attachment `index` if that is still pending."""
    message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    files = (message.attachments or {}).get("files", []) if message is not None else []
    entry = files[index] if 0 <= index < len(files) else None
    if (
        message is None
        or not isinstance(entry, dict)
        or entry.get("status") != AttachmentStatus.PENDING.value
    ):
        return None, {}
    return message, entry


def _replace(message: Message, index: int, entry: dict[str, object]) -> None:
    """Put `entry` in place of attachment `index` (a new value, so the JSON column is written)."""
    files = list((message.attachments or {}).get("files", []))
    files[index] = entry
    message.attachments = {**(message.attachments or {}), "files": files}


def _announce(session: Session, message: Message, summary: str) -> None:
    conversation = session.get(Conversation, message.conversation_id)
    if conversation is not None:
        announce(session, conversation, InboxTopic.MESSAGE_ATTACHMENT, summary, message_id=str(message.id))
