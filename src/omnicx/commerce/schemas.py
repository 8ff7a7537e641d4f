"""Contracts of the commerce domain (request and response models)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from omnicx.attribution.schemas import Model as AttributionModel
from omnicx.commerce.enums import (
    AppointmentStatus,
    BookedVia,
    Fulfilment,
    LineStock,
    LocationKind,
    NoticeKind,
    OfferKind,
    OrderStatus,
    ReviewStatus,
    SalesChannel,
)
from omnicx.kernel.text import PlainText

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$"
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
MAX_QUANTITY = 1_000_000
Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VariantCreate(BaseModel):
    sku: str = Field(pattern=SKU_PATTERN)
    title: PlainText = Field(default="", max_length=300)
    price_minor: int = Field(ge=0, le=10**12, description="Price in minor units (cents).")
    currency: str = Field(pattern=CURRENCY_PATTERN)


class ProductCreate(BaseModel):
    title: PlainText = Field(min_length=1, max_length=300)
    description: PlainText = Field(default="", max_length=5000)
    variants: list[VariantCreate] = Field(min_length=1, max_length=500)


class VariantPublic(_Public):
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    title: str
    price_minor: int
    currency: str


class ProductPublic(_Public):
    id: uuid.UUID
    title: str
    description: str = ""
    variants: list[VariantPublic]
    created_at: datetime


class LocationCreate(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: PlainText = Field(min_length=1, max_length=200)
    kind: LocationKind
    pickup: bool = Field(default=False, description="A store where customers can collect orders.")

    @model_validator(mode="after")
    def _pickup_only_in_stores(self) -> LocationCreate:
        if self.pickup and self.kind is not LocationKind.STORE:
            raise ValueError("only a store can offer pickup")
        return self


class ProductUpdate(BaseModel):
    """A change to a product; fields left out stay as they are."""

    title: PlainText | None = Field(default=None, min_length=1, max_length=300)
    description: PlainText | None = Field(default=None, max_length=5000)


class VariantUpdate(BaseModel):
    """A change to a variant (found by SKU); fields left out stay as they are. Orders keep the price they had."""

    title: PlainText | None = Field(default=None, max_length=300)
    price_minor: int | None = Field(
        default=None, ge=0, le=10**12, description="Price in minor units (cents)."
    )
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)


class LocationUpdate(BaseModel):
    """A change to a location; only a store can offer pickup (checked against the result)."""

    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    kind: LocationKind | None = None
    pickup: bool | None = None


class LocationPublic(_Public):
    id: uuid.UUID
    code: str
    name: str
    kind: LocationKind
    pickup: bool


class StockSet(BaseModel):
    sku: str = Field(pattern=SKU_PATTERN)
    location_id: uuid.UUID
    on_hand: int = Field(ge=0, le=MAX_QUANTITY)


class StockPublic(BaseModel):
    """Units of one SKU at one location; `available` = on_hand - allocated - reserved (unexpired only)."""

    sku: str
    title: str
    location_id: uuid.UUID
    location_code: str
    location_name: str
    location_kind: LocationKind
    pickup: bool
    on_hand: int
    allocated: int
    reserved: int
    available: int


class Availability(BaseModel):
    sku: str
    total_available: int
    locations: list[StockPublic]


class LineRequest(BaseModel):
    sku: str = Field(pattern=SKU_PATTERN)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ReservationCreate(BaseModel):
    location_id: uuid.UUID
    lines: list[LineRequest] = Field(min_length=1, max_length=200)
    ttl_seconds: int = Field(default=900, ge=1, le=7 * 86400)
    reference: PlainText = Field(default="", max_length=200, description="What holds the stock, e.g. a cart.")


class ReservationPublic(BaseModel):
    """Units held together (all lines or none) until `expires_at`."""

    id: uuid.UUID
    location_id: uuid.UUID
    lines: list[LineRequest]
    reference: str
    expires_at: datetime


class CustomerRef(BaseModel):
    """How the buyer is recognised; resolved to one customer by identity."""

    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    user_id: PlainText | None = Field(default=None, max_length=200)
    anonymous_id: PlainText | None = Field(default=None, max_length=200)
    customer_id: uuid.UUID | None = Field(
        default=None,
        description="A customer of the workspace already known (its profile id), e.g. a conversation's.",
    )


class OrderCreate(BaseModel):
    lines: list[LineRequest] = Field(min_length=1, max_length=200)
    channel: SalesChannel = SalesChannel.WEB
    fulfilment: Fulfilment = Fulfilment.SHIP
    location_id: uuid.UUID | None = Field(
        default=None, description="The pickup store, or the location shipping; chosen by stock when omitted."
    )
    customer: CustomerRef | None = None
    reservation_id: uuid.UUID | None = Field(
        default=None, description="A checkout reservation to turn into the order's allocation."
    )
    external_id: PlainText | None = Field(default=None, max_length=100)


class OrderLinePublic(_Public):
    sku: str
    title: str
    quantity: int
    unit_price_minor: int
    stock_state: LineStock


class OrderEventPublic(_Public):
    status: OrderStatus
    actor: str
    at: datetime


class OrderPublic(BaseModel):
    id: uuid.UUID
    status: OrderStatus
    channel: SalesChannel
    fulfilment: Fulfilment
    location_id: uuid.UUID
    location_name: str
    customer_id: uuid.UUID | None
    external_id: str | None
    currency: str
    total_minor: int
    token: str = Field(description="Unguessable key of the customer's order page `/o/{token}`.")
    lines: list[OrderLinePublic]
    events: list[OrderEventPublic]
    next_statuses: list[OrderStatus]
    created_at: datetime
    updated_at: datetime


class NoticePublic(BaseModel):
    """A notice owed to the customer about an order and the channel it went out on (None: no channel)."""

    kind: NoticeKind
    channel: str | None
    inbox: str = ""
    conversation_id: uuid.UUID | None = None
    created_at: datetime


class OrderReady(BaseModel):
    """An order ready for pickup, as the listeners registered with `register_ready_listener` see it, in the
    transaction that records its notice: whose it is and where to collect it."""

    workspace_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    location: str


class OrderTracking(BaseModel):
    """What the customer's own order page shows (no staff-only fields, no pickup code)."""

    status: OrderStatus
    fulfilment: Fulfilment
    location_name: str
    currency: str
    total_minor: int
    lines: list[OrderLinePublic]
    events: list[OrderEventPublic]


