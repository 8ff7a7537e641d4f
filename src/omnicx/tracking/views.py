"""Pages of the tracking domain: the live event debugger, Settings → Sources and Settings → Channels."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, SettingsDep, require
from omnicx.kernel.web.forms import redirect_or_page, see_other
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render, render_error
from omnicx.tracking import sdk, service
from omnicx.tracking.channel_grouping import DEFAULT_CHANNELS, Field, Op
from omnicx.tracking.labels import SOURCE_KIND_NAMES
from omnicx.tracking.models import SourceKind
from omnicx.tracking.schemas import (
    NO_NUL,
    ChannelRuleCreate,
    ContactLog,
    EventFilter,
    RuleCondition,
    SourceCreate,
    SourceWithKey,
)
from omnicx.tracking.wire import as_text

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [NavItem("events", N_("Events"), "/events", Action.TRACKING_READ, 15)]
SETTINGS_NAV = [
    NavItem("sources", N_("Sources"), "/settings/sources", Action.TRACKING_MANAGE, 60),
    NavItem("channels", N_("Channels"), "/settings/channels", Action.TRACKING_MANAGE, 65),
]

Reader = Annotated[Principal, require(Action.TRACKING_READ)]
Manager = Annotated[Principal, require(Action.TRACKING_MANAGE)]
FEED_SIZE = 50


def _feed_context(
    session: SessionDep, principal: Principal, source_id: uuid.UUID | None, view: str
) -> dict[str, Any]:
    sources = service.list_sources(session, workspace_id=principal.workspace_id)
    context: dict[str, Any] = {
        "sources": sources,
        "source_names": {s.id: s.name for s in sources},
        "source_id": source_id,
        "view": view,
        "as_text": as_text,
    }
    if view == "rejected":
        context["rejected"] = service.list_rejected(
            session, workspace_id=principal.workspace_id, source_id=source_id, limit=FEED_SIZE
        )
    else:
        context["events"] = service.list_events(
            session,
            workspace_id=principal.workspace_id,
            filters=EventFilter(source_id=source_id),
            limit=FEED_SIZE,
        )
    return context


ViewName = Annotated[str, Query(pattern="^(events|rejected)$")]


@router.get("/events", response_class=HTMLResponse)
def debugger(
    request: Request,
    session: SessionDep,
    principal: Reader,
    source_id: uuid.UUID | None = None,
    view: ViewName = "events",
) -> HTMLResponse:
    """Live view of incoming events (newest first, refreshed every 2 s), per source, with rejections."""
    return render(request, "tracking/debugger.html", _feed_context(session, principal, source_id, view))


@router.get("/events/feed", response_class=HTMLResponse)
def debugger_feed(
    request: Request,
    session: SessionDep,
    principal: Reader,
    source_id: uuid.UUID | None = None,
    view: ViewName = "events",
) -> HTMLResponse:
    """The debugger's table body alone, polled by the page."""
    return render(request, "tracking/_feed.html", _feed_context(session, principal, source_id, view))


def _sources_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    created: SourceWithKey | None = None,
    base_url: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "sources": service.list_sources(session, workspace_id=principal.workspace_id),
        "kinds": list(SourceKind),
        "kind_names": SOURCE_KIND_NAMES,
        "created": created,
        # Shown with the new key only: it is stored hashed and never known again.
        "snippets": sdk.snippets(base_url=base_url, write_key=created.write_key) if created else {},
        "error": error,
    }
    return render(request, "tracking/sources.html", context, status=status)


@router.get("/settings/sources", response_class=HTMLResponse)
def sources(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _sources_page(request, session, principal)


@router.post("/settings/sources", response_class=HTMLResponse)
def create_source(
    request: Request,
    session: SessionDep,
    principal: Manager,
    settings: SettingsDep,
    name: Annotated[str, Form(min_length=1, max_length=120, pattern=NO_NUL)],
    kind: Annotated[SourceKind, Form()] = SourceKind.WEB,
) -> HTMLResponse:
    try:
        created = service.create_source(
            session,
            workspace_id=principal.workspace_id,
            data=SourceCreate(name=name, kind=kind),
            principal=principal,
        )
    except DomainError as error:
        return _sources_page(request, session, principal, error=error.message, status=error.status)
    return _sources_page(request, session, principal, created=created, base_url=settings.base_url, status=201)


@router.post("/settings/sources/{source_id}/rotate", response_class=HTMLResponse)
def rotate_source(
    request: Request, source_id: uuid.UUID, session: SessionDep, principal: Manager, settings: SettingsDep
) -> HTMLResponse:
    try:
        rotated = service.rotate_source(
            session, workspace_id=principal.workspace_id, source_id=source_id, principal=principal
        )
    except DomainError as error:
        return _sources_page(request, session, principal, error=error.message, status=error.status)
    return _sources_page(request, session, principal, created=rotated, base_url=settings.base_url)


@router.post("/settings/sources/{source_id}/revoke", response_class=HTMLResponse)
def revoke_source(
    request: Request, source_id: uuid.UUID, session: SessionDep, principal: Manager
) -> Response:
    return redirect_or_page(
        lambda: service.revoke_source(
            session, workspace_id=principal.workspace_id, source_id=source_id, principal=principal
        ),
        to="/settings/sources",
        page=lambda message, status: _sources_page(request, session, principal, error=message, status=status),
    )


def _channels_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    error: str | None = None,
    status: int = 200,
    test: dict[str, str] | None = None,
) -> HTMLResponse:
    result = None
    if test and any(test.values()):
        result = service.classify_traffic(session, workspace_id=principal.workspace_id, **test)
    context = {
        "rules": service.list_rules(session, workspace_id=principal.workspace_id),
        "defaults": DEFAULT_CHANNELS,
        "fields": list(Field),
        "ops": list(Op),
        "can_manage": allows(principal.role, Action.TRACKING_MANAGE),
        "error": error,
        "test": test or {"source": "", "medium": "", "campaign": ""},
        "result": result,
    }
    return render(request, "tracking/channels.html", context, status=status)


