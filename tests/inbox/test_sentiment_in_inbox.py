"""Sentiment in the inbox: each inbound message is scored where it is stored, a sharply negative one lifts its
conversation to high priority (in its history), and the agent sees each message's sentiment and the trend."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.enums import ConversationEventKind, MessageKind, Priority
from omnicx.inbox.models import ConversationEvent, Message
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound

ANGRY = "This is the worst service ever, absolutely unacceptable! 😡"


def _receive(db: Session, inbox: InboxPublic, text: str, sender: str = "alice@example.com") -> uuid.UUID:
    got = service.receive(db, inbox_id=inbox.id, message=inbound(sender, text))
    db.commit()
    return got.conversation_id


def _detail(db: Session, world: World, conversation_id: uuid.UUID):  # type: ignore[no-untyped-def]
    detail = service.get_conversation(db, workspace_id=world.workspace.id, conversation_id=conversation_id)
    db.rollback()
    return detail


def test_each_inbound_message_carries_its_sentiment(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    conversation_id = _receive(db, email_inbox, "Thank you so much, the dress is perfect, I love it!")
    (message,) = [m for m in _detail(db, world, conversation_id).messages if m.kind is MessageKind.INCOMING]
    assert message.sentiment is not None and message.sentiment > 0.5


def test_a_sharply_negative_message_lifts_the_conversation_to_high_priority(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    calm = _receive(db, email_inbox, "Where is my order 42?", sender="calm@example.com")
    assert _detail(db, world, calm).priority is Priority.NONE
    angry = _receive(db, email_inbox, ANGRY, sender="angry@example.com")
    assert _detail(db, world, angry).priority is Priority.HIGH
    (event,) = db.scalars(
        select(ConversationEvent).where(
            ConversationEvent.conversation_id == angry,
            ConversationEvent.kind == ConversationEventKind.PRIORITY_CHANGED,
        )
    ).all()
    db.rollback()
    assert event.detail == {"from": "none", "to": "high", "by": "sentiment"} and event.actor_label == "omnicx"


def test_an_urgent_conversation_is_never_lowered(db: Session, world: World, email_inbox: InboxPublic) -> None:
    conversation_id = _receive(db, email_inbox, "Hello")
    service.update_conversation(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=conversation_id,
        data=ConversationUpdate(priority=Priority.URGENT),
    )
    _receive(db, email_inbox, ANGRY)
    assert _detail(db, world, conversation_id).priority is Priority.URGENT


def test_the_agent_sees_each_messages_sentiment_and_the_trend(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    first = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-3", ANGRY))
    service.receive(
        db, inbox_id=chat_inbox.id, message=inbound("visitor-3", "Ok thanks, that is great, problem solved!")
    )
    db.commit()
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{first.conversation_id}")
    assert page.status_code == 200
    assert (
        page.text.count('data-sentiment="negative"') == 1
        and page.text.count('data-sentiment="positive"') == 1
    )
    assert 'id="sentiment-trend"' in page.text and "improving" in page.text


def test_the_mean_sentiment_per_channel_of_the_days_messages(
    db: Session, world: World, email_inbox: InboxPublic, chat_inbox: InboxPublic
) -> None:
    _receive(db, email_inbox, "Thank you so much, the dress is perfect, I love it!", sender="a@example.com")
    _receive(db, email_inbox, ANGRY, sender="b@example.com")
    scores = [
        m.sentiment
        for m in db.scalars(select(Message).where(Message.workspace_id == world.workspace.id))
        if m.kind is MessageKind.INCOMING
    ]
    db.rollback()
    today = datetime.now(ZoneInfo(world.workspace.timezone)).date()
    by_channel = service.sentiment_by_channel(db, workspace_id=world.workspace.id, start=today, end=today)
    earlier = service.sentiment_by_channel(
        db, workspace_id=world.workspace.id, start=today - timedelta(days=3), end=today - timedelta(days=1)
    )
    db.rollback()
    assert len(scores) == 2 and all(s is not None for s in scores)
    assert by_channel.keys() == {"email"}  # the chat inbox heard nothing
    mean, count = by_channel["email"]
    assert count == 2 and mean == pytest.approx(sum(s for s in scores if s is not None) / 2)
    assert earlier == {}
