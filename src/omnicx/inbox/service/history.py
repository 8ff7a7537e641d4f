"""A conversation's history: one event per change (who, what, when), shown on the conversation page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from omnicx.inbox.enums import ConversationEventKind
from omnicx.inbox.models import Conversation, ConversationEvent
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow


def record_event(
    session: Session,
    conversation: Conversation,
    kind: ConversationEventKind,
    *,
    principal: Principal | None = None,
    actor_label: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Write one conversation event (who, what, when) in the caller's transaction."""
    session.add(
        ConversationEvent(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            kind=kind,
            actor_user_id=principal.user_id if principal else None,
            actor_label=principal.label if principal else actor_label,
            detail=detail or {},
            at=at or utcnow(),
        )
    )
