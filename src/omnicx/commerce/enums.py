"""The vocabularies of commerce (plain enums, shared by tables, contracts, pages and the pure status machine)."""

from __future__ import annotations

from enum import StrEnum


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"


class SalesChannel(StrEnum):
    WEB = "web"
    APP = "app"
    STORE = "store"
    MARKETPLACE = "marketplace"


class Fulfilment(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


class OrderStatus(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    ALLOCATED = "allocated"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class LineStock(StrEnum):
    """Where a line's units are: held for the order, gone to the customer, back on the shelf."""

    ALLOCATED = "allocated"
    FULFILLED = "fulfilled"
    RELEASED = "released"
    RETURNED = "returned"


class NoticeKind(StrEnum):
    """A notice owed to the customer about an order (one of each kind per order at most)."""

    READY_FOR_PICKUP = "ready_for_pickup"


class ReviewStatus(StrEnum):
    """Where a product review stands: written reviews wait for a moderator before they are shown."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OfferKind(StrEnum):
    """What an agent sends from a conversation to sell: a product card, a link to the customer's cart with the
    items put in it, or a click-and-collect order held at a store with the link to follow it."""

    PRODUCT = "product"
    CART = "cart"
    PICKUP = "pickup"


class ShopifyTopic(StrEnum):
    """The Shopify webhook topics commerce accepts (`X-Shopify-Topic`), as Shopify spells them."""

    ORDERS_CREATE = "orders/create"
    ORDERS_UPDATED = "orders/updated"
    ORDERS_PAID = "orders/paid"
    ORDERS_FULFILLED = "orders/fulfilled"
    ORDERS_CANCELLED = "orders/cancelled"
    INVENTORY_LEVELS_UPDATE = "inventory_levels/update"


class CommerceTopic(StrEnum):
    """Realtime topics commerce publishes after commit (the SSE `event:` names its pages listen to)."""

    STOCK = "commerce.stock"
    """A location's stock of one SKU changed: `sku`, `location_id`, `available`, `on_hand`."""
    ORDER = "commerce.order"
    """An order moved, or a notice about it was recorded: `order_id`, `status`."""


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class BookedVia(StrEnum):
    """Who booked an appointment: staff (an agent in a conversation, the store), or the customer's own link."""

    STAFF = "staff"
    LINK = "link"
    SITE = "site"
