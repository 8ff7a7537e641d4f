"""REST API of the commerce domain under /api/v1/commerce, and the Shopify-compatible webhook receiver."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response

from omnicx.commerce import service
from omnicx.commerce.enums import BookedVia, Fulfilment, OrderStatus, ReviewStatus
from omnicx.commerce.schemas import (
    SKU_PATTERN,
    AppointmentCreate,
    AppointmentPublic,
    Availability,
    AvailableSlot,
    CartCheckout,
    CartItemChange,
    CartPublic,
    ClosureCreate,
    CustomerRef,
    LineRequest,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
    OfferCreate,
    OfferResult,
    OpeningHoursUpdate,
    OrderCreate,
    OrderPublic,
    OrderSummary,
    ProductCreate,
    ProductPublic,
    ProductRating,
    ProductUpdate,
    ReservationCreate,
    ReservationPublic,
    ReviewModeration,
    ReviewPublic,
    ReviewSettingsPublic,
    ReviewSettingsUpdate,
    RopoReport,
    SalesReport,
    ShopifyReceipt,
    ShopProductReviews,
    Sku,
    StatusChange,
    StockPublic,
    StockSet,
    StoreCalendar,
    StorefrontPublic,
    StorefrontUpdate,
    StoreServiceCreate,
    StoreServicePublic,
    VariantPublic,
    VariantUpdate,
)
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.downloads import (
    CHART_RESPONSES,
    CSV_RESPONSES,
    ChartFormat,
    chart_response,
    csv_attachment,
)
from omnicx.kernel.web.errors import error_body
from omnicx.kernel.web.schemas import ERROR_RESPONSES
from omnicx.tracking import service as tracking_service

router = APIRouter(prefix="/api/v1/commerce", tags=["commerce"], responses=ERROR_RESPONSES)
# Not in the OpenAPI document: senders follow the Shopify wire contract, not omnicx's error body.
webhooks = APIRouter(include_in_schema=False)
# Read by shops' own pages in visitors' browsers: keyed by the site's tracking write key, no sign-in, any origin.
shop = APIRouter(tags=["commerce"], responses=ERROR_RESPONSES)
SHOP_CORS = {"Access-Control-Allow-Origin": "*"}
SHOP_CACHE = "public, max-age=60"

Reader = Annotated[Principal, require(Action.COMMERCE_READ)]
Manager = Annotated[Principal, require(Action.COMMERCE_MANAGE)]
SkuQuery = Annotated[str, Query(pattern=SKU_PATTERN)]


def _actor(principal: Principal) -> str:
    return principal.label or principal.kind


@router.get("/products", response_model=list[ProductPublic])
def list_products(session: SessionDep, principal: Reader) -> list[ProductPublic]:
    return service.list_products(session, workspace_id=principal.workspace_id)


@router.post("/products", response_model=ProductPublic, status_code=201)
def create_product(data: ProductCreate, session: SessionDep, principal: Manager) -> ProductPublic:
    return service.create_product(session, workspace_id=principal.workspace_id, data=data)


@router.get("/products/{product_id}", response_model=ProductPublic)
def get_product(product_id: uuid.UUID, session: SessionDep, principal: Reader) -> ProductPublic:
    return service.get_product(session, workspace_id=principal.workspace_id, product_id=product_id)


@router.patch("/products/{product_id}", response_model=ProductPublic)
def update_product(
    product_id: uuid.UUID, data: ProductUpdate, session: SessionDep, principal: Manager
) -> ProductPublic:
    """Change a product's title or description (fields left out stay as they are)."""
    return service.update_product(
        session, workspace_id=principal.workspace_id, product_id=product_id, data=data
    )


@router.patch("/variants/{sku:path}", response_model=VariantPublic)
def update_variant(sku: str, data: VariantUpdate, session: SessionDep, principal: Manager) -> VariantPublic:
    """Change a variant's title, price or currency by SKU; placed orders keep their line prices."""
    return service.update_variant(session, workspace_id=principal.workspace_id, sku=sku, data=data)


