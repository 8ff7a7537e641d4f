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


def _ensure(session: Session, workspace_id: uuid.UUID) -> tuple[list[Stage], bool]:
    """The workspace's stages, created from the defaults on first use (then True)."""
    rows = {s.key: s for s in session.scalars(select(Stage).where(Stage.workspace_id == workspace_id))}
    created = False
    for key, defaults in DEFAULT_STAGES.items():
        if key not in rows:
            stage = Stage(workspace_id=workspace_id, key=key, lookback_days=30, **defaults)
            session.add(stage)
            rows[key] = stage
            created = True
    session.flush()
    return [rows[key] for key in StageKey], created


def list_stages(session: Session, *, workspace_id: uuid.UUID) -> list[StagePublic]:
    """The workspace's stages; commits only when the defaults were just created (a read leaves the caller's
    transaction open: a page's reports share what they read in it)."""
    rows, created = _ensure(session, workspace_id)
    stages = [StagePublic.model_validate(s) for s in rows]
    if created:
        session.commit()
    return stages


def update_stage(
    session: Session, *, workspace_id: uuid.UUID, key: StageKey, data: StageUpdate
) -> StagePublic:
    stage = next(s for s in _ensure(session, workspace_id)[0] if s.key is key)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("label") is not None:
        stage.label = changes["label"]
    if changes.get("event_names") is not None:
        stage.event_names = sorted({name.strip() for name in changes["event_names"] if name.strip()})
    if changes.get("lookback_days") is not None:
        stage.lookback_days = changes["lookback_days"]
    # These two may be cleared: null or "" means "no identify rule" / "no value".
    if "identify_trait" in changes:
        stage.identify_trait = (changes["identify_trait"] or "").strip() or None
    if "value_property" in changes:
        stage.value_property = (changes["value_property"] or "").strip() or None
    public = StagePublic.model_validate(stage)
    session.commit()
    return public
