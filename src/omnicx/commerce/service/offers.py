"""Selling from a conversation: an agent sends, on the conversation's own channel, a product card, a link to the
customer's cart with the items put in it, or a click-and-collect order held at a store with the link to follow
it. Every touchpoint can sell, whatever channel the customer wrote on.

The offer is an ordinary reply (`inbox_service.reply`): the channel's rules apply to it (the WhatsApp window,
opt-outs) and it is delivered, retried and shown like any other. Its text is built from the catalogue (titles,
prices in the workspace's language, availability per store) and its links open the shop's own pages (the
workspace's storefront patterns), tagged with the conversation's channel so the visit they bring is credited to
it. A pickup order is placed and the reply queued in one transaction: if the reply is refused, nothing is held.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from babel.numbers import format_currency
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce.enums import Fulfilment, OfferKind, SalesChannel
from omnicx.commerce.models import Storefront
from omnicx.commerce.money import to_decimal
from omnicx.commerce.schemas import (
    CartItemChange,
    CustomerRef,
    OfferCreate,
    OfferResult,
    OrderCreate,
    OrderPublic,
    StorefrontPublic,
    StorefrontUpdate,
    VariantPublic,
)
from omnicx.commerce.service.carts import set_cart_item
from omnicx.commerce.service.catalogue import get_product, get_variant
from omnicx.commerce.service.orders import place_order
from omnicx.commerce.service.stock import availability
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import ConversationDetail, ReplyCreate
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import Forbidden, Invalid
from omnicx.kernel.i18n import LANGUAGES, format_locale, translations

# How a link sent on each channel tags the visit it brings (the channel grouping reads source and medium).
MEDIUMS = {MessagingChannel.SMS: "sms", MessagingChannel.EMAIL: "email", MessagingChannel.CHAT: "chat"}
CAMPAIGN = "conversation"


def get_storefront(session: Session, *, workspace_id: uuid.UUID) -> StorefrontPublic:
    row = session.scalar(select(Storefront).where(Storefront.workspace_id == workspace_id))
    if row is None:
        return StorefrontPublic()
    return StorefrontPublic(product_url=row.product_url, cart_url=row.cart_url)


def set_storefront(session: Session, *, workspace_id: uuid.UUID, data: StorefrontUpdate) -> StorefrontPublic:
    """Set where the shop's product and cart pages are; commits."""
    row = session.scalar(select(Storefront).where(Storefront.workspace_id == workspace_id))
    if row is None:
        row = Storefront(workspace_id=workspace_id)
        session.add(row)
    row.product_url, row.cart_url = data.product_url, data.cart_url
    session.commit()
    return StorefrontPublic(product_url=row.product_url, cart_url=row.cart_url)


def send_offer(
    session: Session,
    *,
    principal: Principal,
    conversation_id: uuid.UUID,
    data: OfferCreate,
    base_url: str = "",
) -> OfferResult:
    """Send the offer in the conversation as the agent's reply; commits. A cart or pickup offer needs a
    verified customer (their cart, their order); a pickup also the right to manage orders."""
    conversation = inbox_service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    language = data.language or _language(session, principal, conversation.id)
    offer = _Offer(session, principal, conversation, language)
    if data.kind is not OfferKind.PRODUCT and conversation.customer_id is None:
        raise Invalid("a cart or a pickup is for a verified customer: link the sender to a customer first")
    order: OrderPublic | None = None
    if data.kind is OfferKind.PRODUCT:
        text = offer.product_card(data)
    elif data.kind is OfferKind.CART:
        text = offer.cart(data)
    else:
        if not allows(principal.role, Action.COMMERCE_MANAGE):
            raise Forbidden("placing a pickup order needs the right to manage orders")
        order = offer.pickup(data)
        text = offer.pickup_text(order, base_url)
    if data.note.strip():
        text = f"{data.note.strip()}\n\n{text}"
    try:
        message = inbox_service.reply(
            session, principal=principal, conversation_id=conversation.id, data=ReplyCreate(text=text)
        )
    except Exception:
        session.rollback()  # a refused reply (say, outside the WhatsApp window) holds no stock
        raise
    return OfferResult(
        kind=data.kind,
        conversation_id=conversation.id,
        message_id=message.id,
        text=text,
        order_id=order.id if order is not None else None,
    )


