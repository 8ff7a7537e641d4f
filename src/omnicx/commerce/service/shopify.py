"""Shopify-compatible webhook ingest: verify, store raw, deduplicate, then process once in a job.

A webhook is accepted only with `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(raw body, workspace secret)),
compared in constant time; a forged or missing signature stores nothing. The raw body is kept as received,
deduplicated on `X-Shopify-Webhook-Id`, and turned into orders and stock by the `commerce.shopify_webhook` job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce import transitions
from omnicx.commerce.enums import Fulfilment, OrderStatus, SalesChannel, ShopifyTopic
from omnicx.commerce.errors import SignatureInvalid
from omnicx.commerce.models import Location, Order, ShopifyConnection, ShopifyWebhook
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate, ShopifyReceipt
from omnicx.commerce.service._common import lock_stock, variants_by_sku
from omnicx.commerce.service.catalogue import _set_on_hand
from omnicx.commerce.service.order_status import change_status
from omnicx.commerce.service.orders import place_order
from omnicx.kernel.db import dialect_insert, new_id, utcnow
from omnicx.kernel.errors import DomainError, Invalid, NotFound
from omnicx.kernel.jobs import service as jobs_service

SHOPIFY_JOB = "commerce.shopify_webhook"
SHOPIFY_ACTOR = "shopify"


def sign(secret: str, body: bytes) -> str:
    """The `X-Shopify-Hmac-Sha256` value for `body` (what a sender computes)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def set_shopify_secret(session: Session, *, workspace_id: uuid.UUID, secret: str | None = None) -> str:
    """Set (or generate) the workspace's webhook secret; returns it. Committed."""
    value = secret or secrets.token_urlsafe(32)
    if len(value) < 16:
        raise Invalid("a webhook secret has at least 16 characters")
    connection = session.scalar(
        select(ShopifyConnection).where(ShopifyConnection.workspace_id == workspace_id)
    )
    if connection is None:
        session.add(ShopifyConnection(workspace_id=workspace_id, secret=value))
    else:
        connection.secret = value
    session.commit()
    return value


def receive_webhook(
    session: Session,
    *,
    workspace_slug: str,
    topic: str,
    webhook_id: str,
    signature: str | None,
    body: bytes,
) -> ShopifyReceipt:
    """Verify and store one webhook, queueing its processing; a repeat of a stored webhook id is a no-op."""
    try:
        workspace = auth_service.get_workspace_by_slug(session, slug=workspace_slug)
    except NotFound:
        raise SignatureInvalid("the webhook signature is invalid") from None
    secret = session.scalar(
        select(ShopifyConnection.secret).where(ShopifyConnection.workspace_id == workspace.id)
    )
    if (
        not secret
        or not signature
        or not hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())
    ):
        raise SignatureInvalid("the webhook signature is invalid")
    try:
        known = ShopifyTopic(topic)
    except ValueError:
        raise Invalid(f"unsupported webhook topic {topic!r}") from None
    if not webhook_id or len(webhook_id) > 200:
        raise Invalid("X-Shopify-Webhook-Id is required")
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except ValueError as exc:
        raise Invalid("the webhook body is not JSON") from exc
    row_id = new_id()
    result = session.execute(
        dialect_insert(session, ShopifyWebhook)
        .values(
            id=row_id,
            workspace_id=workspace.id,
            webhook_id=webhook_id,
            topic=known,
            body=text.replace("\x00", ""),
            received_at=utcnow(),
            processed_at=None,
            error="",
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "webhook_id"])
    )
    duplicate = not getattr(result, "rowcount", 0)
    if not duplicate:
        jobs_service.enqueue(
            session,
            kind=SHOPIFY_JOB,
            payload={"webhook": str(row_id)},
            workspace_id=workspace.id,
            idempotency_key=str(row_id),
        )
    session.commit()
    return ShopifyReceipt(accepted=True, duplicate=duplicate)


def count_webhooks(session: Session, *, workspace_id: uuid.UUID) -> int:
    return len(
        list(session.scalars(select(ShopifyWebhook.id).where(ShopifyWebhook.workspace_id == workspace_id)))
    )


