"""Pages of the commerce domain: orders, an order's live timeline, stock by location with live availability,
the store pickup board, and the customer's own order page reached by its unguessable token."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_currency, format_percent
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omnicx.attribution import service as attribution_service
from omnicx.commerce import service
from omnicx.commerce.enums import (
    CommerceTopic,
    Fulfilment,
    LocationKind,
    NoticeKind,
    OfferKind,
    OrderStatus,
    SalesChannel,
)
from omnicx.commerce.labels import FULFILMENT_NAMES, SALES_CHANNEL_NAMES, STATUS_NAMES
from omnicx.commerce.money import exponent, format_money, to_decimal
from omnicx.commerce.schemas import (
    SKU_PATTERN,
    LineRequest,
    LocationUpdate,
    OfferCreate,
    ProductUpdate,
    StorefrontUpdate,
    VariantUpdate,
)
from omnicx.inbox import service as inbox_service
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import LANGUAGES, current_language, format_locale, gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [NavItem("commerce", N_("Commerce"), "/commerce", Action.COMMERCE_READ, 40)]

Reader = Annotated[Principal, require(Action.COMMERCE_READ)]
Manager = Annotated[Principal, require(Action.COMMERCE_MANAGE)]

# What the button that moves an order to a status says.
ACTION_NAMES = {
    OrderStatus.PLACED: N_("Place"),
    OrderStatus.PAID: N_("Mark paid"),
    OrderStatus.ALLOCATED: N_("Allocate"),
    OrderStatus.READY_FOR_PICKUP: N_("Mark ready"),
    OrderStatus.PICKED_UP: N_("Hand over"),
    OrderStatus.SHIPPED: N_("Mark shipped"),
    OrderStatus.DELIVERED: N_("Mark delivered"),
    OrderStatus.CANCELLED: N_("Cancel order"),
    OrderStatus.RETURNED: N_("Record return"),
}
NOTICE_NAMES = {NoticeKind.READY_FOR_PICKUP: N_("Ready for pickup notice")}
CHANNEL_NAMES = inbox_service.CHANNEL_LABELS
KIND_NAMES = {LocationKind.WAREHOUSE: N_("Warehouse"), LocationKind.STORE: N_("Store")}


def _price_input(price_minor: int, currency: str) -> str:
    """A price in major units as typed in a form (1250, EUR -> "12.50")."""
    places = exponent(currency)
    return f"{Decimal(price_minor).scaleb(-places):.{places}f}"


def _helpers(principal: Principal | None = None) -> dict[str, Any]:
    return {
        "money": format_money,
        "price_input": _price_input,
        "status_name": lambda s: STATUS_NAMES[OrderStatus(s)],
        "action_name": lambda s: ACTION_NAMES[OrderStatus(s)],
        "fulfilment_name": lambda f: FULFILMENT_NAMES[Fulfilment(f)],
        "sales_channel_name": lambda c: SALES_CHANNEL_NAMES[SalesChannel(c)],
        "kind_name": lambda k: KIND_NAMES[LocationKind(k)],
        "notice_name": lambda k: NOTICE_NAMES[NoticeKind(k)],
        "channel_name": lambda c: CHANNEL_NAMES.get(c, c),
        "can_manage": principal is not None and allows(principal.role, Action.COMMERCE_MANAGE),
        "CommerceTopic": CommerceTopic,
    }


@router.get("/commerce", response_class=HTMLResponse)
def orders_page(
    request: Request, session: SessionDep, principal: Reader, status: OrderStatus | None = None
) -> HTMLResponse:
    orders = service.list_orders(
        session, workspace_id=principal.workspace_id, status=[status] if status else None, limit=200
    )
    context = {"orders": orders, "status": status, "statuses": list(OrderStatus), **_helpers(principal)}
    return render(request, "commerce/orders.html", context)


def _order_context(session: SessionDep, principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
    order = service.get_order(session, workspace_id=principal.workspace_id, order_id=order_id)
    notices = service.order_notices(session, workspace_id=principal.workspace_id, order_id=order_id)
    return {"order": order, "notices": notices, **_helpers(principal)}


@router.get("/commerce/orders/{order_id}", response_class=HTMLResponse)
def order_page(order_id: uuid.UUID, request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    return render(request, "commerce/order.html", _order_context(session, principal, order_id))


@router.get("/commerce/orders/{order_id}/live", response_class=HTMLResponse)
def order_live(order_id: uuid.UUID, request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """The order's status and timeline, re-fetched by the page when a `CommerceTopic.ORDER` event arrives."""
    return render(request, "commerce/_order_live.html", _order_context(session, principal, order_id))


