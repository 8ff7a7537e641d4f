"""Customer satisfaction (CSAT) after a resolved conversation, asked on the conversation's own channel.

1. The inbox tells us a conversation was resolved (`on_resolved`, registered by the wiring, in the resolving
   transaction). If its inbox asks, a survey row is created (one per conversation: a conversation resolved
   again is not asked again) and `feedback.ask_csat` is queued for after the inbox's delay.
2. The job posts the question in the conversation, through the inbox like any notice: the chat widget shows
   stars under it, every other channel gets one signed link per rating (`links.py`). A conversation reopened
   before the question went out is not asked; its survey is dropped, so its next resolution asks.
3. The answer (the widget's stars, or a link's page) is stored once; the rating joins the conversation's
   history, live on the agent's screen.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.feedback.enums import AnsweredVia
from omnicx.feedback.errors import AlreadyAnswered, SurveyNotFound
from omnicx.feedback.models import CsatSetting, CsatSurvey
from omnicx.feedback.schemas import SCALE, CsatAnswer, CsatQuestion, CsatSurveyPublic
from omnicx.feedback.service.links import response_link
from omnicx.feedback.service.wording import question_text
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus, MessageKind, MessagingChannel
from omnicx.inbox.schemas import ConversationDetail, InboundAnswer, ResolvedConversation
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service

ASK_JOB = "feedback.ask_csat"


def on_resolved(session: Session, resolved: ResolvedConversation) -> None:
    """Plan the survey of a conversation just resolved, when its inbox asks and it was never asked."""
    setting = session.get(CsatSetting, resolved.inbox_id)
    if setting is None or not setting.enabled:
        return
    exists = session.scalar(
        select(CsatSurvey.id).where(CsatSurvey.conversation_id == resolved.conversation_id)
    )
    if exists is not None:
        return
    workspace = auth_service.get_workspace(session, workspace_id=resolved.workspace_id)
    survey = CsatSurvey(
        workspace_id=resolved.workspace_id,
        conversation_id=resolved.conversation_id,
        inbox_id=resolved.inbox_id,
        channel=resolved.channel.value,
        contact_id=resolved.contact_id,
        customer_id=resolved.customer_id,
        agent_id=resolved.assignee_id,
        team_id=resolved.team_id,
        language=workspace.default_language,
        resolved_at=resolved.resolved_at,
    )
    session.add(survey)
    session.flush()
    jobs_service.enqueue(
        session,
        kind=ASK_JOB,
        payload={"survey_id": str(survey.id)},
        workspace_id=resolved.workspace_id,
        idempotency_key=str(survey.id),
        run_at=resolved.resolved_at + timedelta(minutes=setting.delay_minutes),
    )


def ask(
    session: Session, *, survey_id: uuid.UUID, base_url: str, secret: str, now: datetime | None = None
) -> bool:
    """Post the survey's question in its conversation (the `feedback.ask_csat` job); False when nothing was
    sent: already asked, or the conversation is no longer resolved (then the survey is dropped). No commit."""
    survey = session.scalar(select(CsatSurvey).where(CsatSurvey.id == survey_id).with_for_update())
    if survey is None or survey.asked_at is not None:
        return False
    conversation = inbox_service.get_conversation(
        session, workspace_id=survey.workspace_id, conversation_id=survey.conversation_id
    )
    if conversation.status is not ConversationStatus.RESOLVED or conversation.merged_into_id is not None:
        session.delete(survey)
        return False
    survey.language = _language(conversation, survey.language)
    setting = session.get(CsatSetting, survey.inbox_id)
    wording = (setting.wording if setting else {}).get(survey.language, "")
    text = question_text(
        channel=MessagingChannel(survey.channel),
        language=survey.language,
        wording=wording,
        link=lambda rating: response_link(base_url, secret, survey.id, rating),
    )
    notice = inbox_service.notify_in_conversation(
        session,
        workspace_id=survey.workspace_id,
        conversation_id=survey.conversation_id,
        subject=conversation.subject,
        text=text,
        key=f"csat:{survey.id}",
        now=now,
    )
    if notice is None:
        session.delete(survey)
        return False
    survey.asked_at = now or utcnow()
    survey.message_id = notice.message_id
    return True


def _language(conversation: ConversationDetail, default: str) -> str:
    """The language the customer wrote in (their latest messages), else the workspace's."""
    written = " ".join(m.text for m in conversation.messages if m.kind is MessageKind.INCOMING)[-2000:]
    return inbox_service.detect_language(written) if written.strip() else default


