"""Messenger and Instagram direct messages, against a real HTTP stand-in for the Graph API
(`channels/meta/simulator.py`): the Page or account proven when the inbox is created, the handshake, signed
events (HMAC-SHA256 of the raw body under the app secret), `mid` deduplication, echoes ignored, the sender's
page-scoped id as a verified identifier, replies through the Send API as responses and then with the human
agent tag, deliveries and reads by message or by watermark, and provider failures."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.channels.meta.simulator import MetaSimulator, message_event, notification, status_event
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.models import Contact, Inbox, Message
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.test_sms import _status, messages
from tests.conftest import SECRET_KEY, World
from tests.helpers import ThreadServer, page_csrf, sign_in
from tests.inbox.conftest import drain, drain_until

PAGE, IG_ID, TOKEN, SECRET, VERIFY = (
    "104857600123",
    "17841400000001",
    "EAAB-page-token",
    "app-secret-0d1f",
    "verify-me",
)
PSID = "6543210987654321"


@dataclass(frozen=True)
class Kind:
    """One of the two channels as the tests drive it."""

    channel: MessagingChannel
    webhook_object: str
    account_id: str
    address: str
    identifier: IdentifierKind

    def credentials(self, api_base: str, **changes: str) -> dict[str, str]:
        found = {"access_token": TOKEN, "app_secret": SECRET, "verify_token": VERIFY, "api_base": api_base}
        if self.channel is MessagingChannel.INSTAGRAM:
            found["instagram_id"] = IG_ID
        return {**found, **changes}


MESSENGER = Kind(MessagingChannel.MESSENGER, "page", PAGE, PAGE, IdentifierKind.MESSENGER)
INSTAGRAM = Kind(MessagingChannel.INSTAGRAM, "instagram", IG_ID, "@lumen.store", IdentifierKind.INSTAGRAM)


@pytest.fixture
def graph() -> Iterator[tuple[MetaSimulator, str]]:
    sim = MetaSimulator(
        accounts={PAGE: (TOKEN, {"name": "Lumen"}), IG_ID: (TOKEN, {"username": "lumen.store"})}
    )
    with ThreadServer(sim.app()) as server:
        yield sim, server.url


@pytest.fixture(params=[MESSENGER, INSTAGRAM], ids=["messenger", "instagram"])
def kind(request: pytest.FixtureRequest) -> Kind:
    found: Kind = request.param
    return found


def _create(
    db: Session, world: World, kind: Kind, api_base: str, address: str | None = None, **changes: str
) -> InboxPublic:
    return service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(
            channel=kind.channel,
            name=kind.channel.value,
            address=address or kind.address,
            credentials=kind.credentials(api_base, **changes),
        ),
        secret_key=SECRET_KEY,
    )


@pytest.fixture
def inbox(db: Session, world: World, kind: Kind, graph: tuple[MetaSimulator, str]) -> InboxPublic:
    made = _create(db, world, kind, graph[1])
    db.rollback()
    return made


def post(client: TestClient, inbox: InboxPublic, body: dict[str, Any], *, secret: str = SECRET) -> Any:
    raw = orjson.dumps(body)
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        inbox.callbacks["webhook"],
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def writes(
    kind: Kind, text: str = "Is the lamp in stock?", mid: str = "m_A1", **fields: Any
) -> dict[str, Any]:
    return notification(
        kind.webhook_object,
        kind.account_id,
        message_event(kind.account_id, PSID, mid=mid, text=text, **fields),
    )


# -- account and handshake ---------------------------------------------------------------------------------------


def test_the_inbox_keeps_the_proven_account_and_seals_its_secrets(
    db: Session, kind: Kind, inbox: InboxPublic
) -> None:
    assert inbox.address == kind.address
    assert inbox.callbacks == {"webhook": f"/channels/{kind.channel.value}/{inbox.id}/webhook"}
    stored = db.scalar(select(Inbox.credentials).where(Inbox.id == inbox.id))
    assert stored and TOKEN not in stored and SECRET not in stored and VERIFY not in stored


@pytest.mark.parametrize(
    ("which", "address", "changes", "reason"),
    [
        ("messenger", "999", {}, "the Graph API refused the account"),
        ("messenger", "lumen", {}, "Page id"),
        ("messenger", PAGE, {"access_token": "stolen"}, "the Graph API refused the account"),
        ("messenger", PAGE, {"app_secret": ""}, "needs its app_secret"),
        ("instagram", "@someone.else", {}, "is @lumen.store, not @someone.else"),
        ("instagram", "@lumen.store", {"access_token": "stolen"}, "the Graph API refused the account"),
        ("instagram", "@lumen.store", {"instagram_id": ""}, "needs its instagram_id"),
        ("instagram", "@lumen.store", {"page_token": "x"}, "unknown Instagram credentials"),
    ],
)
def test_an_account_the_token_does_not_hold_gets_no_inbox(
    db: Session, world: World, graph: tuple[MetaSimulator, str], which: str, address: str,
    changes: dict[str, str], reason: str,
) -> None:  # fmt: skip
    kind = MESSENGER if which == "messenger" else INSTAGRAM
    with pytest.raises(Invalid, match=reason):
        _create(db, world, kind, graph[1], address=address, **changes)
    db.rollback()
    assert db.scalar(select(Inbox.id).where(Inbox.channel == kind.channel)) is None


def test_the_handshake_answers_only_the_inbox_verify_token(client: TestClient, inbox: InboxPublic) -> None:
    url = inbox.callbacks["webhook"]
    ok = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"})
    assert ok.status_code == 200 and ok.text == "42"
    wrong = client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403


# -- inbound ------------------------------------------------------------------------------------------------------


def test_a_message_is_stored_once_for_the_verified_sender_and_echoes_are_ignored(
    client: TestClient, db: Session, world: World, kind: Kind, inbox: InboxPublic
) -> None:
    assert post(client, inbox, writes(kind)).status_code == 200
    assert post(client, inbox, writes(kind)).status_code == 200  # Meta redelivers
    echo = notification(
        kind.webhook_object,
        kind.account_id,
        message_event(kind.account_id, PSID, mid="m_echo", text="x", echo=True),
    )
    assert post(client, inbox, echo).status_code == 200
    other_account = notification(kind.webhook_object, "1", message_event("1", PSID, mid="m_other", text="y"))
    assert post(client, inbox, other_account).status_code == 200
    photo = writes(kind, text="", mid="m_photo", attachments=("image",))
    assert post(client, inbox, photo).status_code == 200
    stored = messages(db, inbox)
    assert [(m.text, m.provider_message_id) for m in stored] == [
        ("Is the lamp in stock?", "m_A1"),
        ("[image]", "m_photo"),
    ]
    customer = identity_service.customer_for(
        db, workspace_id=world.workspace.id, identifier=Identifier(kind=kind.identifier, value=PSID)
    )
    db.rollback()
    conversation = service.get_conversation(
        db, workspace_id=world.workspace.id, principal=world.members[Role.OWNER].principal,
        conversation_id=stored[0].conversation_id,
    )  # fmt: skip
    assert customer is not None and conversation.customer_id == customer


def _contact(db: Session, inbox: InboxPublic) -> tuple[str, list[str]]:
    """The sender's contact name on the inbox and the labels of its messages."""
    found = db.scalar(select(Contact.name).where(Contact.inbox_id == inbox.id, Contact.source_id == PSID))
    labels = list(db.scalars(select(Message.author_label).where(Message.inbox_id == inbox.id)))
    db.rollback()
    return str(found), labels


