"""Catalogue and locations: products with their variants (SKU unique per workspace), warehouses and stores."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.commerce.enums import LocationKind
from omnicx.commerce.errors import DuplicateLocation, DuplicateSku, ProductNotFound, VariantNotFound
from omnicx.commerce.models import Location, Product, Stock, Variant
from omnicx.commerce.money import exponent
from omnicx.commerce.schemas import (
    ImportResult,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    VariantCreate,
    VariantPublic,
    VariantUpdate,
)
from omnicx.commerce.service._common import load_location, lock_stock
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid

IMPORT_COLUMNS = ("product", "sku", "price", "currency")


def minor_units(amount: str, currency: str) -> int:
    """`"12.50"`, `"EUR"` -> 1250; refuses more decimals than the currency has."""
    places = exponent(currency)
    try:
        value = Decimal(amount.strip())
    except InvalidOperation as exc:
        raise Invalid(f"{amount!r} is not a price") from exc
    scaled = value.scaleb(places)
    if value < 0 or scaled != scaled.to_integral_value():
        raise Invalid(f"{amount!r} is not a valid {currency} price")
    return int(scaled)


def _product_public(session: Session, product: Product) -> ProductPublic:
    variants = session.scalars(select(Variant).where(Variant.product_id == product.id).order_by(Variant.sku))
    return ProductPublic(
        id=product.id,
        title=product.title,
        description=product.description,
        variants=[VariantPublic.model_validate(v) for v in variants],
        created_at=product.created_at,
    )


def _ensure_new_skus(session: Session, workspace_id: uuid.UUID, skus: list[str]) -> None:
    if len(set(skus)) != len(skus):
        raise DuplicateSku("a SKU appears twice in the request")
    taken = session.scalar(
        select(Variant.sku).where(Variant.workspace_id == workspace_id, Variant.sku.in_(skus))
    )
    if taken is not None:
        raise DuplicateSku(f"SKU {taken!r} already exists")


def create_product(session: Session, *, workspace_id: uuid.UUID, data: ProductCreate) -> ProductPublic:
    """Create a product with its variants; committed."""
    _ensure_new_skus(session, workspace_id, [v.sku for v in data.variants])
    product = Product(workspace_id=workspace_id, title=data.title, description=data.description)
    session.add(product)
    session.flush()
    for v in data.variants:
        session.add(
            Variant(
                workspace_id=workspace_id,
                product_id=product.id,
                sku=v.sku,
                title=v.title,
                price_minor=v.price_minor,
                currency=v.currency,
            )
        )
    session.commit()
    return _product_public(session, product)


def list_products(session: Session, *, workspace_id: uuid.UUID, limit: int = 200) -> list[ProductPublic]:
    products = session.scalars(
        select(Product).where(Product.workspace_id == workspace_id).order_by(Product.title).limit(limit)
    )
    return [_product_public(session, p) for p in products]


def _load_product(session: Session, workspace_id: uuid.UUID, product_id: uuid.UUID) -> Product:
    product = session.scalar(
        select(Product).where(Product.workspace_id == workspace_id, Product.id == product_id)
    )
    if product is None:
        raise ProductNotFound(f"product {product_id} not found")
    return product


def get_product(session: Session, *, workspace_id: uuid.UUID, product_id: uuid.UUID) -> ProductPublic:
    return _product_public(session, _load_product(session, workspace_id, product_id))


def update_product(
    session: Session, *, workspace_id: uuid.UUID, product_id: uuid.UUID, data: ProductUpdate
) -> ProductPublic:
    """Change a product's title or description; committed."""
    product = _load_product(session, workspace_id, product_id)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(product, field, value)
    session.flush()
    result = _product_public(session, product)
    session.commit()
    return result


def _load_variant(session: Session, workspace_id: uuid.UUID, sku: str) -> Variant:
    variant = session.scalar(select(Variant).where(Variant.workspace_id == workspace_id, Variant.sku == sku))
    if variant is None:
        raise VariantNotFound(f"unknown SKU {sku!r}")
    return variant


def get_variant(session: Session, *, workspace_id: uuid.UUID, sku: str) -> VariantPublic:
    return VariantPublic.model_validate(_load_variant(session, workspace_id, sku))


def update_variant(
    session: Session, *, workspace_id: uuid.UUID, sku: str, data: VariantUpdate
) -> VariantPublic:
    """Change a variant's title, price or currency; committed. Placed orders keep their own line prices."""
    variant = _load_variant(session, workspace_id, sku)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(variant, field, value)
    session.flush()
    result = VariantPublic.model_validate(variant)
    session.commit()
    return result


