"""The journeys pages: funnels (steps, range and window in a form; the chart, the step table, who dropped), paths,
channel usage and channel overlap, each with its charts and exports."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from omnicx.journeys import service
from omnicx.journeys.schemas import (
    MAX_STEPS,
    FunnelBreakdown,
    FunnelMode,
    FunnelQuery,
    OverlapQuery,
    OverlapReport,
    PathItems,
    PathQuery,
    PathReport,
    SavedFunnelCreate,
    SavedFunnelPublic,
    UsageQuery,
)
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import current_language, format_locale
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page, see_other
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [
    NavItem("funnels", N_("Funnels"), "/journeys/funnels", Action.JOURNEYS_READ, 35),
    NavItem("paths", N_("Paths"), "/journeys/paths", Action.JOURNEYS_READ, 36),
    NavItem("usage", N_("Channel usage"), "/journeys/usage", Action.JOURNEYS_READ, 37),
    NavItem("overlap", N_("Channel overlap"), "/journeys/overlap", Action.JOURNEYS_READ, 38),
]

#: The funnel modes as the form offers them.
FUNNEL_MODES = [
    (FunnelMode.ORDERED, N_("In order")),
    (FunnelMode.STRICT, N_("In strict order (nothing in between)")),
    (FunnelMode.ANY, N_("In any order")),
]

#: The breakdowns as the form offers them.
FUNNEL_BREAKDOWNS = [
    (FunnelBreakdown.FIRST_TOUCH, N_("First-touch channel")),
    (FunnelBreakdown.CHANNEL, N_("Channel of the entry visit")),
    (FunnelBreakdown.DEVICE, N_("Device category")),
    (FunnelBreakdown.PROPERTY, N_("A property of the entry event")),
]

#: What a new funnel starts from: the commonest e-commerce steps (Segment's spec names the events).
DEFAULT_STEPS = ["page:/products/", "page:/cart", "event:Checkout Started", "event:Order Completed"]


@dataclass(frozen=True)
class _FunnelForm:
    """The Funnels page's form as the browser sent it (before it is checked)."""

    steps: list[str]
    date_from: date
    date_to: date
    window_hours: int = 7 * 24
    mode: FunnelMode = FunnelMode.ORDERED
    breakdown: FunnelBreakdown = FunnelBreakdown.FIRST_TOUCH
    breakdown_property: str = ""

    def params(self) -> list[tuple[str, str]]:
        """The form as query parameters (the exports, the drop-off links, the saved funnel's address)."""
        found = [("step", text) for text in self.steps] + [
            ("date_from", self.date_from.isoformat()),
            ("date_to", self.date_to.isoformat()),
            ("window_hours", str(self.window_hours)),
            ("mode", self.mode.value),
            ("breakdown", self.breakdown.value),
        ]
        return found + ([("breakdown_property", self.breakdown_property)] if self.breakdown_property else [])

    def query(self) -> FunnelQuery:
        return FunnelQuery.parse(
            self.steps,
            date_from=self.date_from,
            date_to=self.date_to,
            window_hours=self.window_hours,
            mode=self.mode,
            breakdown=self.breakdown,
            breakdown_property=self.breakdown_property or None,
        )


@router.get("/journeys/funnels", response_class=HTMLResponse)
def funnels_page(  # the form's fields, each a query parameter
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    step: Annotated[list[str] | None, Query()] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    window_hours: int = 7 * 24,
    mode: FunnelMode = FunnelMode.ORDERED,
    breakdown: FunnelBreakdown = FunnelBreakdown.FIRST_TOUCH,
    breakdown_property: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    start, end = service.default_range()
    form = _FunnelForm(
        steps=[text for text in (step or DEFAULT_STEPS) if text.strip()],
        date_from=date_from or start,
        date_to=date_to or end,
        window_hours=window_hours,
        mode=mode,
        breakdown=breakdown,
        breakdown_property=breakdown_property.strip(),
    )
    return _funnels_page(request, session, principal, form)


def _funnels_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    form: _FunnelForm,
    save_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    error, result = None, None
    try:
        result = service.funnel(session, workspace_id=principal.workspace_id, query=form.query())
        suggestions = service.suggested_events(
            session, workspace_id=principal.workspace_id, date_from=form.date_from, date_to=form.date_to
        )
    except DomainError as exc:
        error, suggestions = exc.message, []
    params = form.params()
    context = {
        "form": form,
        "modes": FUNNEL_MODES,
        "breakdowns": FUNNEL_BREAKDOWNS,
        "saved": [
            (item, urlencode([("step", text) for text in item.steps] + _saved_params(item)))
            for item in service.list_saved_funnels(session, workspace_id=principal.workspace_id)
        ],
        "can_save": allows(principal.role, Action.JOURNEYS_MANAGE),
        "save_error": save_error,
        "steps": form.steps + [""] * max(0, min(MAX_STEPS, len(form.steps) + 1) - len(form.steps)),
        "result": result,
        "spec_json": json.dumps(service.funnel_spec(result)) if result is not None else None,
        "trend_json": json.dumps(service.trend_spec(result)) if result is not None else None,
        "export_query": urlencode(params),
        "trend_query": urlencode([*params, ("chart", "trend")]),
        "suggestions": suggestions,
        "error": error,
    }
    return render(request, "journeys/funnels.html", context, status=status)


def _saved_params(item: SavedFunnelPublic) -> list[tuple[str, str]]:
    return [("window_hours", str(item.window_hours)), ("mode", item.mode.value)]


@router.post("/journeys/funnels/save", response_class=HTMLResponse)
def save_funnel_form(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_MANAGE)],
    name: Annotated[str, Form(max_length=200)],
    step: Annotated[list[str], Form()],
    window_hours: Annotated[int, Form()] = 7 * 24,
    mode: Annotated[FunnelMode, Form()] = FunnelMode.ORDERED,
) -> Response:
    """Save the funnel on screen under a name, then show it again."""
    steps = [text for text in step if text.strip()]
    shown = urlencode(
        [("step", text) for text in steps] + [("window_hours", str(window_hours)), ("mode", mode.value)]
    )

    def save() -> object:
        data = SavedFunnelCreate(name=name, steps=steps, window_hours=window_hours, mode=mode)
        return service.save_funnel(
            session, workspace_id=principal.workspace_id, data=data, principal=principal
        )

    return redirect_or_page(
        save,
        to=f"/journeys/funnels?{shown}",
        page=lambda message, status: _funnels_page(
            request,
            session,
            principal,
            _FunnelForm(steps, *service.default_range(), window_hours=window_hours, mode=mode),
            message,
            status,
        ),
        session=session,
    )