def test_the_senders_profile_name_is_asked_once_after_the_message_is_stored(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    kind: Kind,
    inbox: InboxPublic,
    graph: tuple[MetaSimulator, str],
) -> None:
    sim = graph[0]
    sim.profiles[PSID] = {
        "first_name": "Léa",
        "last_name": "Martin",
        "name": "Léa Martin",
        "username": "lea.m",
    }
    sim.outage = True  # the webhook is answered, whatever the Graph API does meanwhile
    assert post(client, inbox, writes(kind)).status_code == 200
    assert post(client, inbox, writes(kind, mid="m_A2", text="Hello?")).status_code == 200
    assert _contact(db, inbox) == ("", [PSID, PSID])
    drain(runtime)  # the outage: asked again later
    assert _contact(db, inbox)[0] == ""
    sim.outage = False
    drain_until(runtime, lambda: _contact(db, inbox)[0] != "")
    assert _contact(db, inbox) == ("Léa Martin", ["Léa Martin", "Léa Martin"])
    calls = sim.calls
    assert post(client, inbox, writes(kind, mid="m_A3")).status_code == 200
    drain(runtime)
    assert sim.calls == calls  # a named contact is not asked about again


def test_a_profile_meta_will_not_show_leaves_the_sender_named_by_id(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    kind: Kind,
    inbox: InboxPublic,
    graph: tuple[MetaSimulator, str],
) -> None:
    assert post(client, inbox, writes(kind)).status_code == 200
    drain(runtime)
    calls = graph[0].calls
    drain(runtime)
    assert _contact(db, inbox) == ("", [PSID]) and graph[0].calls == calls  # refused once, not retried


