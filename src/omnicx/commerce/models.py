"""Tables of the commerce domain: catalogue, locations, stock, reservations, orders and their timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.commerce.enums import (
    AppointmentStatus,
    BookedVia,
    Fulfilment,
    LineStock,
    LocationKind,
    NoticeKind,
    OrderStatus,
    ReviewStatus,
    SalesChannel,
    ShopifyTopic,
)
from omnicx.kernel.db import Base, IdMixin, TimestampMixin


def _enum(cls: type[StrEnum], name: str, *, length: int | None = None) -> Enum:
    return Enum(
        cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=length
    )


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "commerce_product"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class Variant(IdMixin, TimestampMixin, Base):
    __tablename__ = "commerce_variant"
    __table_args__ = (UniqueConstraint("workspace_id", "sku"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_product.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))


class Location(IdMixin, TimestampMixin, Base):
    __tablename__ = "commerce_location"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LocationKind] = mapped_column(_enum(LocationKind, "commerce_location_kind"))
    pickup: Mapped[bool] = mapped_column(default=False)


class Stock(IdMixin, Base):
    """Units of one variant at one location. Available = on_hand - allocated - active reservations.

    `reserved` counts the units of this row's reservations expiring after `reserved_folded_at` (all of them
    when it is null), kept in the same transaction as every hold, release and expiry, so a reservation is one
    conditional UPDATE instead of a sum over every hold. Holds that expired since `reserved_folded_at` still sit
    in the counter until the row is next locked (`_common.lock_stock` folds them back); readers subtract them,
    so an expired hold stops counting at once.
    """

    __tablename__ = "commerce_stock"
    __table_args__ = (UniqueConstraint("variant_id", "location_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_variant.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_location.id", ondelete="CASCADE"), index=True
    )
    on_hand: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    reserved_folded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Reservation(IdMixin, TimestampMixin, Base):
    """Units held for a checkout until `expires_at`; they stop counting the moment it passes."""

    __tablename__ = "commerce_reservation"
    __table_args__ = (Index("ix_commerce_reservation_stock_expires", "stock_id", "expires_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    stock_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_stock.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID] = mapped_column(index=True)
    reference: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[int]
    expires_at: Mapped[datetime]


class Order(IdMixin, TimestampMixin, Base):
    __tablename__ = "commerce_order"
    __table_args__ = (Index("ix_commerce_order_workspace_created", "workspace_id", "created_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[SalesChannel] = mapped_column(_enum(SalesChannel, "commerce_sales_channel"))
    fulfilment: Mapped[Fulfilment] = mapped_column(_enum(Fulfilment, "commerce_fulfilment"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_location.id"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "commerce_order_status"))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    pickup_code: Mapped[str] = mapped_column(String(6))
    updated_at: Mapped[datetime]


class OrderLine(IdMixin, Base):
    __tablename__ = "commerce_order_line"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_order.id", ondelete="CASCADE"), index=True
    )
    stock_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_stock.id"))
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int]
    unit_price_minor: Mapped[int]
    stock_state: Mapped[LineStock] = mapped_column(_enum(LineStock, "commerce_line_stock"))


class OrderEvent(IdMixin, Base):
    """One step of an order's status timeline: when, by whom."""

    __tablename__ = "commerce_order_event"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_order.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "commerce_order_status"))
    actor: Mapped[str] = mapped_column(String(320), default="")
    at: Mapped[datetime]


class Notification(IdMixin, TimestampMixin, Base):
    """A message owed to a customer about an order (delivered by the inbox's channels once they exist)."""

    __tablename__ = "commerce_notification"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_order.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None]
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind, "commerce_notice_kind", length=64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Cart(IdMixin, TimestampMixin, Base):
    """A shopping cart of one identity-resolved customer (carts of merged customers are merged when read)."""

    __tablename__ = "commerce_cart"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(3), default="")
    updated_at: Mapped[datetime]
    checked_out_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]