@router.post("/journeys/funnels/saved/{funnel_id}/delete", response_class=HTMLResponse)
def delete_saved_funnel_form(
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_MANAGE)],
    funnel_id: uuid.UUID,
) -> Response:
    service.delete_saved_funnel(
        session, workspace_id=principal.workspace_id, funnel_id=funnel_id, principal=principal
    )
    return see_other("/journeys/funnels")


@router.get("/journeys/funnels/dropped", response_class=HTMLResponse)
def dropped_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    step: Annotated[list[str], Query()],
    date_from: date,
    date_to: date,
    position: Annotated[int, Query(ge=2, le=MAX_STEPS)],
    window_hours: int = 7 * 24,
    mode: FunnelMode = FunnelMode.ORDERED,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """Who dropped at a step of a funnel, each linking to their customer page."""
    error, page = None, None
    funnel_params = [("step", text) for text in step] + [
        ("date_from", date_from.isoformat()),
        ("date_to", date_to.isoformat()),
        ("window_hours", str(window_hours)),
        ("mode", mode.value),
    ]
    try:
        query = FunnelQuery.parse(
            step, date_from=date_from, date_to=date_to, window_hours=window_hours, mode=mode
        )
        page = service.dropped_customers(
            session, workspace_id=principal.workspace_id, query=query, position=position, offset=offset
        )
    except DomainError as exc:
        error = exc.message
    labels = [text.strip() for text in step]
    context = {
        "position": position,
        "before": labels[position - 2] if position - 2 < len(labels) else "",
        "step_label": labels[position - 1] if position - 1 < len(labels) else "",
        "date_from": date_from,
        "date_to": date_to,
        "page": page,
        "error": error,
        "funnel_query": urlencode(funnel_params),
        "page_query": urlencode([*funnel_params, ("position", str(position))]),
    }
    return render(request, "journeys/dropped.html", context)


#: What a path is made of, as the form offers it.
PATH_ITEMS = [
    (PathItems.ALL, N_("Pages and events")),
    (PathItems.PAGES, N_("Pages only")),
    (PathItems.EVENTS, N_("Events only")),
]


@router.get("/journeys/paths", response_class=HTMLResponse)
def paths_page(  # the form's fields, each a query parameter
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
    start: Annotated[str, Query(max_length=200)] = "",
    end: Annotated[str, Query(max_length=200)] = "",
    steps: int = 5,
    items: PathItems = PathItems.ALL,
) -> HTMLResponse:
    """Where visits go from a start, or come from before an end: a Sankey diagram, where they end, the top
    paths."""
    first, last = service.default_range()
    error, report = None, None
    fields = {"date_from": date_from or first, "date_to": date_to or last, "items": items}
    try:
        query = PathQuery(**fields, start=start, end=end, steps=steps)
    except ValidationError as exc:
        error, query = str(exc.errors()[0]["msg"]), PathQuery(**fields)
    try:
        report = service.paths(session, workspace_id=principal.workspace_id, query=query)
    except DomainError as exc:
        error = exc.message
    params = [
        ("date_from", query.date_from.isoformat()),
        ("date_to", query.date_to.isoformat()),
        ("start", query.start or ""),
        ("end", query.end or ""),
        ("steps", str(query.steps)),
        ("items", query.items.value),
    ]
    context = {
        "query": query,
        "report": report,
        "error": error,
        "item_kinds": PATH_ITEMS,
        "suggestions": _path_suggestions(session, principal, query, report),
        "export_query": urlencode(params),
        "sankey_json": json.dumps(service.paths_spec(report)) if report else None,
    }
    return render(request, "journeys/paths.html", context)


