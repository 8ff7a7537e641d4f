"""Commerce fixtures: a small shop (a warehouse, two pickup stores, products with stock) in a committed world."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce import tasks as _tasks  # noqa: F401  (registers job handlers and the timeline provider)
from omnicx.commerce.enums import LocationKind
from omnicx.commerce.schemas import LocationCreate, LocationPublic, ProductCreate, StockSet, VariantCreate
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from tests.conftest import World


@dataclass
class Shop:
    workspace_id: uuid.UUID
    warehouse: LocationPublic
    store: LocationPublic
    other_store: LocationPublic


def make_shop(
    db: Session, workspace_id: uuid.UUID, stock: dict[str, tuple[int, int, int]] | None = None
) -> Shop:
    """Locations, products TEE-S/TEE-M/MUG (EUR) and stock per SKU: (warehouse, store, other store)."""
    warehouse = service.create_location(
        db,
        workspace_id=workspace_id,
        data=LocationCreate(code="wh", name="Central warehouse", kind=LocationKind.WAREHOUSE),
    )
    store = service.create_location(
        db,
        workspace_id=workspace_id,
        data=LocationCreate(code="paris", name="Paris store", kind=LocationKind.STORE, pickup=True),
    )
    other = service.create_location(
        db,
        workspace_id=workspace_id,
        data=LocationCreate(code="lyon", name="Lyon store", kind=LocationKind.STORE, pickup=True),
    )
    service.create_product(
        db,
        workspace_id=workspace_id,
        data=ProductCreate(
            title="T-shirt",
            variants=[
                VariantCreate(sku="TEE-S", title="T-shirt S", price_minor=1500, currency="EUR"),
                VariantCreate(sku="TEE-M", title="T-shirt M", price_minor=1500, currency="EUR"),
            ],
        ),
    )
    service.create_product(
        db,
        workspace_id=workspace_id,
        data=ProductCreate(
            title="Mug", variants=[VariantCreate(sku="MUG", title="Mug", price_minor=900, currency="EUR")]
        ),
    )
    levels = stock or {"TEE-S": (10, 3, 0), "TEE-M": (5, 0, 2), "MUG": (20, 4, 4)}
    for sku, per_location in levels.items():
        for location, on_hand in zip((warehouse, store, other), per_location, strict=True):
            service.set_stock(
                db,
                workspace_id=workspace_id,
                data=StockSet(sku=sku, location_id=location.id, on_hand=on_hand),
            )
    db.rollback()  # end the fixture session's read transaction (SQLite would hold its write lock)
    return Shop(workspace_id=workspace_id, warehouse=warehouse, store=store, other_store=other)


@pytest.fixture
def shop(db: Session, world: World) -> Shop:
    return make_shop(db, world.workspace.id)


def drain(runtime: Runtime) -> int:
    """Run every due job; returns how many ran."""
    worker = Worker(runtime, "commerce-test")
    count = 0
    while worker.run_once():
        count += 1
    return count