def process_webhook(session: Session, *, workspace_id: uuid.UUID, webhook_row_id: uuid.UUID) -> None:
    """Apply one stored webhook (inside the job's transaction; no commit). Business refusals (out of stock,
    a status the order cannot take) are recorded on the webhook instead of being retried forever."""
    row = session.scalar(
        select(ShopifyWebhook).where(
            ShopifyWebhook.workspace_id == workspace_id, ShopifyWebhook.id == webhook_row_id
        )
    )
    if row is None or row.processed_at is not None:
        return
    payload: dict[str, Any] = json.loads(row.body)
    savepoint = session.begin_nested()
    try:
        _apply(session, workspace_id, row.topic, payload)
        savepoint.commit()
    except DomainError as error:
        savepoint.rollback()
        row.error = f"{error.code}: {error.message}"[:500]
    row.processed_at = utcnow()


_STATUS_PATHS: dict[ShopifyTopic, list[OrderStatus]] = {
    ShopifyTopic.ORDERS_PAID: [OrderStatus.PAID],
    ShopifyTopic.ORDERS_FULFILLED: [OrderStatus.ALLOCATED, OrderStatus.SHIPPED],
    ShopifyTopic.ORDERS_CANCELLED: [OrderStatus.CANCELLED],
}
# Topics that create the order when it is not known yet (an update may be the first word of an order).
_PLACING = (ShopifyTopic.ORDERS_CREATE, ShopifyTopic.ORDERS_UPDATED, ShopifyTopic.ORDERS_PAID)


def _apply(session: Session, workspace_id: uuid.UUID, topic: ShopifyTopic, payload: dict[str, Any]) -> None:
    if topic is ShopifyTopic.INVENTORY_LEVELS_UPDATE:
        _inventory(session, workspace_id, payload)
        return
    external_id = str(payload.get("id", ""))[:100]
    if not external_id:
        raise Invalid("the order has no id")
    order = session.scalar(
        select(Order).where(Order.workspace_id == workspace_id, Order.external_id == external_id)
    )
    if order is None and topic in _PLACING:
        placed = place_order(
            session,
            workspace_id=workspace_id,
            data=_order_create(payload, external_id),
            actor=SHOPIFY_ACTOR,
            commit=False,
        )
        order_id, status, fulfilment = placed.id, placed.status, placed.fulfilment
    elif order is None:
        raise Invalid(f"order {external_id} is unknown")
    else:
        order_id, status, fulfilment = order.id, order.status, order.fulfilment
    for target in _STATUS_PATHS.get(topic, []):
        if status is target:
            continue
        if transitions.allowed(status, target, fulfilment):
            status = change_status(
                session,
                workspace_id=workspace_id,
                order_id=order_id,
                status=target,
                actor=SHOPIFY_ACTOR,
                commit=False,
            ).status


def _order_create(payload: dict[str, Any], external_id: str) -> OrderCreate:
    lines = [
        LineRequest(sku=str(item.get("sku", "")), quantity=int(item.get("quantity", 0)))
        for item in payload.get("line_items", [])
        if isinstance(item, dict)
    ]
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    email = payload.get("email") or (customer or {}).get("email")
    phone = payload.get("phone") or (customer or {}).get("phone")
    ref = CustomerRef(email=email or None, phone=phone or None) if (email or phone) else None
    return OrderCreate(
        lines=lines,
        channel=SalesChannel.WEB,
        fulfilment=Fulfilment.SHIP,
        customer=ref,
        external_id=external_id,
    )


def _inventory(session: Session, workspace_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """`{"sku", "location_id" (our location code), "available"}`: make that many units available there."""
    sku = str(payload.get("sku", ""))
    try:
        available = max(int(payload.get("available", 0)), 0)
    except (TypeError, ValueError) as exc:
        raise Invalid("available is not a number") from exc
    code = str(payload.get("location_id", ""))
    location = session.scalar(
        select(Location).where(Location.workspace_id == workspace_id, Location.code == code)
    )
    if location is None:
        raise Invalid(f"unknown location {code!r}")
    variant = variants_by_sku(session, workspace_id, [sku])[sku]
    stocks = lock_stock(session, workspace_id, location.id, [variant.id])
    held = 0
    if variant.id in stocks:
        stock = stocks[variant.id]
        held = stock.allocated + stock.reserved
    _set_on_hand(session, workspace_id, variant.id, location.id, available + held)
