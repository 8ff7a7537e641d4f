"""CLI of the commerce domain: `omnicx commerce import-products`, `location-add`, `location-edit`,
`product-edit`, `variant-edit`, `stock`, `reserve`, `release`, `sweep`, `shopify-secret`, `sales`, `storefront`,
`offer`."""

from __future__ import annotations

import json
import uuid
from datetime import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce import service
from omnicx.commerce.enums import LocationKind, OfferKind, ReviewStatus
from omnicx.commerce.errors import LocationNotFound
from omnicx.commerce.money import format_money
from omnicx.commerce.schemas import (
    LineRequest,
    LocationCreate,
    LocationUpdate,
    OfferCreate,
    OpeningDay,
    OpeningHoursUpdate,
    ProductUpdate,
    ReservationCreate,
    ReviewSettingsUpdate,
    SalesReport,
    StorefrontUpdate,
    StoreServiceCreate,
    VariantUpdate,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import (
    FormatOpt,
    FromDayOpt,
    ReportFormat,
    ToDayOpt,
    fail_on_domain_error,
    open_runtime,
    parse_day,
)
from omnicx.kernel.errors import Invalid

console = Console()
app = typer.Typer(help="Products, locations, stock and orders.", no_args_is_help=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@app.command("import-products")
@fail_on_domain_error
def import_products(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file.")],
    workspace: WorkspaceOpt,
) -> None:
    """Import products from a CSV with columns product, sku, price, currency (and optionally variant,
    location, on_hand). Existing SKUs keep their product and get the new price; all rows or none."""
    rows = service.read_product_csv(file)
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        with Progress(
            TextColumn("Importing products"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("rows", total=len(rows))
            result = service.import_products(
                session, workspace_id=ws.id, rows=rows, progress=lambda n: progress.advance(task, n)
            )
    console.print(
        f"[green]Imported[/] {result.products} new products, {result.variants} new variants, "
        f"{result.stock_rows} stock levels"
    )


@app.command("location-add")
@fail_on_domain_error
def location_add(
    code: Annotated[str, typer.Argument(help="Short code, e.g. paris-1.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    workspace: WorkspaceOpt,
    kind: Annotated[LocationKind, typer.Option(help="Warehouse or store.")] = LocationKind.STORE,
    pickup: Annotated[bool, typer.Option(help="Customers can collect orders here (stores only).")] = False,
) -> None:
    """Add a warehouse or a store."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        loc = service.create_location(
            session, workspace_id=ws.id, data=LocationCreate(code=code, name=name, kind=kind, pickup=pickup)
        )
    console.print(f"Added {loc.kind.value} [bold]{loc.name}[/] ({loc.code}, {loc.id})")


@app.command("location-edit")
@fail_on_domain_error
def location_edit(
    location: Annotated[str, typer.Argument(help="Location code or id.")],
    workspace: WorkspaceOpt,
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    kind: Annotated[LocationKind | None, typer.Option(help="Warehouse or store.")] = None,
    pickup: Annotated[
        bool | None, typer.Option(help="Customers can collect orders here (stores only).")
    ] = None,
) -> None:
    """Rename a location, change its kind or whether it offers pickup."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        loc = service.update_location(
            session,
            workspace_id=ws.id,
            location_id=_location_id(session, ws.id, location),
            data=LocationUpdate(name=name, kind=kind, pickup=pickup),
        )
    console.print(f"Updated {loc.kind.value} [bold]{loc.name}[/] ({loc.code}, pickup: {loc.pickup})")


@app.command("product-edit")
@fail_on_domain_error
def product_edit(
    product_id: Annotated[uuid.UUID, typer.Argument(help="Product id.")],
    workspace: WorkspaceOpt,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
) -> None:
    """Change a product's title or description."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        product = service.update_product(
            session,
            workspace_id=ws.id,
            product_id=product_id,
            data=ProductUpdate(title=title, description=description),
        )
    console.print(f"Updated product [bold]{product.title}[/] ({product.id})")


@app.command("variant-edit")
@fail_on_domain_error
def variant_edit(
    sku: Annotated[str, typer.Argument(help="SKU of the variant.")],
    workspace: WorkspaceOpt,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    price: Annotated[
        str | None, typer.Option(help="New price, e.g. 12.50 (in the variant's currency).")
    ] = None,
    currency: Annotated[str | None, typer.Option(help="New ISO currency code, e.g. EUR.")] = None,
) -> None:
    """Change a variant's title, price or currency (placed orders keep their prices)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        code = currency.upper() if currency else None
        price_minor = None
        if price is not None:
            code = code or service.get_variant(session, workspace_id=ws.id, sku=sku).currency
            price_minor = service.minor_units(price, code)
        variant = service.update_variant(
            session,
            workspace_id=ws.id,
            sku=sku,
            data=VariantUpdate(title=title, price_minor=price_minor, currency=code),
        )
    console.print(f"Updated [bold]{variant.sku}[/]: {variant.price_minor} {variant.currency} (minor units)")


@app.command("stock")
@fail_on_domain_error
def stock(
    workspace: WorkspaceOpt, sku: Annotated[str | None, typer.Option(help="Only this SKU.")] = None
) -> None:
    """Show stock per location: on hand, allocated, reserved, available."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        rows = service.list_stock(session, workspace_id=ws.id, sku=sku)
    table = Table("location", "sku", "on hand", "allocated", "reserved", "available")
    for r in rows:
        table.add_row(
            r.location_code, r.sku, str(r.on_hand), str(r.allocated), str(r.reserved), str(r.available)
        )
    console.print(table)


@app.command("sweep")
@fail_on_domain_error
def sweep(workspace: WorkspaceOpt) -> None:
    """Delete expired reservations now (the job does it on its own; expired ones never count anyway)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        removed = service.sweep_expired(session, workspace_id=ws.id)
        session.commit()
    console.print(f"Removed {removed} expired reservations")


def _location_id(session: Session, workspace_id: uuid.UUID, location: str) -> uuid.UUID:
    """The id of the workspace's location with this code or id; `LocationNotFound` otherwise."""
    for loc in service.list_locations(session, workspace_id=workspace_id):
        if location in (loc.code, str(loc.id)):
            return loc.id
    raise LocationNotFound(f"location {location!r} not found")


def _line(text: str) -> LineRequest:
    """`SKU:QUANTITY` (or a bare SKU for one unit) as a reservation line."""
    sku, _, quantity = text.rpartition(":") if ":" in text else (text, "", "1")
    if not quantity.isdigit():
        raise typer.BadParameter(f"{text!r}: expected SKU:QUANTITY")
    try:
        return LineRequest(sku=sku, quantity=int(quantity))
    except ValidationError as error:
        raise typer.BadParameter(f"{text!r}: {error.errors()[0]['msg']}") from None


@app.command("reserve")
@fail_on_domain_error
def reserve(
    workspace: WorkspaceOpt,
    location: Annotated[str, typer.Option(help="Location code or id.")],
    line: Annotated[list[str], typer.Option(help="SKU:QUANTITY, once per line (a bare SKU holds one unit).")],
    ttl: Annotated[int, typer.Option(min=1, max=7 * 86400, help="Seconds the units stay held.")] = 900,
    reference: Annotated[str, typer.Option(help="Your reference (a cart or checkout id).")] = "",
) -> None:
    """Hold stock at one location until it expires: every line or none (as `POST /reservations`)."""
    lines = [_line(text) for text in line]
    with open_runtime() as runtime:
        with runtime.sessions() as session:
            ws = auth_service.get_workspace_by_slug(session, slug=workspace)
            location_id = _location_id(session, ws.id, location)
        data = ReservationCreate(location_id=location_id, lines=lines, ttl_seconds=ttl, reference=reference)
        held = service.queue_reservation(runtime.writes, workspace_id=ws.id, data=data).result()
    units = ", ".join(f"{held_line.quantity} x {held_line.sku}" for held_line in held.lines)
    console.print(f"Reserved {units} until {held.expires_at:%Y-%m-%d %H:%M:%S} UTC")
    print(held.id)


@app.command("release")
@fail_on_domain_error
def release(
    reservation: Annotated[uuid.UUID, typer.Argument(help="The reservation's id.")], workspace: WorkspaceOpt
) -> None:
    """Give a reservation's units back now (a checkout abandoned)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        service.release_reservation(session, workspace_id=ws.id, reservation_id=reservation)
    console.print(f"Released reservation {reservation}")


@app.command("shopify-secret")
@fail_on_domain_error
def shopify_secret(
    workspace: WorkspaceOpt,
    secret: Annotated[str | None, typer.Option(help="Use this secret instead of generating one.")] = None,
) -> None:
    """Set the secret that signs Shopify-compatible webhooks to /webhooks/shopify/<workspace>; printed once."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        value = service.set_shopify_secret(session, workspace_id=ws.id, secret=secret)
    console.print(f"Webhook secret for [bold]{workspace}[/] (shown once):")
    print(value)


@app.command("storefront")
@fail_on_domain_error
def storefront(
    workspace: WorkspaceOpt,
    product_url: Annotated[
        str | None, typer.Option(help="The shop's product page, with {sku} where the SKU goes.")
    ] = None,
    cart_url: Annotated[str | None, typer.Option(help="The shop's cart page.")] = None,
) -> None:
    """Show, or set, where the product cards and cart links sent from conversations lead."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        found = service.get_storefront(session, workspace_id=ws.id)
        if product_url is not None or cart_url is not None:
            data = StorefrontUpdate(
                product_url=found.product_url if product_url is None else product_url,
                cart_url=found.cart_url if cart_url is None else cart_url,
            )
            found = service.set_storefront(session, workspace_id=ws.id, data=data)
    console.print(f"Product page: {found.product_url or '—'}")
    console.print(f"Cart page:    {found.cart_url or '—'}")


@app.command("offer")
@fail_on_domain_error
def offer(
    conversation: Annotated[uuid.UUID, typer.Argument(help="The conversation to sell in.")],
    workspace: WorkspaceOpt,
    line: Annotated[list[str], typer.Option(help="SKU:QUANTITY, once per item (a bare SKU is one unit).")],
    kind: Annotated[OfferKind, typer.Option(help="A product card, a cart link or a pickup hold.")] = (
        OfferKind.PRODUCT
    ),
    location: Annotated[str | None, typer.Option(help="The store holding a pickup (code or id).")] = None,
    note: Annotated[str, typer.Option(help="A sentence sent before the offer.")] = "",
    language: Annotated[
        str | None, typer.Option(help="en, fr, id or ca (default: the customer's, else the workspace's).")
    ] = None,
) -> None:
    """Send a product card, a cart link or a pickup hold in a conversation, on its channel."""
    lines = [_line(text) for text in line]
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        location_id = _location_id(session, ws.id, location) if location else None
        data = OfferCreate(kind=kind, lines=lines, location_id=location_id, note=note, language=language)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        sent = service.send_offer(
            session,
            principal=principal,
            conversation_id=conversation,
            data=data,
            base_url=runtime.settings.base_url,
        )
    console.print(sent.text)
    console.print(f"Queued {sent.message_id}" + (f"; order {sent.order_id}" if sent.order_id else ""))


def _sales_table(data: SalesReport) -> Table:
    table = Table(
        title=f"Sales: {data.start} → {data.end} ({data.timezone}; cancelled and returned are no sales)"
    )
    headers = ("group", "orders", "revenue", "avg order", "units", "pickup", "cancelled", "returned")
    for header in headers:
        table.add_column(header, justify="left" if header == "group" else "right")
    groups = [
        ("total", data.totals),
        ("channel", data.by_channel),
        ("fulfilment", data.by_fulfilment),
        ("location", data.by_location),
    ]
    for dimension, rows in groups:
        for row in rows:
            average = row.average_order_minor
            table.add_row(
                f"{dimension}: {row.label}",
                str(row.orders),
                format_money(row.revenue_minor, row.currency),
                "—" if average is None else format_money(average, row.currency),
                str(row.units),
                "—" if row.pickup_share is None else f"{row.pickup_share:.0%}",
                str(row.cancelled),
                f"{row.returned} ({format_money(row.returned_minor, row.currency)})",
            )
    for product in data.top_products:
        revenue = format_money(product.revenue_minor, product.currency)
        table.add_row(
            f"product: {product.sku} {product.title}", "", revenue, "", str(product.units), "", "", ""
        )
    return table


@app.command("sales")
@fail_on_domain_error
def sales(
    workspace: WorkspaceOpt,
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    output: FormatOpt = ReportFormat.TABLE,
) -> None:
    """Orders, revenue, average order, units, pickup share, cancelled and returned orders by channel,
    fulfilment and location, and the top products (read from the analytics copy)."""
    start, end = parse_day(date_from), parse_day(date_to)
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        data = service.sales_report(session, workspace_id=ws.id, start=start, end=end)
    if output is ReportFormat.JSON:
        print(data.model_dump_json(indent=2))
    elif output is ReportFormat.CSV:
        print(service.sales_csv(data), end="")
    else:
        console.print(_sales_table(data))


@app.command("ropo")
@fail_on_domain_error
def ropo(
    workspace: WorkspaceOpt,
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    lookback_days: Annotated[
        int, typer.Option("--lookback", min=1, max=365, help="Days before a purchase a visit counts.")
    ] = 30,
    output: FormatOpt = ReportFormat.TABLE,
) -> None:
    """Research online, purchase offline: store purchases after a website or app visit, the online channels
    credited per model, per store and product, and online purchases after a store visit."""
    start, end = parse_day(date_from), parse_day(date_to)
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        data = service.ropo_report(
            session, workspace_id=ws.id, start=start, end=end, lookback_days=lookback_days
        )
    if output is ReportFormat.JSON:
        print(data.model_dump_json(indent=2))
        return
    if output is ReportFormat.CSV:
        print(service.ropo_csv(data), end="")
        return
    store, online = data.store, data.online
    console.print(
        f"{store.researched} of {store.purchases} store purchases ({_percent(store.share)}) followed a website or "
        f"app visit within {data.lookback_days} days; {online.researched} of {online.purchases} online purchases "
        f"({_percent(online.share)}) followed a store visit."
    )
    table = Table("channel", "purchases touched", *(m.value for m in data.models))
    for row in data.channels:
        table.add_row(row.channel, str(row.purchases), *(f"{row.credit[m]:.2f}" for m in data.models))
    console.print(table)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.1%}"


@app.command("appointments")
@fail_on_domain_error
def appointments(
    workspace: WorkspaceOpt,
    location: Annotated[str | None, typer.Option(help="Only this store (its code).")] = None,
    output: FormatOpt = ReportFormat.TABLE,
) -> None:
    """Appointments booked from now on at every store (or one), soonest first."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        stores = {loc.id: loc for loc in service.list_locations(session, workspace_id=ws.id)}
        chosen = next((loc.id for loc in stores.values() if loc.code == location), None) if location else None
        if location and chosen is None:
            raise Invalid(f"no location with code {location!r}")
        rows = service.list_appointments(session, workspace_id=ws.id, location_id=chosen)
        names = {s.id: s.name for s in service.list_services(session, workspace_id=ws.id)}
    if output is ReportFormat.JSON:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table("id", "starts", "store", "service", "customer", "note")
    for row in rows:
        store = stores.get(row.location_id)
        table.add_row(
            str(row.id),
            f"{row.starts_at:%Y-%m-%d %H:%M}",
            store.name if store else "",
            names.get(row.service_id, ""),
            row.name,
            row.note,
        )
    console.print(table)


@app.command("store-service")
@fail_on_domain_error
def store_service(
    workspace: WorkspaceOpt,
    location: Annotated[str, typer.Argument(help="The store's code.")],
    name: Annotated[str, typer.Argument(help="What the store does by appointment (Fitting, Repair...).")],
    minutes: Annotated[int, typer.Option(help="How long it takes (quarter-hours).")] = 30,
    seats: Annotated[int, typer.Option(help="Customers the store serves at once for it.")] = 1,
    opens: Annotated[str | None, typer.Option(help="Set the store's hours too: opening time, HH:MM.")] = None,
    closes: Annotated[
        str | None, typer.Option(help="... and closing time, HH:MM (Monday to Saturday).")
    ] = None,
) -> None:
    """Offer a service by appointment at a store (and, with --opens/--closes, set its hours Monday-Saturday)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        store = next(
            (loc for loc in service.list_locations(session, workspace_id=ws.id) if loc.code == location), None
        )
        if store is None:
            raise Invalid(f"no location with code {location!r}")
        if opens and closes:
            days = [
                OpeningDay(weekday=d, opens=time.fromisoformat(opens), closes=time.fromisoformat(closes))
                for d in range(6)
            ]
            service.set_opening_hours(
                session, workspace_id=ws.id, location_id=store.id, data=OpeningHoursUpdate(days=days)
            )
        created = service.create_service(
            session,
            workspace_id=ws.id,
            data=StoreServiceCreate(location_id=store.id, name=name, duration_minutes=minutes, seats=seats),
        )
    console.print(
        f"{created.id}  {created.name} at {store.name}: {created.duration_minutes} min, {created.seats} at once"
    )


@app.command("reviews")
@fail_on_domain_error
def reviews(
    workspace: WorkspaceOpt,
    status: Annotated[ReviewStatus | None, typer.Option(help="Only reviews with this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    output: FormatOpt = ReportFormat.TABLE,
) -> None:
    """Product reviews, newest first (pending ones wait for a moderator), then each product's rating."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        rows = service.list_reviews(session, workspace_id=ws.id, status=status, limit=limit)
        ratings = service.product_ratings(session, workspace_id=ws.id)
    if output is ReportFormat.JSON:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    if output is ReportFormat.CSV:
        print(service.reviews_csv(rows), end="")
        return
    table = Table("id", "created", "product", "stars", "title", "status")
    for r in rows:
        table.add_row(
            str(r.id), f"{r.created_at:%Y-%m-%d}", r.product, str(r.rating), r.title, r.status.value
        )
    console.print(table)
    summary = Table("product", "average", "approved", "pending")
    for rating in sorted(ratings.values(), key=lambda r: (-(r.average or 0), r.product)):
        average = "—" if rating.average is None else f"{rating.average:.2f}"
        summary.add_row(rating.product, average, str(rating.count), str(rating.pending))
    console.print(summary)


@app.command("review-moderate")
@fail_on_domain_error
def review_moderate(
    workspace: WorkspaceOpt,
    review_id: Annotated[uuid.UUID, typer.Argument(help="The review's id (see `omnicx commerce reviews`).")],
    status: Annotated[ReviewStatus, typer.Argument(help="approved, rejected or pending.")],
) -> None:
    """Approve a review (shown on its product), reject it (hidden) or put it back to pending."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        review = service.moderate(session, principal=principal, review_id=review_id, status=status)
    console.print(f"Review of [bold]{review.product}[/] ({review.rating}/5) is now {review.status.value}")


@app.command("review-settings")
@fail_on_domain_error
def review_settings(
    workspace: WorkspaceOpt,
    enabled: Annotated[
        bool | None, typer.Option("--enabled/--disabled", help="Ask for reviews or not.")
    ] = None,
    days_after: Annotated[
        int | None, typer.Option(min=0, max=90, help="Days after delivery or pickup.")
    ] = None,
) -> None:
    """Show, or change, whether customers are asked to review what they received and when."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        current = service.review_settings(session, workspace_id=ws.id)
        if enabled is not None or days_after is not None:
            data = ReviewSettingsUpdate(
                enabled=current.enabled if enabled is None else enabled,
                days_after=current.days_after if days_after is None else days_after,
            )
            current = service.update_review_settings(session, workspace_id=ws.id, data=data)
    state = f"asked {current.days_after} days after delivery or pickup" if current.enabled else "not asked"
    console.print(f"Reviews: customers are {state}")
