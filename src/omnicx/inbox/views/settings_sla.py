"""Settings → SLA policies: response and resolution targets, business hours per weekday, holidays."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from omnicx.inbox import service
from omnicx.inbox.schemas import SlaPolicyCreate, SlaPolicyUpdate
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]
WEEKDAYS = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]


def _sla_page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    policies = service.list_sla_policies(session, workspace_id=principal.workspace_id)
    context = {
        "policies": policies,
        "hours_text": {p.id: _hours_text(p.business_hours) for p in policies},
        "days": WEEKDAYS,
        "error": error,
    }
    return render(request, "inbox/settings_sla.html", context, status=status)


def _hours_text(hours: dict[str, Any]) -> dict[str, str]:
    """Business hours as the form shows them: per weekday, `09:00-12:00, 13:00-17:00`."""
    return {day: ", ".join(f"{a}-{b}" for a, b in intervals) for day, intervals in hours.items()}


def _parse_hours(form: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in range(7):
        raw = form.get(f"hours_{day}", "").strip()
        if raw:
            pairs = [part.strip().split("-", 1) for part in raw.split(",") if part.strip()]
            hours[str(day)] = [(p[0].strip(), p[1].strip() if len(p) > 1 else "") for p in pairs]
    return hours


@router.get("/settings/sla-policies", response_class=HTMLResponse)
def sla_page(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _sla_page(request, session, principal)


@router.post("/settings/sla-policies", response_class=HTMLResponse)
async def sla_save(request: Request, session: SessionDep, principal: Manager) -> Any:
    """Create an SLA policy, or replace one (`policy_id`): targets in minutes, hours per weekday, holidays."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    existing = optional_uuid(form.get("policy_id"))

    def minutes(name: str) -> int | None:
        raw = form.get(name, "").strip()
        return int(raw) if raw.isdigit() else None

    def save() -> object:
        data = {
            "name": form.get("name", ""),
            "first_response_minutes": minutes("first_response_minutes") or 120,
            "next_response_minutes": minutes("next_response_minutes"),
            "resolution_minutes": minutes("resolution_minutes"),
            "business_hours": _parse_hours(form),
            "holidays": [
                d.strip() for d in form.get("holidays", "").replace("\n", ",").split(",") if d.strip()
            ],
        }
        if existing is None:
            return service.create_sla_policy(
                session, principal=principal, data=SlaPolicyCreate.model_validate(data)
            )
        return service.update_sla_policy(
            session, principal=principal, policy_id=existing, data=SlaPolicyUpdate.model_validate(data)
        )

    return await run_in_threadpool(
        redirect_or_page,
        save,
        to="/settings/sla-policies",
        page=lambda message, status: _sla_page(request, session, principal, error=message, status=status),
        session=session,
    )
