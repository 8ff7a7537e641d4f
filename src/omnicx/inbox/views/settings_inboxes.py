"""Settings → Inboxes: each inbox's channel, address, team, SLA policy, reopen window, auto-resolve and round
robin, a chat inbox's identity secret (with how the website signs its visitors), and which conversations agents
see within their inboxes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.enums import AgentScope, MessagingChannel
from omnicx.inbox.schemas import InboxCreate, InboxSettingsUpdate, InboxUpdate
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.deps import SessionDep, SettingsDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]
CHANNEL_LABELS = {
    **service.CHANNEL_LABELS,
    MessagingChannel.SMS: N_("SMS (Twilio)"),
    MessagingChannel.WHATSAPP: N_("WhatsApp (Cloud API)"),
    MessagingChannel.MESSENGER: N_("Messenger (Facebook Page)"),
    MessagingChannel.INSTAGRAM: N_("Instagram direct messages"),
    MessagingChannel.TELEGRAM: N_("Telegram bot"),
}
MAX_CREDENTIAL = 4000
CALLBACK_LABELS = {
    "messages": N_("A message comes in"),
    "status": N_("Status callback"),
    "webhook": N_("Callback URL"),
}
AGENT_SCOPE_LABELS = {
    AgentScope.INBOXES: N_("Every conversation of the inboxes they belong to"),
    AgentScope.TEAM: N_("Their own, their teams' and unassigned conversations"),
    AgentScope.OWN: N_("Only their own and unassigned conversations"),
}


def _inboxes_page(
    request: Request,
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    inboxes = service.list_inboxes(session, workspace_id=principal.workspace_id)
    context = {
        "inboxes": inboxes,
        "receiving": set(service.receiving_inboxes(session, workspace_id=principal.workspace_id)),
        "identity_secrets": {
            i.id: service.get_identity_secret(
                session,
                workspace_id=principal.workspace_id,
                inbox_id=i.id,
                secret_key=settings.resolved_secret_key,
            ).secret
            for i in inboxes
            if i.channel is MessagingChannel.CHAT
        },
        "base_url": settings.base_url.rstrip("/"),
        "health": service.inbox_health(session, workspace_id=principal.workspace_id),
        "policies": service.list_sla_policies(session, workspace_id=principal.workspace_id),
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "channels": {channel: CHANNEL_LABELS.get(channel, channel.value) for channel in MessagingChannel},
        "providers": service.registered_providers(),
        "callback_labels": CALLBACK_LABELS,
        "agent_scope": service.get_inbox_settings(session, workspace_id=principal.workspace_id).agent_scope,
        "agent_scopes": AGENT_SCOPE_LABELS,
        "error": error,
    }
    return render(request, "inbox/settings_inboxes.html", context, status=status)


@router.post("/settings/inboxes/access", response_class=HTMLResponse)
def agent_scope_save(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Manager,
    agent_scope: Annotated[str, Form(max_length=20)],
) -> Any:
    """Which conversations agents see within their inboxes."""

    def save() -> object:
        data = InboxSettingsUpdate.model_validate({"agent_scope": agent_scope})
        return service.update_inbox_settings(session, principal=principal, data=data)

    return redirect_or_page(
        save,
        to="/settings/inboxes",
        page=lambda message, status: _inboxes_page(
            request, session, principal, settings, error=message, status=status
        ),
        session=session,
    )


@router.get("/settings/inboxes", response_class=HTMLResponse)
def inboxes_page(
    request: Request, session: SessionDep, settings: SettingsDep, principal: Manager
) -> HTMLResponse:
    return _inboxes_page(request, session, principal, settings)


@router.post("/settings/inboxes/{inbox_id}/identity-secret", response_class=HTMLResponse)
def identity_secret_rotate(
    request: Request, inbox_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Manager
) -> Any:
    """Generate a chat inbox's identity secret (again: the website must then sign with the new one)."""
    secret_key = settings.resolved_secret_key
    return redirect_or_page(
        lambda: service.rotate_identity_secret(
            session, principal=principal, inbox_id=inbox_id, secret_key=secret_key
        ),
        to=f"/settings/inboxes#inbox-{inbox_id}",
        page=lambda message, status: _inboxes_page(
            request, session, principal, settings, error=message, status=status
        ),
        session=session,
    )


async def _provider_fields(request: Request) -> dict[str, str]:
    """The form's provider credential fields (`sms.account_sid`...), which vary with the registered providers
    (over-long values are cut: the provider then refuses them)."""
    form = await request.form()
    return {
        key: value[:MAX_CREDENTIAL]
        for key, value in form.items()
        if "." in key and isinstance(value, str) and len(key) <= 80
    }


@router.post("/settings/inboxes", response_class=HTMLResponse)
def inbox_save(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Manager,
    provider_fields: Annotated[dict[str, str], Depends(_provider_fields)],
    name: Annotated[str, Form(max_length=200)],
    inbox_id: Annotated[str | None, Form(max_length=100)] = None,
    channel: Annotated[str, Form(max_length=20)] = "email",
    address: Annotated[str, Form(max_length=320)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
    sla_policy: Annotated[str, Form(max_length=100)] = "",
    reopen_window_hours: Annotated[float, Form(ge=0, le=24 * 365)] = 72.0,
    auto_resolve_hours: Annotated[str, Form(max_length=20)] = "",
    assignment_capacity: Annotated[int, Form(ge=0, le=1000)] = 0,
    auto_assign: Annotated[str | None, Form()] = None,
    api_base: Annotated[str, Form(max_length=300)] = "",
) -> Any:
    """Create an inbox, or change one (`inbox_id`): name, team, SLA policy, reopen window, auto-resolve (empty:
    never), round robin; a provider channel's account (`{channel}.{credential}` fields, proven with the
    provider before the inbox exists)."""
    existing = optional_uuid(inbox_id)
    credentials = _credentials(channel, provider_fields, api_base)

    def save() -> object:
        fields: dict[str, Any] = {
            "name": name,
            "team_id": optional_uuid(team),
            "reopen_window_hours": reopen_window_hours,
            "auto_resolve_hours": auto_resolve_hours.strip() or None,
            "assignment_capacity": assignment_capacity,
            "auto_assign": bool(auto_assign),
        }
        if existing is not None:
            data = InboxUpdate.model_validate({**fields, "sla_policy_id": optional_uuid(sla_policy)})
            return service.update_inbox(session, principal=principal, inbox_id=existing, data=data)
        created = service.create_inbox(
            session,
            principal=principal,
            data=InboxCreate.model_validate(
                {**fields, "channel": channel, "address": address or None, "credentials": credentials}
            ),
            secret_key=settings.resolved_secret_key,
            base_url=settings.base_url,
        )
        policy = optional_uuid(sla_policy)
        if policy is not None:
            update = InboxUpdate(sla_policy_id=policy)
            service.update_inbox(session, principal=principal, inbox_id=created.id, data=update)
        return created

    return redirect_or_page(
        save,
        to="/settings/inboxes",
        page=lambda message, status: _inboxes_page(
            request, session, principal, settings, error=message, status=status
        ),
        session=session,
    )


def _credentials(channel: str, fields: dict[str, str], api_base: str) -> dict[str, str] | None:
    """The provider account fields of the form's channel, filled ones only; None for other channels."""
    providers = {c.value for c in service.registered_providers()}
    if channel not in providers:
        return None
    prefix = f"{channel}."
    given = {key.removeprefix(prefix): value for key, value in fields.items() if key.startswith(prefix)}
    return {k: v.strip() for k, v in {**given, "api_base": api_base}.items() if v.strip()}
