"""The order status machine: which status may follow which, as plain data (no database, no I/O).

Shipping orders go placed → paid → allocated → shipped → delivered; click-and-collect orders go placed → paid →
allocated → ready_for_pickup → picked_up. Paying at the store (placed → allocated) is allowed. An order can be
cancelled until it leaves (shipped or picked up) and returned after it reached the customer.
"""

from __future__ import annotations

from omnicx.commerce.enums import Fulfilment, OrderStatus
from omnicx.commerce.errors import TransitionNotAllowed

S = OrderStatus

ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PLACED: frozenset({S.PAID, S.ALLOCATED, S.CANCELLED}),
    S.PAID: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.READY_FOR_PICKUP, S.SHIPPED, S.CANCELLED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.CANCELLED}),
    S.PICKED_UP: frozenset({S.RETURNED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.DELIVERED: frozenset({S.RETURNED}),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
}

# Statuses that only make sense for one way of fulfilling an order.
ONLY_FOR: dict[OrderStatus, Fulfilment] = {
    S.READY_FOR_PICKUP: Fulfilment.PICKUP,
    S.PICKED_UP: Fulfilment.PICKUP,
    S.SHIPPED: Fulfilment.SHIP,
    S.DELIVERED: Fulfilment.SHIP,
}


def allowed(current: OrderStatus, target: OrderStatus, fulfilment: Fulfilment) -> bool:
    """Whether an order of `fulfilment` in status `current` may move to `target`."""
    if target not in ALLOWED[current]:
        return False
    return all(ONLY_FOR.get(status, fulfilment) is fulfilment for status in (current, target))


def next_statuses(current: OrderStatus, fulfilment: Fulfilment) -> list[OrderStatus]:
    """The statuses an order may move to next, in lifecycle order (what the order page offers)."""
    return [s for s in OrderStatus if allowed(current, s, fulfilment)]


def check(current: OrderStatus, target: OrderStatus, fulfilment: Fulfilment) -> None:
    """Raise `TransitionNotAllowed` unless `allowed(...)`."""
    if not allowed(current, target, fulfilment):
        raise TransitionNotAllowed(
            f"an order that is {current.value} cannot become {target.value} ({fulfilment.value} order)"
        )