@router.get("/locations", response_model=list[LocationPublic])
def list_locations(session: SessionDep, principal: Reader) -> list[LocationPublic]:
    return service.list_locations(session, workspace_id=principal.workspace_id)


@router.post("/locations", response_model=LocationPublic, status_code=201)
def create_location(data: LocationCreate, session: SessionDep, principal: Manager) -> LocationPublic:
    return service.create_location(session, workspace_id=principal.workspace_id, data=data)


@router.patch("/locations/{location_id}", response_model=LocationPublic)
def update_location(
    location_id: uuid.UUID, data: LocationUpdate, session: SessionDep, principal: Manager
) -> LocationPublic:
    """Rename a location, change its kind or whether it offers pickup (only stores can)."""
    return service.update_location(
        session, workspace_id=principal.workspace_id, location_id=location_id, data=data
    )


@router.get("/stock", response_model=list[StockPublic])
def list_stock(
    session: SessionDep,
    principal: Reader,
    location_id: uuid.UUID | None = None,
    sku: Annotated[str | None, Query(pattern=SKU_PATTERN)] = None,
) -> list[StockPublic]:
    return service.list_stock(session, workspace_id=principal.workspace_id, location_id=location_id, sku=sku)


@router.put("/stock", response_model=StockPublic)
def set_stock(data: StockSet, session: SessionDep, principal: Manager) -> StockPublic:
    """Set the units on hand of a SKU at a location (a stock count)."""
    return service.set_stock(session, workspace_id=principal.workspace_id, data=data)


@router.get("/availability", response_model=Availability)
def availability(sku: SkuQuery, session: SessionDep, principal: Reader) -> Availability:
    """Where a SKU is available right now, per location ("available now at store X")."""
    return service.availability(session, workspace_id=principal.workspace_id, sku=sku)


@router.get("/pickup-stores", response_model=list[LocationPublic])
def pickup_stores(
    sku: Annotated[list[Sku], Query(min_length=1, max_length=50)], session: SessionDep, principal: Reader
) -> list[LocationPublic]:
    """Pickup stores that have one unit of every given SKU available now."""
    lines = [LineRequest(sku=s, quantity=1) for s in sku]
    ids = service.stores_with_stock(session, workspace_id=principal.workspace_id, lines=lines)
    return [
        loc for loc in service.list_locations(session, workspace_id=principal.workspace_id) if loc.id in ids
    ]


@router.post("/reservations", response_model=ReservationPublic, status_code=201)
async def reserve(
    data: ReservationCreate, request: Request, session: SessionDep, principal: Manager
) -> ReservationPublic:
    """Hold stock for a checkout until it expires: every line or none (409 `out_of_stock`)."""
    # The session that authenticated this request (the same one, FastAPI caches it) has done its reads: its
    # transaction ends here, or on SQLite it would keep the one write turn the queue's transaction waits for.
    session.rollback()
    runtime: Runtime = request.app.state.runtime
    queued = service.queue_reservation(runtime.writes, workspace_id=principal.workspace_id, data=data)
    return await asyncio.wrap_future(queued)


