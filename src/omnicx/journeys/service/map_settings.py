"""The workspace's journey map definition: its own once saved, else the default map (in the reader's language)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.journeys.models import JourneyMap
from omnicx.journeys.schemas import JourneyMapSettings, JourneyStage
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_

#: The default stages, before to after the purchase, with rules for the events Segment's e-commerce spec names
#: and the pages of a typical shop.
DEFAULT_STAGES = [
    (N_("Discover"), ["visit"]),
    (
        N_("Consider"),
        [
            "page:/products/",
            "page:/collections/",
            "event:Product Viewed",
            "event:Product Added",
            "page:/cart",
        ],
    ),
    (N_("Purchase"), ["order:placed", "event:Order Completed"]),
    (N_("Receive or pick up"), ["order:delivered", "order:picked_up"]),
    (N_("Get support"), ["conversation"]),
    (N_("Return or repurchase"), ["order:returned", "order:placed"]),
]
DEFAULT_FRICTION_PAGES = ["/help", "/faq", "/delivery", "/shipping", "/returns", "/contact"]


def default_map() -> JourneyMapSettings:
    return JourneyMapSettings(
        stages=[JourneyStage(name=gettext(name), rules=rules) for name, rules in DEFAULT_STAGES],
        friction_pages=DEFAULT_FRICTION_PAGES,
    )


def get_journey_map(session: Session, *, workspace_id: uuid.UUID) -> JourneyMapSettings:
    """The workspace's saved map, else the default one."""
    row = session.get(JourneyMap, workspace_id)
    if row is None:
        return default_map()
    return JourneyMapSettings.model_validate({"stages": row.stages, "friction_pages": row.friction_pages})


def save_journey_map(
    session: Session, *, workspace_id: uuid.UUID, data: JourneyMapSettings, principal: Principal | None = None
) -> JourneyMapSettings:
    """Replace the workspace's map (its stages, as validated, and its friction pages). Commits."""
    row = session.get(JourneyMap, workspace_id) or JourneyMap(workspace_id=workspace_id)
    row.stages = [stage.model_dump() for stage in data.stages]
    row.friction_pages = list(data.friction_pages)
    row.updated_at = utcnow()
    row.updated_by = principal.label if principal else "cli"
    session.add(row)
    _audit(session, workspace_id, principal, "journey_map.saved", [stage.name for stage in data.stages])
    session.commit()
    return get_journey_map(session, workspace_id=workspace_id)


def reset_journey_map(
    session: Session, *, workspace_id: uuid.UUID, principal: Principal | None = None
) -> None:
    """Back to the default map. Commits."""
    row = session.get(JourneyMap, workspace_id)
    if row is not None:
        session.delete(row)
        _audit(session, workspace_id, principal, "journey_map.reset", [])
    session.commit()


def _audit(
    session: Session, workspace_id: uuid.UUID, principal: Principal | None, action: str, stages: list[str]
) -> None:
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        actor_label="" if principal else "cli",
        action=action,
        target_type="journey_map",
        target_id=str(workspace_id),
        detail={"stages": stages},
    )
