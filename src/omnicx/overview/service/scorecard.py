"""The CX scorecard: one row per touchpoint (the website, the app, each inbox channel, each store), its volume,
customers, satisfaction, service times, SLA and sales, each compared with a benchmark the workspace can edit and
with the period before.

Every number is taken from the report that owns it, so the scorecard equals those reports by construction:
- website and app: the sales report's orders placed there (volume, buyers, orders, revenue); the website's NPS is
  that of the surveys shown on the site;
- each inbox channel: the inbox report (conversations, customers, median first response and resolution, SLA hit
  rate), the satisfaction report by channel (CSAT), the NPS of survey answers by the channel they were asked on,
  the mean sentiment of the customers' messages, and the attribution report's linear credit for sales to the
  channel the inbox credits (conversions and revenue);
- each store: the sales report's orders at that location.
Revenue is in the currency with the most orders; the attribution value is in the currency the sales carried.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import altair as alt
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.attribution import service as attribution_service
from omnicx.attribution.schemas import Model, ReportQuery, StageKey
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import LocationKind, SalesChannel
from omnicx.commerce.schemas import SalesRow
from omnicx.feedback import service as feedback_service
from omnicx.feedback.enums import CsatGroup
from omnicx.feedback.service import SITE_CHANNEL as SITE
from omnicx.inbox import service as inbox_service
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.overview.models import Benchmark
from omnicx.overview.schemas import (
    BenchmarkPublic,
    BenchmarkUpdate,
    Flag,
    Scorecard,
    ScoreCell,
    ScoreMetric,
    ScoreRow,
    TouchpointKind,
)

M = ScoreMetric
EARLIEST = date(2000, 1, 1)  # the reports' own earliest day
Values = dict[ScoreMetric, float | None]


@dataclass(frozen=True)
class _Default:
    value: float | None
    higher_is_better: bool
    source: str


#: Defaults, with where they come from. Volume, customers, conversions and revenue have no universal target.
DEFAULTS: dict[ScoreMetric, _Default] = {
    M.VOLUME: _Default(None, True, N_("No default: set your own target")),
    M.CUSTOMERS: _Default(None, True, N_("No default: set your own target")),
    M.CSAT: _Default(0.8, True, N_("A common CSAT target: four answers in five rate 4 or 5")),
    M.NPS: _Default(
        30.0, True, N_("Above 30 is commonly read as good: promoters outnumber detractors widely")
    ),
    M.SENTIMENT: _Default(
        0.05, True, N_("Positive on average (from 0.05, the sentiment scale's own threshold)")
    ),
    M.FIRST_RESPONSE: _Default(
        2 * 3600.0, False, N_("Nearly six customers in ten expect an answer within two hours")
    ),
    M.RESOLUTION: _Default(24 * 3600.0, False, N_("A common support target: resolved within a day")),
    M.SLA: _Default(0.9, True, N_("A common service level: nine first responses in ten on time")),
    M.CONVERSIONS: _Default(None, True, N_("No default: set your own target")),
    M.REVENUE: _Default(None, True, N_("No default: set your own target")),
}
SET_HERE = N_("Set by this workspace")


# --- Benchmarks -------------------------------------------------------------------------------------------------


def benchmarks(session: Session, *, workspace_id: uuid.UUID) -> list[BenchmarkPublic]:
    """Every metric's benchmark: the workspace's own, or the default with its source."""
    own = {
        row.metric: row.value
        for row in session.scalars(select(Benchmark).where(Benchmark.workspace_id == workspace_id))
    }
    result = []
    for metric, default in DEFAULTS.items():
        custom = metric.value in own
        result.append(
            BenchmarkPublic(
                metric=metric,
                value=own[metric.value] if custom else default.value,
                higher_is_better=default.higher_is_better,
                source=gettext(SET_HERE if custom else default.source),
                custom=custom,
            )
        )
    return result


def set_benchmark(
    session: Session, *, workspace_id: uuid.UUID, metric: ScoreMetric, data: BenchmarkUpdate
) -> list[BenchmarkPublic]:
    """Set one metric's benchmark (rates 0-1, times in seconds); a null value goes back to the default."""
    row = session.get(Benchmark, (workspace_id, metric.value))
    if data.value is None:
        if row is not None:
            session.delete(row)
    else:
        if row is None:
            row = Benchmark(workspace_id=workspace_id, metric=metric.value)
            session.add(row)
        row.value, row.updated_at = data.value, utcnow()
    session.commit()
    return benchmarks(session, workspace_id=workspace_id)


# --- The scorecard ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Touchpoint:
    key: str
    kind: TouchpointKind
    label: str
    volume_unit: str
    conversions_basis: str