@router.delete("/reservations/{reservation_id}", status_code=204)
def release_reservation(reservation_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    service.release_reservation(session, workspace_id=principal.workspace_id, reservation_id=reservation_id)
    return Response(status_code=204)


@router.get("/orders", response_model=list[OrderSummary])
def list_orders(
    session: SessionDep,
    principal: Reader,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    location_id: uuid.UUID | None = None,
    fulfilment: Fulfilment | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderSummary]:
    return service.list_orders(
        session,
        workspace_id=principal.workspace_id,
        status=status,
        location_id=location_id,
        fulfilment=fulfilment,
        limit=limit,
    )


@router.post("/orders", response_model=OrderPublic, status_code=201)
def place_order(data: OrderCreate, session: SessionDep, principal: Manager) -> OrderPublic:
    """Place an order, allocating its stock at one location (409 `out_of_stock` if any line is short)."""
    return service.place_order(
        session, workspace_id=principal.workspace_id, data=data, actor=_actor(principal)
    )


@router.get("/orders/{order_id}", response_model=OrderPublic)
def get_order(order_id: uuid.UUID, session: SessionDep, principal: Reader) -> OrderPublic:
    return service.get_order(session, workspace_id=principal.workspace_id, order_id=order_id)


@router.post("/orders/{order_id}/status", response_model=OrderPublic)
def change_status(
    order_id: uuid.UUID, data: StatusChange, session: SessionDep, principal: Manager
) -> OrderPublic:
    """Move the order along its timeline (409 `transition_not_allowed` when the step is not allowed)."""
    return service.change_status(
        session,
        workspace_id=principal.workspace_id,
        order_id=order_id,
        status=data.status,
        actor=_actor(principal),
        pickup_code=data.pickup_code,
    )


@router.get("/stores/{location_id}/pickups", response_model=list[OrderPublic])
def pickup_board(location_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[OrderPublic]:
    """Click-and-collect orders a store still has to prepare or hand over."""
    return service.pickup_board(session, workspace_id=principal.workspace_id, location_id=location_id)


@router.post("/carts/lookup", response_model=CartPublic)
def get_cart(data: CustomerRef, session: SessionDep, principal: Manager) -> CartPublic:
    """The shopper's one cart across devices (carts of merged customers are folded in)."""
    return service.get_cart(session, workspace_id=principal.workspace_id, customer=data)


@router.put("/carts/items", response_model=CartPublic)
def set_cart_item(data: CartItemChange, session: SessionDep, principal: Manager) -> CartPublic:
    return service.set_cart_item(session, workspace_id=principal.workspace_id, data=data)


@router.post("/carts/checkout", response_model=ReservationPublic, status_code=201)
def checkout_cart(data: CartCheckout, session: SessionDep, principal: Manager) -> ReservationPublic:
    """Reserve the cart's items at one location until the checkout expires."""
    return service.checkout_cart(session, workspace_id=principal.workspace_id, data=data)


@router.get("/storefront", response_model=StorefrontPublic)
def get_storefront(session: SessionDep, principal: Reader) -> StorefrontPublic:
    """Where the links sent from conversations lead: the shop's product page pattern and its cart page."""
    return service.get_storefront(session, workspace_id=principal.workspace_id)


@router.put("/storefront", response_model=StorefrontPublic)
def set_storefront(data: StorefrontUpdate, session: SessionDep, principal: Manager) -> StorefrontPublic:
    return service.set_storefront(session, workspace_id=principal.workspace_id, data=data)


@router.post("/conversations/{conversation_id}/offers", response_model=OfferResult, status_code=201)
def send_offer(
    conversation_id: uuid.UUID,
    data: OfferCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.INBOX_REPLY)],
) -> OfferResult:
    """Sell in a conversation, on its channel: a product card (price, availability per store, the product's
    link), the customer's cart with these items and its link, or a click-and-collect order held at a store with
    the link to follow it (needs `commerce.manage`). Sent as the agent's reply: the channel's rules apply (422
    `outside_window` on WhatsApp after 24 hours); a refused reply holds no stock."""
    runtime: Runtime = request.app.state.runtime
    return service.send_offer(
        session,
        principal=principal,
        conversation_id=conversation_id,
        data=data,
        base_url=runtime.settings.base_url,
    )


async def raw_body(request: Request) -> bytes:
    return await request.body()


@webhooks.post("/webhooks/shopify/{workspace_slug}", response_model=ShopifyReceipt, status_code=200)
def shopify_webhook(
    workspace_slug: str,
    session: SessionDep,
    body: Annotated[bytes, Depends(raw_body)],
    topic: Annotated[str, Header(alias="X-Shopify-Topic")] = "",
    webhook_id: Annotated[str, Header(alias="X-Shopify-Webhook-Id")] = "",
    signature: Annotated[str | None, Header(alias="X-Shopify-Hmac-Sha256")] = None,
) -> ShopifyReceipt:
    """Shopify-compatible webhooks (orders/*, inventory_levels/update), signed with the workspace's secret."""
    return service.receive_webhook(
        session,
        workspace_slug=workspace_slug,
        topic=topic,
        webhook_id=webhook_id,
        signature=signature,
        body=body,
    )


