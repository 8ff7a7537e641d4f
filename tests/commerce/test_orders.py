"""Orders: allocation on placement, the status timeline with stock following it, click-and-collect."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, NoticeKind, OrderStatus, SalesChannel
from omnicx.commerce.errors import OutOfStock, PickupCodeInvalid, TransitionNotAllowed
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate, OrderPublic, ReservationCreate
from omnicx.customers import service as customers_service
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, drain

S = OrderStatus


def _stock(db: Session, shop: Shop, sku: str, location_id: object) -> tuple[int, int, int]:
    rows = service.list_stock(db, workspace_id=shop.workspace_id, sku=sku)
    db.rollback()
    row = next(r for r in rows if r.location_id == location_id)
    return row.on_hand, row.allocated, row.available


def place(db: Session, shop: Shop, **changes: object) -> OrderPublic:
    data = OrderCreate(
        lines=[LineRequest(sku="TEE-S", quantity=2), LineRequest(sku="MUG", quantity=1)],
        channel=SalesChannel.WEB,
        fulfilment=Fulfilment.PICKUP,
        location_id=shop.store.id,
        customer=CustomerRef(email="ada@example.com"),
    ).model_copy(update=changes)
    return service.place_order(db, workspace_id=shop.workspace_id, data=data, actor="test")


def move(
    db: Session, shop: Shop, order: OrderPublic, *statuses: OrderStatus, code: str | None = None
) -> OrderPublic:
    for status in statuses:
        order = service.change_status(
            db,
            workspace_id=shop.workspace_id,
            order_id=order.id,
            status=status,
            actor="staff@acme",
            pickup_code=code,
        )
    return order


def test_placing_an_order_allocates_its_stock_and_resolves_the_customer(db: Session, shop: Shop) -> None:
    order = place(db, shop)
    assert order.status is S.PLACED and order.total_minor == 2 * 1500 + 900 and order.currency == "EUR"
    assert [e.status for e in order.events] == [S.PLACED]
    assert _stock(db, shop, "TEE-S", shop.store.id) == (3, 2, 1)
    customer = identity_service.customer_for(
        db,
        workspace_id=shop.workspace_id,
        identifier=Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com"),
    )
    assert customer == order.customer_id
    assert len(order.token) >= 40  # 256 bits, url-safe


def test_an_order_that_does_not_fit_allocates_nothing(db: Session, shop: Shop) -> None:
    with pytest.raises(OutOfStock) as raised:
        place(db, shop, lines=[LineRequest(sku="MUG", quantity=1), LineRequest(sku="TEE-S", quantity=9)])
    db.rollback()
    assert "TEE-S" in raised.value.message and "Paris store" in raised.value.message
    assert _stock(db, shop, "MUG", shop.store.id) == (4, 0, 4)
    assert service.list_orders(db, workspace_id=shop.workspace_id) == []


def test_without_a_location_the_order_goes_to_a_place_that_has_everything(db: Session, shop: Shop) -> None:
    pickup = place(db, shop, location_id=None, lines=[LineRequest(sku="TEE-M", quantity=2)])
    assert pickup.location_id == shop.other_store.id
    ship = place(
        db, shop, location_id=None, fulfilment=Fulfilment.SHIP, lines=[LineRequest(sku="TEE-M", quantity=1)]
    )
    assert ship.location_id == shop.warehouse.id


def test_a_checkout_reservation_becomes_the_allocation(db: Session, shop: Shop) -> None:
    held = service.reserve(
        db,
        workspace_id=shop.workspace_id,
        data=ReservationCreate(location_id=shop.store.id, lines=[LineRequest(sku="TEE-S", quantity=3)]),
    )
    assert _stock(db, shop, "TEE-S", shop.store.id) == (3, 0, 0)
    place(db, shop, lines=[LineRequest(sku="TEE-S", quantity=3)], reservation_id=held.id)
    assert _stock(db, shop, "TEE-S", shop.store.id) == (3, 3, 0)


def test_cancel_releases_the_allocation(db: Session, shop: Shop) -> None:
    order = move(db, shop, place(db, shop), S.PAID, S.ALLOCATED, S.CANCELLED)
    assert _stock(db, shop, "TEE-S", shop.store.id) == (3, 0, 3)
    assert [line.stock_state.value for line in order.lines] == ["released", "released"]


def test_shipping_takes_stock_off_the_shelf_and_a_return_restocks(db: Session, shop: Shop) -> None:
    order = place(db, shop, fulfilment=Fulfilment.SHIP, location_id=shop.warehouse.id)
    move(db, shop, order, S.PAID, S.ALLOCATED, S.SHIPPED)
    assert _stock(db, shop, "TEE-S", shop.warehouse.id) == (8, 0, 8)
    order = move(db, shop, order, S.DELIVERED, S.RETURNED)
    assert _stock(db, shop, "TEE-S", shop.warehouse.id) == (10, 0, 10)
    assert [e.status for e in order.events] == [
        S.PLACED,
        S.PAID,
        S.ALLOCATED,
        S.SHIPPED,
        S.DELIVERED,
        S.RETURNED,
    ]
    assert all(e.actor for e in order.events)


def test_a_disallowed_change_is_refused_and_changes_nothing(db: Session, shop: Shop) -> None:
    order = move(db, shop, place(db, shop, fulfilment=Fulfilment.SHIP, location_id=shop.warehouse.id),
                 S.PAID, S.ALLOCATED, S.SHIPPED, S.DELIVERED)  # fmt: skip
    before = _stock(db, shop, "TEE-S", shop.warehouse.id)
    with pytest.raises(TransitionNotAllowed) as raised:
        move(db, shop, order, S.PAID)
    db.rollback()
    assert raised.value.code == "transition_not_allowed" and "delivered" in raised.value.message
    after = service.get_order(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    assert after.status is S.DELIVERED and after.events == order.events
    assert _stock(db, shop, "TEE-S", shop.warehouse.id) == before


def test_click_and_collect_with_pickup_code_and_one_notice(runtime: Runtime, db: Session, shop: Shop) -> None:
    order = move(db, shop, place(db, shop), S.PAID, S.ALLOCATED)
    board = service.pickup_board(db, workspace_id=shop.workspace_id, location_id=shop.store.id)
    assert [o.id for o in board] == [order.id]
    move(db, shop, order, S.READY_FOR_PICKUP)
    assert drain(runtime) >= 1  # the notice (and the analytics copy's sync)
    assert drain(runtime) == 0
    assert service.list_notifications(db, workspace_id=shop.workspace_id, order_id=order.id) == [
        NoticeKind.READY_FOR_PICKUP
    ]
    with pytest.raises(PickupCodeInvalid):
        move(db, shop, order, S.PICKED_UP, code="WRONG1")
    db.rollback()
    code = service.pickup_code(db, workspace_id=shop.workspace_id, order_id=order.id)
    assert len(code) == 6
    done = move(db, shop, order, S.PICKED_UP, code=code.lower())
    assert done.status is S.PICKED_UP
    assert _stock(db, shop, "TEE-S", shop.store.id) == (1, 0, 1)
    assert service.pickup_board(db, workspace_id=shop.workspace_id, location_id=shop.store.id) == []
    db.rollback()


def test_orders_appear_on_the_customer_timeline(db: Session, shop: Shop) -> None:
    order = move(db, shop, place(db, shop), S.PAID)
    assert order.customer_id is not None
    items = customers_service.timeline(db, workspace_id=shop.workspace_id, customer_id=order.customer_id)
    db.rollback()
    mine = [i for i in items if i.source == "commerce"]
    assert [i.title for i in mine] == ["Order: Paid", "Order: Placed"]
    assert {i.channel_label for i in mine} == {"Web"}
    assert mine[0].url == f"/commerce/orders/{order.id}"


def test_store_sales_count_as_a_store_touchpoint(db: Session, shop: Shop) -> None:
    from omnicx.tracking import service as tracking_service

    order = place(db, shop, channel=SalesChannel.STORE)
    assert order.customer_id is not None
    touches = tracking_service.list_touchpoints(
        db, workspace_id=shop.workspace_id, customer_ids=[order.customer_id]
    )
    db.rollback()
    assert [(t.channel, t.kind) for t in touches] == [("Store", "purchase")]


def test_a_paid_order_is_a_sale_that_attribution_counts(runtime: Runtime, db: Session, shop: Shop) -> None:
    from datetime import timedelta

    from omnicx.attribution import service as attribution_service
    from omnicx.attribution.schemas import ReportQuery, StageKey
    from omnicx.kernel.db import utcnow

    order = place(db, shop)
    move(db, shop, order, S.PAID)
    drain(runtime)  # the sale reaches the analytics copy attribution reads
    today = utcnow().date()
    query = ReportQuery(date_from=today - timedelta(days=1), date_to=today + timedelta(days=1), model="last")
    report = attribution_service.report(db, workspace_id=shop.workspace_id, query=query)
    totals = report.totals[StageKey.SALE]
    assert totals.conversions == 1
    assert totals.value == pytest.approx((2 * 1500 + 900) / 100)
    # Whatever touchpoints precede it, the one sale is credited in full.
    assert sum(row.stages[StageKey.SALE].last for row in report.channels) == pytest.approx(1)
