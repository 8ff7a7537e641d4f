"""The journeys pages: funnels (steps, range and window in a form; the chart, the step table, who dropped), paths,
the journey map (and its stages' editor), channel usage and channel overlap, each with its charts and exports."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from omnicx.journeys import service
from omnicx.journeys.schemas import (
    MAX_STEPS,
    FunnelBreakdown,
    FunnelMode,
    FunnelQuery,
    JourneyMapQuery,
    JourneyMapSettings,
    JourneyStage,
    OverlapQuery,
    OverlapReport,
    PathItems,
    PathQuery,
    PathReport,
    SavedFunnelCreate,
    SavedFunnelPublic,
    StageMetric,
    UsageQuery,
)
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import current_language, format_locale, gettext
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
    NavItem("journey-map", N_("Journey map"), "/journeys/map", Action.JOURNEYS_READ, 37),
    NavItem("usage", N_("Channel usage"), "/journeys/usage", Action.JOURNEYS_READ, 38),
    NavItem("overlap", N_("Channel overlap"), "/journeys/overlap", Action.JOURNEYS_READ, 39),
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


Q = TypeVar("Q", bound=BaseModel)
R = TypeVar("R")


def _report(
    typed: Callable[[], Q], fallback: Callable[[], Q], run: Callable[[Q], R]
) -> tuple[Q, R | None, str | None]:
    """A report page's query as the form gave it (else `fallback`, with why the form's was refused) and its
    report (none, with the reason, when the engine refuses it)."""
    error = None
    try:
        query = typed()
    except ValidationError as exc:
        query, error = fallback(), str(exc.errors()[0]["msg"])
    try:
        return query, run(query), error
    except DomainError as exc:
        return query, None, exc.message


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
    fields = {"date_from": date_from or first, "date_to": date_to or last, "items": items}
    query, report, error = _report(
        lambda: PathQuery(**fields, start=start, end=end, steps=steps),
        lambda: PathQuery(**fields),
        lambda q: service.paths(session, workspace_id=principal.workspace_id, query=q),
    )
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


@router.get("/journeys/map", response_class=HTMLResponse)
def journey_map_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
) -> HTMLResponse:
    """The journey map: one card per stage, each number a link to the customers behind it."""
    start, end = service.default_range()
    settings = service.get_journey_map(session, workspace_id=principal.workspace_id)
    query, report, error = _report(
        lambda: JourneyMapQuery(date_from=date_from or start, date_to=date_to or end),
        lambda: JourneyMapQuery(date_from=start, date_to=end),
        lambda q: service.journey_map(
            session, workspace_id=principal.workspace_id, settings=settings, query=q
        ),
    )
    export_query = urlencode(
        [("date_from", query.date_from.isoformat()), ("date_to", query.date_to.isoformat())]
    )
    context = {
        "query": query,
        "report": report,
        "settings": settings,
        "error": error,
        "export_query": export_query,
        "chart_json": json.dumps(service.stages_spec(report)) if report else None,
        "can_edit": allows(principal.role, Action.JOURNEYS_MANAGE),
        "touchpoint_label": _touchpoint_label,
    }
    return render(request, "journeys/map.html", context)


def _map_range(date_from: date | None, date_to: date | None) -> tuple[JourneyMapQuery, str | None]:
    start, end = service.default_range()
    try:
        return JourneyMapQuery(date_from=date_from or start, date_to=date_to or end), None
    except ValidationError as exc:
        return JourneyMapQuery(date_from=start, date_to=end), str(exc.errors()[0]["msg"])


#: How the journey map names the touchpoint kinds omnicx records (others, recorded through the API, show as
#: they were named).
TOUCHPOINT_KINDS = {
    "session": N_("site or app visit"),
    "conversation": N_("conversation"),
    "visit": N_("store visit"),
    "purchase": N_("store purchase"),
    "call": N_("phone call"),
}


#: What each metric's customer list is titled.
STAGE_METRICS = {
    StageMetric.REACHED: N_("Reached “%(stage)s”"),
    StageMetric.DROPPED: N_("Journey stopped at “%(stage)s”"),
    StageMetric.CONTACTING: N_("Opened a conversation during “%(stage)s”"),
    StageMetric.STRUGGLING: N_("Viewed the friction pages twice or more during “%(stage)s”"),
    StageMetric.CHANNEL: N_("Used the channel “%(key)s” during “%(stage)s”"),
    StageMetric.TOUCHPOINT: N_("Had a touchpoint “%(key)s” during “%(stage)s”"),
}


@router.get("/journeys/map/customers", response_class=HTMLResponse)
def journey_map_customers_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    stage: int,
    metric: StageMetric = StageMetric.REACHED,
    key: Annotated[str | None, Query(max_length=200)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """The customers behind one number of the journey map, each linking to their customer page."""
    query, error = _map_range(date_from, date_to)
    settings = service.get_journey_map(session, workspace_id=principal.workspace_id)
    page = None
    try:
        page = service.journey_customers(
            session,
            workspace_id=principal.workspace_id,
            settings=settings,
            query=query,
            stage=stage,
            metric=metric,
            key=key,
            offset=offset,
        )
    except DomainError as exc:
        error = exc.message
    name = settings.stages[stage - 1].name if 1 <= stage <= len(settings.stages) else str(stage)
    params = [("date_from", query.date_from.isoformat()), ("date_to", query.date_to.isoformat())]
    keyed = [("key", key)] if key else []
    context = {
        "title": gettext(STAGE_METRICS[metric]) % {"stage": name, "key": _key_label(metric, key)},
        "query": query,
        "page": page,
        "error": error,
        "map_query": urlencode(params),
        "page_query": urlencode([*params, ("stage", str(stage)), ("metric", metric.value), *keyed]),
    }
    return render(request, "journeys/map_customers.html", context)


def _key_label(metric: StageMetric, key: str | None) -> str:
    """A channel as named, a touchpoint kind as the map names it."""
    if metric is StageMetric.TOUCHPOINT and key:
        return _touchpoint_label(key)
    return key or ""


def _touchpoint_label(kind: str) -> str:
    """A touchpoint kind in the reader's language when omnicx records it, else as it was named."""
    return gettext(TOUCHPOINT_KINDS[kind]) if kind in TOUCHPOINT_KINDS else kind


