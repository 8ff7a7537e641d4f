"""Which conversations an agent sees: those of the inboxes they belong to, narrowed by the workspace's agent scope.

An inbox without a team belongs to every agent; an inbox with a team, to that team's members. The workspace's
agent scope then narrows further: `inboxes` (default) shows every conversation of those inboxes; `team` only the
agent's own, their teams', and unassigned conversations without a team; `own` only their own and unassigned
ones (so they can still pick up work). Owners, admins and read-only roles see every conversation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox.enums import AgentScope
from omnicx.inbox.errors import ConversationNotFound
from omnicx.inbox.models import Conversation, Inbox, InboxSettings
from omnicx.inbox.schemas import InboxSettingsPublic, InboxSettingsUpdate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import transaction_memo


@dataclass(frozen=True)
class Viewer:
    """An agent as the scope rules need them: membership id, team ids, and the workspace's scope."""

    member_id: uuid.UUID | None
    team_ids: frozenset[uuid.UUID]
    scope: AgentScope


def get_inbox_settings(session: Session, *, workspace_id: uuid.UUID) -> InboxSettingsPublic:
    row = session.get(InboxSettings, workspace_id)
    return InboxSettingsPublic(agent_scope=row.agent_scope if row else AgentScope.INBOXES)


_SCOPE_KEY = "omnicx.inbox.agent_scope"


def agent_scope(session: Session, *, workspace_id: uuid.UUID) -> AgentScope:
    """The workspace's agent scope, read at most once per transaction (each announcement needs it)."""
    scopes = transaction_memo(session, _SCOPE_KEY)
    scope: AgentScope | None = scopes.get(workspace_id)
    if scope is None:
        scope = scopes[workspace_id] = get_inbox_settings(session, workspace_id=workspace_id).agent_scope
    return scope


def remember_agent_scope(session: Session, *, workspace_id: uuid.UUID, scope: AgentScope) -> None:
    """Note the scope a query of the current transaction already read (see `agent_scope`)."""
    transaction_memo(session, _SCOPE_KEY)[workspace_id] = scope


def update_inbox_settings(
    session: Session, *, principal: Principal, data: InboxSettingsUpdate
) -> InboxSettingsPublic:
    """Change the workspace's inbox settings (audited); commits."""
    row = session.get(InboxSettings, principal.workspace_id)
    if row is None:
        row = InboxSettings(workspace_id=principal.workspace_id)
        session.add(row)
    row.agent_scope = data.agent_scope
    session.info.pop(_SCOPE_KEY, None)
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="inbox.settings.updated",
        detail={"agent_scope": data.agent_scope.value},
    )
    session.commit()
    return InboxSettingsPublic(agent_scope=data.agent_scope)


def viewer(session: Session, principal: Principal) -> Viewer | None:
    """The agent behind `principal`, or None for those who see every conversation: other roles, and API tokens
    (integrations, not people: an admin who creates an agent-role token decides what it reads)."""
    if principal.role is not Role.AGENT or principal.user_id is None:
        return None
    member = auth_service.member_of(session, principal=principal)
    team_ids = (
        auth_service.team_ids_of(session, workspace_id=principal.workspace_id, member_id=member.id)
        if member is not None
        else frozenset()
    )
    scope = get_inbox_settings(session, workspace_id=principal.workspace_id).agent_scope
    return Viewer(member_id=member.id if member else None, team_ids=team_ids, scope=scope)


def condition(session: Session, principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on `Conversation` that keeps what `principal` may see (always true for non-agents)."""
    who = viewer(session, principal)
    return true() if who is None else _visible(who, principal.workspace_id)


def _visible(who: Viewer, workspace_id: uuid.UUID) -> ColumnElement[bool]:
    if who.member_id is None:
        return false()  # a person no longer a member of this workspace
    teams = list(who.team_ids)
    inboxes = select(Inbox.id).where(
        Inbox.workspace_id == workspace_id, or_(Inbox.team_id.is_(None), Inbox.team_id.in_(teams))
    )
    mine = Conversation.assignee_id == who.member_id
    unassigned = Conversation.assignee_id.is_(None)
    narrowed: ColumnElement[bool] = true()
    if who.scope is AgentScope.TEAM:
        narrowed = or_(mine, Conversation.team_id.in_(teams), unassigned & Conversation.team_id.is_(None))
    elif who.scope is AgentScope.OWN:
        narrowed = or_(mine, unassigned)
    return Conversation.inbox_id.in_(inboxes) & narrowed


def ensure_visible(session: Session, principal: Principal, conversation_id: uuid.UUID) -> None:
    """Refuse (as not found: its existence is not disclosed) a conversation `principal` may not see."""
    who = viewer(session, principal)
    if who is None:
        return
    found = session.scalar(
        select(Conversation.id).where(
            Conversation.id == conversation_id, _visible(who, principal.workspace_id)
        )
    )
    if found is None:
        raise ConversationNotFound(f"conversation {conversation_id} not found")


def audience(session: Session, conversation: Conversation) -> list[list[str]]:
    """Who among agents may see live events about `conversation`, as clauses the realtime filter checks: an
    agent receives the event when, for every clause, they hold one of its tokens (`member:<id>`, `team:<id>`).
    The same rule as `condition`, for screens instead of queries; other roles are not filtered."""
    clauses: list[list[str]] = []
    inbox = session.get(Inbox, conversation.inbox_id)
    if inbox is not None and inbox.team_id is not None:
        clauses.append([f"team:{inbox.team_id}"])
    scope = agent_scope(session, workspace_id=conversation.workspace_id)
    assignee = [f"member:{conversation.assignee_id}"] if conversation.assignee_id else []
    if scope is AgentScope.TEAM and (assignee or conversation.team_id):
        clauses.append(assignee + ([f"team:{conversation.team_id}"] if conversation.team_id else []))
    elif scope is AgentScope.OWN and assignee:
        clauses.append(assignee)
    return clauses
