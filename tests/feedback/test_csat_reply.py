"""Satisfaction on a text channel (SMS through the Twilio stand-in): the question asks for a number, and a reply
that starts with one is the rating; the conversation stays resolved. Any other message reopens it as before."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from omnicx.feedback import service
from omnicx.feedback.schemas import CsatSettingUpdate
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus
from omnicx.inbox.schemas import ConversationUpdate, InboundMessage, InboxPublic
from omnicx.kernel.access.permissions import Role
from tests.channels.test_sms import CUSTOMER, simulator, sms_inbox
from tests.conftest import SECRET_KEY, World

__all__ = ["simulator", "sms_inbox"]
_sids = iter(range(1, 1000))


def _text(inbox: InboxPublic, db: Session, body: str) -> uuid.UUID:
    message = InboundMessage(source_id=CUSTOMER, provider_message_id=f"SM{next(_sids):032d}", text=body)
    got = inbox_service.receive(db, inbox_id=inbox.id, message=message)
    db.commit()
    return got.conversation_id


def _asked_by_sms(db: Session, world: World, inbox: InboxPublic) -> tuple[uuid.UUID, uuid.UUID]:
    service.update_setting(
        db,
        principal=world.members[Role.OWNER].principal,
        inbox_id=inbox.id,
        data=CsatSettingUpdate(enabled=True),
    )
    conversation_id = _text(inbox, db, "Is my order ready for pickup?")
    inbox_service.update_conversation(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=conversation_id,
        data=ConversationUpdate(status=ConversationStatus.RESOLVED),
    )
    survey = service.conversation_survey(db, workspace_id=world.workspace.id, conversation_id=conversation_id)
    assert survey is not None
    assert service.ask(db, survey_id=survey.id, base_url="https://cx.example.com", secret=SECRET_KEY)
    db.commit()
    return conversation_id, survey.id


def _status(db: Session, world: World, conversation_id: uuid.UUID) -> ConversationStatus:
    detail = inbox_service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=conversation_id
    )
    db.rollback()
    return detail.status


def test_the_sms_question_asks_for_a_number(db: Session, world: World, sms_inbox: InboxPublic) -> None:
    conversation_id, _ = _asked_by_sms(db, world, sms_inbox)
    detail = inbox_service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=conversation_id
    )
    db.rollback()
    text = detail.messages[-1].text
    assert "Reply with a number from 1 (very dissatisfied) to 5" in text
    assert "/feedback/csat/" in text and "?rating=" not in text  # one link, no rating chosen: a short message


def test_a_reply_starting_with_the_rating_is_the_answer(
    db: Session, world: World, sms_inbox: InboxPublic
) -> None:
    conversation_id, survey_id = _asked_by_sms(db, world, sms_inbox)
    assert _text(sms_inbox, db, "5 - quick and kind") == conversation_id
    survey = service.get_csat_survey(db, survey_id=survey_id)
    db.rollback()
    assert (survey.rating, survey.comment, survey.answered_via) == (5, "quick and kind", "reply")
    assert _status(db, world, conversation_id) is ConversationStatus.RESOLVED
    # Answered once: a second number is an ordinary message again (it reopens the conversation).
    _text(sms_inbox, db, "1")
    assert service.get_csat_survey(db, survey_id=survey_id).rating == 5
    db.rollback()
    assert _status(db, world, conversation_id) is ConversationStatus.OPEN


def test_a_sentence_starting_with_a_number_is_no_rating(
    db: Session, world: World, sms_inbox: InboxPublic
) -> None:
    conversation_id, survey_id = _asked_by_sms(db, world, sms_inbox)
    _text(sms_inbox, db, "2 items are missing from my order")
    assert service.get_csat_survey(db, survey_id=survey_id).rating is None
    db.rollback()
    assert _status(db, world, conversation_id) is ConversationStatus.OPEN
