"""One conversation across channels: a verified chat customer who left the site is answered by SMS at the phone
identity holds for them (through the Twilio stand-in), their SMS answer comes back into the same conversation,
each message shows its channel; a customer who only claimed who they are cannot be reached anywhere else."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.channels.sms.simulator import TwilioSimulator
from omnicx.channels.whatsapp.simulator import WhatsAppSimulator
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.models import Contact, Message
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.test_sms import CUSTOMER, incoming, post_signed, simulator, sms_inbox
from tests.channels.test_whatsapp import graph, post, wa_inbox, writes
from tests.conftest import World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import chat_inbox, drain, inbound

__all__ = [
    "chat_inbox",
    "graph",
    "simulator",
    "sms_inbox",
    "wa_inbox",
]  # fixtures shared with the channel tests


def _chat_conversation(db: Session, world: World, inbox: InboxPublic, *, verified: bool) -> uuid.UUID:
    """A chat visitor's conversation: signed in on the site (a verified customer who also has a phone), or not."""
    fields = {"sender_verified": True, "user_id": "u-42"} if verified else {}
    received = service.receive(
        db, inbox_id=inbox.id, message=inbound("visitor-7", "Is my lamp repaired?", email=None, **fields)
    )
    if verified:
        identity_service.resolve(
            db,
            workspace_id=world.workspace.id,
            identifiers=(
                Identifier(kind=IdentifierKind.USER_ID, value="u-42"),
                Identifier(kind=IdentifierKind.PHONE, value=CUSTOMER),
            ),
            reason="crm",
        )
        db.commit()
    db.rollback()
    return received.conversation_id


def _channels(client: TestClient, world: World, conversation_id: uuid.UUID) -> list[dict[str, object]]:
    response = client.get(
        f"/api/v1/inbox/conversations/{conversation_id}/reply-channels", headers=world.token(Role.AGENT)
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()
    return found


def test_a_chat_customer_is_answered_by_sms_and_their_answer_comes_back(
    client: TestClient, db: Session, runtime: Runtime, settings: Settings, world: World,
    chat_inbox: InboxPublic, sms_inbox: InboxPublic, simulator: tuple[TwilioSimulator, str],
) -> None:  # fmt: skip
    conversation_id = _chat_conversation(db, world, chat_inbox, verified=True)
    channels = _channels(client, world, conversation_id)
    assert [(c["channel"], c["address"], c["own"]) for c in channels] == [
        ("chat", "visitor-7", True),
        ("sms", CUSTOMER, False),
    ]
    reply = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": "Yes, it is ready: come by any time.", "via_inbox_id": str(sms_inbox.id)},
        headers=world.token(Role.AGENT),
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["inbox_id"] == str(sms_inbox.id)
    drain(runtime)
    [sent] = simulator[0].sent
    assert sent.form["To"] == CUSTOMER and sent.form["Body"] == "Yes, it is ready: come by any time."
    answer = post_signed(
        client, settings, sms_inbox.callbacks["messages"], incoming(body="Great, see you at 5")
    )
    assert answer.status_code == 200  # type: ignore[attr-defined]
    db.rollback()
    rows = db.execute(
        select(Message.text, Message.inbox_id, Message.conversation_id).order_by(Message.created_at)
    ).all()
    assert [(r.text, r.inbox_id) for r in rows] == [
        ("Is my lamp repaired?", chat_inbox.id),
        ("Yes, it is ready: come by any time.", sms_inbox.id),
        ("Great, see you at 5", sms_inbox.id),
    ]
    assert {r.conversation_id for r in rows} == {conversation_id}  # one conversation, two channels
    sms_contact = db.scalar(select(Contact).where(Contact.inbox_id == sms_inbox.id))
    assert sms_contact is not None and sms_contact.source_id == CUSTOMER and not sms_contact.claimed
    db.rollback()
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert page.count('data-message-channel="sms"') == 2 and 'id="reply-via"' in page


def test_the_reply_form_sends_through_the_chosen_inbox(
    client: TestClient, db: Session, runtime: Runtime, world: World,
    chat_inbox: InboxPublic, sms_inbox: InboxPublic, simulator: tuple[TwilioSimulator, str],
) -> None:  # fmt: skip
    conversation_id = _chat_conversation(db, world, chat_inbox, verified=True)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    csrf = page_csrf(client, f"/inbox/conversations/{conversation_id}")
    sent = client.post(
        f"/inbox/conversations/{conversation_id}/reply",
        data={"csrf_token": csrf, "text": "Sent by text message", "via": str(sms_inbox.id)},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    drain(runtime)
    assert [s.form["To"] for s in simulator[0].sent] == [CUSTOMER]


def test_a_claimed_visitor_cannot_be_reached_on_another_channel(
    client: TestClient, db: Session, runtime: Runtime, world: World,
    chat_inbox: InboxPublic, sms_inbox: InboxPublic, simulator: tuple[TwilioSimulator, str],
) -> None:  # fmt: skip
    identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=(Identifier(kind=IdentifierKind.PHONE, value=CUSTOMER),),
        reason="crm",
    )
    db.commit()
    conversation_id = _chat_conversation(db, world, chat_inbox, verified=False)
    assert [c["channel"] for c in _channels(client, world, conversation_id)] == ["chat"]
    refused = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": "Hello by SMS", "via_inbox_id": str(sms_inbox.id)},
        headers=world.token(Role.AGENT),
    )
    assert refused.status_code == 422 and "cannot be reached" in refused.json()["message"]
    drain(runtime)
    assert simulator[0].sent == []
    other = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": "x", "via_inbox_id": str(uuid.uuid4())},
        headers=world.token(Role.AGENT),
    )
    assert other.status_code == 404