class CartItem(IdMixin, Base):
    __tablename__ = "commerce_cart_item"
    __table_args__ = (UniqueConstraint("cart_id", "sku"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    cart_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_cart.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]


class ShopifyConnection(IdMixin, TimestampMixin, Base):
    """A workspace's Shopify-compatible webhook source: the shared secret that signs its webhooks."""

    __tablename__ = "commerce_shopify_connection"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[str] = mapped_column(String(200))


class ShopifyWebhook(IdMixin, Base):
    """One verified webhook as received (raw body kept), processed once by a job."""

    __tablename__ = "commerce_shopify_webhook"
    __table_args__ = (UniqueConstraint("workspace_id", "webhook_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    webhook_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[ShopifyTopic] = mapped_column(_enum(ShopifyTopic, "commerce_shopify_topic", length=100))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(String(500), default="")


class Storefront(IdMixin, TimestampMixin, Base):
    """Where the workspace's shop lives on the web: the patterns of its product pages and its cart page, which
    the links agents send from a conversation point to."""

    __tablename__ = "commerce_storefront"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), unique=True
    )
    product_url: Mapped[str] = mapped_column(String(2000), default="")
    cart_url: Mapped[str] = mapped_column(String(2000), default="")


class ReviewSettings(Base):
    """Whether a workspace asks for product reviews, and how many days after an order reached the customer
    (delivered, or picked up). A workspace without a row asks, a week after."""

    __tablename__ = "commerce_review_settings"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    days_after: Mapped[int] = mapped_column(SmallInteger, default=7)
    updated_at: Mapped[datetime]


class ReviewRequest(IdMixin, Base):
    """The one request to review an order's products: planned when the order reached the customer, sent on
    their channel when due (`channel` empty: nobody could be reached)."""

    __tablename__ = "commerce_review_request"
    __table_args__ = (UniqueConstraint("order_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_order.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    channel: Mapped[str] = mapped_column(String(32), default="")
    conversation_id: Mapped[uuid.UUID | None]
    language: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[datetime]


class Review(IdMixin, Base):
    """A customer's review of one product of an order: stars, a title and a text, shown once approved."""

    __tablename__ = "commerce_review"
    __table_args__ = (
        UniqueConstraint("request_id", "product_id"),
        Index("ix_commerce_review_workspace_product_status", "workspace_id", "product_id", "status"),
        Index("ix_commerce_review_workspace_status_created", "workspace_id", "status", "created_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_review_request.id", ondelete="CASCADE")
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_order.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_product.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    sentiment: Mapped[float | None]
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus, "commerce_review_status"))
    moderated_by: Mapped[str] = mapped_column(String(320), default="")
    moderated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class StoreService(IdMixin, TimestampMixin, Base):
    """Something a store does by appointment (a fitting, a repair, a consultation): how long it takes and how
    many customers the store can serve at once (its staff or chairs for it)."""

    __tablename__ = "commerce_store_service"
    __table_args__ = (UniqueConstraint("location_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_location.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int]
    seats: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)


class OpeningHours(Base):
    """When a store is open on one weekday (0 Monday .. 6 Sunday), in the workspace's time zone; a weekday
    without a row is closed."""

    __tablename__ = "commerce_opening_hours"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_location.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(primary_key=True)
    opens: Mapped[time]
    closes: Mapped[time]


class StoreClosure(Base):
    """A day a store is closed (a holiday), whatever its opening hours say."""

    __tablename__ = "commerce_store_closure"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_location.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Appointment(IdMixin, TimestampMixin, Base):
    """A customer's booking of a store service, on one of its seats."""

    __tablename__ = "commerce_appointment"
    __table_args__ = (Index("ix_commerce_appointment_location_starts", "location_id", "starts_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_location.id", ondelete="CASCADE"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commerce_store_service.id", ondelete="CASCADE"))
    seat: Mapped[int]
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(_enum(AppointmentStatus, "commerce_appointment_status"))
    booked_via: Mapped[BookedVia] = mapped_column(_enum(BookedVia, "commerce_booked_via"))
    booked_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)


class AppointmentCell(Base):
    """One quarter-hour of a seat an appointment occupies. The primary key makes double booking impossible:
    two bookings that overlap on a seat would insert the same cell, and the database refuses the second, on
    SQLite and PostgreSQL alike, however the requests interleave."""

    __tablename__ = "commerce_appointment_cell"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_store_service.id", ondelete="CASCADE"), primary_key=True
    )
    seat: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commerce_appointment.id", ondelete="CASCADE"), index=True
    )