# --- Sales report -------------------------------------------------------------------------------------------------

DateFrom = Annotated[date, Query(alias="from", description="First day (inclusive), workspace time zone.")]
DateTo = Annotated[date, Query(alias="to", description="Last day (inclusive), workspace time zone.")]


@router.get("/sales", response_model=SalesReport)
def sales_report(session: SessionDep, principal: Reader, date_from: DateFrom, date_to: DateTo) -> SalesReport:
    """Orders created in the range (at most 731 days): orders, revenue, average order, units, pickup share,
    cancelled and returned orders, by sales channel, fulfilment and location, per day and channel, and the top
    products. Cancelled and returned orders are no sales; money is in minor units, grouped by currency."""
    return service.sales_report(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)


@router.get("/sales.csv", response_class=Response, responses=CSV_RESPONSES)
def sales_report_csv(
    session: SessionDep, principal: Reader, date_from: DateFrom, date_to: DateTo
) -> Response:
    """The sales report as CSV: one line per group (total, channel, fulfilment, location) and per top product."""
    data = service.sales_report(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)
    return csv_attachment(service.sales_csv(data), f"sales-{date_from}-{date_to}.csv")


@router.get(
    "/sales/chart.{fmt}",
    response_class=Response,
    responses=CHART_RESPONSES,
)
def sales_report_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    date_from: DateFrom,
    date_to: DateTo,
    chart: Literal["trend", "compare"] = "trend",
    dimension: Literal["channel", "fulfilment", "location"] = "fulfilment",
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> Response:
    """A sales chart (revenue per day and channel, or per channel, fulfilment or location) in one currency (the
    one with the most orders unless given): its Vega-Lite spec (json) or rendered on the server (png, svg)."""
    data = service.sales_report(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)
    spec = service.sales_chart_spec(data, chart, dimension, currency)
    return chart_response(spec, fmt)


# --- Research online, purchase offline ---------------------------------------------------------------------------

Lookback = Annotated[
    int, Query(ge=1, le=365, description="Days before a purchase in which a visit of the other side counts.")
]


@router.get("/ropo", response_model=RopoReport)
def ropo_report(
    session: SessionDep, principal: Reader, date_from: DateFrom, date_to: DateTo, lookback_days: Lookback = 30
) -> RopoReport:
    """Research online, purchase offline: the store purchases placed in the range preceded by a website or app
    visit within the lookback, the online channels credited by each attribution model, per store and product,
    and the reverse (online purchases after a store visit)."""
    return service.ropo_report(
        session,
        workspace_id=principal.workspace_id,
        start=date_from,
        end=date_to,
        lookback_days=lookback_days,
    )


@router.get("/ropo.csv", response_class=Response, responses=CSV_RESPONSES)
def ropo_report_csv(
    session: SessionDep, principal: Reader, date_from: DateFrom, date_to: DateTo, lookback_days: Lookback = 30
) -> Response:
    """The ROPO report as CSV: the two directions' totals, then per online channel, store and product."""
    data = service.ropo_report(
        session,
        workspace_id=principal.workspace_id,
        start=date_from,
        end=date_to,
        lookback_days=lookback_days,
    )
    return csv_attachment(service.ropo_csv(data), f"ropo-{date_from}-{date_to}.csv")


@router.get("/ropo/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def ropo_report_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    date_from: DateFrom,
    date_to: DateTo,
    lookback_days: Lookback = 30,
) -> Response:
    """The store purchases each online channel is credited with, per model: Vega-Lite (json), png or svg."""
    data = service.ropo_report(
        session,
        workspace_id=principal.workspace_id,
        start=date_from,
        end=date_to,
        lookback_days=lookback_days,
    )
    return chart_response(service.ropo_chart_spec(data), fmt)


# --- Store appointments -------------------------------------------------------------------------------------------


@router.get("/locations/{location_id}/calendar", response_model=StoreCalendar)
def store_calendar(location_id: uuid.UUID, session: SessionDep, principal: Reader) -> StoreCalendar:
    """A store's weekly opening hours (the workspace's time zone), closures to come and appointment services."""
    return service.store_calendar(session, workspace_id=principal.workspace_id, location_id=location_id)