@pytest.mark.parametrize("forge", ["missing", "other secret", "tampered", "other object"])
def test_an_unsigned_or_forged_event_is_refused(
    client: TestClient, db: Session, kind: Kind, inbox: InboxPublic, forge: str
) -> None:
    if forge == "missing":
        response = client.post(inbox.callbacks["webhook"], content=orjson.dumps(writes(kind)))
    elif forge == "other secret":
        response = post(client, inbox, writes(kind), secret="guess")
    elif forge == "other object":
        response = post(client, inbox, {**writes(kind), "object": "whatsapp_business_account"})
    else:
        body = orjson.dumps(writes(kind))
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = client.post(
            inbox.callbacks["webhook"],
            content=body.replace(b"lamp", b"lump"),
            headers={"X-Hub-Signature-256": signature},
        )
    assert response.status_code == (422 if forge == "other object" else 401)
    assert messages(db, inbox) == []


def test_refused_webhook_calls_show_in_channel_health(
    client: TestClient, db: Session, world: World, kind: Kind, inbox: InboxPublic
) -> None:
    for _ in range(3):
        assert post(client, inbox, writes(kind), secret="guess").status_code == 401
    assert post(client, inbox, writes(kind)).status_code == 200  # a signed call is not counted
    health = client.get("/api/v1/inbox/inbox-health", headers=world.token(Role.ADMIN)).json()
    [mine] = [h for h in health if h["inbox_id"] == str(inbox.id)]
    assert mine["rejected"] == 3 and mine["last_rejected_at"] is not None
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    assert 'data-rejected="3"' in client.get("/settings/inboxes").text


# -- outbound -----------------------------------------------------------------------------------------------------


def _conversation(
    client: TestClient, db: Session, kind: Kind, inbox: InboxPublic, **fields: Any
) -> uuid.UUID:
    assert post(client, inbox, writes(kind, **fields)).status_code == 200
    return messages(db, inbox)[0].conversation_id


def _reply(client: TestClient, world: World, conversation_id: uuid.UUID, text: str) -> Any:
    return client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": text},
        headers=world.token(Role.AGENT),
    )


def test_a_reply_goes_out_through_the_send_api_and_deliveries_and_reads_move_it_forward(
    client: TestClient, db: Session, runtime: Runtime, world: World, kind: Kind, inbox: InboxPublic,
    graph: tuple[MetaSimulator, str],
) -> None:  # fmt: skip
    conversation_id = _conversation(client, db, kind, inbox)
    first = _reply(client, world, conversation_id, "Yes, two left.")
    second = _reply(client, world, conversation_id, "Shall I hold one?")
    assert first.status_code == 201 and second.status_code == 201, first.text
    drain(runtime)
    sent = graph[0].sent
    assert [s.body for s in sent] == [
        {"recipient": {"id": PSID}, "message": {"text": "Yes, two left."}, "messaging_type": "RESPONSE"},
        {"recipient": {"id": PSID}, "message": {"text": "Shall I hold one?"}, "messaging_type": "RESPONSE"},
    ]
    assert {s.account_id for s in sent} == {kind.account_id}
    assert _status(db, first.json()["id"]) == ("sent", None, sent[0].mid)
    read_first = status_event(kind.account_id, PSID, kind="read", mids=(sent[0].mid,))
    assert (
        post(client, inbox, notification(kind.webhook_object, kind.account_id, read_first)).status_code == 200
    )
    late = status_event(kind.account_id, PSID, kind="delivery", mids=(sent[0].mid,))
    assert post(client, inbox, notification(kind.webhook_object, kind.account_id, late)).status_code == 200
    assert _status(db, first.json()["id"])[0] == "read"  # never backwards
    assert _status(db, second.json()["id"])[0] == "sent"
    read_all = status_event(kind.account_id, PSID, kind="read", watermark=time.time() + 1)
    assert (
        post(client, inbox, notification(kind.webhook_object, kind.account_id, read_all)).status_code == 200
    )
    assert _status(db, second.json()["id"])[0] == "read"