@router.get("/journeys/map/stages", response_class=HTMLResponse)
def journey_stages_page(
    request: Request, session: SessionDep, principal: Annotated[Principal, require(Action.JOURNEYS_MANAGE)]
) -> HTMLResponse:
    """The editor of the workspace's stages and friction pages."""
    return _stages_page(request, session, principal)


def _stages_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    error: str | None = None,
    status: int = 200,
    typed: tuple[list[tuple[str, str]], str] | None = None,
) -> HTMLResponse:
    """The editor: the stored map, or what was typed when it could not be saved (nothing typed is lost)."""
    if typed is None:
        settings = service.get_journey_map(session, workspace_id=principal.workspace_id)
        typed = (
            [(stage.name, "\n".join(stage.rules)) for stage in settings.stages],
            "\n".join(settings.friction_pages),
        )
    rows, friction = typed
    rows = rows + [("", "")] * max(0, MAX_STAGE_ROWS - len(rows))
    return render(
        request, "journeys/map_stages.html", {"rows": rows, "friction": friction, "error": error}, status
    )


#: The rows the stages' editor shows (the map's stages, then empty rows to add more).
MAX_STAGE_ROWS = 8


@router.post("/journeys/map/stages", response_class=HTMLResponse)
def save_journey_stages_form(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_MANAGE)],
    name: Annotated[list[str], Form()],
    rules: Annotated[list[str], Form()],
    friction_pages: Annotated[str, Form()] = "",
) -> Response:
    """Save the stages typed (rows with a name), one rule per line."""

    def save() -> None:
        stages = [
            JourneyStage(name=stage_name, rules=text.splitlines())
            for stage_name, text in zip(name, rules, strict=False)
            if stage_name.strip()
        ]
        data = JourneyMapSettings(stages=stages, friction_pages=friction_pages.splitlines())
        service.save_journey_map(session, workspace_id=principal.workspace_id, data=data, principal=principal)

    return redirect_or_page(
        save,
        to="/journeys/map",
        page=lambda message, status: _stages_page(
            request,
            session,
            principal,
            message,
            status,
            (list(zip(name, rules, strict=False)), friction_pages),
        ),
        session=session,
    )


@router.post("/journeys/map/stages/reset", response_class=HTMLResponse)
def reset_journey_stages_form(
    session: SessionDep, principal: Annotated[Principal, require(Action.JOURNEYS_MANAGE)]
) -> Response:
    service.reset_journey_map(session, workspace_id=principal.workspace_id, principal=principal)
    return see_other("/journeys/map")


@router.get("/journeys/usage", response_class=HTMLResponse)
def usage_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOURNEYS_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
    channel: str = "*",
    device: str = "*",
) -> HTMLResponse:
    """When customers visit (per channel or device), how engaged each device and channel's visits are, how often they
    come back."""
    start, end = service.default_range()
    query, report, error = _report(
        lambda: UsageQuery(date_from=date_from or start, date_to=date_to or end),
        lambda: UsageQuery(date_from=start, date_to=end),
        lambda q: service.usage(session, workspace_id=principal.workspace_id, query=q),
    )
    params = [("date_from", query.date_from.isoformat()), ("date_to", query.date_to.isoformat())]
    channels = sorted({cell.channel for cell in report.heatmap} - {"*"}) if report else []
    devices = sorted({cell.device for cell in report.heatmap} - {"*"}) if report else []
    if channel != "*" and device != "*":
        device = "*"  # one or the other: the heatmap is kept per channel and per device, not per both
    context = {
        "query": query,
        "report": report,
        "error": error,
        "channel": channel,
        "channels": channels,
        "device": device,
        "devices": devices,
        "export_query": urlencode(params),
        "heatmap_query": urlencode([*params, ("chart", "heatmap"), ("channel", channel), ("device", device)]),
        "frequency_query": urlencode([*params, ("chart", "frequency")]),
        "heatmap_json": json.dumps(service.heatmap_spec(report, channel, device)) if report else None,
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
    query, report, error = _report(
        lambda: OverlapQuery(date_from=date_from or start, date_to=date_to or end, gap_days=gap_days),
        lambda: OverlapQuery(date_from=start, date_to=end),
        lambda q: service.overlap(session, workspace_id=principal.workspace_id, query=q),
    )
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