def answer(
    session: Session, *, survey_id: uuid.UUID, data: CsatAnswer, via: AnsweredVia, now: datetime | None = None
) -> CsatSurveyPublic:
    """Store the customer's answer, once; commits. A second answer (a reused link, a second click) is refused
    (`AlreadyAnswered`) and changes nothing."""
    survey = session.scalar(select(CsatSurvey).where(CsatSurvey.id == survey_id).with_for_update())
    if survey is None or survey.asked_at is None:
        raise SurveyNotFound("no such survey")
    if survey.answered_at is not None:
        raise AlreadyAnswered("this conversation was already rated; thank you")
    _record(session, survey, data, via, now or utcnow())
    result = CsatSurveyPublic.model_validate(survey)
    session.commit()
    return result


def _record(session: Session, survey: CsatSurvey, data: CsatAnswer, via: AnsweredVia, now: datetime) -> None:
    survey.rating = data.rating
    survey.comment = data.comment.strip()
    survey.answered_at = now
    survey.answered_via = via.value
    inbox_service.record_rating(
        session,
        workspace_id=survey.workspace_id,
        conversation_id=survey.conversation_id,
        rating=data.rating,
        comment=survey.comment,
        scale=SCALE,
    )


# "4", "4/5", "4 ★", "5 - great service", "5, thanks": the rating alone, or followed by punctuation and a comment.
# "2 items are missing" is not a rating: a word right after the number is a sentence, left to the agents.
_REPLY = re.compile(r"^\s*([1-5])\s*(?:/\s*5|★+|\*+)?\s*(?:[.!,:;)\-–]\s*(.*))?$", re.S)
REPLY_WINDOW = timedelta(days=7)


def take_reply(session: Session, answer: InboundAnswer) -> bool:
    """A text channel's reply to the survey ("reply 1 to 5"), offered by the inbox before the message would
    reopen the resolved conversation; True when it was the rating (stored, the conversation stays resolved).

    Only a message that starts with the rating, from the contact that was asked, within a week, and only on
    channels whose question asks for a reply (not the widget, which has stars, nor email, whose quoted history
    would be read as a comment)."""
    if answer.channel in (MessagingChannel.CHAT, MessagingChannel.EMAIL):
        return False
    found = _REPLY.match(answer.text.strip())
    if found is None:
        return False
    survey = session.scalar(
        select(CsatSurvey)
        .where(
            CsatSurvey.conversation_id == answer.conversation_id,
            CsatSurvey.contact_id == answer.contact_id,
            CsatSurvey.asked_at.is_not(None),
            CsatSurvey.answered_at.is_(None),
        )
        .with_for_update()
    )
    if survey is None or survey.asked_at is None or answer.at - survey.asked_at > REPLY_WINDOW:
        return False
    comment = (found.group(2) or "").strip()[:2000]
    _record(
        session, survey, CsatAnswer(rating=int(found.group(1)), comment=comment), AnsweredVia.REPLY, answer.at
    )
    return True


def get_survey(session: Session, *, survey_id: uuid.UUID) -> CsatSurveyPublic:
    """A survey by id, in any workspace: only for callers that proved they may see it (a signed link)."""
    survey = session.get(CsatSurvey, survey_id)
    if survey is None or survey.asked_at is None:
        raise SurveyNotFound("no such survey")
    return CsatSurveyPublic.model_validate(survey)


def conversation_survey(
    session: Session, *, workspace_id: uuid.UUID, conversation_id: uuid.UUID
) -> CsatSurveyPublic | None:
    """The survey of one conversation, asked or planned; None when there is none."""
    survey = session.scalar(
        select(CsatSurvey).where(
            CsatSurvey.workspace_id == workspace_id, CsatSurvey.conversation_id == conversation_id
        )
    )
    return CsatSurveyPublic.model_validate(survey) if survey else None


def visitor_questions(session: Session, *, inbox_id: uuid.UUID, contact_id: uuid.UUID) -> list[CsatQuestion]:
    """The surveys asked of one chat visitor (their contact in the widget's inbox), for the widget to show
    stars under each question's message."""
    surveys = session.scalars(
        select(CsatSurvey)
        .where(
            CsatSurvey.inbox_id == inbox_id,
            CsatSurvey.contact_id == contact_id,
            CsatSurvey.asked_at.is_not(None),
        )
        .order_by(CsatSurvey.asked_at)
    )
    return [
        CsatQuestion(survey_id=s.id, message_id=s.message_id, rating=s.rating)
        for s in surveys
        if s.message_id is not None
    ]


def answer_as_visitor(
    session: Session, *, inbox_id: uuid.UUID, contact_id: uuid.UUID, survey_id: uuid.UUID, data: CsatAnswer
) -> CsatSurveyPublic:
    """The widget's stars: the survey must be one asked of this very visitor (a visitor rates only their own
    conversations, whatever id they send)."""
    owner = session.scalar(
        select(CsatSurvey.contact_id).where(CsatSurvey.id == survey_id, CsatSurvey.inbox_id == inbox_id)
    )
    if owner is None or owner != contact_id:
        raise SurveyNotFound("no such survey")
    return answer(session, survey_id=survey_id, data=data, via=AnsweredVia.WIDGET)