def update_location(
    session: Session, *, workspace_id: uuid.UUID, location_id: uuid.UUID, data: LocationUpdate
) -> LocationPublic:
    """Rename a location, change its kind or whether it offers pickup; committed. Only stores offer pickup."""
    location = load_location(session, workspace_id, location_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    kind = changes.get("kind", location.kind)
    pickup = changes.get("pickup", location.pickup)
    if pickup and kind is not LocationKind.STORE:
        raise Invalid("only a store can offer pickup")
    for field, value in changes.items():
        setattr(location, field, value)
    session.flush()
    result = LocationPublic.model_validate(location)
    session.commit()
    return result


def create_location(session: Session, *, workspace_id: uuid.UUID, data: LocationCreate) -> LocationPublic:
    """Create a warehouse or a store; committed."""
    exists = session.scalar(
        select(Location.id).where(Location.workspace_id == workspace_id, Location.code == data.code)
    )
    if exists is not None:
        raise DuplicateLocation(f"a location with code {data.code!r} already exists")
    location = Location(workspace_id=workspace_id, **data.model_dump())
    session.add(location)
    session.commit()
    return LocationPublic.model_validate(location)


def list_locations(session: Session, *, workspace_id: uuid.UUID) -> list[LocationPublic]:
    rows = session.scalars(
        select(Location).where(Location.workspace_id == workspace_id).order_by(Location.name)
    )
    return [LocationPublic.model_validate(r) for r in rows]


def read_product_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a product CSV: `product,sku,price,currency` and optional `variant,location,on_hand` columns."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise Invalid(f"the CSV lacks the column(s) {', '.join(missing)}")
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def import_products(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    rows: Iterable[dict[str, str]],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create products and variants from CSV rows (existing SKUs keep their product, price is updated) and set
    on-hand stock where a row names a location code; one transaction, committed at the end.
    """
    products: dict[str, Product] = {
        p.title: p for p in session.scalars(select(Product).where(Product.workspace_id == workspace_id))
    }
    locations = {
        loc.code: loc
        for loc in session.scalars(select(Location).where(Location.workspace_id == workspace_id))
    }
    created_products = variants = stock_rows = 0
    for number, row in enumerate(_numbered(rows), start=2):
        try:
            variant_data = VariantCreate(
                sku=row["sku"],
                title=row.get("variant", ""),
                price_minor=minor_units(row["price"], row["currency"].upper()),
                currency=row["currency"].upper(),
            )
        except (ValidationError, Invalid) as exc:
            raise Invalid(f"line {number}: {_first_error(exc)}") from exc
        product = products.get(row["product"])
        if product is None:
            if not row["product"]:
                raise Invalid(f"line {number}: the product title is empty")
            product = Product(workspace_id=workspace_id, title=row["product"][:300])
            session.add(product)
            session.flush()
            products[product.title] = product
            created_products += 1
        variant = session.scalar(
            select(Variant).where(Variant.workspace_id == workspace_id, Variant.sku == variant_data.sku)
        )
        if variant is None:
            variant = Variant(workspace_id=workspace_id, product_id=product.id, **variant_data.model_dump())
            session.add(variant)
            session.flush()
            variants += 1
        else:
            variant.price_minor, variant.currency = variant_data.price_minor, variant_data.currency
        if row.get("location"):
            location = locations.get(row["location"])
            if location is None:
                raise Invalid(f"line {number}: unknown location code {row['location']!r}")
            _set_on_hand(
                session, workspace_id, variant.id, location.id, _quantity(row.get("on_hand", "0"), number)
            )
            stock_rows += 1
        if progress is not None:
            progress(1)
    session.commit()
    return ImportResult(products=created_products, variants=variants, stock_rows=stock_rows)


def _numbered(rows: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    for row in rows:
        yield {**dict.fromkeys(IMPORT_COLUMNS, ""), **row}


def _quantity(raw: str, number: int) -> int:
    try:
        value = int(raw or "0")
    except ValueError as exc:
        raise Invalid(f"line {number}: on_hand {raw!r} is not a whole number") from exc
    if value < 0:
        raise Invalid(f"line {number}: on_hand cannot be negative")
    return value


def _first_error(exc: ValidationError | Invalid) -> str:
    if isinstance(exc, Invalid):
        return exc.message
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"


def _set_on_hand(
    session: Session, workspace_id: uuid.UUID, variant_id: uuid.UUID, location_id: uuid.UUID, on_hand: int
) -> Stock:
    """Create or recount a stock row, locked first (see `lock_stock`); never below what it holds."""
    stock = lock_stock(session, workspace_id, location_id, [variant_id]).get(variant_id)
    if stock is None:
        stock = Stock(
            workspace_id=workspace_id,
            variant_id=variant_id,
            location_id=location_id,
            on_hand=on_hand,
            allocated=0,
            updated_at=utcnow(),
        )
        session.add(stock)
        session.flush()
    else:
        held = stock.allocated + stock.reserved
        if on_hand < held:
            raise Invalid(f"on hand cannot drop below the {held} units already allocated or reserved")
        stock.on_hand = on_hand
        stock.updated_at = utcnow()
    return stock
