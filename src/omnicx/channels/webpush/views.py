"""Settings → Web push: the key sites subscribe with, the snippet a site adds, the subscribed browsers, a test
notification, the subject push services read, and replacing the key."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicx.channels.webpush import service
from omnicx.channels.webpush.schemas import SendTestPush, Subject
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.deps import SessionDep, SettingsDep, require
from omnicx.kernel.web.forms import redirect_or_page, see_other, validation_message
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]
PAGE = "/settings/webpush"
SETTINGS_NAV = [NavItem("webpush", N_("Web push"), PAGE, Action.INBOX_MANAGE, 63)]
SHOWN = 100


def snippets(base_url: str) -> dict[str, str]:
    """What a site adds: its own `/omnicx-sw.js` (importing omnicx's handlers) and the script on its pages."""
    base = base_url.rstrip("/")
    return {
        "worker": f'importScripts("{base}/channels/webpush/omnicx-sw.js");',
        "page": (
            f'<script src="{base}/channels/webpush/omnicx-push.js" data-write-key="WRITE_KEY" async></script>\n'
            '<button type="button" onclick="omnicxPush.subscribe()">Notify me</button>'
        ),
    }


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    workspace_id = principal.workspace_id
    context: dict[str, Any] = {
        "status": service.status(session, workspace_id=workspace_id, settings=settings),
        "subscriptions": service.list_subscriptions(session, workspace_id=workspace_id, limit=SHOWN),
        "snippets": snippets(settings.base_url),
        "queued": _count(request.query_params.get("queued")),
        "error": error,
    }
    return render(request, "channels/webpush.html", context, status=status)


def _count(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _after(
    request: Request, session: Session, principal: Principal, settings: Settings, action: Any
) -> Response:
    return redirect_or_page(
        action,
        to=PAGE,
        page=lambda message, status: _page(
            request, session, principal, settings, error=message, status=status
        ),
        session=session,
    )


@router.get(PAGE, response_class=HTMLResponse)
def webpush_page(
    request: Request, session: SessionDep, principal: Manager, settings: SettingsDep
) -> HTMLResponse:
    return _page(request, session, principal, settings)


@router.post(PAGE + "/subject", response_class=HTMLResponse)
def update_subject(
    request: Request,
    session: SessionDep,
    principal: Manager,
    settings: SettingsDep,
    subject: Annotated[str, Form(max_length=320)],
) -> Response:
    return _after(
        request,
        session,
        principal,
        settings,
        lambda: service.update_subject(
            session, principal=principal, data=Subject(subject=subject), settings=settings
        ),
    )


@router.post(PAGE + "/test", response_class=HTMLResponse)
def send_test(
    request: Request,
    session: SessionDep,
    principal: Manager,
    settings: SettingsDep,
    customer_id: Annotated[str, Form(max_length=64)] = "",
    subscription_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Queue a test notification; the page then says how many browsers it went to."""
    try:
        data = SendTestPush.model_validate(
            {"customer_id": customer_id.strip() or None, "subscription_id": subscription_id or None}
        )
        result = service.send_test(session, principal=principal, data=data)
    except ValidationError as error:
        session.rollback()
        return _page(request, session, principal, settings, error=validation_message(error), status=422)
    except DomainError as error:
        session.rollback()
        return _page(request, session, principal, settings, error=error.message, status=error.status)
    return see_other(f"{PAGE}?queued={result.queued}")


@router.post(PAGE + "/subscriptions/{subscription_id}/delete", response_class=HTMLResponse)
def delete_subscription(
    request: Request,
    subscription_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    settings: SettingsDep,
) -> Response:
    return _after(
        request,
        session,
        principal,
        settings,
        lambda: service.delete_subscription(session, principal=principal, subscription_id=subscription_id),
    )


@router.post(PAGE + "/rotate", response_class=HTMLResponse)
def rotate_key(request: Request, session: SessionDep, principal: Manager, settings: SettingsDep) -> Response:
    return _after(
        request,
        session,
        principal,
        settings,
        lambda: service.rotate_key(session, principal=principal, settings=settings),
    )