@router.put("/locations/{location_id}/calendar/hours", response_model=StoreCalendar)
def set_opening_hours(
    location_id: uuid.UUID, data: OpeningHoursUpdate, session: SessionDep, principal: Manager
) -> StoreCalendar:
    """Replace the store's weekly opening hours (a weekday left out is closed)."""
    return service.set_opening_hours(
        session, workspace_id=principal.workspace_id, location_id=location_id, data=data
    )


@router.post("/locations/{location_id}/calendar/closures", response_model=StoreCalendar, status_code=201)
def add_closure(
    location_id: uuid.UUID, data: ClosureCreate, session: SessionDep, principal: Manager
) -> StoreCalendar:
    """Close the store for a day (a holiday): nothing can be booked that day."""
    return service.add_closure(
        session, workspace_id=principal.workspace_id, location_id=location_id, data=data
    )


@router.get("/store-services", response_model=list[StoreServicePublic])
def list_store_services(session: SessionDep, principal: Reader) -> list[StoreServicePublic]:
    """Every store's appointment services."""
    return service.list_services(session, workspace_id=principal.workspace_id)


@router.post("/store-services", response_model=StoreServicePublic, status_code=201)
def create_store_service(
    data: StoreServiceCreate, session: SessionDep, principal: Manager
) -> StoreServicePublic:
    """A service a store does by appointment: its duration (quarter-hours) and how many customers at once."""
    return service.create_service(session, workspace_id=principal.workspace_id, data=data)


@router.get("/store-services/{service_id}/slots", response_model=list[AvailableSlot])
def available_slots(
    service_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    day: Annotated[date, Query(description="The day, in the workspace's time zone.")],
) -> list[AvailableSlot]:
    """The times of the day the service can still be booked, with the seats left at each."""
    return service.available_slots(
        session, workspace_id=principal.workspace_id, service_id=service_id, day=day
    )


@router.get("/appointments", response_model=list[AppointmentPublic])
def list_appointments(
    session: SessionDep, principal: Reader, location_id: uuid.UUID | None = None
) -> list[AppointmentPublic]:
    """Booked appointments from now on, soonest first, at one store or all."""
    return service.list_appointments(session, workspace_id=principal.workspace_id, location_id=location_id)


@router.post("/appointments", response_model=AppointmentPublic, status_code=201)
def book_appointment(data: AppointmentCreate, session: SessionDep, principal: Manager) -> AppointmentPublic:
    """Book a service for a customer on its first free seat: 409 `slot_taken` when that time is fully booked
    (by anyone, even a moment before), 422 `store_closed` outside opening hours, on a closure or in the past."""
    return service.book(
        session, workspace_id=principal.workspace_id, data=data, via=BookedVia.STAFF, actor=principal.label
    )


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentPublic)
def cancel_appointment(
    appointment_id: uuid.UUID, session: SessionDep, principal: Manager
) -> AppointmentPublic:
    """Cancel an appointment and free its seat (again: no change)."""
    return service.cancel(session, workspace_id=principal.workspace_id, appointment_id=appointment_id)


