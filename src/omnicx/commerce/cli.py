"""CLI of the commerce domain: `omnicx commerce import-products`, `location-add`, `stock`, `sweep`,
`shopify-secret`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from omnicx.auth import service as auth_service
from omnicx.cli_support import fail_on_domain_error, open_runtime
from omnicx.commerce import service
from omnicx.commerce.enums import LocationKind
from omnicx.commerce.schemas import LocationCreate

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
