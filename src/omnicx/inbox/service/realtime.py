"""Live announcements of a conversation's changes to the workspace's screens (after commit), each seen only by
the agents who may see the conversation (`visibility.audience`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omnicx.inbox.enums import InboxTopic
from omnicx.inbox.models import Conversation
from omnicx.inbox.service import visibility
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import AUDIENCE_KEY, publish


def announce(
    session: Session, conversation: Conversation, topic: InboxTopic, summary_text: str, **data: Any
) -> None:
    """Tell the workspace's screens (after commit) that `conversation` changed."""
    publish(
        session,
        RealtimeEvent(
            workspace_id=conversation.workspace_id,
            topic=topic,
            data={
                "conversation_id": str(conversation.id),
                "status": conversation.status.value,
                "assignee_id": str(conversation.assignee_id) if conversation.assignee_id else None,
                "contact_id": str(conversation.contact_id),
                "summary": summary_text,
                "url": f"/inbox/conversations/{conversation.id}",
                AUDIENCE_KEY: visibility.audience(session, conversation),
                **data,
            },
            action=Action.INBOX_READ.value,
        ),
    )
