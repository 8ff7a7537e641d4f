"""Agents see the conversations of the inboxes they belong to, narrowed by the workspace's agent scope; lists,
single conversations and the live stream apply the same rule (checked against each other for every scope)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.schemas import TeamCreate
from omnicx.inbox import service
from omnicx.inbox.enums import AgentScope, MessagingChannel
from omnicx.inbox.schemas import ConversationUpdate, InboxCreate, InboxSettingsUpdate, InboxView
from omnicx.inbox.service import visibility
from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import AUDIENCE_KEY, visible_to
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.stream import audience_tokens
from tests.conftest import SECRET_KEY, World
from tests.helpers import session_csrf, sign_in
from tests.inbox.conftest import inbound


@dataclass
class Desk:
    """Four conversations: open email (no team), a chat on team B's inbox, one assigned to the admin for team
    B, one assigned to the agent."""

    open_email: uuid.UUID
    team_b_chat: uuid.UUID
    admins_b: uuid.UUID
    agents: uuid.UUID


def member_id(db: Session, world: World, role: Role) -> uuid.UUID:
    user = world.members[role].principal.user_id
    return next(
        m.id for m in auth_service.list_members(db, workspace_id=world.workspace.id) if m.user_id == user
    )


@pytest.fixture
def desk(db: Session, world: World) -> Desk:
    owner = world.members[Role.OWNER].principal
    team_a = auth_service.create_team(db, principal=owner, data=TeamCreate(name="Stores"))
    team_b = auth_service.create_team(db, principal=owner, data=TeamCreate(name="VIP"))
    auth_service.add_team_member(
        db, principal=owner, team_id=team_a.id, member_id=member_id(db, world, Role.AGENT)
    )
    email = service.create_inbox(
        db,
        principal=owner,
        data=InboxCreate(channel=MessagingChannel.EMAIL, name="Support", address="s@acme.example"),
        secret_key=SECRET_KEY,
    )
    chat = service.create_inbox(
        db,
        principal=owner,
        data=InboxCreate(channel=MessagingChannel.CHAT, name="VIP chat", team_id=team_b.id),
        secret_key=SECRET_KEY,
    )
    ids = [
        service.receive(db, inbox_id=email.id, message=inbound(f"c{n}@example.com")).conversation_id
        for n in range(3)
    ]
    vip = service.receive(db, inbox_id=chat.id, message=inbound("visitor-9")).conversation_id
    service.update_conversation(
        db,
        principal=owner,
        conversation_id=ids[1],
        data=ConversationUpdate(assignee_id=member_id(db, world, Role.ADMIN), team_id=team_b.id),
    )
    service.update_conversation(
        db,
        principal=owner,
        conversation_id=ids[2],
        data=ConversationUpdate(assignee_id=member_id(db, world, Role.AGENT)),
    )
    db.rollback()
    return Desk(open_email=ids[0], team_b_chat=vip, admins_b=ids[1], agents=ids[2])


def listed(db: Session, world: World, role: Role) -> set[uuid.UUID]:
    view = InboxView(view="all", status="any")
    found = {c.id for c in service.list_conversations(db, principal=world.members[role].principal, view=view)}
    db.rollback()
    return found


def set_scope(db: Session, world: World, scope: AgentScope) -> None:
    service.update_inbox_settings(
        db, principal=world.members[Role.ADMIN].principal, data=InboxSettingsUpdate(agent_scope=scope)
    )


EXPECTED = {
    AgentScope.INBOXES: {"open_email", "admins_b", "agents"},
    AgentScope.TEAM: {"open_email", "agents"},
    AgentScope.OWN: {"open_email", "agents"},
}


@pytest.mark.parametrize("scope", list(AgentScope))
def test_agents_see_their_inboxes_narrowed_by_scope(
    db: Session, world: World, desk: Desk, scope: AgentScope
) -> None:
    set_scope(db, world, scope)
    names = {getattr(desk, name): name for name in ("open_email", "team_b_chat", "admins_b", "agents")}
    assert {names[i] for i in listed(db, world, Role.AGENT)} == EXPECTED[scope]
    assert set(names) <= listed(db, world, Role.ADMIN)  # admins see everything, whatever the scope


@pytest.mark.parametrize("scope", list(AgentScope))
def test_the_live_stream_applies_the_same_rule_as_the_list(
    db: Session, world: World, desk: Desk, scope: AgentScope
) -> None:
    set_scope(db, world, scope)
    agent = world.members[Role.AGENT].principal
    tokens = audience_tokens(db, agent)
    seen = listed(db, world, Role.AGENT)
    for conversation_id in (desk.open_email, desk.team_b_chat, desk.admins_b, desk.agents):
        conversation = service.get_conversation(
            db, workspace_id=world.workspace.id, conversation_id=conversation_id
        )
        event = RealtimeEvent(
            workspace_id=world.workspace.id,
            topic="inbox.message.created",
            data={AUDIENCE_KEY: visibility.audience(db, _row(db, conversation.id))},
            action=Action.INBOX_READ.value,
        )
        assert visible_to(event, principal=agent, tokens=tokens) is (conversation_id in seen), conversation_id
        admin = world.members[Role.ADMIN].principal
        assert visible_to(event, principal=admin, tokens=audience_tokens(db, admin))
    db.rollback()


def _row(db: Session, conversation_id: uuid.UUID):  # type: ignore[no-untyped-def]
    from omnicx.inbox.models import Conversation

    return db.get(Conversation, conversation_id)


def test_an_agent_cannot_open_or_answer_a_conversation_outside_their_inboxes(
    client: TestClient, world: World, desk: Desk, settings: Settings
) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    headers = session_csrf(client, settings.resolved_secret_key)
    hidden = client.get(f"/api/v1/inbox/conversations/{desk.team_b_chat}")
    assert hidden.status_code == 404 and hidden.json()["code"] == "conversation_not_found"
    reply = client.post(
        f"/api/v1/inbox/conversations/{desk.team_b_chat}/messages", json={"text": "hi"}, headers=headers
    )
    assert reply.status_code == 404
    assert client.get(f"/inbox/conversations/{desk.team_b_chat}").status_code == 404
    assert client.get(f"/api/v1/inbox/conversations/{desk.open_email}").status_code == 200
    ok = client.post(
        f"/api/v1/inbox/conversations/{desk.open_email}/messages", json={"text": "hi"}, headers=headers
    )
    assert ok.status_code == 201
    # An API token is an integration, not a person: its role alone decides.
    token = world.token(Role.AGENT)
    assert client.get(f"/api/v1/inbox/conversations/{desk.team_b_chat}", headers=token).status_code == 200


def test_only_managers_change_the_scope_and_bad_values_are_refused(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/inbox/settings", headers=world.token(Role.AGENT)).json() == {
        "agent_scope": "inboxes"
    }
    refused = client.put(
        "/api/v1/inbox/settings", json={"agent_scope": "own"}, headers=world.token(Role.AGENT)
    )
    assert refused.status_code == 403
    bad = client.put(
        "/api/v1/inbox/settings", json={"agent_scope": "everyone"}, headers=world.token(Role.ADMIN)
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    done = client.put("/api/v1/inbox/settings", json={"agent_scope": "team"}, headers=world.token(Role.ADMIN))
    assert done.status_code == 200 and done.json() == {"agent_scope": "team"}
    assert client.get("/api/v1/inbox/settings", headers=world.token(Role.VIEWER)).json() == {
        "agent_scope": "team"
    }
