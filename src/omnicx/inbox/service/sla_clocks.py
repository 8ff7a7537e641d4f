"""A conversation's SLA clocks: its due times, recomputed whenever they may move, and the timed checks that
warn before a due time and announce its breach (once each, and only while it is still the conversation's due
time). The clock arithmetic itself is pure (`omnicx.inbox.sla`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import sla
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic
from omnicx.inbox.models import Conversation, Inbox, SlaPolicy
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.db import transaction_memo, utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.jobs.service import Keyed

SLA_CHECK_JOB = "inbox.sla_check"


def _policy_for(session: Session, inbox: Inbox) -> SlaPolicy | None:
    if inbox.sla_policy_id is not None:
        return session.get(SlaPolicy, inbox.sla_policy_id)
    return None


_TIMEZONES_KEY = "omnicx.inbox.sla_timezones"


def _timezone(session: Session, workspace_id: uuid.UUID) -> str:
    """The workspace's time zone, read once per transaction: a group commit refreshes the clocks of many
    conversations in one. Read without flushing: a new conversation is then inserted once, due times included,
    instead of inserted here and updated after."""
    timezones = transaction_memo(session, _TIMEZONES_KEY)
    if workspace_id not in timezones:
        with session.no_autoflush:  # nothing pending changes a workspace's time zone
            timezones[workspace_id] = auth_service.get_workspace(session, workspace_id=workspace_id).timezone
    found: str = timezones[workspace_id]
    return found


def refresh_sla(session: Session, conversation: Conversation, inbox: Inbox) -> None:
    """Recompute the conversation's due times and schedule one warning and one breach check per due time."""
    policy = _policy_for(session, inbox)
    timezone = _timezone(session, conversation.workspace_id)
    if policy is None:
        targets = sla.Targets()
        hours = sla.BusinessHours(timezone=timezone)
    else:
        targets = sla.Targets(
            first_response=policy.first_response_minutes,
            next_response=policy.next_response_minutes,
            resolution=policy.resolution_minutes,
        )
        hours = sla.BusinessHours.from_config(
            timezone, policy.business_hours or {}, (policy.holidays or {}).get("dates", [])
        )
    due = sla.due_times(
        created_at=conversation.created_at,
        waiting_since=conversation.waiting_since,
        first_reply_at=conversation.first_reply_at,
        resolved=conversation.status is ConversationStatus.RESOLVED,
        targets=targets,
        hours=hours,
    )
    conversation.first_response_due_at = due.first_response
    conversation.next_response_due_at = due.next_response
    conversation.resolution_due_at = due.resolution
    timers = [
        Keyed(
            key=f"{conversation.id}:{kind}:{stage}:{at.isoformat()}",
            payload={
                "conversation_id": str(conversation.id),
                "kind": kind,
                "stage": stage,
                "due": at.isoformat(),
            },
            run_at=run_at,
        )
        for kind, at, minutes in (
            ("first_response", due.first_response, targets.first_response),
            ("next_response", due.next_response, targets.next_response),
            ("resolution", due.resolution, targets.resolution),
        )
        if at is not None and minutes is not None
        for stage, run_at in (("warning", sla.warning_at(at, minutes)), ("breach", at))
    ]
    # One statement for every timer; a timer already armed for the same due time is left as it is.
    jobs_service.enqueue_keyed(
        session, kind=SLA_CHECK_JOB, jobs=timers, workspace_id=conversation.workspace_id
    )


def check_sla(session: Session, *, conversation_id: uuid.UUID, kind: str, stage: str, due: datetime) -> bool:
    """Announce an SLA warning or breach once, if `due` is still the conversation's due time. No commit."""
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None:
        return False
    current = {
        "first_response": conversation.first_response_due_at,
        "next_response": conversation.next_response_due_at,
        "resolution": conversation.resolution_due_at,
    }.get(kind)
    if current is None or current != due:
        return False  # answered, resolved, or the clock restarted: this check is stale
    key = f"{kind}:{stage}:{due.isoformat()}"
    notified: dict[str, Any] = dict(conversation.sla_notified or {})
    if key in notified:
        return False
    now = utcnow()
    notified[key] = now.isoformat()
    conversation.sla_notified = notified
    breached = stage == "breach"
    event = ConversationEventKind.SLA_BREACHED if breached else ConversationEventKind.SLA_WARNING
    record_event(
        session, conversation, event, actor_label="omnicx", detail={"target": kind, "due": due.isoformat()}
    )
    words = "breached" if breached else "is close to its"
    announce(
        session,
        conversation,
        InboxTopic.SLA_BREACHED if breached else InboxTopic.SLA_WARNING,
        f"Conversation {words} {kind.replace('_', ' ')} target",
        target=kind,
        due=due.isoformat(),
    )
    return True
