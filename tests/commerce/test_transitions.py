"""The order status machine, table-driven: every (from, to, fulfilment) is allowed exactly when listed."""

from __future__ import annotations

import itertools

import pytest

from omnicx.commerce import transitions
from omnicx.commerce.enums import Fulfilment, OrderStatus
from omnicx.commerce.errors import TransitionNotAllowed

S = OrderStatus
SHIP, PICKUP = Fulfilment.SHIP, Fulfilment.PICKUP

EXPECTED_ALLOWED = {
    (S.PLACED, S.PAID, SHIP), (S.PLACED, S.PAID, PICKUP),
    (S.PLACED, S.ALLOCATED, SHIP), (S.PLACED, S.ALLOCATED, PICKUP),
    (S.PLACED, S.CANCELLED, SHIP), (S.PLACED, S.CANCELLED, PICKUP),
    (S.PAID, S.ALLOCATED, SHIP), (S.PAID, S.ALLOCATED, PICKUP),
    (S.PAID, S.CANCELLED, SHIP), (S.PAID, S.CANCELLED, PICKUP),
    (S.ALLOCATED, S.SHIPPED, SHIP),
    (S.ALLOCATED, S.READY_FOR_PICKUP, PICKUP),
    (S.ALLOCATED, S.CANCELLED, SHIP), (S.ALLOCATED, S.CANCELLED, PICKUP),
    (S.READY_FOR_PICKUP, S.PICKED_UP, PICKUP),
    (S.READY_FOR_PICKUP, S.CANCELLED, PICKUP),
    (S.PICKED_UP, S.RETURNED, PICKUP),
    (S.SHIPPED, S.DELIVERED, SHIP),
    (S.SHIPPED, S.RETURNED, SHIP),
    (S.DELIVERED, S.RETURNED, SHIP),
}  # fmt: skip

ALL = list(itertools.product(OrderStatus, OrderStatus, Fulfilment))


@pytest.mark.parametrize(("current", "target", "fulfilment"), ALL, ids=lambda v: str(v.value))
def test_transition_table(current: OrderStatus, target: OrderStatus, fulfilment: Fulfilment) -> None:
    expected = (current, target, fulfilment) in EXPECTED_ALLOWED
    assert transitions.allowed(current, target, fulfilment) is expected
    if expected:
        transitions.check(current, target, fulfilment)
    else:
        with pytest.raises(TransitionNotAllowed) as raised:
            transitions.check(current, target, fulfilment)
        assert raised.value.code == "transition_not_allowed"


@pytest.mark.parametrize(
    ("current", "fulfilment", "offered"),
    [
        (S.PLACED, PICKUP, [S.PAID, S.ALLOCATED, S.CANCELLED]),
        (S.ALLOCATED, PICKUP, [S.READY_FOR_PICKUP, S.CANCELLED]),
        (S.ALLOCATED, SHIP, [S.SHIPPED, S.CANCELLED]),
        (S.DELIVERED, SHIP, [S.RETURNED]),
        (S.CANCELLED, SHIP, []),
    ],
)
def test_next_statuses_follow_the_lifecycle(
    current: OrderStatus, fulfilment: Fulfilment, offered: list[OrderStatus]
) -> None:
    assert transitions.next_statuses(current, fulfilment) == offered


def test_terminal_statuses_go_nowhere() -> None:
    for fulfilment in Fulfilment:
        assert transitions.next_statuses(S.CANCELLED, fulfilment) == []
        assert transitions.next_statuses(S.RETURNED, fulfilment) == []
