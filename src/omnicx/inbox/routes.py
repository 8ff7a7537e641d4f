"""REST API of the inbox under /api/v1/inbox: inboxes, conversation views, one conversation, replies, changes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from omnicx.auth.permissions import Action
from omnicx.auth.schemas import Principal
from omnicx.inbox import service
from omnicx.inbox.schemas import (
    ConversationDetail,
    ConversationSummary,
    ConversationUpdate,
    InboxCreate,
    InboxPublic,
    InboxView,
    MessagePublic,
    ReplyCreate,
    SlaPolicyCreate,
    SlaPolicyPublic,
)
from omnicx.web.deps import SessionDep, require
from omnicx.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.INBOX_READ)]
Replier = Annotated[Principal, require(Action.INBOX_REPLY)]
Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]


@router.get("/inboxes", response_model=list[InboxPublic])
def list_inboxes(session: SessionDep, principal: Reader) -> list[InboxPublic]:
    return service.list_inboxes(session, workspace_id=principal.workspace_id)


@router.post("/inboxes", response_model=InboxPublic, status_code=201)
def create_inbox(data: InboxCreate, session: SessionDep, principal: Manager) -> InboxPublic:
    """Create an inbox: an email address omnicx receives at, or a website's chat (its widget token)."""
    return service.create_inbox(session, principal=principal, data=data)


@router.post("/sla-policies", response_model=SlaPolicyPublic, status_code=201)
def create_sla_policy(data: SlaPolicyCreate, session: SessionDep, principal: Manager) -> SlaPolicyPublic:
    """Response targets in business hours (workspace time zone), applied to the listed inboxes."""
    return service.create_sla_policy(session, principal=principal, data=data)


@router.get("/conversations", response_model=list[ConversationSummary])
def list_conversations(
    session: SessionDep, principal: Reader, view: Annotated[InboxView, Depends()]
) -> list[ConversationSummary]:
    """A view of the inbox (mine, unassigned, all; by status, team, label, inbox, channel), most urgent first."""
    return service.list_conversations(session, principal=principal, view=view)


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: uuid.UUID, session: SessionDep, principal: Reader
) -> ConversationDetail:
    return service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id
    )


@router.post("/conversations/{conversation_id}/messages", response_model=MessagePublic, status_code=201)
def reply(
    conversation_id: uuid.UUID, data: ReplyCreate, session: SessionDep, principal: Replier
) -> MessagePublic:
    """Reply (delivered by a durable job) or add a private note (`private: true`, never sent)."""
    return service.reply(session, principal=principal, conversation_id=conversation_id, data=data)


@router.patch("/conversations/{conversation_id}", response_model=ConversationSummary)
def update_conversation(
    conversation_id: uuid.UUID, data: ConversationUpdate, session: SessionDep, principal: Replier
) -> ConversationSummary:
    """Change status (snooze needs `snoozed_until`), priority, assignee, team or labels."""
    return service.update_conversation(
        session, principal=principal, conversation_id=conversation_id, data=data
    )
