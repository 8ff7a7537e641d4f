"""WhatsApp through the Cloud API, against a real HTTP stand-in for the Graph API
(`channels/whatsapp/simulator.py`): the number proven when the inbox is created, the verification handshake,
signed notifications (HMAC-SHA256 of the raw body under the app secret), deduplicated messages, replies and
templates sent as the Graph API documents them, statuses in any order, the 24-hour window, and STOP."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.channels.whatsapp.simulator import WhatsAppSimulator, message_notification, status_notification
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.models import Inbox
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime
from tests.channels.test_sms import _status, messages
from tests.conftest import SECRET_KEY, World
from tests.helpers import ThreadServer, page_csrf, sign_in
from tests.inbox.conftest import drain, drain_until, email_inbox

__all__ = ["email_inbox"]  # a fixture shared with the inbox tests

PNID, TOKEN, SECRET, VERIFY = "106540352242922", "EAAG-access-token", "app-secret", "verify-me"
NUMBER, DISPLAY = "+33199001234", "+33 1 99 00 12 34"
WA_ID, CUSTOMER = "33612345678", "+33612345678"


@pytest.fixture
def graph() -> Iterator[tuple[WhatsAppSimulator, str]]:
    sim = WhatsAppSimulator(numbers={PNID: (TOKEN, DISPLAY)})
    with ThreadServer(sim.app()) as server:
        yield sim, server.url


def credentials(api_base: str, **changes: str) -> dict[str, str]:
    found = {"phone_number_id": PNID, "access_token": TOKEN, "app_secret": SECRET, "verify_token": VERIFY}
    return {**found, "api_base": api_base, **changes}


@pytest.fixture
def wa_inbox(db: Session, world: World, graph: tuple[WhatsAppSimulator, str]) -> InboxPublic:
    inbox = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(
            channel=MessagingChannel.WHATSAPP,
            name="WhatsApp",
            address=DISPLAY,
            credentials=credentials(graph[1]),
        ),
        secret_key=SECRET_KEY,
    )
    db.rollback()
    return inbox


def post(
    client: TestClient, inbox: InboxPublic, notification: dict[str, Any], *, secret: str = SECRET
) -> Any:
    body = orjson.dumps(notification)
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        inbox.callbacks["webhook"],
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def writes(
    text: str = "Bonjour, ma lampe est prête ?", wamid: str = "wamid.A1", at: float | None = None
) -> dict[str, Any]:
    return message_notification(PNID, DISPLAY, wa_id=WA_ID, name="Camille", wamid=wamid, text=text, at=at)


# -- account and handshake ---------------------------------------------------------------------------------------


def test_the_inbox_keeps_the_proven_number(db: Session, wa_inbox: InboxPublic) -> None:
    assert wa_inbox.address == NUMBER
    assert wa_inbox.callbacks == {"webhook": f"/channels/whatsapp/{wa_inbox.id}/webhook"}
    stored = db.scalar(select(Inbox.credentials).where(Inbox.id == wa_inbox.id))
    assert stored and TOKEN not in stored and SECRET not in stored


@pytest.mark.parametrize(
    ("address", "changes", "reason"),
    [
        ("+33199001299", {}, "is +33 1 99 00 12 34, not +33199001299"),
        (NUMBER, {"access_token": "stolen"}, "the Graph API refused the account"),
        (NUMBER, {"app_secret": ""}, "needs its app_secret"),
    ],
)
def test_a_number_the_token_does_not_hold_gets_no_inbox(
    db: Session,
    world: World,
    graph: tuple[WhatsAppSimulator, str],
    address: str,
    changes: dict[str, str],
    reason: str,
) -> None:
    with pytest.raises(Invalid, match=reason.replace("+", r"\+")):
        service.create_inbox(
            db,
            principal=world.members[Role.OWNER].principal,
            data=InboxCreate(
                channel=MessagingChannel.WHATSAPP,
                name="WhatsApp",
                address=address,
                credentials=credentials(graph[1], **changes),
            ),
            secret_key=SECRET_KEY,
        )


def test_the_handshake_answers_only_the_inbox_verify_token(client: TestClient, wa_inbox: InboxPublic) -> None:
    url = wa_inbox.callbacks["webhook"]
    ok = client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "forbidden"
    unknown = client.get(f"/channels/whatsapp/{uuid.uuid4()}/webhook", params={"hub.verify_token": VERIFY})
    assert unknown.status_code == 404


# -- inbound ------------------------------------------------------------------------------------------------------


def test_a_message_is_stored_once_for_the_verified_phone(
    client: TestClient, db: Session, world: World, wa_inbox: InboxPublic
) -> None:
    assert post(client, wa_inbox, writes()).status_code == 200
    assert post(client, wa_inbox, writes()).status_code == 200  # Meta redelivers
    other_number = writes(wamid="wamid.other")
    other_number["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert post(client, wa_inbox, other_number).status_code == 200
    [stored] = messages(db, wa_inbox)
    assert stored.text == "Bonjour, ma lampe est prête ?" and stored.provider_message_id == "wamid.A1"
    customer = identity_service.customer_for(
        db, workspace_id=world.workspace.id, identifier=Identifier(kind=IdentifierKind.PHONE, value=CUSTOMER)
    )
    db.rollback()
    conversation = service.get_conversation(
        db, workspace_id=world.workspace.id, principal=world.members[Role.OWNER].principal,
        conversation_id=stored.conversation_id,
    )  # fmt: skip
    assert customer is not None and conversation.customer_id == customer
    assert (conversation.contact.source_id, conversation.contact.name) == (CUSTOMER, "Camille")


@pytest.mark.parametrize("forge", ["missing", "other secret", "tampered"])
def test_an_unsigned_or_forged_notification_is_refused(
    client: TestClient, db: Session, wa_inbox: InboxPublic, forge: str
) -> None:
    if forge == "missing":
        response = client.post(wa_inbox.callbacks["webhook"], content=orjson.dumps(writes()))
    elif forge == "other secret":
        response = post(client, wa_inbox, writes(), secret="guess")
    else:
        body = orjson.dumps(writes())
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = client.post(
            wa_inbox.callbacks["webhook"],
            content=body.replace(b"Camille", b"Mallory"),
            headers={"X-Hub-Signature-256": signature},
        )
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert messages(db, wa_inbox) == []


# -- outbound -----------------------------------------------------------------------------------------------------


def _conversation(client: TestClient, db: Session, inbox: InboxPublic, **fields: Any) -> uuid.UUID:
    assert post(client, inbox, writes(**fields)).status_code == 200
    return messages(db, inbox)[0].conversation_id


def _reply(client: TestClient, world: World, conversation_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages", json=body, headers=world.token(Role.AGENT)
    )


def test_a_reply_is_the_graph_api_request_and_its_statuses_only_move_forward(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    wa_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    sim = graph[0]
    reply = _reply(client, world, _conversation(client, db, wa_inbox), {"text": "Oui, dès 14 h."})
    assert reply.status_code == 201, reply.text
    drain(runtime)
    [sent] = sim.sent
    assert sent.phone_number_id == PNID
    assert sent.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "biz_opaque_callback_data": reply.json()["id"],
        "type": "text",
        "text": {"body": "Oui, dès 14 h.", "preview_url": False},
    }
    assert _status(db, reply.json()["id"]) == ("sent", None, sent.wamid)

    def status(name: str, **extra: Any) -> None:
        notification = status_notification(
            PNID, DISPLAY, wamid=sent.wamid, status=name, recipient=WA_ID, **extra
        )
        assert post(client, wa_inbox, notification).status_code == 200

    status("read")
    status("delivered")  # late: changes nothing
    assert _status(db, reply.json()["id"])[0] == "read"
    failed = _reply(client, world, messages(db, wa_inbox)[0].conversation_id, {"text": "Et demain ?"})
    drain(runtime)
    wamid = sim.sent[-1].wamid
    notification = status_notification(
        PNID, DISPLAY, wamid=wamid, status="failed", recipient=WA_ID, callback_data=failed.json()["id"],
        error=(131049, "This message was not delivered to maintain healthy ecosystem engagement."),
    )  # fmt: skip
    assert post(client, wa_inbox, notification).status_code == 200
    status_, error, _ = _status(db, failed.json()["id"])
    assert status_ == "failed" and error is not None and "131049" in error


def test_replies_queued_through_an_outage_go_out_once_each_in_the_order_written(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    wa_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    sim = graph[0]
    conversation_id = _conversation(client, db, wa_inbox)
    sim.outage = True  # the Graph API answers 500 to everything
    written = ["Un instant, je vérifie.", "C'est prêt à Lyon.", "À tout à l'heure !"]
    for text in written:
        assert _reply(client, world, conversation_id, {"text": text}).status_code == 201
    drain(runtime, limit=5)
    assert sim.sent == [] and sim.calls >= 1  # tried, refused, kept for later
    sim.outage = False
    drain_until(runtime, lambda: len(sim.sent) >= len(written))
    drain(runtime)
    assert [m.body["text"]["body"] for m in sim.sent] == written  # once each, in order


def test_free_text_after_24_hours_is_refused_and_a_template_goes_out(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    wa_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, wa_inbox, at=time.time() - 25 * 3600)
    refused = _reply(client, world, conversation_id, {"text": "Sorry for the delay!"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "outside_window" and "template" in refused.json()["message"]
    template = {"name": "order_ready", "language": "fr", "parameters": ["Camille", "Lyon"]}
    sent = _reply(client, world, conversation_id, {"template": template})
    assert sent.status_code == 201, sent.text
    assert sent.json()["text"] == "[order_ready (fr)] Camille · Lyon"
    drain(runtime)
    [request] = graph[0].sent
    assert request.body["type"] == "template"
    assert request.body["template"] == {
        "name": "order_ready",
        "language": {"code": "fr"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Camille"}, {"type": "text", "text": "Lyon"}],
            }
        ],
    }
    assert post(client, wa_inbox, writes("Merci !", wamid="wamid.A2")).status_code == 200
    assert (
        _reply(client, world, conversation_id, {"text": "Avec plaisir."}).status_code == 201
    )  # window open again


def test_templates_are_refused_where_a_channel_has_none(
    client: TestClient, world: World, db: Session
) -> None:
    from tests.inbox.conftest import chat_inbox  # noqa: F401  (documented fixture; the chat inbox is made here)

    inbox = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(channel=MessagingChannel.CHAT, name="Site"),
        secret_key=SECRET_KEY,
    )
    received = service.receive(
        db,
        inbox_id=inbox.id,
        message=__import__("tests.inbox.conftest", fromlist=["inbound"]).inbound("visitor-1", "hi"),
    )
    db.rollback()
    refused = _reply(client, world, received.conversation_id, {"template": {"name": "order_ready"}})
    assert refused.status_code == 422 and "templates are for WhatsApp" in refused.json()["message"]


def test_stop_on_whatsapp_stops_replies_there(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    wa_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, wa_inbox)
    assert post(client, wa_inbox, writes("Berhenti", wamid="wamid.B1")).status_code == 200
    reply = _reply(client, world, conversation_id, {"text": "Noted."})
    drain(runtime)
    assert graph[0].sent == []
    status, error, _ = _status(db, reply.json()["id"])
    assert status == "failed" and error is not None and "opted out of whatsapp" in error


def test_the_conversation_page_offers_a_template_once_the_window_closed(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    wa_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, wa_inbox, at=time.time() - 30 * 3600)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert 'data-reply-window="closed"' in page and 'id="template-fields" open' in page
    csrf = page_csrf(client, f"/inbox/conversations/{conversation_id}")
    url = f"/inbox/conversations/{conversation_id}/reply"
    refused = client.post(url, data={"csrf_token": csrf, "text": "Hello?"})
    assert refused.status_code == 422 and "approved template" in refused.text
    sent = client.post(
        url,
        data={
            "csrf_token": csrf,
            "template_name": "order_ready",
            "template_language": "fr",
            "template_parameters": "Camille\nLyon\n",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    drain(runtime)
    [request] = graph[0].sent
    parameters = request.body["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Camille", "Lyon"]


# -- approved templates ------------------------------------------------------------------------------------------

WABA = "102290129340398"


def _graph_template(name: str, language: str, status: str, text: str) -> dict[str, Any]:
    return {
        "id": f"{name}-{language}",
        "name": name,
        "language": language,
        "status": status,
        "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Maison"},
            {"type": "BODY", "text": text},
        ],
    }


@pytest.fixture
def waba_inbox(db: Session, world: World, graph: tuple[WhatsAppSimulator, str]) -> InboxPublic:
    sim, url = graph
    sim.business_accounts[WABA] = TOKEN
    sim.templates[WABA] = [
        _graph_template("order_ready", "fr", "APPROVED", "Bonjour {{1}}, votre commande {{2}} est prête."),
        _graph_template("flash_sale", "fr", "REJECTED", "Soldes pour {{1}} !"),
    ]
    inbox = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(
            channel=MessagingChannel.WHATSAPP,
            name="WhatsApp",
            address=DISPLAY,
            credentials=credentials(url, business_account_id=WABA),
        ),
        secret_key=SECRET_KEY,
    )
    db.rollback()
    return inbox


def _templates(client: TestClient, world: World, conversation_id: uuid.UUID, role: Role = Role.AGENT) -> Any:
    return client.get(f"/api/v1/inbox/conversations/{conversation_id}/templates", headers=world.token(role))


def test_only_the_approved_templates_are_offered(
    client: TestClient, db: Session, world: World, waba_inbox: InboxPublic
) -> None:
    conversation_id = _conversation(client, db, waba_inbox, at=time.time() - 30 * 3600)
    listed = _templates(client, world, conversation_id)
    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "name": "order_ready",
            "language": "fr",
            "category": "UTILITY",
            "body": "Bonjour {{1}}, votre commande {{2}} est prête.",
            "parameters": 2,
        }
    ]
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert 'name="template_choice"' in page and 'value="order_ready|fr"' in page
    assert "flash_sale" not in page
    assert 'id="template-other"' in page  # the free inputs, for a template not listed


def test_a_chosen_template_is_the_graph_api_request(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    waba_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, waba_inbox, at=time.time() - 30 * 3600)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    csrf = page_csrf(client, f"/inbox/conversations/{conversation_id}")
    sent = client.post(
        f"/inbox/conversations/{conversation_id}/reply",
        data={
            "csrf_token": csrf,
            "template_choice": "order_ready|fr",
            "template_parameters": "Camille\nA-1042",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    drain(runtime)
    [request] = graph[0].sent
    assert uuid.UUID(request.body.pop("biz_opaque_callback_data"))  # omnicx's message id, for the statuses
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "template",
        "template": {
            "name": "order_ready",
            "language": {"code": "fr"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Camille"}, {"type": "text", "text": "A-1042"}],
                }
            ],
        },
    }


def test_a_template_the_account_did_not_have_approved_fails(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    waba_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, waba_inbox, at=time.time() - 30 * 3600)
    reply = _reply(client, world, conversation_id, {"template": {"name": "flash_sale", "language": "fr"}})
    assert reply.status_code == 201, reply.text
    drain(runtime)
    assert graph[0].sent == []
    status, error, _ = _status(db, reply.json()["id"])
    assert status == "failed" and error is not None and "132001" in error


def test_a_graph_error_gives_no_templates_and_says_why(
    client: TestClient,
    db: Session,
    world: World,
    waba_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, waba_inbox, at=time.time() - 30 * 3600)
    graph[0].business_accounts[WABA] = "another-token"
    listed = _templates(client, world, conversation_id)
    assert listed.status_code == 200 and listed.json() == []
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}")
    assert page.status_code == 200
    assert "Templates could not be loaded" in page.text and "Invalid OAuth access token" in page.text
    assert 'name="template_choice"' not in page.text and 'name="template_name"' in page.text


def test_an_inbox_without_business_account_offers_the_free_inputs(
    client: TestClient, db: Session, world: World, wa_inbox: InboxPublic, graph: tuple[WhatsAppSimulator, str]
) -> None:
    conversation_id = _conversation(client, db, wa_inbox, at=time.time() - 30 * 3600)
    calls = graph[0].calls
    assert _templates(client, world, conversation_id).json() == []
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert 'name="template_choice"' not in page and 'id="template-other"' not in page
    assert 'name="template_name"' in page and "could not be loaded" not in page
    assert graph[0].calls == calls  # the Graph API was not asked


def test_another_workspaces_conversation_has_no_templates(
    client: TestClient, db: Session, world: World, other_world: World, waba_inbox: InboxPublic
) -> None:
    conversation_id = _conversation(client, db, waba_inbox)
    listed = client.get(
        f"/api/v1/inbox/conversations/{conversation_id}/templates", headers=other_world.token(Role.OWNER)
    )
    assert listed.status_code == 404