Short = Annotated[str, Query(max_length=200, pattern=NO_NUL)]


@router.get("/settings/channels", response_class=HTMLResponse)
def channels(
    request: Request,
    session: SessionDep,
    principal: Manager,
    source: Short = "",
    medium: Short = "",
    campaign: Short = "",
) -> HTMLResponse:
    """Custom channel rules (tried first, in order), GA4's defaults, and a form to try a source/medium."""
    test = {"source": source, "medium": medium, "campaign": campaign}
    return _channels_page(request, session, principal, test=test)


@router.post("/settings/channels", response_class=HTMLResponse)
def create_channel_rule(
    request: Request,
    session: SessionDep,
    principal: Manager,
    channel: Annotated[str, Form(min_length=1, max_length=100, pattern=NO_NUL)],
    field: Annotated[list[Field], Form()],
    op: Annotated[list[Op], Form()],
    value: Annotated[list[str], Form()],
) -> Response:
    """Add a rule from the form's condition rows (rows with an empty value are ignored)."""

    def add() -> object:
        conditions = [
            RuleCondition(field=f, op=o, value=v.strip())
            for f, o, v in zip(field, op, value, strict=False)
            if v.strip()
        ]
        data = ChannelRuleCreate(channel=channel.strip(), conditions=conditions)
        return service.create_rule(
            session, workspace_id=principal.workspace_id, data=data, principal=principal
        )

    return redirect_or_page(
        add,
        to="/settings/channels",
        page=lambda message, status: _channels_page(
            request, session, principal, error=message, status=status
        ),
    )


@router.post("/settings/channels/{rule_id}/move", response_class=HTMLResponse)
def move_channel_rule(
    request: Request,
    rule_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    position: Annotated[int, Form(ge=0, le=10_000)],
) -> Response:
    return redirect_or_page(
        lambda: service.move_rule(
            session, workspace_id=principal.workspace_id, rule_id=rule_id, position=position
        ),
        to="/settings/channels",
        page=lambda message, status: _channels_page(
            request, session, principal, error=message, status=status
        ),
    )


@router.post("/settings/channels/{rule_id}/delete", response_class=HTMLResponse)
def delete_channel_rule(
    request: Request, rule_id: uuid.UUID, session: SessionDep, principal: Manager
) -> Response:
    return redirect_or_page(
        lambda: service.delete_rule(
            session, workspace_id=principal.workspace_id, rule_id=rule_id, principal=principal
        ),
        to="/settings/channels",
        page=lambda message, status: _channels_page(
            request, session, principal, error=message, status=status
        ),
    )


@router.post("/customers/{customer_id}/contacts")
def log_contact_form(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.CUSTOMERS_MANAGE)],
    kind: Annotated[str, Form(max_length=20)],
    direction: Annotated[str, Form(max_length=20)] = "inbound",
    duration_minutes: Annotated[str, Form(max_length=10)] = "",
    outcome: Annotated[str, Form(max_length=100)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The customer page's *Log a call or visit* form (also linked from a conversation's customer card)."""
    try:
        minutes = float(duration_minutes) if duration_minutes.strip() else None
        data = ContactLog.in_minutes(
            minutes, kind=kind, direction=direction, outcome=outcome, notes=notes, location=location
        )
        service.log_contact(session, principal=principal, customer_id=customer_id, data=data)
    except (DomainError, ValueError) as error:
        session.rollback()
        message = error.message if isinstance(error, DomainError) else _first_error(error)
        return render_error(request, status=422, code="invalid_contact", message=message)
    return see_other(f"/customers/{customer_id}#timeline")


def _first_error(error: ValueError) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg', 'invalid')}"
    return "the duration must be a number of minutes"
