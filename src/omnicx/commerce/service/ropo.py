"""Research online, purchase offline (ROPO): how much of what the stores sell was researched on the website or
the app first, which online channels get the credit, and the reverse (store visits before online purchases).

Computed in the analytics engine from its copy of `orders`, `order_lines` and `touchpoints`, each row under its
current customer (merges applied). A store purchase is researched online when the same customer had a website
or app visit (a session touchpoint) within the lookback before it; the visits before each purchase form a path,
oldest first, and the attribution models credit the purchase (and its value in the report's currency) to the
channels of that path. The reverse counts online orders (website, app) preceded by a store visit. Sales follow
the sales report: orders placed in the range (the workspace's days), cancelled and returned ones aside.
"""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.attribution import service as attribution_service
from omnicx.attribution.schemas import Model
from omnicx.auth import service as auth_service
from omnicx.commerce.enums import SalesChannel
from omnicx.commerce.errors import InvalidReportRange
from omnicx.commerce.money import to_decimal as major_units
from omnicx.commerce.schemas import RopoChannel, RopoDirection, RopoGroup, RopoReport
from omnicx.commerce.service.catalogue import list_locations
from omnicx.commerce.service.sales import MAX_REPORT_DAYS, NOT_SALES, sku_titles
from omnicx.kernel.dates import report_bounds

#: The models a store purchase's online path is credited by (every path converts: no Markov or Shapley, which
#: need journeys that did not).
MODELS = (Model.FIRST, Model.LAST, Model.LINEAR, Model.POSITION, Model.TIME_DECAY)
ONLINE_KIND = "session"  # a visit of the website or the app (tracking's session touchpoints)
STORE_TOUCH = "Store"  # the channel of store visits and store sales (commerce and offline touchpoints)
STORE_CHANNELS = [SalesChannel.STORE.value]
ONLINE_CHANNELS = [SalesChannel.WEB.value, SalesChannel.APP.value]
DAY = 86_400.0

#: Each purchase of the range in `$channels`, with every touch before it within the lookback that `$touch`
#: selects (none: one row with NULL touch columns), oldest touch first.
PURCHASES = """
WITH bought AS (
    SELECT id, person_id, created_at, total_minor, currency, CAST(location_id AS VARCHAR) AS location
    FROM orders
    WHERE created_at >= $since AND created_at < $until
      AND list_contains($channels, channel) AND NOT list_contains($not_sales, status)
),
touch AS (
    SELECT person_id, touched_at, channel, id FROM touchpoints
    WHERE touched_at >= $since - $lookback AND touched_at < $until
      AND (($online AND kind = 'session') OR (NOT $online AND channel = $store AND kind <> 'purchase'))
)
SELECT b.id, b.created_at, b.total_minor, b.currency, b.location, t.channel, t.touched_at
FROM bought b
LEFT JOIN touch t ON t.person_id = b.person_id
    AND t.touched_at < b.created_at AND t.touched_at >= b.created_at - $lookback
ORDER BY b.created_at, b.id, t.touched_at, t.id
"""

#: The SKUs of each store purchase of the range.
LINES = """
SELECT DISTINCT l.order_id, l.sku
FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE o.created_at >= $since AND o.created_at < $until
  AND list_contains($channels, o.channel) AND NOT list_contains($not_sales, o.status)
"""


@dataclass
class _Purchase:
    id: str
    at: datetime
    total_minor: int
    currency: str
    location: str | None
    touches: list[tuple[str, datetime]] = field(default_factory=list)


def _purchases(
    session: Session, workspace_id: uuid.UUID, params: dict[str, Any], online: bool
) -> list[_Purchase]:
    channels = STORE_CHANNELS if online else ONLINE_CHANNELS
    rows = analytics_service.query(
        session,
        workspace_id=workspace_id,
        sql=PURCHASES,
        params={**params, "channels": channels, "online": online, "store": STORE_TOUCH},
    )
    found: dict[str, _Purchase] = {}
    for order_id, at, total, currency, location, channel, touched_at in rows:
        purchase = found.get(str(order_id))
        if purchase is None:  # one row per touch: the purchase is built from its first
            purchase = found[str(order_id)] = _Purchase(
                str(order_id), at, int(total or 0), str(currency), location
            )
        if channel is not None:
            purchase.touches.append((str(channel), touched_at))
    return list(found.values())