def _language(session: Session, principal: Principal, conversation_id: uuid.UUID) -> str:
    """The language the customer wrote in (as the inbox detected it), else the workspace's."""
    insights = inbox_service.conversation_insights(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    if insights.intent is not None and insights.intent.language in LANGUAGES:
        return insights.intent.language
    return auth_service.get_workspace(session, workspace_id=principal.workspace_id).default_language


class _Offer:
    """The offer's text for one conversation, in the workspace's language."""

    def __init__(
        self, session: Session, principal: Principal, conversation: ConversationDetail, language: str
    ) -> None:
        self.session = session
        self.principal = principal
        self.conversation = conversation
        self.t = translations(language)
        self.locale = format_locale(language)
        self.storefront = get_storefront(session, workspace_id=principal.workspace_id)

    def _title(self, variant: VariantPublic) -> str:
        product = get_product(
            self.session, workspace_id=self.principal.workspace_id, product_id=variant.product_id
        )
        if not variant.title or variant.title.startswith(product.title):
            return variant.title or product.title  # "Mug", "T-shirt S": the variant's title says it all
        return f"{product.title} – {variant.title}"

    def _price(self, minor: int, currency: str) -> str:
        return format_currency(to_decimal(minor, currency), currency, locale=self.locale)

    def _variant(self, sku: str) -> VariantPublic:
        return get_variant(self.session, workspace_id=self.principal.workspace_id, sku=sku)

    def _link(self, url: str) -> str:
        """`url` tagged with the conversation's channel, so the visit it brings is credited to it."""
        channel = self.conversation.channel
        parts = urlsplit(url)
        query = [
            *parse_qsl(parts.query, keep_blank_values=True),
            ("utm_source", channel.value),
            ("utm_medium", MEDIUMS.get(channel, "social")),
            ("utm_campaign", CAMPAIGN),
        ]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _availability(self, sku: str) -> str:
        found = availability(self.session, workspace_id=self.principal.workspace_id, sku=sku)
        stores = [row.location_name for row in found.locations if row.pickup and row.available > 0]
        if found.total_available <= 0:
            return self.t.gettext("Out of stock for now")
        if stores:
            return self.t.gettext("In stock; ready to collect at %(stores)s") % {"stores": ", ".join(stores)}
        return self.t.gettext("In stock")

    def product_card(self, data: OfferCreate) -> str:
        cards = []
        for line in data.lines:
            variant = self._variant(line.sku)
            card = [self._title(variant), self._price(variant.price_minor, variant.currency)]
            card.append(self._availability(line.sku))
            if self.storefront.product_url:
                card.append(self._link(self.storefront.product_url.replace("{sku}", line.sku)))
            cards.append("\n".join(card))
        return "\n\n".join(cards)

    def _lines(self, data: OfferCreate) -> tuple[list[str], str]:
        """One line per item (title × quantity: price) and the total."""
        items: list[str] = []
        totals: dict[str, int] = {}
        for line in data.lines:
            variant = self._variant(line.sku)
            amount = variant.price_minor * line.quantity
            totals[variant.currency] = totals.get(variant.currency, 0) + amount
            price = self._price(amount, variant.currency)
            items.append(f"• {self._title(variant)} × {line.quantity}: {price}")
        total = ", ".join(self._price(minor, currency) for currency, minor in totals.items())
        return items, total

    def cart(self, data: OfferCreate) -> str:
        """Put the items in the customer's one cart (what the shop's cart page shows them) and link to it."""
        if not self.storefront.cart_url:
            raise Invalid("the shop's cart page is not set (Commerce → Catalogue → Shop links)")
        customer = CustomerRef(customer_id=self.conversation.customer_id)
        for line in data.lines:
            change = CartItemChange(customer=customer, sku=line.sku, quantity=line.quantity)
            set_cart_item(self.session, workspace_id=self.principal.workspace_id, data=change, commit=False)
        items, total = self._lines(data)
        heading = self.t.gettext("Your cart is ready:")
        footer = self.t.gettext("Total: %(total)s") % {"total": total}
        return "\n".join([heading, *items, footer, self._link(self.storefront.cart_url)])

    def pickup(self, data: OfferCreate) -> OrderPublic:
        """A click-and-collect order held at the chosen store for the customer (stock allocated now)."""
        order = OrderCreate(
            lines=data.lines,
            channel=SalesChannel.WEB,
            fulfilment=Fulfilment.PICKUP,
            location_id=data.location_id,
            customer=CustomerRef(customer_id=self.conversation.customer_id),
        )
        actor = f"{self.principal.label or self.principal.kind} ({self.conversation.inbox_name})"
        return place_order(
            self.session, workspace_id=self.principal.workspace_id, data=order, actor=actor, commit=False
        )

    def pickup_text(self, order: OrderPublic, base_url: str) -> str:
        items, total = self._lines_of(order)
        link = f"{base_url.rstrip('/')}/o/{order.token}"
        heading = self.t.gettext("Held for you at %(store)s:") % {"store": order.location_name}
        footer = self.t.gettext("Total: %(total)s, paid at the store. We will tell you when it is ready.") % {
            "total": total
        }
        follow = self.t.gettext("Follow your order: %(link)s") % {"link": link}
        return "\n".join([heading, *items, footer, follow])

    def _lines_of(self, order: OrderPublic) -> tuple[list[str], str]:
        items = [
            f"• {self._title(self._variant(line.sku))} × {line.quantity}: "
            f"{self._price(line.unit_price_minor * line.quantity, order.currency)}"
            for line in order.lines
        ]
        return items, self._price(order.total_minor, order.currency)