class OrderSummary(BaseModel):
    id: uuid.UUID
    status: OrderStatus
    channel: SalesChannel
    fulfilment: Fulfilment
    location_name: str
    currency: str
    total_minor: int
    items: int
    created_at: datetime


class StatusChange(BaseModel):
    status: OrderStatus
    pickup_code: str | None = Field(default=None, max_length=12, description="Required to mark picked_up.")


class ImportResult(BaseModel):
    products: int
    variants: int
    stock_rows: int


class CartItemChange(BaseModel):
    customer: CustomerRef
    sku: str = Field(pattern=SKU_PATTERN)
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="The new quantity; 0 removes the item.")


class CartItemPublic(BaseModel):
    sku: str
    quantity: int


class CartPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    items: list[CartItemPublic]


class CartCheckout(BaseModel):
    customer: CustomerRef
    location_id: uuid.UUID
    ttl_seconds: int = Field(default=900, ge=1, le=86400)


class ShopifyReceipt(BaseModel):
    accepted: bool
    duplicate: bool


class OrderStepExport(BaseModel):
    status: OrderStatus
    at: datetime


class OrderExport(BaseModel):
    """One of the customer's orders as handed to them (staff who moved it are not named)."""

    id: uuid.UUID
    external_id: str | None
    status: OrderStatus
    channel: SalesChannel
    fulfilment: Fulfilment
    location_name: str
    currency: str
    total_minor: int
    lines: list[OrderLinePublic]
    steps: list[OrderStepExport]
    created_at: datetime


class CartExport(BaseModel):
    items: list[CartItemPublic]
    updated_at: datetime
    checked_out_at: datetime | None
    abandoned_at: datetime | None


