"""What the sidebar shows beside the reply box: the detected intent, and the actions that led here.

The intent is computed on every inbound message (`note_inbound`, in the message's transaction) and kept on
the conversation; a message that matches no rule ("thanks!") keeps the earlier intent. "Actions that led here"
are the customer's tracked events in the hour before the conversation started, read through tracking's public
reads (product and page views, carts, orders: commerce records orders and abandoned carts as server events).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.inbox import intent as intent_rules
from omnicx.inbox.models import Contact, Conversation
from omnicx.inbox.schemas import ConversationInsights, IntentPublic, LeadingAction
from omnicx.inbox.service.conversations import load_conversation
from omnicx.inbox.service.search import add_contact, add_text
from omnicx.kernel.access.principal import Principal
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import EventPublic

LOOKBACK = timedelta(hours=1)
_CART_EVENTS = frozenset(
    {"Cart Abandoned", "Cart Viewed", "Product Added", "Product Removed", "Checkout Started"}
)
_ORDER_EVENTS = frozenset(
    {"Order Completed", "Order Placed", "Order Updated", "Order Refunded", "Order Cancelled"}
)
_VIEW_EVENTS = frozenset({"Product Viewed", "Product List Viewed", "Product Clicked"})


def note_inbound(conversation: Conversation, contact: Contact, subject: str, text: str) -> None:
    """Index an inbound message for search and refresh the conversation's intent (no commit)."""
    add_contact(conversation, contact)
    add_text(conversation, subject if subject != conversation.subject else None, text)
    found = intent_rules.detect(f"{subject}\n{text}" if subject else text)
    if found is not None:
        conversation.intent = found.intent.value
        conversation.intent_detail = found.as_detail()


def _intent(conversation: Conversation) -> IntentPublic | None:
    detail: dict[str, Any] = conversation.intent_detail or {}
    if not conversation.intent:
        return None
    return IntentPublic(
        intent=conversation.intent,
        language=str(detail.get("language", "")),
        rule=str(detail.get("rule", "")),
        matched=str(detail.get("matched", "")),
        confidence=float(detail.get("confidence", 0.0)),
    )


def _action(event: EventPublic) -> LeadingAction:
    properties: dict[str, Any] = event.payload.get("properties") or {}
    name = str(properties.get("name") or properties.get("title") or properties.get("product_id") or "")
    if event.type == "page":
        page = (event.payload.get("context") or {}).get("page") or {}
        title = event.event or str(properties.get("path") or page.get("path") or properties.get("url") or "")
        return LeadingAction(at=event.timestamp, kind="viewed", title=title or "page", detail=name)
    label = event.event or event.type
    if label in _VIEW_EVENTS:
        return LeadingAction(at=event.timestamp, kind="viewed", title=label, detail=name)
    if label in _CART_EVENTS:
        total = properties.get("value") or properties.get("total") or ""
        return LeadingAction(at=event.timestamp, kind="cart", title=label, detail=str(total))
    if label in _ORDER_EVENTS:
        order = properties.get("order_id") or properties.get("orderId") or ""
        return LeadingAction(at=event.timestamp, kind="order", title=label, detail=str(order))
    return LeadingAction(at=event.timestamp, kind="other", title=label, detail=name)


def conversation_insights(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    principal: Principal | None = None,
) -> ConversationInsights:
    """The conversation's detected intent and its customer's events in the hour before it started."""
    conversation = load_conversation(
        session, workspace_id=workspace_id, conversation_id=conversation_id, principal=principal
    )
    events: list[EventPublic] = []
    if conversation.customer_id is not None:
        events = tracking_service.customer_events_between(
            session,
            workspace_id=workspace_id,
            customer_ids=[conversation.customer_id],
            since=conversation.created_at - LOOKBACK,
            until=conversation.created_at,
        )
    return ConversationInsights(
        conversation_id=conversation.id,
        intent=_intent(conversation),
        actions=[_action(e) for e in events],
        window_minutes=int(LOOKBACK.total_seconds() // 60),
    )
