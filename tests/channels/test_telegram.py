"""Telegram through the Bot API, against a real HTTP stand-in for it (`channels/telegram/simulator.py`): the bot
proven with `getMe` when the inbox is created, its webhook registered by omnicx with a secret token that every
update must then carry, deduplicated private messages (group chats and edits ignored), replies sent with
`sendMessage`, a blocked bot, throttling and outages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.channels.telegram.adapter import inbound
from omnicx.channels.telegram.simulator import FIRST_MESSAGE_ID, BotMessage, TelegramSimulator, update
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.models import Inbox
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.test_sms import _status, messages
from tests.conftest import SECRET_KEY, World
from tests.helpers import ThreadServer, page_csrf, sign_in
from tests.inbox.conftest import drain, drain_until

TOKEN, USERNAME = "7012345678:AAHk3-lamp_shop-bot-token", "LampShopBot"
OTHER_TOKEN, OTHER_USERNAME = "7098765432:AAF-another-bot-token", "OtherShopBot"
USER_ID = 512345678
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def bot_api() -> Iterator[tuple[TelegramSimulator, str]]:
    sim = TelegramSimulator(bots={TOKEN: USERNAME, OTHER_TOKEN: OTHER_USERNAME})
    with ThreadServer(sim.app()) as server:
        yield sim, server.url


def _create(
    db: Session, world: World, address: str, credentials: dict[str, str], *, base_url: str | None
) -> InboxPublic:
    return service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(
            channel=MessagingChannel.TELEGRAM, name="Telegram", address=address, credentials=credentials
        ),
        secret_key=SECRET_KEY,
        base_url=base_url,
    )


@pytest.fixture
def tg_inbox(
    db: Session, world: World, settings: Settings, bot_api: tuple[TelegramSimulator, str]
) -> InboxPublic:
    inbox = _create(
        db, world, "@lampshopbot", {"bot_token": TOKEN, "api_base": bot_api[1]}, base_url=settings.base_url
    )
    db.rollback()
    return inbox


def _secret(bot_api: tuple[TelegramSimulator, str]) -> str:
    """The secret token omnicx registered with Telegram, as Telegram then sends it."""
    return bot_api[0].webhooks[TOKEN][1]


def post(client: TestClient, inbox: InboxPublic, body: dict[str, Any], *, secret: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return client.post(inbox.callbacks["webhook"], content=orjson.dumps(body), headers=headers)


def writes(
    update_id: int = 861000001, text: str = "Bonjour, ma lampe est prête ?", **fields: Any
) -> dict[str, Any]:
    return update(update_id, user_id=USER_ID, first_name="Camille", last_name="Martin", text=text, **fields)


# -- the bot and its webhook ------------------------------------------------------------------------------------


def test_the_inbox_keeps_the_bot_and_registers_its_webhook_with_a_secret(
    db: Session, settings: Settings, tg_inbox: InboxPublic, bot_api: tuple[TelegramSimulator, str]
) -> None:
    assert tg_inbox.address == "@LampShopBot"  # as Telegram spells it, not as it was typed
    assert tg_inbox.callbacks == {"webhook": f"/channels/telegram/{tg_inbox.id}/webhook"}
    url, secret = bot_api[0].webhooks[TOKEN]
    assert url == f"{settings.base_url.rstrip('/')}/channels/telegram/{tg_inbox.id}/webhook"
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)
    stored = db.scalar(select(Inbox.credentials).where(Inbox.id == tg_inbox.id))
    assert stored and TOKEN not in stored and secret not in stored
    kept = service.provider_inbox(
        db, channel=MessagingChannel.TELEGRAM, inbox_id=tg_inbox.id, secret_key=SECRET_KEY
    )
    db.rollback()
    assert kept is not None and kept.credentials["secret_token"] == secret
    assert kept.credentials["bot_token"] == TOKEN


@pytest.mark.parametrize(
    ("address", "changes", "base_url", "reason"),
    [
        (
            USERNAME,
            {"bot_token": "7012345678:wrong"},
            "default",
            "Telegram refused the bot token: Telegram 401",
        ),
        (
            USERNAME,
            {"bot_token": OTHER_TOKEN},
            "default",
            "the bot token is @OtherShopBot's, not @LampShopBot",
        ),
        ("@" + USERNAME, {"bot_token": ""}, "default", "needs its bot_token"),
        (USERNAME, {"secret_token": "chosen-by-me"}, "default", "unknown Telegram credentials: secret_token"),
        (USERNAME, {}, None, "OMNICX_BASE_URL"),
        (USERNAME, {}, "http://omnicx.example.com", "over HTTPS only"),
    ],
)
def test_a_bot_the_token_does_not_hold_or_cannot_call_back_gets_no_inbox(
    db: Session,
    world: World,
    settings: Settings,
    bot_api: tuple[TelegramSimulator, str],
    address: str,
    changes: dict[str, str],
    base_url: str | None,
    reason: str,
) -> None:
    credentials = {"bot_token": TOKEN, "api_base": bot_api[1], **changes}
    with pytest.raises(Invalid, match=re.escape(reason)) as refused:
        _create(
            db, world, address, credentials, base_url=settings.base_url if base_url == "default" else base_url
        )
    assert TOKEN not in str(refused.value)
    db.rollback()
    assert db.scalar(select(Inbox).where(Inbox.channel == MessagingChannel.TELEGRAM)) is None
    assert bot_api[0].webhooks == {}


def test_an_unreachable_bot_api_gets_no_inbox_and_its_error_does_not_show_the_token(
    db: Session, world: World, settings: Settings
) -> None:
    with ThreadServer(TelegramSimulator().app()) as server:
        gone = server.url  # nothing listens there once the server has stopped
    with pytest.raises(Invalid, match="Telegram could not be reached") as refused:
        _create(db, world, USERNAME, {"bot_token": TOKEN, "api_base": gone}, base_url=settings.base_url)
    assert TOKEN not in str(refused.value)


# -- inbound ------------------------------------------------------------------------------------------------------


def test_a_private_message_is_stored_once_for_the_telegram_user(
    client: TestClient,
    db: Session,
    world: World,
    tg_inbox: InboxPublic,
    bot_api: tuple[TelegramSimulator, str],
) -> None:
    secret = _secret(bot_api)
    assert post(client, tg_inbox, writes(), secret=secret).status_code == 200
    assert post(client, tg_inbox, writes(), secret=secret).status_code == 200  # Telegram redelivers
    [stored] = messages(db, tg_inbox)
    assert stored.text == "Bonjour, ma lampe est prête ?" and stored.provider_message_id == "861000001"
    customer = identity_service.customer_for(
        db,
        workspace_id=world.workspace.id,
        identifier=Identifier(kind=IdentifierKind.TELEGRAM, value=str(USER_ID)),
    )
    db.rollback()
    conversation = service.get_conversation(
        db, workspace_id=world.workspace.id, principal=world.members[Role.OWNER].principal,
        conversation_id=stored.conversation_id,
    )  # fmt: skip
    db.rollback()
    assert customer is not None and conversation.customer_id == customer
    assert (conversation.contact.source_id, conversation.contact.name) == (str(USER_ID), "Camille Martin")
    assert post(client, tg_inbox, writes(861000002, "Merci"), secret=secret).status_code == 200
    assert [m.text for m in messages(db, tg_inbox)] == ["Bonjour, ma lampe est prête ?", "Merci"]


@pytest.mark.parametrize("kind", ["group", "supergroup", "edit", "from a bot"])
def test_group_chats_edits_and_bots_are_acknowledged_and_ignored(
    client: TestClient, db: Session, tg_inbox: InboxPublic, bot_api: tuple[TelegramSimulator, str], kind: str
) -> None:
    body = writes(chat_type=kind) if kind in ("group", "supergroup") else writes()
    if kind == "edit":
        body = {"update_id": body["update_id"], "edited_message": {**body["message"], "edit_date": 1}}
    elif kind == "from a bot":
        body["message"]["from"]["is_bot"] = True
    assert post(client, tg_inbox, body, secret=_secret(bot_api)).status_code == 200
    assert messages(db, tg_inbox) == []


@pytest.mark.parametrize("forge", ["missing", "wrong", "another inbox's"])
def test_an_update_without_the_webhook_secret_is_refused(
    client: TestClient,
    db: Session,
    world: World,
    settings: Settings,
    tg_inbox: InboxPublic,
    bot_api: tuple[TelegramSimulator, str],
    forge: str,
) -> None:
    secret: str | None = None
    if forge == "wrong":
        secret = _secret(bot_api)[:-1] + ("A" if _secret(bot_api)[-1] != "A" else "B")
    elif forge == "another inbox's":
        other = _create(
            db,
            world,
            OTHER_USERNAME,
            {"bot_token": OTHER_TOKEN, "api_base": bot_api[1]},
            base_url=settings.base_url,
        )
        db.rollback()
        secret = bot_api[0].webhooks[OTHER_TOKEN][1]
        assert post(client, other, writes(), secret=secret).status_code == 200  # its own secret holds there
    response = post(client, tg_inbox, writes(), secret=secret)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert messages(db, tg_inbox) == []


def test_an_update_for_an_unknown_inbox_is_not_found_and_a_bad_body_is_refused(
    client: TestClient, db: Session, tg_inbox: InboxPublic, bot_api: tuple[TelegramSimulator, str]
) -> None:
    headers = {SECRET_HEADER: _secret(bot_api)}
    unknown = client.post(f"/channels/telegram/{uuid.uuid4()}/webhook", json=writes(), headers=headers)
    assert unknown.status_code == 404
    for body in (b"{not json", b"[1, 2]"):
        refused = client.post(tg_inbox.callbacks["webhook"], content=body, headers=headers)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid"
    assert messages(db, tg_inbox) == []


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"photo": [{"file_id": "AgAD"}], "caption": "The broken base"}, "[photo] The broken base"),
        ({"voice": {"file_id": "AwAD", "duration": 4}}, "[voice]"),
        ({"sticker": {"file_id": "CAAD", "emoji": "👍"}}, "[sticker]"),
    ],
)
def test_media_show_as_their_kind_and_caption(fields: dict[str, Any], text: str) -> None:
    body = writes()
    del body["message"]["text"]
    body["message"].update(fields)
    message = inbound(body, inbox_address="@" + USERNAME)
    assert message is not None and message.text == text and message.source_id == str(USER_ID)


# -- outbound -----------------------------------------------------------------------------------------------------


def _conversation(client: TestClient, db: Session, inbox: InboxPublic, secret: str) -> uuid.UUID:
    assert post(client, inbox, writes(), secret=secret).status_code == 200
    conversation_id: uuid.UUID = messages(db, inbox)[0].conversation_id
    return conversation_id


def _reply(client: TestClient, world: World, conversation_id: uuid.UUID, text: str) -> str:
    response = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": text},
        headers=world.token(Role.AGENT),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_reply_goes_to_the_users_chat_through_send_message(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    tg_inbox: InboxPublic,
    bot_api: tuple[TelegramSimulator, str],
) -> None:
    sim = bot_api[0]
    reply = _reply(client, world, _conversation(client, db, tg_inbox, _secret(bot_api)), "Oui, dès 14 h.")
    drain(runtime)
    assert sim.sent == [BotMessage(TOKEN, str(USER_ID), "Oui, dès 14 h.", FIRST_MESSAGE_ID)]
    assert _status(db, reply) == ("sent", None, str(FIRST_MESSAGE_ID))
    drain(runtime)
    assert len(sim.sent) == 1  # a finished delivery is not sent again


def test_a_reply_longer_than_telegram_takes_is_refused_before_it_is_stored(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    tg_inbox: InboxPublic,
    bot_api: tuple[TelegramSimulator, str],
) -> None:
    sim = bot_api[0]
    conversation_id = _conversation(client, db, tg_inbox, _secret(bot_api))
    too_long = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": "é" * 4097},
        headers=world.token(Role.AGENT),
    )
    assert too_long.status_code == 422, too_long.text
    assert "at most 4,096 characters" in too_long.json()["message"]
    assert len(messages(db, tg_inbox)) == 1  # the customer's only: nothing stored, nothing queued
    _reply(client, world, conversation_id, "é" * 4096)  # the longest Telegram takes goes out whole
    drain(runtime)
    assert [len(m.text) for m in sim.sent] == [4096]


def test_a_user_who_blocked_the_bot_fails_the_reply_without_retrying(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    tg_inbox: InboxPublic,
    bot_api: tuple[TelegramSimulator, str],
) -> None:
    sim = bot_api[0]
    conversation_id = _conversation(client, db, tg_inbox, _secret(bot_api))
    sim.blocked.add(str(USER_ID))
    calls = sim.calls
    reply = _reply(client, world, conversation_id, "Hello?")
    drain(runtime)
    status, error, _ = _status(db, reply)
    assert status == "failed" and error == "Telegram 403 (403): Forbidden: bot was blocked by the user"
    assert sim.calls == calls + 1 and sim.sent == []


@pytest.mark.parametrize("trouble", ["outage", "throttled"])
def test_a_reply_waits_out_an_outage_or_throttling_and_goes_out_once(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    tg_inbox: InboxPublic,
    bot_api: tuple[TelegramSimulator, str],
    trouble: str,
) -> None:
    sim = bot_api[0]
    conversation_id = _conversation(client, db, tg_inbox, _secret(bot_api))
    setattr(sim, trouble, True)
    calls = sim.calls
    reply = _reply(client, world, conversation_id, "Sorry for the wait.")
    drain(runtime, limit=3)
    assert sim.sent == [] and sim.calls > calls
    assert _status(db, reply)[0] == "pending"
    setattr(sim, trouble, False)
    drain_until(runtime, lambda: bool(sim.sent))
    assert [(m.chat_id, m.text) for m in sim.sent] == [(str(USER_ID), "Sorry for the wait.")]
    assert _status(db, reply)[0] == "sent"


# -- the settings page --------------------------------------------------------------------------------------------


def test_the_settings_page_creates_a_telegram_inbox_and_never_shows_its_token(
    client: TestClient,
    db: Session,
    settings: Settings,
    world: World,
    bot_api: tuple[TelegramSimulator, str],
) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    page = client.get("/settings/inboxes").text
    assert 'name="telegram.bot_token"' in page
    form = {
        "csrf_token": page_csrf(client, "/settings/inboxes"),
        "channel": "telegram",
        "name": "Telegram",
        "address": "lampshopbot",
        "telegram.bot_token": "7012345678:wrong",
        "api_base": bot_api[1],
    }
    refused = client.post("/settings/inboxes", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "Telegram refused the bot token" in refused.text
    made = client.post(
        "/settings/inboxes", data={**form, "telegram.bot_token": TOKEN}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    [inbox] = service.list_inboxes(db, workspace_id=world.workspace.id)
    db.rollback()
    assert (inbox.channel, inbox.address) == (MessagingChannel.TELEGRAM, "@LampShopBot")
    url, secret = bot_api[0].webhooks[TOKEN]
    page = client.get("/settings/inboxes").text
    assert f'value="{url}"' in page
    assert TOKEN not in page and secret not in page