def _path_suggestions(
    session: SessionDep, principal: Principal, query: PathQuery, report: PathReport | None
) -> list[str]:
    """Items to start or end at: the pages and events the report shows, then the range's frequent events."""
    shown = [node.label for node in report.nodes if node.label] if report else []
    frequent = service.suggested_events(
        session, workspace_id=principal.workspace_id, date_from=query.date_from, date_to=query.date_to
    )
    return list(dict.fromkeys([*shown, *frequent]))


@router.get("/journeys/usage", response_class=HTMLResponse)
def usage_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
    channel: str = "*",
) -> HTMLResponse:
    """When customers visit (per channel), how engaged each device and channel's visits are, how often they
    come back."""
    start, end = service.default_range()
    error, report = None, None
    try:
        query = UsageQuery(date_from=date_from or start, date_to=date_to or end)
    except ValidationError as exc:
        error, query = str(exc.errors()[0]["msg"]), UsageQuery(date_from=start, date_to=end)
    try:
        report = service.usage(session, workspace_id=principal.workspace_id, query=query)
    except DomainError as exc:
        error = exc.message
    params = [("date_from", query.date_from.isoformat()), ("date_to", query.date_to.isoformat())]
    channels = sorted({cell.channel for cell in report.heatmap} - {"*"}) if report else []
    context = {
        "query": query,
        "report": report,
        "error": error,
        "channel": channel,
        "channels": channels,
        "export_query": urlencode(params),
        "heatmap_query": urlencode([*params, ("chart", "heatmap"), ("channel", channel)]),
        "frequency_query": urlencode([*params, ("chart", "frequency")]),
        "heatmap_json": json.dumps(service.heatmap_spec(report, channel)) if report else None,
        "frequency_json": json.dumps(service.frequency_spec(report)) if report else None,
        "durations_query": urlencode([*params, ("chart", "durations")]),
        "durations_json": json.dumps(service.duration_spec(report)) if report else None,
        "returns_query": urlencode([*params, ("chart", "returns")]),
        "returns_json": json.dumps(service.returns_spec(report)) if report else None,
    }
    return render(request, "journeys/usage.html", context)


@router.get("/journeys/overlap", response_class=HTMLResponse)
def overlap_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
    gap_days: int = 30,
) -> HTMLResponse:
    """How many channels customers use and which together, how they move from one to the next, and what
    customers on several channels spend."""
    start, end = service.default_range()
    error, report = None, None
    try:
        query = OverlapQuery(date_from=date_from or start, date_to=date_to or end, gap_days=gap_days)
    except ValidationError as exc:
        error, query = str(exc.errors()[0]["msg"]), OverlapQuery(date_from=start, date_to=end)
    try:
        report = service.overlap(session, workspace_id=principal.workspace_id, query=query)
    except DomainError as exc:
        error = exc.message
    params = [
        ("date_from", query.date_from.isoformat()),
        ("date_to", query.date_to.isoformat()),
        ("gap_days", str(query.gap_days)),
    ]
    charts = {
        "combinations": service.combinations_spec,
        "switching": service.switching_spec,
        "spend": service.spend_spec,
    }
    context = {
        "query": query,
        "report": report,
        "error": error,
        "export_query": urlencode(params),
        "chart_query": {name: urlencode([*params, ("chart", name)]) for name in charts},
        "chart_json": {name: json.dumps(spec(report)) for name, spec in charts.items()} if report else {},
        "spend": _spend_rows(report) if report else [],
        "currency": service.main_currency(report) if report else None,
    }
    return render(request, "journeys/overlap.html", context)


def _spend_rows(report: OverlapReport) -> list[dict[str, str]]:
    """The spend table's cells, money and shares written as the page's language writes them."""
    return [
        {
            "channels": "3+" if row.channels >= 3 else str(row.channels),
            "currency": row.currency,
            "online_buyers": format_decimal(row.online_buyers, locale=_locale()),
            "online": _money(row.online_per_buyer, row.currency),
            "online_lift": _signed(row.online_lift),
            "store_buyers": format_decimal(row.store_buyers, locale=_locale()),
            "store": _money(row.store_per_buyer, row.currency),
            "store_lift": _signed(row.store_lift),
        }
        for row in report.spend
    ]


def _locale() -> Locale:
    return format_locale(current_language())


def _money(minor: float | None, currency: str) -> str:
    """Minor units (a mean may fall between them) as the language writes money in `currency`."""
    if minor is None:
        return "—"
    amount = Decimal(str(minor)).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=_locale())


def _signed(share: float | None) -> str:
    return "—" if share is None else format_percent(share, "+#,##0.0%;-#,##0.0%", locale=_locale())