class NoticeExport(BaseModel):
    order_id: uuid.UUID
    kind: NoticeKind
    channel: str | None
    created_at: datetime


class ReviewExport(BaseModel):
    order_id: uuid.UUID
    product: str
    rating: int
    title: str
    body: str
    status: ReviewStatus
    created_at: datetime


class CommerceExport(BaseModel):
    """What commerce holds about one customer: orders, carts, the notices sent to them about orders and the
    product reviews they wrote."""

    orders: list[OrderExport]
    carts: list[CartExport]
    notices: list[NoticeExport]
    reviews: list[ReviewExport] = []


# --- Sales report -------------------------------------------------------------------------------------------------


class SalesRow(BaseModel):
    """One group's sales in one currency. Money is in minor units of `currency`; counts of orders and units are of
    the orders that count as sales (every status but cancelled and returned), which are counted apart."""

    key: str = Field(description="The group: `all`, a sales channel, a fulfilment or a location id.")
    label: str
    currency: str
    orders: int = Field(description="Orders counted as sales (not cancelled, not returned).")
    revenue_minor: int = Field(description="Sum of those orders' totals, in minor units.")
    average_order_minor: int | None = Field(description="Revenue per order, rounded to a minor unit.")
    units: int
    pickup_orders: int = Field(description="Sales orders collected in a store (click and collect).")
    pickup_share: float | None = Field(description="Pickup orders / orders, 0..1.")
    cancelled: int
    returned: int
    returned_minor: int = Field(description="Totals of the returned orders, in minor units.")
    customers: int = Field(
        default=0, description="Distinct buyers of the sales orders (merged profiles once)."
    )


class SalesDay(BaseModel):
    """One day's sales through one channel in one currency (days without sales are zero, not missing)."""

    day: date
    channel: SalesChannel
    currency: str
    orders: int
    revenue_minor: int


class TopProduct(BaseModel):
    """A SKU's units and revenue (lines' quantity x unit price) on sales orders."""

    sku: str
    title: str
    currency: str
    units: int
    revenue_minor: int


class SalesReport(BaseModel):
    workspace_id: uuid.UUID
    start: date
    end: date
    timezone: str
    revenue_statuses: list[OrderStatus] = Field(description="The statuses whose orders count as sales.")
    totals: list[SalesRow] = Field(description="One row per currency, in currency order.")
    by_channel: list[SalesRow]
    by_fulfilment: list[SalesRow]
    by_location: list[SalesRow]
    daily: list[SalesDay]
    top_products: list[TopProduct] = Field(description="Per currency, the SKUs with the most revenue.")


class RopoDirection(BaseModel):
    """Purchases of one side (store, or online) and how many the other side touched first."""

    purchases: int
    researched: int = Field(
        description="Purchases preceded by a touch of the other side within the lookback."
    )
    share: float | None = Field(description="researched / purchases (none without purchases).")
    revenue: float = Field(description="The purchases' value in the report's currency (major units).")
    researched_revenue: float
    median_days: float | None = Field(description="Median days from the last touch to the purchase.")


class RopoChannel(BaseModel):
    """An online channel before store purchases: the researched purchases it touched, and its credit."""

    channel: str
    purchases: int = Field(description="Researched store purchases with a visit from this channel.")
    share: float = Field(description="Of the researched store purchases.")
    credit: dict[AttributionModel, float] = Field(description="Purchases credited, per attribution model.")
    value: dict[AttributionModel, float] = Field(description="Value credited (major units), per model.")


class RopoGroup(BaseModel):
    key: str
    label: str
    purchases: int
    researched: int
    share: float


class RopoReport(BaseModel):
    """Research online, purchase offline: store purchases after website or app visits, by channel, store and
    product, and the reverse (online purchases after a store visit)."""

    start: date
    end: date
    lookback_days: int
    currency: str | None = Field(description="The store purchases' main currency, in which value is counted.")
    models: list[AttributionModel]
    store: RopoDirection = Field(description="Store purchases, and those researched online first.")
    channels: list[RopoChannel]
    by_store: list[RopoGroup]
    by_product: list[RopoGroup]
    online: RopoDirection = Field(description="Online purchases, and those preceded by a store visit.")


