"""Claims versus verified identities.

What a chat visitor types (an email, a name) and what an email's From says are claims: they never merge
profiles, rename a customer, reach a customer's history or conversations, or show the claimant more than their
own conversation. A signed site identity (the widget's `user_hash`) and authenticated mail are verified and
resolve as before. Only an agent links a claimed sender to a customer, and that is audited.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.customers import service as customers_service
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox import site_identity
from omnicx.inbox.enums import ConversationStatus, MessagingChannel
from omnicx.inbox.models import Contact, Inbox
from omnicx.inbox.schemas import ConversationUpdate, InboundMessage, InboxPublic, ReceiveResult
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.channels.test_chat import history, say, visitor_session
from tests.conftest import SECRET_KEY, World
from tests.helpers import session_csrf, sign_in
from tests.realtime.conftest import ThreadServer, build_app

ALICE = "alice@example.com"


@pytest.fixture
def live(runtime: Runtime) -> Iterator[str]:
    with ThreadServer(build_app(runtime)) as server:
        yield server.url


def _customer(db: Session, world: World, *identifiers: Identifier, name: str = "Alice Martin") -> uuid.UUID:
    found = identity_service.resolve(
        db, workspace_id=world.workspace.id, identifiers=list(identifiers), traits={"name": name}
    )
    assert found is not None
    db.commit()
    return found


def _email(value: str = ALICE) -> Identifier:
    return Identifier(kind=IdentifierKind.EMAIL, value=value)


def _live_customers(db: Session, world: World) -> set[uuid.UUID]:
    page = customers_service.list_customers(db, workspace_id=world.workspace.id, limit=100)
    db.rollback()
    return {c.id for c in page.items}


def _name(db: Session, world: World, customer_id: uuid.UUID) -> str:
    name = identity_service.get_customer(db, workspace_id=world.workspace.id, customer_id=customer_id)
    db.rollback()
    return name.display_name


def _timeline(db: Session, world: World, customer_id: uuid.UUID) -> list[str]:
    """The customer 360's timeline: each item's link and text."""
    view = customers_service.get_customer_360(db, workspace_id=world.workspace.id, customer_id=customer_id)
    db.rollback()
    return [f"{item.url} {item.detail}" for item in view.timeline]


def _conversation(
    client: httpx.Client | TestClient, world: World, conversation_id: object
) -> dict[str, object]:
    response = client.get(f"/api/v1/inbox/conversations/{conversation_id}", headers=world.token(Role.OWNER))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _verified(conversation: dict[str, Any]) -> bool:
    return conversation["contact"]["verified_at"] is not None


def _secret(db: Session, inbox: InboxPublic) -> str:
    found = inbox_service.get_identity_secret(
        db, workspace_id=inbox.workspace_id, inbox_id=inbox.id, secret_key=SECRET_KEY
    )
    db.rollback()
    assert found.secret
    return found.secret


# --- The chat widget ----------------------------------------------------------------------------------------------


def test_a_visitor_typing_a_customers_email_takes_nothing_of_theirs(
    live: str, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    """The takeover as found: Mallory posts Alice's email and the name "Mallory" from her own browser."""
    token = chat_inbox.address
    alice = _customer(db, world, _email())
    own = inbox_service.receive(  # Alice's own chat, signed in on the site
        db,
        inbox_id=chat_inbox.id,
        message=InboundMessage(
            source_id="v_alice",
            name="Alice Martin",
            email=ALICE,
            text="Where is my parcel?",
            sender_verified=True,
        ),
    )
    assert own.customer_id == alice
    device = identity_service.resolve(  # Mallory browsed the shop before: tracking knows her device
        db,
        workspace_id=world.workspace.id,
        identifiers=[Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-mallory")],
    )
    db.commit()
    agent = world.token(Role.AGENT)
    with httpx.Client(base_url=live, timeout=5) as http:
        mallory = visitor_session(http, token, anonymous_id="anon-mallory")
        posted = say(
            http, token, mallory, "Hi, it's me", email=ALICE, name="Mallory", anonymous_id="anon-mallory"
        )
        assert posted.status_code == 201, posted.text
        attack = _conversation(http, world, posted.json()["conversation_id"])

        # Two people remain; Alice keeps her name; Mallory's conversation is hers and her device's, not Alice's.
        assert device is not None and {alice, device} <= _live_customers(db, world)
        assert _name(db, world, alice) == "Alice Martin"
        assert attack["customer_id"] == str(device) and attack["id"] != str(own.conversation_id)
        assert not any(attack["id"] in item or "it's me" in item for item in _timeline(db, world, alice))
        assert not _verified(attack)

        # The agent tells Alice her delivery address, then answers Mallory: Mallory's widget shows only hers.
        params = {"visitor": mallory["visitor_id"], "signature": mallory["signature"]}
        with http.stream("GET", f"/chat/{token}/stream", params=params) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith(":")  # subscribed
            secret_reply = http.post(
                f"/api/v1/inbox/conversations/{own.conversation_id}/messages",
                json={"text": "Your parcel goes to 12 rue des Lilas"},
                headers=agent,
            )
            her_reply = http.post(
                f"/api/v1/inbox/conversations/{attack['id']}/messages",
                json={"text": "Who is this?"},
                headers=agent,
            )
            assert secret_reply.status_code == her_reply.status_code == 201
            first_reply = next(line for line in lines if line.startswith("data:") and '"id"' in line)
        assert json.loads(first_reply.removeprefix("data:"))["id"] == her_reply.json()["id"]
        assert [m["text"] for m in history(http, token, mallory)] == ["Hi, it's me", "Who is this?"]


def test_a_claimed_device_of_an_identified_customer_links_to_nobody(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    """A tracking anonymous id is not a credential: a visitor sending the one of Alice's device (copied from
    her browser, or a predictable one) joins neither her profile nor her history."""
    token = chat_inbox.address
    alice = _customer(db, world, _email(), Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-alice"))
    mallory = visitor_session(client, token, anonymous_id="anon-alice")
    posted = say(client, token, mallory, "Hi", name="Mallory", anonymous_id="anon-alice")
    assert posted.status_code == 201
    assert _conversation(client, world, posted.json()["conversation_id"])["customer_id"] is None
    assert _name(db, world, alice) == "Alice Martin"
    # A device known only by its anonymous id is the visitor's own: they join it.
    device = _customer(db, world, Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-bob"), name="")
    bob = visitor_session(client, token, anonymous_id="anon-bob")
    posted = say(client, token, bob, "Hello", anonymous_id="anon-bob")
    assert _conversation(client, world, posted.json()["conversation_id"])["customer_id"] == str(device)


def test_a_signed_identity_links_to_the_customer_and_a_wrong_hash_is_a_claim(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    token, secret = chat_inbox.address, _secret(db, chat_inbox)
    alice = _customer(db, world, _email(), Identifier(kind=IdentifierKind.USER_ID, value="u-42"))
    signed = {"user_id": "u-42", "user_hash": site_identity.sign(secret, "u-42"), "name": "Alice Martin"}
    by_id = say(client, token, visitor_session(client, token), "Hello", **signed)
    by_email = say(
        client,
        token,
        visitor_session(client, token),
        "Hi",
        email=ALICE,
        user_hash=site_identity.sign(secret, ALICE),
    )
    for posted in (by_id, by_email):
        assert posted.status_code == 201, posted.text
        conversation = _conversation(client, world, posted.json()["conversation_id"])
        assert conversation["customer_id"] == str(alice)
        assert _verified(conversation)

    forged = {"user_id": "u-42", "user_hash": site_identity.sign("not the secret", "u-42"), "email": ALICE}
    for attempt in (
        forged,
        {**forged, "user_hash": "0" * 64},
        {"email": ALICE, "user_hash": signed["user_hash"]},
    ):
        posted = say(client, token, visitor_session(client, token), "It's me", name="Mallory", **attempt)
        assert posted.status_code == 201, posted.text
        conversation = _conversation(client, world, posted.json()["conversation_id"])
        assert conversation["customer_id"] is None
        assert not _verified(conversation)
    assert _name(db, world, alice) == "Alice Martin"


def test_a_signed_user_id_proves_only_itself(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    """Mallory's own account is verified; the email she sends along with it is still a claim."""
    token, secret = chat_inbox.address, _secret(db, chat_inbox)
    alice = _customer(db, world, _email())
    signed = {"user_id": "u-mallory", "user_hash": site_identity.sign(secret, "u-mallory")}
    posted = say(client, token, visitor_session(client, token), "Hi", email=ALICE, name="Mallory", **signed)
    assert posted.status_code == 201, posted.text
    mallory = _conversation(client, world, posted.json()["conversation_id"])["customer_id"]
    assert mallory is not None and mallory != str(alice)
    assert {alice, uuid.UUID(str(mallory))} <= _live_customers(db, world)
    assert _name(db, world, alice) == "Alice Martin"


def test_the_identity_secret_is_for_managers_sealed_at_rest_and_rotates(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic, email_inbox: InboxPublic
) -> None:
    token = chat_inbox.address
    url = f"/api/v1/inbox/inboxes/{chat_inbox.id}/identity-secret"
    assert client.get(url, headers=world.token(Role.AGENT)).status_code == 403
    assert client.post(url, headers=world.token(Role.AGENT)).status_code == 403
    old = client.get(url, headers=world.token(Role.ADMIN)).json()["secret"]
    stored = db.scalar(select(Inbox.identity_secret).where(Inbox.id == chat_inbox.id))
    db.rollback()
    assert old and stored and old not in stored  # sealed, not the secret itself
    email_url = f"/api/v1/inbox/inboxes/{email_inbox.id}/identity-secret"
    assert client.get(email_url, headers=world.token(Role.ADMIN)).status_code == 422

    alice = _customer(db, world, Identifier(kind=IdentifierKind.USER_ID, value="u-42"))
    visitor = visitor_session(client, token)
    before = say(client, token, visitor, "a", user_id="u-42", user_hash=site_identity.sign(old, "u-42"))
    assert _conversation(client, world, before.json()["conversation_id"])["customer_id"] == str(alice)
    new = client.post(url, headers=world.token(Role.ADMIN)).json()["secret"]
    assert new and new != old
    stale = visitor_session(client, token)
    after = say(client, token, stale, "b", user_id="u-42", user_hash=site_identity.sign(old, "u-42"))
    assert _conversation(client, world, after.json()["conversation_id"])["customer_id"] is None
    fresh = say(
        client,
        token,
        visitor_session(client, token),
        "c",
        user_id="u-42",
        user_hash=site_identity.sign(new, "u-42"),
    )
    assert _conversation(client, world, fresh.json()["conversation_id"])["customer_id"] == str(alice)
    audit = auth_service.list_audit(
        db, workspace_id=world.workspace.id, action="inbox.identity_secret_rotated"
    )
    db.rollback()
    assert (
        audit.total == 1 and new not in json.dumps(audit.items[0].detail) and old not in audit.items[0].detail
    )


# --- Mail ---------------------------------------------------------------------------------------------------------


def _mail(
    inbox: InboxPublic,
    name: str,
    message_id: str,
    text: str,
    *,
    verified: bool,
    replying_to: str | None = None,
) -> InboundMessage:
    """An inbound email as the email channel builds it (`channels/email/parser.py`), from Alice's address."""
    return InboundMessage(
        channel=MessagingChannel.EMAIL,
        inbox_address=inbox.address,
        source_id=ALICE,
        name=name,
        email=ALICE,
        provider_message_id=message_id,
        in_reply_to=replying_to,
        references=[replying_to] if replying_to else [],
        subject="Re: Order 42" if replying_to else "Order 42",
        text=text,
        sender_verified=verified,
    )


def _ingest(runtime: Runtime, message: InboundMessage) -> ReceiveResult:
    return asyncio.run(inbox_service.ingest(runtime, message=message))


def test_forged_mail_neither_joins_nor_renames_the_customer(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    first = _ingest(
        runtime, _mail(email_inbox, "Alice Martin", "<m1@example.com>", "Where is it?", verified=True)
    )
    alice = first.customer_id
    assert alice is not None

    forged = _mail(
        email_inbox,
        "Eve",
        "<f1@evil.example>",
        "Ship it to 1 Evil Road",
        verified=False,
        replying_to="<m1@example.com>",
    )
    got = _ingest(runtime, forged)
    assert got.conversation_id != first.conversation_id and got.customer_id is None
    assert got.contact_id != first.contact_id
    assert _name(db, world, alice) == "Alice Martin"
    thread = inbox_service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=first.conversation_id
    )
    contact = db.get(Contact, got.contact_id)
    assert contact is not None and contact.claimed and contact.customer_id is None
    db.rollback()
    assert [m.text for m in thread.messages] == ["Where is it?"]
    assert not any("Evil Road" in item for item in _timeline(db, world, alice))

    # Unauthenticated mail follows only the conversation unauthenticated mail from that address started.
    follow_up = _mail(
        email_inbox, "Eve", "<f2@evil.example>", "Hello?", verified=False, replying_to="<f1@evil.example>"
    )
    assert _ingest(runtime, follow_up).conversation_id == got.conversation_id
    # Even once that conversation is resolved, a reply to Alice's message does not reach hers.
    inbox_service.update_conversation(
        db,
        principal=world.members[Role.OWNER].principal,
        conversation_id=got.conversation_id,
        data=ConversationUpdate(status=ConversationStatus.RESOLVED),
    )
    again = _mail(
        email_inbox, "Eve", "<f3@evil.example>", "Any news?", verified=False, replying_to="<m1@example.com>"
    )
    assert _ingest(runtime, again).conversation_id != first.conversation_id

    # The same message, authenticated: Alice's, threaded into her conversation as before.
    authentic = _ingest(
        runtime,
        forged.model_copy(update={"provider_message_id": "<m2@example.com>", "sender_verified": True}),
    )
    assert authentic.conversation_id == first.conversation_id and authentic.customer_id == alice


# --- Linking a claimed sender: an agent's audited decision ---------------------------------------------------------


def _claimed_and_verified(runtime: Runtime, inbox: InboxPublic) -> tuple[ReceiveResult, ReceiveResult]:
    verified = _ingest(
        runtime, _mail(inbox, "Alice Martin", "<m1@example.com>", "Where is it?", verified=True)
    )
    claimed = _ingest(runtime, _mail(inbox, "Alice", "<c1@example.com>", "From my phone", verified=False))
    assert claimed.customer_id is None and verified.customer_id is not None
    return claimed, verified


def test_only_an_agent_links_a_claimed_sender_and_it_is_audited(
    client: TestClient,
    runtime: Runtime,
    db: Session,
    world: World,
    other_world: World,
    email_inbox: InboxPublic,
) -> None:
    claimed, verified = _claimed_and_verified(runtime, email_inbox)
    alice = verified.customer_id
    url = f"/api/v1/inbox/conversations/{claimed.conversation_id}/link-customer"
    for role in (Role.VIEWER, Role.ANALYST, Role.MARKETER):
        assert (
            client.post(url, json={"customer_id": str(alice)}, headers=world.token(role)).status_code == 403
        )
    stranger = _customer(db, other_world, _email("zed@example.com"), name="Zed")
    outside = client.post(url, json={"customer_id": str(stranger)}, headers=world.token(Role.AGENT))
    assert outside.status_code == 404
    refused = client.post(
        f"/api/v1/inbox/conversations/{verified.conversation_id}/link-customer",
        json={"customer_id": str(stranger)},
        headers=world.token(Role.AGENT),
    )
    assert refused.status_code == 422 and refused.json()["code"] == "link_refused"
    assert not any(str(claimed.conversation_id) in item for item in _timeline(db, world, alice))

    linked = client.post(url, json={"customer_id": str(alice)}, headers=world.token(Role.AGENT))
    assert linked.status_code == 200, linked.text
    assert linked.json()["customer_id"] == str(alice)
    assert any(str(claimed.conversation_id) in item for item in _timeline(db, world, alice))
    audit = auth_service.list_audit(db, workspace_id=world.workspace.id, action="inbox.contact_linked")
    db.rollback()
    assert audit.total == 1 and audit.items[0].actor_label == "token:agent-token"  # the agent's API token
    assert audit.items[0].detail["customer_id"] == str(alice) and audit.items[0].target_id == str(
        claimed.contact_id
    )
    events = [e["kind"] for e in _conversation(client, world, claimed.conversation_id)["events"]]
    assert "customer_linked" in events


def test_the_conversation_page_marks_claims_and_links_them(
    app,  # type: ignore[no-untyped-def]
    client: TestClient,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    cli_env: dict[str, str],
    db: Session,
) -> None:
    claimed, verified = _claimed_and_verified(runtime, email_inbox)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{claimed.conversation_id}")
    assert page.status_code == 200
    assert 'data-claimed="email"' in page.text and "claimed, not verified" in page.text
    assert f'name="customer_id" value="{verified.customer_id}"' in page.text  # the claimed address's customer
    proven = client.get(f"/inbox/conversations/{verified.conversation_id}")
    assert "data-claimed" not in proven.text and 'id="link-customer"' not in proven.text
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    done = client.post(
        f"/inbox/conversations/{claimed.conversation_id}/link-customer",
        data={"customer_id": str(verified.customer_id)},
        headers=csrf,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _conversation(client, world, claimed.conversation_id)["customer_id"] == str(verified.customer_id)

    # The same from the command line, audited as the CLI.
    bob = _customer(db, world, _email("bob@example.com"), name="Bob")
    lone = _ingest(
        runtime,
        InboundMessage(
            channel=MessagingChannel.EMAIL,
            inbox_address=email_inbox.address,
            source_id="bob@example.com",
            text="Hi",
        ),
    )
    assert lone.customer_id is None
    command = ["inbox", "link-customer", str(lone.conversation_id), str(bob), "-w", "acme"]
    result = CliRunner().invoke(cli_app, command, env=cli_env)
    assert result.exit_code == 0, result.output
    assert _conversation(client, world, lone.conversation_id)["customer_id"] == str(bob)
    audit = auth_service.list_audit(db, workspace_id=world.workspace.id, action="inbox.contact_linked")
    db.rollback()
    assert audit.total == 2 and audit.items[0].actor_label == "cli"