@router.post("/commerce/orders/{order_id}/status")
def change_status(
    order_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Manager,
    status: Annotated[OrderStatus, Form()],
    pickup_code: Annotated[str, Form(max_length=12)] = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Move the order one step; back to the page the button was on (or the order page with the refusal)."""
    try:
        service.change_status(
            session,
            workspace_id=principal.workspace_id,
            order_id=order_id,
            status=status,
            actor=principal.label or principal.kind,
            pickup_code=pickup_code or None,
        )
    except DomainError as error:
        session.rollback()
        context = {**_order_context(session, principal, order_id), "error": error.message}
        return render(request, "commerce/order.html", context, status=error.status)
    target = (
        back if back.startswith("/commerce") and not back.startswith("//") else f"/commerce/orders/{order_id}"
    )
    return RedirectResponse(target, status_code=303)


@router.get("/commerce/stock", response_class=HTMLResponse)
def stock_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    location_id: uuid.UUID | None = None,
    sku: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """Stock by location; `sku` (the lookup form sent without scripts) shows where that SKU is available now."""
    locations = service.list_locations(session, workspace_id=principal.workspace_id)
    rows = service.list_stock(session, workspace_id=principal.workspace_id, location_id=location_id)
    context = {
        "locations": locations,
        "rows": rows,
        "location_id": location_id,
        **_availability(session, principal, sku),
        **_helpers(principal),
    }
    return render(request, "commerce/stock.html", context)


@router.get("/commerce/stock/availability", response_class=HTMLResponse)
def availability_widget(
    request: Request,
    session: SessionDep,
    principal: Reader,
    sku: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """ "Available now at store X" for one SKU; re-fetched live on every `CommerceTopic.STOCK` event."""
    context = {**_availability(session, principal, sku), **_helpers(principal)}
    return render(request, "commerce/_availability.html", context)


def _availability(session: SessionDep, principal: Principal, sku: str) -> dict[str, Any]:
    """Where `sku` is available now, or why not (an empty SKU asks for nothing)."""
    result, error = None, None
    if sku:
        if re.fullmatch(SKU_PATTERN, sku):
            try:
                result = service.availability(session, workspace_id=principal.workspace_id, sku=sku)
            except DomainError as exc:
                error = exc.message
        else:
            error = "invalid SKU"
    return {"sku": sku, "result": result, "error": error}


@router.get("/commerce/pickup", response_class=HTMLResponse)
def pickup_page(
    request: Request, session: SessionDep, principal: Reader, location_id: uuid.UUID | None = None
) -> HTMLResponse:
    return render(request, "commerce/pickup.html", _board_context(session, principal, location_id))


@router.get("/commerce/pickup/live", response_class=HTMLResponse)
def pickup_live(
    request: Request, session: SessionDep, principal: Reader, location_id: uuid.UUID | None = None
) -> HTMLResponse:
    return render(request, "commerce/_pickup_board.html", _board_context(session, principal, location_id))


def _board_context(
    session: SessionDep, principal: Principal, location_id: uuid.UUID | None
) -> dict[str, Any]:
    stores = [s for s in service.list_locations(session, workspace_id=principal.workspace_id) if s.pickup]
    if location_id is None and stores:
        location_id = stores[0].id
    orders = (
        service.pickup_board(session, workspace_id=principal.workspace_id, location_id=location_id)
        if location_id is not None
        else []
    )
    return {"stores": stores, "location_id": location_id, "orders": orders, **_helpers(principal)}


@router.get("/o/{token}", response_class=HTMLResponse)
def customer_order_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """The customer's own order page: public, found only by the order's 256-bit token."""
    order = service.order_by_token(session, token=token)
    return render(request, "commerce/track.html", {"order": order, "token": token, **_helpers()})


@router.get("/o/{token}/live", response_class=HTMLResponse)
def customer_order_live(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """The customer's order steps, polled every 2 s by the page (no account, so no event stream)."""
    order = service.order_by_token(session, token=token)
    return render(request, "commerce/_track_live.html", {"order": order, "token": token, **_helpers()})


def _catalogue_page(
    request: Request, session: SessionDep, principal: Principal, error: str | None = None, status: int = 200
) -> HTMLResponse:
    products = service.list_products(session, workspace_id=principal.workspace_id)
    storefront = service.get_storefront(session, workspace_id=principal.workspace_id)
    ratings = service.product_ratings(session, workspace_id=principal.workspace_id)
    context = {
        "products": products,
        "storefront": storefront,
        "ratings": ratings,
        "error": error,
        **_helpers(principal),
    }
    return render(request, "commerce/catalogue.html", context, status=status)


def _locations_page(
    request: Request, session: SessionDep, principal: Principal, error: str | None = None, status: int = 200
) -> HTMLResponse:
    locations = service.list_locations(session, workspace_id=principal.workspace_id)
    context = {"locations": locations, "kinds": list(LocationKind), "error": error, **_helpers(principal)}
    return render(request, "commerce/locations.html", context, status=status)


@router.get("/commerce/catalogue", response_class=HTMLResponse)
def catalogue_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """Products and their variants, with edit forms for managers."""
    return _catalogue_page(request, session, principal)


@router.post("/commerce/catalogue/products/{product_id}", response_class=HTMLResponse)
def edit_product(
    product_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Manager,
    title: Annotated[str, Form(max_length=400)],
    description: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    return redirect_or_page(
        lambda: service.update_product(
            session,
            workspace_id=principal.workspace_id,
            product_id=product_id,
            data=ProductUpdate(title=title, description=description),
        ),
        to="/commerce/catalogue",
        page=lambda message, status: _catalogue_page(request, session, principal, message, status),
        session=session,
    )


@router.post("/commerce/catalogue/variants/{sku:path}", response_class=HTMLResponse)
def edit_variant(
    sku: str,
    request: Request,
    session: SessionDep,
    principal: Manager,
    title: Annotated[str, Form(max_length=400)],
    price: Annotated[str, Form(max_length=40)],
    currency: Annotated[str, Form(max_length=3)],
) -> Response:
    """The price is typed in major units (12.50) and stored in the currency's minor units."""

    def save() -> object:
        code = currency.strip().upper()
        data = VariantUpdate(title=title, currency=code)  # checks the currency before it prices anything
        return service.update_variant(
            session,
            workspace_id=principal.workspace_id,
            sku=sku,
            data=data.model_copy(update={"price_minor": service.minor_units(price, code)}),
        )

    return redirect_or_page(
        save,
        to="/commerce/catalogue",
        page=lambda message, status: _catalogue_page(request, session, principal, message, status),
        session=session,
    )


@router.post("/commerce/catalogue/storefront", response_class=HTMLResponse)
def edit_storefront(
    request: Request,
    session: SessionDep,
    principal: Manager,
    product_url: Annotated[str, Form(max_length=2000)] = "",
    cart_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Where the links agents send from conversations lead: the shop's product pages and its cart page."""
    return redirect_or_page(
        lambda: service.set_storefront(
            session,
            workspace_id=principal.workspace_id,
            data=StorefrontUpdate(product_url=product_url, cart_url=cart_url),
        ),
        to="/commerce/catalogue",
        page=lambda message, status: _catalogue_page(request, session, principal, message, status),
        session=session,
    )


OFFER_NAMES = {
    OfferKind.PRODUCT: N_("Product card"),
    OfferKind.CART: N_("Cart link"),
    OfferKind.PICKUP: N_("Hold for pickup at a store"),
}
Replier = Annotated[Principal, require(Action.INBOX_REPLY)]


def _offer_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    conversation_id: uuid.UUID,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    conversation = inbox_service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    context = {
        "conversation": conversation,
        "products": service.list_products(session, workspace_id=principal.workspace_id),
        "stores": [
            loc for loc in service.list_locations(session, workspace_id=principal.workspace_id) if loc.pickup
        ],
        "storefront": service.get_storefront(session, workspace_id=principal.workspace_id),
        "kinds": [(kind.value, OFFER_NAMES[kind]) for kind in OfferKind],
        "languages": LANGUAGES,
        "error": error,
        **_helpers(principal),
    }
    return render(request, "commerce/offer.html", context, status=status)


@router.get("/commerce/offers/new", response_class=HTMLResponse)
def offer_page(
    request: Request, session: SessionDep, principal: Replier, conversation: uuid.UUID
) -> HTMLResponse:
    """Sell in a conversation: pick items from the catalogue and send them as a card, a cart or a pickup."""
    return _offer_page(request, session, principal, conversation)


@router.post("/commerce/offers", response_class=HTMLResponse)
def send_offer(
    request: Request,
    session: SessionDep,
    principal: Replier,
    conversation: Annotated[uuid.UUID, Form()],
    kind: Annotated[OfferKind, Form()],
    sku: Annotated[list[str], Form(max_length=10)],
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
    location_id: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    def send() -> object:
        data = OfferCreate(
            kind=kind,
            lines=[LineRequest(sku=s, quantity=quantity) for s in sku],
            location_id=uuid.UUID(location_id) if location_id.strip() else None,
            note=note,
            language=language or None,
        )
        return service.send_offer(
            session,
            principal=principal,
            conversation_id=conversation,
            data=data,
            base_url=request.app.state.runtime.settings.base_url,
        )

    return redirect_or_page(
        send,
        to=f"/inbox/conversations/{conversation}",
        page=lambda message, status: _offer_page(request, session, principal, conversation, message, status),
        session=session,
    )


@router.get("/commerce/locations", response_class=HTMLResponse)
def locations_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """Warehouses and stores, with edit forms for managers."""
    return _locations_page(request, session, principal)


@router.post("/commerce/locations/{location_id}", response_class=HTMLResponse)
def edit_location(
    location_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Manager,
    name: Annotated[str, Form(max_length=300)],
    kind: Annotated[LocationKind, Form()],
    pickup: Annotated[bool, Form()] = False,
) -> Response:
    return redirect_or_page(
        lambda: service.update_location(
            session,
            workspace_id=principal.workspace_id,
            location_id=location_id,
            data=LocationUpdate(name=name, kind=kind, pickup=pickup),
        ),
        to="/commerce/locations",
        page=lambda message, status: _locations_page(request, session, principal, message, status),
        session=session,
    )


# --- Sales report -------------------------------------------------------------------------------------------------

SALES_DAYS = 30
COMPARE_BY = ("fulfilment", "location", "channel")


def _local_money(minor: int | None, currency: str) -> str:
    """An amount as the page's language writes money (`1 234,50 €` in French)."""
    if minor is None:
        return "—"
    locale = format_locale(current_language())
    return format_currency(to_decimal(minor, currency), currency, locale=locale)


def _local_share(value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale=format_locale(current_language()))


def _in_range(
    date_from: date | None, date_to: date | None, build: Callable[[date, date], dict[str, Any]]
) -> dict[str, Any]:
    """A report page's context for the range asked (the last `SALES_DAYS` days where a bound is missing), with
    `error` set; a range the report refuses shows the default range and says why."""
    today = utcnow().date()
    default = (today - timedelta(days=SALES_DAYS - 1), today)
    try:
        return {**build(date_from or default[0], date_to or default[1]), "error": None}
    except DomainError as exc:
        return {**build(*default), "error": exc.message}


def _sales_context(
    session: SessionDep, principal: Principal, start: date, end: date, compare: str
) -> dict[str, Any]:
    report = service.sales_report(session, workspace_id=principal.workspace_id, start=start, end=end)
    currency = service.main_currency(report)
    params = {"from": start.isoformat(), "to": end.isoformat()}
    chart = {"currency": currency} if currency else {}
    return {
        "report": report,
        "currency": currency,
        "compare": compare,
        "trend_json": json.dumps(service.sales_chart_spec(report, "trend", currency=currency)),
        "compare_json": json.dumps(service.sales_chart_spec(report, "compare", compare, currency)),  # type: ignore[arg-type]
        "export_query": urlencode(params),
        "trend_query": urlencode({**params, "chart": "trend", **chart}),
        "compare_query": urlencode({**params, "chart": "compare", "dimension": compare, **chart}),
        "local_money": _local_money,
        "share": _local_share,
        "revenue_statuses": [gettext(STATUS_NAMES[s]) for s in report.revenue_statuses],
    }


@router.get("/commerce/sales", response_class=HTMLResponse)
def sales_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    date_from: date | None = None,
    date_to: date | None = None,
    compare: str = "fulfilment",
) -> HTMLResponse:
    """Sales figures for a date range: KPI tiles, revenue per day and channel, a comparison by fulfilment,
    location or channel, the top products, and exports."""
    dimension = compare if compare in COMPARE_BY else COMPARE_BY[0]
    context = _in_range(
        date_from, date_to, lambda start, end: _sales_context(session, principal, start, end, dimension)
    )
    return render(request, "commerce/sales.html", {**context, "compare_by": COMPARE_BY})


def _ropo_context(
    session: SessionDep, principal: Principal, start: date, end: date, lookback_days: int
) -> dict[str, Any]:
    report = service.ropo_report(
        session, workspace_id=principal.workspace_id, start=start, end=end, lookback_days=lookback_days
    )
    query = urlencode({"from": start.isoformat(), "to": end.isoformat(), "lookback_days": lookback_days})
    return {
        "report": report,
        "chart_json": json.dumps(service.ropo_chart_spec(report)),
        "export_query": query,
        "share": _local_share,
        "model_labels": attribution_service.MODEL_LABELS,
    }


@router.get("/commerce/ropo", response_class=HTMLResponse)
def ropo_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    date_from: date | None = None,
    date_to: date | None = None,
    lookback_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> HTMLResponse:
    """Research online, purchase offline: how many store purchases followed a website or app visit, which
    online channels get the credit (per model), per store and product, and the reverse."""
    context = _in_range(
        date_from, date_to, lambda start, end: _ropo_context(session, principal, start, end, lookback_days)
    )
    return render(request, "commerce/ropo.html", context)
