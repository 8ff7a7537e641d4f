"""Stock: reservations all-or-nothing, never oversold under concurrency, expiry frees stock at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.enums import CommerceTopic
from omnicx.commerce.errors import OutOfStock
from omnicx.commerce.schemas import LineRequest, ReservationCreate, StockSet
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, make_shop
from tests.conftest import World


def _available(db: Session, shop: Shop, sku: str, location_id: object) -> int:
    rows = service.list_stock(db, workspace_id=shop.workspace_id, sku=sku)
    db.rollback()
    return next(r.available for r in rows if r.location_id == location_id)


@pytest.mark.parametrize("through", ["own transaction", "write queue"])
def test_hundred_concurrent_buyers_share_ten_units(
    runtime: Runtime, db: Session, world: World, through: str
) -> None:
    """Each buyer in a transaction of its own (checkout, click-and-collect), or through the group-commit queue
    as `POST /reservations` reserves: exactly ten sold either way."""
    shop = make_shop(
        db, world.workspace.id, stock={"TEE-S": (0, 10, 0), "TEE-M": (0, 0, 0), "MUG": (0, 0, 0)}
    )
    request = ReservationCreate(
        location_id=shop.store.id, lines=[LineRequest(sku="TEE-S", quantity=1)], ttl_seconds=600
    )
    start = threading.Barrier(100)
    results: list[str] = []
    lock = threading.Lock()

    def reserve() -> None:
        if through == "write queue":
            service.queue_reservation(runtime.writes, workspace_id=shop.workspace_id, data=request).result(60)
            return
        with runtime.sessions() as session:
            service.reserve(session, workspace_id=shop.workspace_id, data=request)

    def buyer() -> None:
        start.wait()
        try:
            reserve()
            outcome = "ok"
        except OutOfStock as error:
            outcome = f"out_of_stock:{error.sku}@{error.location}"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=buyer) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results.count("ok") == 10
    assert results.count("out_of_stock:TEE-S@Paris store") == 90
    row = next(
        r
        for r in service.list_stock(db, workspace_id=shop.workspace_id, sku="TEE-S")
        if r.location_id == shop.store.id
    )
    db.rollback()
    assert (row.on_hand, row.reserved, row.available) == (10, 10, 0)


def test_reservation_is_all_or_nothing_and_names_sku_and_location(db: Session, shop: Shop) -> None:
    request = ReservationCreate(
        location_id=shop.store.id,
        lines=[LineRequest(sku="MUG", quantity=2), LineRequest(sku="TEE-S", quantity=4)],
    )
    with pytest.raises(OutOfStock) as raised:
        service.reserve(db, workspace_id=shop.workspace_id, data=request)
    db.rollback()
    assert raised.value.code == "out_of_stock" and raised.value.status == 409
    assert "TEE-S" in raised.value.message and "Paris store" in raised.value.message
    assert _available(db, shop, "MUG", shop.store.id) == 4  # the mugs were not held either


def test_expired_reservation_frees_stock_at_once_and_is_swept(db: Session, shop: Shop) -> None:
    past = utcnow() - timedelta(minutes=30)
    request = ReservationCreate(
        location_id=shop.store.id, lines=[LineRequest(sku="TEE-S", quantity=3)], ttl_seconds=60
    )
    service.reserve(db, workspace_id=shop.workspace_id, data=request, now=past)
    assert _available(db, shop, "TEE-S", shop.store.id) == 3  # expired 29 minutes ago: counts for nothing
    live = service.reserve(
        db, workspace_id=shop.workspace_id, data=request.model_copy(update={"ttl_seconds": 600})
    )
    assert _available(db, shop, "TEE-S", shop.store.id) == 0
    assert service.sweep_expired(db, workspace_id=shop.workspace_id) == 1
    db.commit()
    service.release_reservation(db, workspace_id=shop.workspace_id, reservation_id=live.id)
    assert _available(db, shop, "TEE-S", shop.store.id) == 3


def test_on_hand_cannot_drop_below_what_is_held(db: Session, shop: Shop) -> None:
    request = ReservationCreate(location_id=shop.store.id, lines=[LineRequest(sku="MUG", quantity=3)])
    service.reserve(db, workspace_id=shop.workspace_id, data=request)
    with pytest.raises(Invalid):
        service.set_stock(
            db, workspace_id=shop.workspace_id, data=StockSet(sku="MUG", location_id=shop.store.id, on_hand=2)
        )
    db.rollback()
    assert _available(db, shop, "MUG", shop.store.id) == 1


def test_availability_lists_every_location_and_pickup_stores(db: Session, shop: Shop) -> None:
    result = service.availability(db, workspace_id=shop.workspace_id, sku="TEE-M")
    assert result.total_available == 7
    assert {r.location_code: r.available for r in result.locations} == {"wh": 5, "paris": 0, "lyon": 2}
    stores = service.stores_with_stock(
        db, workspace_id=shop.workspace_id, lines=[LineRequest(sku="TEE-M", quantity=1)]
    )
    assert stores == [shop.other_store.id]
    db.rollback()


def test_stock_changes_are_published_after_commit(
    runtime: Runtime, db: Session, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[RealtimeEvent] = []
    monkeypatch.setattr(runtime.bus, "publish", published.append)
    request = ReservationCreate(location_id=shop.store.id, lines=[LineRequest(sku="MUG", quantity=1)])
    service.reserve(db, workspace_id=shop.workspace_id, data=request)
    (event,) = [e for e in published if e.topic == CommerceTopic.STOCK]
    assert event.data["sku"] == "MUG" and event.data["available"] == 3
    assert event.data["location"] == "Paris store" and event.action == "commerce.read"