URL_PATTERN = r"^https?://[^\s]{1,1990}$"


class StorefrontPublic(BaseModel):
    """The shop's pages the links sent from conversations open: `product_url` with `{sku}` in it, and the cart
    page (which reads the customer's cart from omnicx). Empty: not set."""

    product_url: str = ""
    cart_url: str = ""


class StorefrontUpdate(BaseModel):
    product_url: str = Field(
        default="",
        max_length=2000,
        description="The product page, with `{sku}` where the SKU goes (https://shop.example/products/{sku}).",
    )
    cart_url: str = Field(
        default="", max_length=2000, description="The cart page (https://shop.example/cart)."
    )

    @model_validator(mode="after")
    def _urls(self) -> StorefrontUpdate:
        for name in ("product_url", "cart_url"):
            value = getattr(self, name).strip()
            if value and not re.fullmatch(URL_PATTERN, value):
                raise ValueError(f"{name} must be an http(s) address")
            setattr(self, name, value)
        if self.product_url and "{sku}" not in self.product_url:
            raise ValueError("product_url must contain {sku}")
        return self


class OfferCreate(BaseModel):
    """Something to sell, sent in a conversation on its channel."""

    kind: OfferKind
    lines: list[LineRequest] = Field(min_length=1, max_length=10)
    location_id: uuid.UUID | None = Field(
        default=None, description="The store holding a pickup order (required for `pickup`)."
    )
    note: PlainText = Field(default="", max_length=1000, description="A sentence sent before the offer.")
    language: str | None = Field(
        default=None,
        pattern=r"^(en|fr|id|ca)$",
        description="The offer's language; default: the one the customer wrote in, else the workspace's.",
    )

    @model_validator(mode="after")
    def _store(self) -> OfferCreate:
        if self.kind is OfferKind.PICKUP and self.location_id is None:
            raise ValueError("a pickup offer needs the store (location_id)")
        return self


class OfferResult(BaseModel):
    kind: OfferKind
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    text: str = Field(description="What was sent.")
    order_id: uuid.UUID | None = Field(default=None, description="The pickup order placed (`pickup`).")


# --- Product reviews ----------------------------------------------------------------------------------------------

RATING_MIN, RATING_MAX = 1, 5


class ReviewSettingsPublic(BaseModel):
    enabled: bool = Field(description="Whether customers are asked to review what they received.")
    days_after: int = Field(description="Days after delivery or pickup before the request is sent.")


class ReviewSettingsUpdate(BaseModel):
    enabled: bool = True
    days_after: int = Field(default=7, ge=0, le=90)


class ReviewRequestPublic(_Public):
    """A review request: due when the order has been with the customer long enough, then sent on `channel`
    (empty: nobody could be reached)."""

    id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID | None
    due_at: datetime
    sent_at: datetime | None
    channel: str


class ReviewInput(BaseModel):
    """One product's review as the customer writes it on the review page."""

    product_id: uuid.UUID
    rating: int = Field(ge=RATING_MIN, le=RATING_MAX, description="Stars, 1 to 5.")
    title: PlainText = Field(default="", max_length=200)
    body: PlainText = Field(default="", max_length=4000)


class ReviewSubmission(BaseModel):
    reviews: list[ReviewInput] = Field(min_length=1, max_length=50)


class ReviewPublic(_Public):
    id: uuid.UUID
    order_id: uuid.UUID
    product_id: uuid.UUID
    product: str = Field(description="The product's title.")
    customer_id: uuid.UUID | None
    author: str = Field(description="How the review is signed: the customer's first name, or empty.")
    rating: int
    title: str
    body: str
    language: str
    sentiment: float | None = Field(description="-1 (negative) to 1 (positive), from the title and text.")
    status: ReviewStatus
    moderated_by: str
    moderated_at: datetime | None
    created_at: datetime


