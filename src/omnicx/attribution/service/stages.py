"""Conversion stages: what counts as a contact, a qualified lead and a sale in this workspace.

Defaults follow the Segment e-commerce and B2B event names, so a site instrumented the usual way is measured
without configuration; each workspace can change names, the value property and the lookback window.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.attribution.models import Stage, StageKey
from omnicx.attribution.schemas import StagePublic, StageUpdate

DEFAULT_STAGES: dict[StageKey, dict[str, object]] = {
    StageKey.CONTACT: {
        "label": "Contacts",
        "event_names": [
            "Signed Up",
            "Newsletter Subscribed",
            "Contact Form Submitted",
            "Conversation Started",
        ],
        "identify_trait": "email",
        "value_property": None,
    },
    StageKey.QUALIFIED: {
        "label": "Qualified leads",
        "event_names": ["Lead Qualified", "Checkout Started"],
        "identify_trait": None,
        "value_property": None,
    },
    StageKey.SALE: {
        "label": "Sales",
        "event_names": ["Order Completed"],
        "identify_trait": None,
        "value_property": "revenue",
    },
}


def _ensure(session: Session, workspace_id: uuid.UUID) -> list[Stage]:
    """The workspace's stages, created from the defaults on first use."""
    rows = {s.key: s for s in session.scalars(select(Stage).where(Stage.workspace_id == workspace_id))}
    for key, defaults in DEFAULT_STAGES.items():
        if key not in rows:
            stage = Stage(workspace_id=workspace_id, key=key, lookback_days=30, **defaults)
            session.add(stage)
            rows[key] = stage
    session.flush()
    return [rows[key] for key in StageKey]


def list_stages(session: Session, *, workspace_id: uuid.UUID) -> list[StagePublic]:
    stages = [StagePublic.model_validate(s) for s in _ensure(session, workspace_id)]
    session.commit()
    return stages


def update_stage(
    session: Session, *, workspace_id: uuid.UUID, key: StageKey, data: StageUpdate
) -> StagePublic:
    stage = next(s for s in _ensure(session, workspace_id) if s.key is key)
    for field, value in data.model_dump(exclude_unset=True).items():
        if field == "event_names" and value is not None:
            value = sorted({name.strip() for name in value if name.strip()})
        setattr(stage, field, value or None if field in ("identify_trait", "value_property") else value)
    public = StagePublic.model_validate(stage)
    session.commit()
    return public