def scorecard(session: Session, *, workspace_id: uuid.UUID, start: date, end: date) -> Scorecard:
    """The scorecard for `start`..`end` (inclusive, the workspace's days) against the period just before."""
    length = (end - start).days + 1
    previous_start, previous_end = start - timedelta(days=length), start - timedelta(days=1)
    if previous_start < EARLIEST:
        raise Invalid(f"the period before the scorecard's starts before {EARLIEST}: choose a later range")
    current, touchpoints, currency = _period(session, workspace_id, start, end, None)
    previous, _, _ = _period(session, workspace_id, previous_start, previous_end, currency)
    marks = benchmarks(session, workspace_id=workspace_id)
    targets = {b.metric: b for b in marks}
    rows = [
        ScoreRow(
            key=point.key,
            kind=point.kind,
            label=point.label,
            volume_unit=point.volume_unit,
            conversions_basis=point.conversions_basis,
            cells={
                m: _cell(current[point.key].get(m), previous.get(point.key, {}).get(m), targets[m]) for m in M
            },
        )
        for point in touchpoints
    ]
    return Scorecard(
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        currency=currency,
        rows=rows,
        benchmarks=marks,
    )


def _cell(value: float | None, previous: float | None, target: BenchmarkPublic) -> ScoreCell:
    change = value - previous if value is not None and previous is not None else None
    flag = None
    if value is not None and target.value is not None:
        meets = value >= target.value if target.higher_is_better else value <= target.value
        flag = Flag.STRENGTH if meets else Flag.WEAKNESS
    return ScoreCell(value=value, previous=previous, change=change, flag=flag)


def _period(
    session: Session, workspace_id: uuid.UUID, start: date, end: date, currency: str | None
) -> tuple[dict[str, Values], list[_Touchpoint], str | None]:
    """Each touchpoint's numbers over one period, from the reports that own them."""
    sales = commerce_service.sales_report(session, workspace_id=workspace_id, start=start, end=end)
    currency = currency or commerce_service.main_currency(sales)
    values: dict[str, Values] = {}
    points: list[_Touchpoint] = []
    promoting = feedback_service.nps_by_channel(session, workspace_id=workspace_id, start=start, end=end)
    for channel, kind, label in (
        (SalesChannel.WEB, TouchpointKind.WEB, gettext("Website")),
        (SalesChannel.APP, TouchpointKind.APP, gettext("App")),
    ):
        points.append(_Touchpoint(kind.value, kind, label, "orders", "orders"))
        values[kind.value] = _sales(_row(sales.by_channel, channel.value, currency), currency)
    # Surveys shown on the site (`feedback/site.js`) are the website's NPS.
    values[TouchpointKind.WEB.value][M.NPS] = promoting[SITE][0] if SITE in promoting else None
    inbox, attributed = _inbox(session, workspace_id, start, end, promoting)
    for key, (label, numbers) in inbox.items():
        points.append(_Touchpoint(key, TouchpointKind.INBOX, label, "conversations", "attributed"))
        values[key] = {**numbers, **attributed.get(key, {M.CONVERSIONS: 0.0, M.REVENUE: 0.0})}
    for location in commerce_service.list_locations(session, workspace_id=workspace_id):
        if location.kind is not LocationKind.STORE:
            continue
        key = f"store:{location.id}"
        points.append(_Touchpoint(key, TouchpointKind.STORE, location.name, "orders", "orders"))
        values[key] = _sales(_row(sales.by_location, str(location.id), currency), currency)
    return values, points, currency


def _row(rows: Iterable[SalesRow], key: str, currency: str | None) -> SalesRow | None:
    return next((r for r in rows if r.key == key and r.currency == currency), None)


def _sales(row: SalesRow | None, currency: str | None) -> Values:
    """A website's, app's or store's numbers: the orders placed there, their buyers and revenue."""
    if row is None or currency is None:
        return {M.VOLUME: 0.0, M.CUSTOMERS: 0.0, M.CONVERSIONS: 0.0, M.REVENUE: 0.0}
    revenue = float(commerce_service.major_units(row.revenue_minor, currency))
    return {
        M.VOLUME: float(row.orders),
        M.CUSTOMERS: float(row.customers),
        M.CONVERSIONS: float(row.orders),
        M.REVENUE: revenue,
    }


