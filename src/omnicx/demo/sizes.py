"""How big the demo world is: customers, days of history, orders, conversations and offline touches."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SizeName(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass(frozen=True)
class Size:
    """Visitors generated (about ten events each), days of history, and the caps on the slower service-driven
    parts (orders, conversations, store visits and calls), so seeding time stays predictable."""

    customers: int
    days: int
    orders: int
    conversations: int
    offline_touches: int


SIZES: dict[str, Size] = {
    SizeName.SMALL: Size(customers=2_000, days=90, orders=90, conversations=48, offline_touches=80),
    SizeName.MEDIUM: Size(customers=20_000, days=90, orders=600, conversations=240, offline_touches=600),
    SizeName.LARGE: Size(
        customers=100_000, days=90, orders=3_000, conversations=1_000, offline_touches=3_000
    ),
}