@router.get(
    "/appointments/{appointment_id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar invitation."}},
)
def appointment_invitation(appointment_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    """The appointment as an iCalendar invitation (RFC 5545), for the customer's or the store's calendar."""
    body = service.appointment_ics(
        session, workspace_id=principal.workspace_id, appointment_id=appointment_id
    )
    headers = {"Content-Disposition": f'attachment; filename="appointment-{appointment_id}.ics"'}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


# --- Product reviews ----------------------------------------------------------------------------------------------

ReviewReader = Annotated[Principal, require(Action.FEEDBACK_READ)]
ReviewManager = Annotated[Principal, require(Action.FEEDBACK_MANAGE)]
StatusQuery = Annotated[ReviewStatus | None, Query(description="Only reviews with this status.")]
ProductQuery = Annotated[uuid.UUID | None, Query(description="Only reviews of this product.")]
LimitQuery = Annotated[int, Query(ge=1, le=1000)]


@router.get("/reviews", response_model=list[ReviewPublic])
def list_reviews(
    session: SessionDep,
    principal: ReviewReader,
    status: StatusQuery = None,
    product_id: ProductQuery = None,
    limit: LimitQuery = 100,
) -> list[ReviewPublic]:
    """Product reviews, newest first: pending ones wait for a moderator, approved ones are shown on their
    product, rejected ones are hidden. Each carries its sentiment (-1 to 1)."""
    return service.list_reviews(
        session, workspace_id=principal.workspace_id, status=status, product_id=product_id, limit=limit
    )


@router.get("/reviews.csv", response_class=Response, responses=CSV_RESPONSES)
def reviews_csv(
    session: SessionDep,
    principal: ReviewReader,
    status: StatusQuery = None,
    product_id: ProductQuery = None,
    limit: LimitQuery = 1000,
) -> Response:
    """The same reviews as CSV."""
    reviews = service.list_reviews(
        session, workspace_id=principal.workspace_id, status=status, product_id=product_id, limit=limit
    )
    return csv_attachment(service.reviews_csv(reviews), "reviews.csv")


@router.get("/reviews/ratings", response_model=list[ProductRating])
def product_ratings(session: SessionDep, principal: ReviewReader) -> list[ProductRating]:
    """Each reviewed product's approved reviews in figures (count, average, spread of stars) and how many wait
    for a moderator, best average first."""
    ratings = service.product_ratings(session, workspace_id=principal.workspace_id).values()
    return sorted(ratings, key=lambda r: (-(r.average or 0), r.product))


@router.get("/reviews/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def ratings_chart(fmt: ChartFormat, session: SessionDep, principal: ReviewReader) -> Response:
    """Each product's approved reviews by stars: its Vega-Lite spec (json) or rendered (png, svg)."""
    ratings = service.product_ratings(session, workspace_id=principal.workspace_id).values()
    return chart_response(service.ratings_chart_spec(ratings), fmt)


@router.post("/reviews/{review_id}/moderation", response_model=ReviewPublic)
def moderate_review(
    review_id: uuid.UUID, data: ReviewModeration, session: SessionDep, principal: ReviewManager
) -> ReviewPublic:
    """Approve a review (shown on its product, counted in its rating), reject it (hidden), or put it back to
    pending."""
    return service.moderate(session, principal=principal, review_id=review_id, status=data.status)


@router.get("/review-settings", response_model=ReviewSettingsPublic)
def review_settings(session: SessionDep, principal: ReviewReader) -> ReviewSettingsPublic:
    """Whether customers are asked to review what they received, and how many days after delivery or pickup."""
    return service.review_settings(session, workspace_id=principal.workspace_id)


@router.put("/review-settings", response_model=ReviewSettingsPublic)
def update_review_settings(
    data: ReviewSettingsUpdate, session: SessionDep, principal: ReviewManager
) -> ReviewSettingsPublic:
    """Change them; requests already planned keep their date."""
    return service.update_review_settings(session, workspace_id=principal.workspace_id, data=data)


@shop.get("/v1/reviews/{write_key}", response_model=ShopProductReviews)
def shop_reviews(write_key: str, sku: SkuQuery, session: SessionDep) -> Response:
    """A product's approved reviews for the shop's own product page, found by one of its SKUs and the site's
    tracking write key (public in the site's pages anyway): average, spread of stars and the latest reviews,
    each signed with a first name. Pending and rejected reviews and customer ids are never shown. Any origin may
    read it; errors are `{"code", "message"}` with the same CORS header."""
    try:
        source = tracking_service.authenticate_write_key(session, write_key=write_key)
        data = service.shop_reviews(session, workspace_id=source.workspace_id, sku=sku)
    except DomainError as error:
        body = orjson.dumps(error_body(error.code, error.message))
        return Response(body, status_code=error.status, media_type="application/json", headers=SHOP_CORS)
    headers = {**SHOP_CORS, "Cache-Control": SHOP_CACHE}
    return Response(data.model_dump_json(), media_type="application/json", headers=headers)
