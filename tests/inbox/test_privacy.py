"""The inbox's part of a privacy request: the customer's contacts and conversations are exported, then erased
down to anonymised shells that keep the report's counts; nobody else's are touched."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import DataSubject, Identifier
from omnicx.inbox import service
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, MessagingChannel
from omnicx.inbox.models import AgentNotification, Contact, Conversation, ConversationEvent, Message
from omnicx.inbox.schemas import (
    Attachment,
    ConversationUpdate,
    InboundMessage,
    InboxPublic,
    InboxView,
    ReceiveResult,
    ReplyCreate,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.runtime import Runtime
from tests.conftest import World

SUPPORT = "support@acme.example.com"


def _email(runtime: Runtime, sender: str, text: str, *, attachment: bytes | None = None) -> ReceiveResult:
    message = InboundMessage(
        channel=MessagingChannel.EMAIL,
        inbox_address=SUPPORT,
        source_id=sender,
        email=sender,
        name=sender.split("@")[0].title(),
        provider_message_id=f"<{uuid.uuid4()}@example.com>",
        subject=f"Lamp for {sender}",
        text=text,
        attachments=[Attachment(filename="photo.png", content_type="image/png", data=attachment)]
        if attachment
        else [],
        sender_verified=True,
    )
    return asyncio.run(service.ingest(runtime, message=message))


def _chat(runtime: Runtime, chat: InboxPublic, visitor: str, email: str, text: str) -> ReceiveResult:
    message = InboundMessage(
        channel=MessagingChannel.CHAT,
        inbox_address=chat.address,
        source_id=visitor,
        email=email,
        anonymous_id=visitor,
        provider_message_id=f"{visitor}:{uuid.uuid4()}",
        text=text,
        sender_verified=True,
    )
    return asyncio.run(service.ingest(runtime, message=message))


def _subject(db: Session, world: World, customer_id: uuid.UUID, data_dir: Path | None) -> DataSubject:
    lineage = identity_service.customer_lineage(db, workspace_id=world.workspace.id, customer_id=customer_id)
    identifiers = identity_service.list_identifiers(
        db, workspace_id=world.workspace.id, customer_id=customer_id
    )
    return DataSubject(
        workspace_id=world.workspace.id,
        customer_ids=tuple(lineage),
        identifiers=tuple(Identifier(kind=i.kind, value=i.value) for i in identifiers),
        data_dir=data_dir,
    )


def _search(db: Session, world: World, q: str) -> list[uuid.UUID]:
    found = service.list_conversations(
        db, principal=world.members[Role.OWNER].principal, view=InboxView(view="all", status="any", q=q)
    )
    db.rollback()
    return [c.id for c in found]


def test_erasure_leaves_anonymised_shells_and_deletes_files(
    db: Session, runtime: Runtime, world: World, email_inbox: InboxPublic, chat_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT].principal
    first = _email(
        runtime, "alice@example.com", "My lamp flickers, invoice 7731", attachment=b"\x89PNG-alice"
    )
    assert first.customer_id is not None
    service.reply(
        db, principal=agent, conversation_id=first.conversation_id, data=ReplyCreate(text="Hi Alice!")
    )
    service.reply(
        db,
        principal=agent,
        conversation_id=first.conversation_id,
        data=ReplyCreate(text="@admin Alice Martin is upset", private=True),
    )
    service.update_conversation(
        db,
        principal=agent,
        conversation_id=first.conversation_id,
        data=ConversationUpdate(status=ConversationStatus.RESOLVED),
    )
    chat = _chat(runtime, chat_inbox, "visitor-9", "alice@example.com", "Still flickering")
    assert chat.customer_id == first.customer_id
    other = _email(runtime, "bob@example.com", "Where is my parcel?")
    stored = db.scalar(select(Message.attachments).where(Message.id == first.message_id))
    assert stored is not None
    attachment = runtime.settings.data_dir / "attachments" / stored["files"][0]["path"]
    assert attachment.read_bytes() == b"\x89PNG-alice"
    today = utcnow().date()
    report_before = service.report(
        db, workspace_id=world.workspace.id, start=today - timedelta(days=1), end=today
    ).totals
    db.rollback()

    exported = service.export_customer_data(db, _subject(db, world, first.customer_id, None))
    assert {c["source_id"] for c in exported["contacts"]} == {"alice@example.com", "visitor-9"}
    by_id = {c["id"]: c for c in exported["conversations"]}
    assert set(by_id) == {str(first.conversation_id), str(chat.conversation_id)}
    thread = by_id[str(first.conversation_id)]["messages"]
    assert [(m["direction"], m["text"]) for m in thread] == [
        ("from_customer", "My lamp flickers, invoice 7731"),
        ("to_customer", "Hi Alice!"),
    ]  # the private note is the team's own
    assert thread[0]["attachments"] == [{"filename": "photo.png", "content_type": "image/png", "size": 10}]
    db.rollback()

    with runtime.sessions() as session, session.begin():
        touched = service.erase_customer_data(
            session, _subject(session, world, first.customer_id, runtime.settings.data_dir)
        )
    assert touched > 0

    erased = {first.conversation_id, chat.conversation_id}
    assert (
        db.scalar(select(func.count()).select_from(Message).where(Message.conversation_id.in_(erased))) == 0
    )
    assert not attachment.exists() and not attachment.parent.exists()
    for conversation in db.scalars(select(Conversation).where(Conversation.id.in_(erased))):
        assert conversation.status is ConversationStatus.RESOLVED  # the open chat too: nobody to answer
        assert conversation.customer_id is None and conversation.open_contact_id is None
        assert conversation.subject == "" and conversation.search_text == "" and conversation.intent is None
    for contact in db.scalars(select(Contact).where(Contact.id.in_([first.contact_id, chat.contact_id]))):
        assert contact.source_id == f"erased:{contact.id}" and contact.name == "" and contact.email is None
        assert contact.customer_id is None
    labels = set(
        db.scalars(select(ConversationEvent.actor_label).where(ConversationEvent.conversation_id.in_(erased)))
    )
    assert "alice@example.com" not in labels and "visitor-9" not in labels
    kinds = db.scalars(
        select(ConversationEvent.kind).where(ConversationEvent.conversation_id == first.conversation_id)
    )
    assert ConversationEventKind.ERASED in set(kinds)
    assert db.scalar(select(func.count()).select_from(AgentNotification)) == 0
    db.rollback()
    assert _search(db, world, "flickers") == [] and _search(db, world, "alice") == []
    assert _search(db, world, "parcel") == [other.conversation_id]  # Bob's stays whole
    report_after = service.report(
        db, workspace_id=world.workspace.id, start=today - timedelta(days=1), end=today
    )
    assert report_after.totals.conversations == report_before.conversations
    assert report_after.totals.first_response_median_seconds == report_before.first_response_median_seconds


def test_erasing_the_inbox_needs_the_data_directory(
    db: Session, runtime: Runtime, world: World, email_inbox: InboxPublic
) -> None:
    received = _email(runtime, "carol@example.com", "Hello", attachment=b"file")
    assert received.customer_id is not None
    subject = _subject(db, world, received.customer_id, None)
    with pytest.raises(ValueError, match="data directory"):  # else attachments would stay behind
        service.erase_customer_data(db, subject)
    db.rollback()