def test_after_24_hours_a_person_replies_with_the_human_agent_tag_for_seven_days(
    client: TestClient, db: Session, runtime: Runtime, world: World, kind: Kind, inbox: InboxPublic,
    graph: tuple[MetaSimulator, str],
) -> None:  # fmt: skip
    graph[0].closed.add(PSID)  # the Send API refuses a plain response to them
    conversation_id = _conversation(client, db, kind, inbox, at=time.time() - 3 * 86400)
    late = _reply(client, world, conversation_id, "Sorry for the wait: it is back in stock.")
    assert late.status_code == 201, late.text
    drain(runtime)
    [request] = graph[0].sent
    assert request.body["messaging_type"] == "MESSAGE_TAG" and request.body["tag"] == "HUMAN_AGENT"
    assert _status(db, late.json()["id"])[0] == "sent"
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert 'data-reply-window="human-agent"' in page and 'id="template-fields"' not in page


def test_after_seven_days_nothing_can_be_sent(
    client: TestClient, db: Session, world: World, kind: Kind, inbox: InboxPublic
) -> None:
    conversation_id = _conversation(client, db, kind, inbox, at=time.time() - 8 * 86400)
    refused = _reply(client, world, conversation_id, "Hello again")
    assert refused.status_code == 422 and refused.json()["code"] == "outside_window"
    assert "7 days" in refused.json()["message"]


def test_provider_refusals_fail_the_reply_and_outages_retry(
    client: TestClient, db: Session, runtime: Runtime, world: World, inbox: InboxPublic, kind: Kind,
    graph: tuple[MetaSimulator, str],
) -> None:  # fmt: skip
    sim = graph[0]
    conversation_id = _conversation(client, db, kind, inbox)
    sim.outage = True
    reply = _reply(client, world, conversation_id, "Back soon")
    drain(runtime)
    assert _status(db, reply.json()["id"])[0] == "pending" and sim.sent == []
    sim.outage = False
    drain_until(runtime, lambda: bool(sim.sent))
    assert _status(db, reply.json()["id"])[0] == "sent"
    sim.refused.add(PSID)
    refused = _reply(client, world, conversation_id, "Still there?")
    calls = sim.calls
    drain(runtime)
    status, error, _ = _status(db, refused.json()["id"])
    assert status == "failed" and error is not None and "551" in error
    drain(runtime)
    assert sim.calls == calls + 1  # not retried


def test_the_settings_page_creates_a_messenger_inbox_without_showing_its_token(
    client: TestClient, db: Session, settings: Settings, world: World, graph: tuple[MetaSimulator, str]
) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    page = client.get("/settings/inboxes").text
    assert 'name="messenger.access_token"' in page and 'name="instagram.instagram_id"' in page
    form = {
        "csrf_token": page_csrf(client, "/settings/inboxes"),
        "channel": "messenger",
        "name": "Facebook",
        "address": PAGE,
        "messenger.access_token": TOKEN,
        "messenger.app_secret": SECRET,
        "messenger.verify_token": VERIFY,
        "whatsapp.access_token": "another channel's field",
        "api_base": graph[1],
    }
    made = client.post("/settings/inboxes", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    [inbox] = service.list_inboxes(db, workspace_id=world.workspace.id)
    db.rollback()
    assert inbox.channel is MessagingChannel.MESSENGER and inbox.address == PAGE
    page = client.get("/settings/inboxes").text
    assert f'value="{settings.base_url.rstrip("/")}/channels/messenger/{inbox.id}/webhook"' in page
    for secret in (TOKEN, SECRET):
        assert secret not in page, page[page.index(secret) - 300 : page.index(secret) + 100]
