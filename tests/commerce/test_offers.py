"""Selling from a conversation: a product card with price, availability and a tagged link; the customer's cart
filled and linked; a click-and-collect order held at a store with the link to follow it. Each is a reply on the
conversation's channel, from the API, the page and the CLI; a pickup whose reply is refused holds nothing."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.commerce import service
from omnicx.commerce.models import Order
from omnicx.commerce.schemas import CustomerRef
from omnicx.inbox import service as inbox_service
from omnicx.inbox.models import Message
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.settings import Settings
from tests.commerce.conftest import Shop
from tests.conftest import World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import chat_inbox, inbound

__all__ = ["chat_inbox"]  # the inbox fixture used here

PRODUCT_URL = "https://shop.example/products/{sku}"
CART_URL = "https://shop.example/cart?from=omnicx"


@pytest.fixture
def conversation(db: Session, chat_inbox: InboxPublic, shop: Shop) -> uuid.UUID:
    """A verified customer (signed in on the site) asking about a T-shirt in the site chat."""
    received = inbox_service.receive(
        db,
        inbox_id=chat_inbox.id,
        message=inbound("alice@example.com", "Do you have the T-shirt in S?", sender_verified=True),
    )
    db.rollback()
    return received.conversation_id


def _links(client: TestClient, world: World, *, cart: str = CART_URL) -> None:
    saved = client.put(
        "/api/v1/commerce/storefront",
        json={"product_url": PRODUCT_URL, "cart_url": cart},
        headers=world.token(Role.ADMIN),
    )
    assert saved.status_code == 200, saved.text


def _offer(
    client: TestClient, world: World, conversation: uuid.UUID, role: Role = Role.AGENT, **body: object
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/commerce/conversations/{conversation}/offers", json=body, headers=world.token(role)
    )


def _sent(db: Session, conversation: uuid.UUID) -> list[str]:
    texts = list(
        db.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation, Message.kind == "outgoing")
            .order_by(Message.created_at)
        )
    )
    db.rollback()
    return texts


def test_a_product_card_carries_price_availability_and_a_link_tagged_with_the_channel(
    client: TestClient, db: Session, world: World, conversation: uuid.UUID
) -> None:
    _links(client, world)
    sent = _offer(client, world, conversation, kind="product", lines=[{"sku": "TEE-S", "quantity": 1}])
    assert sent.status_code == 201, sent.text
    text = sent.json()["text"]
    assert text.splitlines() == [
        "T-shirt S",
        "€15.00",
        "In stock; ready to collect at Paris store",  # Lyon holds none of the S
        "https://shop.example/products/TEE-S?utm_source=chat&utm_medium=chat&utm_campaign=conversation",
    ]
    assert _sent(db, conversation) == [text]  # an ordinary reply on the conversation's channel


def test_the_offer_speaks_the_customers_language(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic, shop: Shop
) -> None:
    written = inbox_service.receive(
        db,
        inbox_id=chat_inbox.id,
        message=inbound("lea@example.com", "Bonjour, je voudrais commander le mug", sender_verified=True),
    )
    db.rollback()
    sent = _offer(
        client, world, written.conversation_id, kind="product", lines=[{"sku": "MUG", "quantity": 1}]
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["text"].splitlines()[1:3] == [
        "9,00\u00a0€",
        "En stock ; à retirer à Lyon store, Paris store",
    ]
    chosen = _offer(
        client,
        world,
        written.conversation_id,
        kind="product",
        lines=[{"sku": "MUG", "quantity": 1}],
        language="ca",
    )
    assert chosen.json()["text"].splitlines()[1:3] == [
        "9,00\u00a0€",
        "En estoc; a punt per recollir a Lyon store, Paris store",
    ]


def test_the_cart_link_fills_the_customers_one_cart(
    client: TestClient, db: Session, world: World, shop: Shop, conversation: uuid.UUID
) -> None:
    _links(client, world, cart="")
    refused = _offer(client, world, conversation, kind="cart", lines=[{"sku": "MUG", "quantity": 2}])
    assert refused.status_code == 422 and "cart page is not set" in refused.json()["message"]
    _links(client, world)
    sent = _offer(
        client,
        world,
        conversation,
        kind="cart",
        lines=[{"sku": "MUG", "quantity": 2}, {"sku": "TEE-M", "quantity": 1}],
        note="Here you are!",
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["text"].splitlines() == [
        "Here you are!",
        "",
        "Your cart is ready:",
        "• Mug × 2: €18.00",
        "• T-shirt M × 1: €15.00",
        "Total: €33.00",
        "https://shop.example/cart?from=omnicx&utm_source=chat&utm_medium=chat&utm_campaign=conversation",
    ]
    cart = service.get_cart(
        db, workspace_id=shop.workspace_id, customer=CustomerRef(email="alice@example.com")
    )
    db.rollback()
    assert {(item.sku, item.quantity) for item in cart.items} == {("MUG", 2), ("TEE-M", 1)}


def test_a_pickup_holds_the_stock_at_the_store_and_links_to_the_order(
    client: TestClient, db: Session, world: World, shop: Shop, conversation: uuid.UUID, settings: Settings
) -> None:
    before = service.availability(db, workspace_id=shop.workspace_id, sku="MUG")
    db.rollback()
    sent = _offer(
        client,
        world,
        conversation,
        kind="pickup",
        lines=[{"sku": "MUG", "quantity": 1}],
        location_id=str(shop.store.id),
    )
    assert sent.status_code == 201, sent.text
    order = service.get_order(db, workspace_id=shop.workspace_id, order_id=uuid.UUID(sent.json()["order_id"]))
    after = service.availability(db, workspace_id=shop.workspace_id, sku="MUG")
    board = service.pickup_board(db, workspace_id=shop.workspace_id, location_id=shop.store.id)
    db.rollback()
    assert order.fulfilment == "pickup" and order.location_id == shop.store.id and order.customer_id
    assert after.total_available == before.total_available - 1
    assert order.id in {o.id for o in board}  # the store sees it to prepare
    text = sent.json()["text"]
    assert "Held for you at Paris store:" in text and "• Mug × 1: €9.00" in text
    assert f"{settings.base_url}/o/{order.token}" in text
    assert client.get(f"/o/{order.token}").status_code == 200  # the customer's link opens their order


def test_a_pickup_whose_reply_is_refused_holds_nothing(
    client: TestClient,
    db: Session,
    world: World,
    shop: Shop,
    conversation: uuid.UUID,
    chat_inbox: InboxPublic,
) -> None:
    # The conversation was resolved and the customer wrote again: replies go to the newer conversation.
    resolved = client.patch(
        f"/api/v1/inbox/conversations/{conversation}",
        json={"status": "resolved"},
        headers=world.token(Role.AGENT),
    )
    assert resolved.status_code == 200, resolved.text
    newer = inbox_service.receive(
        db,
        inbox_id=chat_inbox.id,
        message=inbound("alice@example.com", "Me again", sender_verified=True),
        now=utcnow() + timedelta(days=30),  # past the reopen window: a new conversation
    )
    db.rollback()
    assert newer.conversation_id != conversation
    refused = _offer(
        client,
        world,
        conversation,
        kind="pickup",
        lines=[{"sku": "MUG", "quantity": 1}],
        location_id=str(shop.store.id),
    )
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_transition", refused.text
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    db.rollback()


def test_only_a_verified_customer_gets_a_cart_or_a_pickup_and_a_viewer_sends_nothing(
    client: TestClient, db: Session, world: World, shop: Shop, chat_inbox: InboxPublic
) -> None:
    _links(client, world)
    claimed = inbox_service.receive(db, inbox_id=chat_inbox.id, message=inbound("bob@example.com", "Hi"))
    db.rollback()
    for kind in ("cart", "pickup"):
        body = {"kind": kind, "lines": [{"sku": "MUG", "quantity": 1}], "location_id": str(shop.store.id)}
        refused = _offer(client, world, claimed.conversation_id, **body)
        assert refused.status_code == 422 and "verified customer" in refused.json()["message"], refused.text
    card = _offer(
        client, world, claimed.conversation_id, kind="product", lines=[{"sku": "MUG", "quantity": 1}]
    )
    assert card.status_code == 201, card.text
    viewer = _offer(
        client,
        world,
        claimed.conversation_id,
        Role.VIEWER,
        kind="product",
        lines=[{"sku": "MUG", "quantity": 1}],
    )
    assert viewer.status_code == 403
    bad = _offer(client, world, claimed.conversation_id, kind="pickup", lines=[{"sku": "MUG", "quantity": 1}])
    assert bad.status_code == 422 and bad.json()["code"]
    wrong_url = client.put(
        "/api/v1/commerce/storefront",
        json={"product_url": "https://shop.example/p"},
        headers=world.token(Role.ADMIN),
    )
    assert wrong_url.status_code == 422 and "{sku}" in wrong_url.json()["message"]


def test_an_agent_sells_from_the_conversation_page(
    client: TestClient, db: Session, world: World, conversation: uuid.UUID
) -> None:
    _links(client, world)
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    page = client.get(f"/inbox/conversations/{conversation}").text
    assert f'href="/commerce/offers/new?conversation={conversation}"' in page
    form = f"/commerce/offers/new?conversation={conversation}"
    assert 'value="TEE-S"' in client.get(form).text
    sent = client.post(
        "/commerce/offers",
        data={
            "csrf_token": page_csrf(client, form),
            "conversation": str(conversation),
            "kind": "product",
            "sku": ["MUG", "TEE-M"],
            "quantity": "1",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/inbox/conversations/{conversation}"
    (text,) = _sent(db, conversation)
    assert text.startswith("Mug\n€9.00\n") and "T-shirt M\n€15.00" in text
    again = client.post(
        "/commerce/offers",
        data={
            "csrf_token": page_csrf(client, form),
            "conversation": str(conversation),
            "kind": "pickup",
            "sku": "MUG",
        },
    )
    assert again.status_code == 422 and "store" in again.text  # shown on the page, nothing sent
    assert len(_sent(db, conversation)) == 1


def test_the_cli_sends_an_offer_and_sets_the_shop_links(
    settings: Settings, db: Session, world: World, conversation: uuid.UUID, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
    }
    links = runner.invoke(
        app, ["commerce", "storefront", "-w", "acme", "--product-url", PRODUCT_URL], env=env
    )
    assert links.exit_code == 0 and PRODUCT_URL in links.output, links.output
    sent = runner.invoke(
        app, ["commerce", "offer", str(conversation), "-w", "acme", "--line", "TEE-M:1"], env=env
    )
    assert sent.exit_code == 0, sent.output
    assert re.search(r"Queued [0-9a-f-]{36}", sent.output)
    assert "utm_source=chat" in _sent(db, conversation)[0]
