"""A deterministic stream of Segment-shaped events for the demo retailer: visitors arriving on a realistic
channel mix, switching devices, signing up, starting checkouts and buying.

The events are written to a JSON-lines file and imported through the tracking import (the same validation,
deduplication, identity resolution and sessionisation as live traffic), so the demo exercises real paths.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SHOP = "https://maison-lumiere.example.com"
PRODUCTS = [
    ("lamp-aurora", "Aurora table lamp", 89.0),
    ("lamp-nordlys", "Nordlys floor lamp", 249.0),
    ("candle-figue", "Figue candle", 24.0),
    ("vase-sable", "Sable vase", 59.0),
    ("throw-lin", "Linen throw", 119.0),
    ("mirror-soleil", "Soleil mirror", 189.0),
]
DEVICES = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "desktop": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
}


@dataclass(frozen=True)
class Arrival:
    """How a session starts: the query string and referrer that make a channel, and how well it converts."""

    query: str
    referrer: str | None
    weight: float
    lift: float


ARRIVALS = [
    Arrival("", "https://www.google.com/", 30, 1.0),
    Arrival("", None, 18, 1.1),
    Arrival("?utm_source=google&utm_medium=cpc&utm_campaign=lamps-fr", None, 12, 1.4),
    Arrival("?utm_source=facebook&utm_medium=paid_social&utm_campaign=winter", None, 10, 0.8),
    Arrival("?utm_source=newsletter&utm_medium=email&utm_campaign=weekly", None, 10, 1.8),
    Arrival("", "https://www.instagram.com/", 10, 0.7),
    Arrival("", "https://blog.deco-idees.example.org/lampes", 6, 1.2),
    Arrival("?utm_source=brevo&utm_medium=sms&utm_campaign=flash-sale", None, 4, 1.5),
]


class _Visitor:
    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.devices = [rng.choices(list(DEVICES), weights=[55, 38, 7])[0]]
        if rng.random() < 0.25:
            self.devices.append("desktop" if self.devices[0] != "desktop" else "mobile")
        self.anonymous = [f"demo-anon-{index}-{d}" for d in self.devices]
        self.email = f"client{index}@maison-lumiere-clients.example.com"
        self.user_id = f"customer-{index}"
        self.known = False


def _message(kind: str, visitor: _Visitor, device: str, when: datetime, **body: Any) -> dict[str, Any]:
    anonymous = visitor.anonymous[visitor.devices.index(device)]
    message: dict[str, Any] = {
        "type": kind,
        "messageId": f"demo-{visitor.index}-{kind}-{int(when.timestamp() * 1000)}-{anonymous[-7:]}",
        "anonymousId": anonymous,
        "timestamp": when.isoformat(),
        "context": {"userAgent": DEVICES[device], "locale": "fr-FR", "library": {"name": "omnicx-demo"}},
        **body,
    }
    if visitor.known:
        message["userId"] = visitor.user_id
    return message


def _page(
    visitor: _Visitor, device: str, when: datetime, path: str, arrival: Arrival | None
) -> dict[str, Any]:
    query = arrival.query if arrival else ""
    page: dict[str, Any] = {"url": f"{SHOP}{path}{query}", "path": path, "title": "Maison Lumière"}
    if arrival and arrival.referrer:
        page["referrer"] = arrival.referrer
    message = _message("page", visitor, device, when, properties={"path": path})
    message["context"]["page"] = page
    return message


def _session(visitor: _Visitor, start: datetime) -> Iterator[dict[str, Any]]:
    rng = visitor.rng
    arrival = rng.choices(ARRIVALS, weights=[a.weight for a in ARRIVALS])[0]
    device = rng.choice(visitor.devices)
    when = start
    product = rng.choice(PRODUCTS)
    paths = ["/", "/collections/lampes", f"/products/{product[0]}", "/collections/maison"]
    for step in range(rng.randint(1, 5)):
        yield _page(visitor, device, when, paths[step % len(paths)], arrival if step == 0 else None)
        when += timedelta(seconds=rng.randint(8, 160))
    yield from _conversions(visitor, device, when, arrival, product)


def _conversions(
    visitor: _Visitor, device: str, when: datetime, arrival: Arrival, product: tuple[str, str, float]
) -> Iterator[dict[str, Any]]:
    rng = visitor.rng
    if not visitor.known and rng.random() < 0.18 * arrival.lift:
        visitor.known = True
        traits = {"email": visitor.email, "firstName": f"Client {visitor.index}"}
        yield _message("identify", visitor, device, when, traits=traits)
    if visitor.known and rng.random() < 0.22 * arrival.lift:
        when += timedelta(seconds=40)
        yield _message(
            "track", visitor, device, when, event="Checkout Started", properties={"value": product[2]}
        )
        if rng.random() < 0.55:
            quantity = rng.choice([1, 1, 1, 2])
            revenue = round(product[2] * quantity, 2)
            properties = {
                "order_id": f"D-{visitor.index}-{int(when.timestamp())}",
                "revenue": revenue,
                "currency": "EUR",
                "products": [{"sku": product[0], "quantity": quantity}],
            }
            yield _message(
                "track",
                visitor,
                device,
                when + timedelta(minutes=3),
                event="Order Completed",
                properties=properties,
            )


def events(*, customers: int, days: int, now: datetime, seed: int) -> Iterator[dict[str, Any]]:
    """Every visitor's sessions over the last `days`, in no particular order (the import sorts nothing out)."""
    rng = random.Random(seed)
    for index in range(customers):
        visitor = _Visitor(random.Random(rng.random()), index)
        count = visitor.rng.choices([1, 2, 3, 4, 5], weights=[35, 28, 18, 12, 7])[0]
        starts = sorted(now - timedelta(days=visitor.rng.uniform(0, days)) for _ in range(count))
        for start in starts:
            yield from _session(visitor, start)


def write_events(path: Path, *, customers: int, days: int, now: datetime, seed: int) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for message in events(customers=customers, days=days, now=now, seed=seed):
            handle.write(json.dumps(message, separators=(",", ":")) + "\n")
            count += 1
    return count