def test_the_cli_lists_the_reply_channels_and_replies_through_one(
    cli_env: dict[str, str], db: Session, runtime: Runtime, world: World,
    chat_inbox: InboxPublic, sms_inbox: InboxPublic, simulator: tuple[TwilioSimulator, str],
) -> None:  # fmt: skip
    conversation_id = _chat_conversation(db, world, chat_inbox, verified=True)
    listed = CliRunner().invoke(
        app, ["inbox", "reply-channels", str(conversation_id), "-w", "acme"], env=cli_env
    )
    assert listed.exit_code == 0, listed.output
    assert f"{sms_inbox.id}  sms" in listed.output and CUSTOMER in listed.output
    sent = CliRunner().invoke(
        app,
        [
            "inbox",
            "reply",
            str(conversation_id),
            "Ready for pickup",
            "-w",
            "acme",
            "--via",
            str(sms_inbox.id),
        ],
        env=cli_env,
    )
    assert sent.exit_code == 0, sent.output
    assert f"on inbox {sms_inbox.id}" in sent.output
    drain(runtime)
    assert [s.form["Body"] for s in simulator[0].sent] == ["Ready for pickup"]


def test_their_answer_on_the_new_channel_opens_its_window_there(
    client: TestClient, db: Session, runtime: Runtime, world: World, chat_inbox: InboxPublic,
    wa_inbox: InboxPublic, graph: tuple[WhatsAppSimulator, str],
) -> None:  # fmt: skip
    conversation_id = _chat_conversation(db, world, chat_inbox, verified=True)

    def by_whatsapp(body: dict[str, object]) -> Any:
        return client.post(
            f"/api/v1/inbox/conversations/{conversation_id}/messages",
            json={**body, "via_inbox_id": str(wa_inbox.id)},
            headers=world.token(Role.AGENT),
        )

    closed = by_whatsapp({"text": "Your lamp is repaired."})
    assert closed.status_code == 422 and closed.json()["code"] == "outside_window"  # never wrote there
    assert by_whatsapp({"template": {"name": "repair_ready", "language": "en"}}).status_code == 201
    assert post(client, wa_inbox, writes("Great, thanks!", wamid="wamid.C1")).status_code == 200
    db.rollback()
    assert {r.conversation_id for r in db.execute(select(Message.conversation_id))} == {conversation_id}
    db.rollback()
    assert by_whatsapp({"text": "See you tomorrow."}).status_code == 201  # their answer opened the window