class ReviewModeration(BaseModel):
    status: ReviewStatus = Field(
        description="`approved` shows the review on its product, `rejected` hides it."
    )


class ProductRating(BaseModel):
    """A product's approved reviews in figures."""

    product_id: uuid.UUID
    product: str
    count: int
    average: float | None
    spread: list[int] = Field(description="How many approved reviews gave 1, 2, 3, 4 and 5 stars.")
    pending: int = Field(description="Reviews waiting for a moderator.")


class ReviewedProduct(BaseModel):
    """One product of an order on its review page, with the customer's review once written."""

    product_id: uuid.UUID
    title: str
    review: ReviewPublic | None


class ReviewForm(BaseModel):
    """What a review link opens: the order's products, in the customer's language."""

    order_id: uuid.UUID
    language: str
    products: list[ReviewedProduct]


class ShopReview(BaseModel):
    """An approved review as a shop's product page shows it: no customer id, signed with a first name."""

    rating: int
    title: str
    body: str
    author: str
    language: str
    created_at: datetime


class ShopProductReviews(BaseModel):
    """A product's approved reviews for the shop's own pages (`GET /v1/reviews/{write_key}?sku=`)."""

    product: str
    sku: str
    count: int
    average: float | None
    spread: list[int] = Field(description="Approved reviews with 1, 2, 3, 4 and 5 stars.")
    reviews: list[ShopReview] = Field(description="The latest approved reviews, newest first.")


# --- Store appointments ---------------------------------------------------------------------------------------

QUARTER = 15  # minutes: appointments start and last in quarter-hours


class StoreServiceCreate(BaseModel):
    location_id: uuid.UUID = Field(description="The store offering it.")
    name: PlainText = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(ge=QUARTER, le=8 * 60, multiple_of=QUARTER)
    seats: int = Field(default=1, ge=1, le=50, description="Customers the store can serve at once for it.")


class StoreServicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    location_id: uuid.UUID
    name: str
    duration_minutes: int
    seats: int
    active: bool


class OpeningDay(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 Monday .. 6 Sunday.")
    opens: time
    closes: time

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> OpeningDay:
        if self.opens >= self.closes:
            raise ValueError("a store opens before it closes")
        if (
            self.opens.minute % QUARTER
            or self.closes.minute % QUARTER
            or self.opens.second
            or self.closes.second
        ):
            raise ValueError("opening hours are on the quarter-hour")
        return self


class OpeningHoursUpdate(BaseModel):
    days: list[OpeningDay] = Field(
        max_length=7, description="The open weekdays; a missing weekday is closed."
    )

    @model_validator(mode="after")
    def _each_weekday_once(self) -> OpeningHoursUpdate:
        if len({d.weekday for d in self.days}) != len(self.days):
            raise ValueError("each weekday at most once")
        return self


class ClosureCreate(BaseModel):
    day: date
    reason: PlainText = Field(default="", max_length=200)


class StoreCalendar(BaseModel):
    """A store's opening hours, closures to come and services."""

    location_id: uuid.UUID
    timezone: str
    days: list[OpeningDay]
    closures: list[ClosureCreate]
    services: list[StoreServicePublic]


class AvailableSlot(BaseModel):
    starts_at: datetime
    ends_at: datetime
    free_seats: int


class AppointmentCreate(BaseModel):
    service_id: uuid.UUID
    starts_at: datetime = Field(description="On the quarter-hour, within opening hours, in the future.")
    customer: CustomerRef
    note: PlainText = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _aware_quarter_hour(self) -> AppointmentCreate:
        if self.starts_at.tzinfo is None:
            raise ValueError("starts_at needs a time zone (e.g. 2026-12-10T10:00:00+01:00)")
        if self.starts_at.minute % QUARTER or self.starts_at.second or self.starts_at.microsecond:
            raise ValueError("appointments start on the quarter-hour")
        return self


class AppointmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    location_id: uuid.UUID
    service_id: uuid.UUID
    seat: int
    customer_id: uuid.UUID | None
    name: str
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    booked_via: BookedVia
    booked_by: str
    note: str
    created_at: datetime