def _inbox(
    session: Session,
    workspace_id: uuid.UUID,
    start: date,
    end: date,
    promoting: Mapping[str, tuple[float, int]],
) -> tuple[dict[str, tuple[str, Values]], dict[str, Values]]:
    """Each inbox channel's service numbers, and the sales the attribution report credits to it."""
    report = inbox_service.report(session, workspace_id=workspace_id, start=start, end=end)
    csat = feedback_service.csat_report(
        session, workspace_id=workspace_id, start=start, end=end, group=CsatGroup.CHANNEL
    )
    satisfaction = {row.key: row.csat for row in csat.rows}
    feeling = inbox_service.sentiment_by_channel(session, workspace_id=workspace_id, start=start, end=end)
    numbers = {
        f"inbox:{row.key}": (
            row.label,
            {
                M.VOLUME: float(row.conversations),
                M.CUSTOMERS: float(row.customers),
                M.CSAT: satisfaction.get(row.key),
                M.NPS: promoting[row.key][0] if row.key in promoting else None,
                M.SENTIMENT: feeling[row.key][0] if row.key in feeling else None,
                M.FIRST_RESPONSE: row.first_response_median_seconds,
                M.RESOLUTION: row.resolution_median_seconds,
                M.SLA: row.sla_hit_rate,
            },
        )
        for row in report.by_channel
    }
    credited = attribution_service.report(
        session,
        workspace_id=workspace_id,
        query=ReportQuery(date_from=start, date_to=end, model=Model.LINEAR),
    )
    names = _attribution_names()
    attributed: dict[str, Values] = {
        f"inbox:{names[row.channel]}": {
            M.CONVERSIONS: row.stages[StageKey.SALE].model,
            M.REVENUE: row.stages[StageKey.SALE].value_model,
        }
        for row in credited.channels
        if row.channel in names and StageKey.SALE in row.stages
    }
    return numbers, attributed


def _attribution_names() -> Mapping[str, str]:
    """Attribution channel name (as inboxes credit touchpoints) -> the inbox channel."""
    return {str(name): channel.value for channel, name in inbox_service.CHANNEL_LABELS.items()}


# --- Chart and export ------------------------------------------------------------------------------------------------


def scorecard_csv(card: Scorecard) -> str:
    """One line per touchpoint: each metric's value, the previous period's and its flag."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["touchpoint", "kind", "label"]
    for metric in M:
        header += [metric.value, f"{metric.value}_previous", f"{metric.value}_flag"]
    writer.writerow(header)
    for row in card.rows:
        line: list[object] = [row.key, row.kind.value, row.label]
        for metric in M:
            cell = row.cells[metric]
            line += [_text(cell.value), _text(cell.previous), cell.flag.value if cell.flag else ""]
        writer.writerow(line)
    return out.getvalue()


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


METRIC_NAMES: dict[ScoreMetric, str] = {
    M.VOLUME: N_("Volume"),
    M.CUSTOMERS: N_("Customers reached"),
    M.CSAT: N_("CSAT"),
    M.NPS: N_("NPS"),
    M.SENTIMENT: N_("Sentiment"),
    M.FIRST_RESPONSE: N_("First response (median)"),
    M.RESOLUTION: N_("Resolution (median)"),
    M.SLA: N_("SLA hit rate"),
    M.CONVERSIONS: N_("Sales"),
    M.REVENUE: N_("Revenue"),
}


def scorecard_chart_spec(card: Scorecard, metric: ScoreMetric) -> dict[str, Any]:
    """One metric per touchpoint, this period beside the one before (grouped bars), the benchmark as a rule."""
    this, before = gettext("This period"), gettext("Period before")
    scale = 1 / 3600 if metric in (M.FIRST_RESPONSE, M.RESOLUTION) else 1.0  # times read in hours
    values = [
        {"touchpoint": row.label, "period": period, "value": value * scale}
        for row in card.rows
        for period, value in ((this, row.cells[metric].value), (before, row.cells[metric].previous))
        if value is not None
    ]
    if not values:
        return empty_chart(gettext("No data in this range."))
    title = gettext(METRIC_NAMES[metric])
    if scale != 1.0:
        title = f"{title} ({gettext('hours')})"
    axis = alt.Axis(format="%") if metric in (M.CSAT, M.SLA) else alt.Axis()
    bars = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("touchpoint:N", title=None, sort=[r.label for r in card.rows]),
            yOffset=alt.YOffset("period:N", sort=[this, before]),
            x=alt.X("value:Q", title=title, axis=axis),
            color=alt.Color("period:N", title=None, sort=[this, before]),
            tooltip=[
                alt.Tooltip("touchpoint:N", title=gettext("Touchpoint")),
                alt.Tooltip("period:N", title=gettext("Period")),
                alt.Tooltip("value:Q", title=title, format=",.4~g"),
            ],
        )
    )
    target = next(b for b in card.benchmarks if b.metric is metric).value
    chart: alt.Chart | alt.LayerChart | alt.FacetChart = bars
    if target is not None:
        rule = (
            alt.Chart(alt.InlineData(values=[{"target": target * scale}]))
            .mark_rule(strokeDash=[4, 3])
            .encode(
                x="target:Q", tooltip=[alt.Tooltip("target:Q", title=gettext("Benchmark"), format=",.4~g")]
            )
        )
        chart = alt.layer(bars, rule)
    spec: dict[str, Any] = chart.properties(width="container", height=max(160, 34 * len(card.rows))).to_dict()
    return spec
