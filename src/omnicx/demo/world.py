"""A deterministic stream of Segment-shaped events for the demo retailer: visitors arriving on a realistic
channel mix, on the web shop or the app, switching devices, signing up, starting checkouts.

The events are written to a JSON-lines file and imported through the tracking import (the same validation,
deduplication, identity resolution and sessionisation as live traffic), so the demo exercises real paths.
Purchases are not events here: the generator hands them back as `Purchase`s, and the seeding places them as
commerce orders, whose payment becomes the `Order Completed` sale that attribution credits.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from omnicx.tracking import service as tracking_service

SHOP = "https://maison-lumiere.example.com"
#: The demo shop's time zone: its customers' days follow it.
TIMEZONE = "Europe/Paris"
#: How likely a visit starts in each local hour (0-23): quiet nights, a lunch peak and the evening's.
HOUR_WEIGHTS = (
    1.0, 0.5, 0.3, 0.2, 0.2, 0.4, 1.0, 2.0, 3.5, 4.0, 4.5, 5.0,
    6.5, 6.5, 5.0, 4.5, 4.5, 5.0, 6.0, 7.5, 9.0, 9.0, 6.0, 3.0,
)  # fmt: skip
#: And on each weekday (Monday first): a quieter Saturday, browsing on Sunday evening.
WEEKDAY_WEIGHTS = (1.0, 0.95, 0.95, 1.0, 0.9, 0.75, 1.15)
APP = {"name": "Maison Lumière", "version": "3.4.1", "build": "341"}


@dataclass(frozen=True)
class Item:
    """One sellable variant of the catalogue: its SKU, product, variant title and price in cents."""

    sku: str
    product: str
    variant: str
    price_minor: int


CATALOGUE: tuple[tuple[str, str, tuple[tuple[str, str], ...], int], ...] = (
    ("lamp-aurora", "Aurora table lamp", (("brass", "Brass"), ("black", "Matt black")), 8900),
    ("lamp-nordlys", "Nordlys floor lamp", (("oak", "Oak"), ("walnut", "Walnut")), 24900),
    ("candle-figue", "Figue candle", (("s", "Small"), ("l", "Large")), 2400),
    ("candle-ambre", "Ambre candle", (("s", "Small"), ("l", "Large")), 2600),
    ("vase-sable", "Sable vase", (("sand", "Sand"), ("ink", "Ink")), 5900),
    ("throw-lin", "Linen throw", (("natural", "Natural"), ("sage", "Sage"), ("rust", "Rust")), 11900),
    ("mirror-soleil", "Soleil mirror", (("60", "60 cm"), ("90", "90 cm")), 18900),
    ("cushion-dune", "Dune cushion", (("ivory", "Ivory"), ("terracotta", "Terracotta")), 4500),
    ("pendant-lune", "Lune pendant light", (("opal", "Opal"), ("smoke", "Smoked glass")), 15900),
    ("rug-atlas", "Atlas rug", (("160", "160 × 230"), ("200", "200 × 300")), 32900),
)
ITEMS: tuple[Item, ...] = tuple(
    Item(f"{slug}-{code}", title, label, price + index * 1000)
    for slug, title, variants, price in CATALOGUE
    for index, (code, label) in enumerate(variants)
)

DEVICES = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "desktop": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "app": "MaisonLumiere/3.4.1 (iPhone; iOS 18.1)",
}
LOCALES = ("fr-FR", "en-GB", "id-ID", "ca-ES", "es-ES")


@dataclass(frozen=True)
class Arrival:
    """How a session starts: the query string and referrer that make a channel, and how well it converts."""

    query: str
    referrer: str | None
    weight: float
    lift: float


ARRIVALS = [
    Arrival("", "https://www.google.com/", 26, 1.0),  # Organic Search
    Arrival("", "https://www.bing.com/", 3, 1.0),  # Organic Search
    Arrival("", None, 16, 1.1),  # Direct
    Arrival("?utm_source=google&utm_medium=cpc&utm_campaign=lamps-fr", None, 11, 1.4),  # Paid Search
    Arrival("?utm_source=facebook&utm_medium=paid_social&utm_campaign=winter", None, 8, 0.8),  # Paid Social
    Arrival("?utm_source=newsletter&utm_medium=email&utm_campaign=weekly", None, 9, 1.8),  # Email
    Arrival("", "https://www.instagram.com/", 9, 0.7),  # Organic Social
    Arrival("", "https://blog.deco-idees.example.org/lampes", 5, 1.2),  # Referral
    Arrival("?utm_source=awin&utm_medium=affiliate&utm_campaign=deco-deals", None, 5, 1.3),  # Affiliates
    Arrival("?utm_source=criteo&utm_medium=display&utm_campaign=retargeting", None, 5, 0.6),  # Display
    Arrival("?utm_source=brevo&utm_medium=sms&utm_campaign=flash-sale", None, 3, 1.5),  # SMS
]


@dataclass(frozen=True)
class Purchase:
    """A checkout that ends in an order: placed through commerce by the seeding, at `at`."""

    visitor: int
    email: str
    user_id: str
    at: datetime
    app: bool
    sku: str
    quantity: int
    pickup: bool


@dataclass
class Person:
    """A known customer of the demo (signed in at least once): who later writes, calls or visits a store."""

    index: int
    email: str
    user_id: str
    anonymous_id: str
    name: str
    locale: str
    first_known: datetime
    phone: str = ""  # the mobile number they text the shop from (E.164)


def demo_phone(index: int) -> str:
    """A demo customer's mobile number: one per customer, never sent to (the demo's SMS provider is local)."""
    return f"+33600{index % 1_000_000:06d}"


@dataclass
class Generated:
    events: int = 0
    purchases: list[Purchase] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


FIRST_NAMES = (
    "Camille",
    "Louis",
    "Chloé",
    "Hugo",
    "Emma",
    "Putri",
    "Agus",
    "Dewi",
    "Marc",
    "Laia",
    "Pau",
    "Oriol",
)
LAST_NAMES = (
    "Bernard",
    "Dubois",
    "Moreau",
    "Lefèvre",
    "Santoso",
    "Wijaya",
    "Hartono",
    "Puig",
    "Soler",
    "Ferrer",
)


class _Visitor:
    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.devices = [rng.choices(list(DEVICES), weights=[44, 30, 6, 20])[0]]
        if rng.random() < 0.3:  # switches devices: a phone at lunch, the laptop in the evening
            self.devices.append("desktop" if self.devices[0] != "desktop" else rng.choice(["mobile", "app"]))
        self.anonymous = [f"demo-anon-{index}-{d}" for d in self.devices]
        self.email = f"client{index}@maison-lumiere-clients.example.com"
        self.user_id = f"customer-{index}"
        self.locale = rng.choices(LOCALES, weights=[55, 20, 10, 10, 5])[0]
        self.name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        self.known = False
        self.visits = 1
        self.bought = False
        # Its own stream for what comes after a purchase, so the rest of the world stays as the seed made it.
        self.aside = random.Random(index)


def _message(kind: str, visitor: _Visitor, device: str, when: datetime, **body: Any) -> dict[str, Any]:
    anonymous = visitor.anonymous[visitor.devices.index(device)]
    context: dict[str, Any] = {
        "userAgent": DEVICES[device],
        "locale": visitor.locale,
        "library": {"name": "omnicx-demo"},
    }
    if device == "app":
        context["app"] = APP
        context["device"] = {"type": "ios", "model": "iPhone16,1"}
        context["os"] = {"name": "iOS", "version": "18.1"}
    message: dict[str, Any] = {
        "type": kind,
        "messageId": f"demo-{visitor.index}-{kind}-{int(when.timestamp() * 1000)}-{anonymous[-7:]}",
        "anonymousId": anonymous,
        "timestamp": when.isoformat(),
        "context": context,
        **body,
    }
    if visitor.known:
        message["userId"] = visitor.user_id
    return message


def _view(
    visitor: _Visitor, device: str, when: datetime, path: str, arrival: Arrival | None
) -> dict[str, Any]:
    query = arrival.query if arrival else ""
    if device == "app":
        message = _message("screen", visitor, device, when, name=path, properties={"path": path})
        if arrival and arrival.query:  # a campaign deep link opened the app
            message["context"]["campaign"] = tracking_service.campaign_from_url(f"{SHOP}/{arrival.query}")
        return message
    page: dict[str, Any] = {"url": f"{SHOP}{path}{query}", "path": path, "title": "Maison Lumière"}
    if arrival and arrival.referrer:
        page["referrer"] = arrival.referrer
    message = _message("page", visitor, device, when, properties={"path": path})
    message["context"]["page"] = page
    return message


class _Generator:
    def __init__(self, *, customers: int, days: int, now: datetime, seed: int) -> None:
        self.customers = customers
        self.days = days
        self.now = now
        self.seed = seed
        self.result = Generated()

    def events(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.seed)
        for index in range(self.customers):
            visitor = _Visitor(random.Random(rng.random()), index)
            count = visitor.rng.choices([1, 2, 3, 4, 5, 6], weights=[24, 24, 18, 14, 11, 9])[0]
            visitor.visits = count
            starts = sorted(
                self._likely(
                    visitor.index, k, self.now - timedelta(days=visitor.rng.uniform(0.02, self.days))
                )
                for k in range(count)
            )
            for start in starts:
                yield from self._session(visitor, start)

    def _likely(self, index: int, visit: int, drawn: datetime) -> datetime:
        """A visit's start moved to a likely day and local hour (`WEEKDAY_WEIGHTS`, `HOUR_WEIGHTS`), from a
        stream of its own so the rest of the world stays as the seed made it; never in the last half hour."""
        rng = random.Random(f"{self.seed}-{index}-{visit}")
        zone = ZoneInfo(TIMEZONE)
        day = drawn.astimezone(zone).date()
        while rng.random() > WEEKDAY_WEIGHTS[day.weekday()] / max(WEEKDAY_WEIGHTS):
            day = (self.now - timedelta(days=rng.uniform(0.02, self.days))).astimezone(zone).date()
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone
        )
        start = local.astimezone(drawn.tzinfo)
        while start > self.now - timedelta(minutes=30):
            start -= timedelta(days=1)
        return start

    def _session(self, visitor: _Visitor, start: datetime) -> Iterator[dict[str, Any]]:
        rng = visitor.rng
        arrival = rng.choices(ARRIVALS, weights=[a.weight for a in ARRIVALS])[0]
        device = rng.choice(visitor.devices)
        when = start
        item = rng.choice(ITEMS)
        paths = ["/", "/collections/lampes", f"/products/{item.sku}", "/collections/maison", "/cart"]
        # Visits land on the home page, a collection or a product (campaigns and search results link deep).
        landing = rng.choices(range(4), weights=[40, 25, 25, 10])[0]
        for step in range(rng.randint(1, 5)):
            path = paths[(landing + step) % len(paths)]
            yield _view(visitor, device, when, path, arrival if step == 0 else None)
            when += timedelta(seconds=rng.randint(8, 160))
        if visitor.bought and visitor.aside.random() < 0.4:
            # After a purchase, some come back looking for their delivery: the help pages, more than once.
            for path in ("/help/delivery", "/help/returns", "/help/delivery")[: visitor.aside.randint(2, 3)]:
                yield _view(visitor, device, when, path, None)
                when += timedelta(seconds=visitor.aside.randint(15, 90))
        yield from self._conversions(visitor, device, when, arrival, item)

    def _conversions(
        self, visitor: _Visitor, device: str, when: datetime, arrival: Arrival, item: Item
    ) -> Iterator[dict[str, Any]]:
        rng = visitor.rng
        if not visitor.known and rng.random() < 0.2 * arrival.lift:
            visitor.known = True
            traits = {
                "email": visitor.email,
                "phone": demo_phone(visitor.index),
                "firstName": visitor.name.split()[0],
                "name": visitor.name,
            }
            yield _message("identify", visitor, device, when, traits=traits)
            event = rng.choice(["Signed Up", "Newsletter Subscribed"])
            yield _message("track", visitor, device, when + timedelta(seconds=2), event=event, properties={})
            anonymous = visitor.anonymous[visitor.devices.index(device)]
            self.result.people.append(
                Person(
                    visitor.index,
                    visitor.email,
                    visitor.user_id,
                    anonymous,
                    visitor.name,
                    visitor.locale,
                    when,
                    demo_phone(visitor.index),
                )
            )
        if visitor.known and rng.random() < 0.25 * arrival.lift:
            when += timedelta(seconds=40)
            properties = {"value": item.price_minor / 100, "currency": "EUR", "products": [{"sku": item.sku}]}
            yield _message("track", visitor, device, when, event="Checkout Started", properties=properties)
            if rng.random() < 0.55:
                visitor.bought = True
                self.result.purchases.append(
                    Purchase(
                        visitor=visitor.index,
                        email=visitor.email,
                        user_id=visitor.user_id,
                        at=when + timedelta(minutes=3),
                        app=device == "app",
                        sku=item.sku,
                        # Customers who come back often (on more channels) buy more at a time.
                        quantity=rng.choice([1, 1, 1, 2] if visitor.visits < 3 else [1, 2, 2, 3]),
                        pickup=rng.random() < 0.3,
                    )
                )


def write_events(path: Path, *, customers: int, days: int, now: datetime, seed: int) -> Generated:
    """Write every visitor's events to `path`; returns their count, the purchases and the known customers."""
    generator = _Generator(customers=customers, days=days, now=now, seed=seed)
    with path.open("w", encoding="utf-8") as handle:
        for message in generator.events():
            handle.write(json.dumps(message, separators=(",", ":")) + "\n")
            generator.result.events += 1
    return generator.result