def ropo_report(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date, lookback_days: int = 30
) -> RopoReport:
    """The ROPO report of the store purchases placed from `start` to `end` (inclusive, the workspace's days),
    with online visits counted up to `lookback_days` before each purchase."""
    timezone = auth_service.get_workspace(session, workspace_id=workspace_id).timezone
    since, until = report_bounds(start, end, timezone, max_days=MAX_REPORT_DAYS, refuse=InvalidReportRange)
    params = {
        "since": since,
        "until": until,
        "lookback": timedelta(days=lookback_days),
        "not_sales": [s.value for s in NOT_SALES],
    }
    store = _purchases(session, workspace_id, params, online=True)
    currency = _main_currency(store)
    lines = analytics_service.query(
        session,
        workspace_id=workspace_id,
        sql=LINES,
        params={key: params[key] for key in ("since", "until", "not_sales")} | {"channels": STORE_CHANNELS},
    )
    names = {str(loc.id): loc.name for loc in list_locations(session, workspace_id=workspace_id)}
    return RopoReport(
        start=start,
        end=end,
        lookback_days=lookback_days,
        currency=currency,
        models=list(MODELS),
        store=_direction(store, currency),
        channels=_channels(store, currency),
        by_store=_groups(store, {p.id: [p.location or ""] for p in store}, names),
        by_product=_by_product(session, workspace_id, store, lines),
        online=_direction(_purchases(session, workspace_id, params, online=False), currency),
    )


def _main_currency(purchases: list[_Purchase]) -> str | None:
    counts = Counter(p.currency for p in purchases)
    return min(counts, key=lambda c: (-counts[c], c)) if counts else None


def _value(purchase: _Purchase, currency: str | None) -> float:
    """The purchase's value in the report's currency (purchases in another currency count, worth nothing)."""
    if currency is None or purchase.currency != currency:
        return 0.0
    return float(major_units(purchase.total_minor, currency))


def _direction(purchases: list[_Purchase], currency: str | None) -> RopoDirection:
    researched = [p for p in purchases if p.touches]
    gaps = [(p.at - p.touches[-1][1]).total_seconds() / DAY for p in researched]
    return RopoDirection(
        purchases=len(purchases),
        researched=len(researched),
        share=len(researched) / len(purchases) if purchases else None,
        revenue=sum(_value(p, currency) for p in purchases),
        researched_revenue=sum(_value(p, currency) for p in researched),
        median_days=round(statistics.median(gaps), 2) if gaps else None,
    )


def _channels(purchases: list[_Purchase], currency: str | None) -> list[RopoChannel]:
    """Per online channel: the researched purchases it touched, and its credit under each model."""
    researched = [p for p in purchases if p.touches]
    if not researched:
        return []
    paths = attribution_service.PathSet.from_paths(
        attribution_service.Path(
            channels=tuple(channel for channel, _ in p.touches),
            conversions=1.0,
            value=_value(p, currency),
            touch_times=tuple(at for _, at in p.touches),
            conversion_time=p.at,
        )
        for p in researched
    )
    results = {model: attribution_service.run_model(paths, model) for model in MODELS}
    touched = Counter(channel for p in researched for channel in {c for c, _ in p.touches})
    rows = [
        RopoChannel(
            channel=channel,
            purchases=count,
            share=count / len(researched),
            credit={model: round(results[model].credit(channel).conversions, 4) for model in MODELS},
            value={model: round(results[model].credit(channel).value, 2) for model in MODELS},
        )
        for channel, count in touched.items()
    ]
    return sorted(rows, key=lambda r: (-r.credit[Model.LINEAR], r.channel))


def _groups(
    purchases: list[_Purchase], keys_of: dict[str, list[str]], names: dict[str, str]
) -> list[RopoGroup]:
    """Per key (a store, a product): its purchases and how many were researched online."""
    total: Counter[str] = Counter()
    researched: Counter[str] = Counter()
    for purchase in purchases:
        for key in keys_of.get(purchase.id, []):
            total[key] += 1
            researched[key] += bool(purchase.touches)
    rows = [
        RopoGroup(
            key=key,
            label=names.get(key, key),
            purchases=count,
            researched=researched[key],
            share=researched[key] / count,
        )
        for key, count in total.items()
    ]
    return sorted(rows, key=lambda r: (-r.purchases, -r.researched, r.label))


def _by_product(
    session: Session, workspace_id: uuid.UUID, purchases: list[_Purchase], lines: list[tuple[Any, ...]]
) -> list[RopoGroup]:
    skus: dict[str, list[str]] = defaultdict(list)
    for order_id, sku in lines:
        skus[str(order_id)].append(str(sku))
    titles = sku_titles(session, workspace_id, sorted({sku for found in skus.values() for sku in found}))
    return _groups(purchases, skus, titles)


def ropo_csv(report: RopoReport) -> str:
    """The report as CSV: one line per online channel (touched purchases and credit per model), per store and
    per product, and the two directions' totals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["section", "key", "purchases", "researched", "share", *(f"credit_{m.value}" for m in MODELS)]
    )
    for d_name, d in (("store_purchases", report.store), ("online_purchases", report.online)):
        writer.writerow([d_name, "total", d.purchases, d.researched, _share(d.share)])
    for c in report.channels:
        writer.writerow(
            ["channel", c.channel, c.purchases, "", _share(c.share), *(c.credit[m] for m in MODELS)]
        )
    for section, groups in (("store", report.by_store), ("product", report.by_product)):
        for g in groups:
            writer.writerow([section, g.label, g.purchases, g.researched, _share(g.share)])
    return buffer.getvalue()


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
