"""Consent to be messaged, per identifier and channel: an SMS number that answered STOP is not texted again
until it answers START (or someone records that it agreed again), whichever inbox or sender would text it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.identity.models import Consent, CustomerIdentifier
from omnicx.identity.schemas import ConsentChange, ConsentPublic, Identifier
from omnicx.identity.service.normalise import normalise, normalised_or_raise
from omnicx.kernel.db import utcnow


def record_consent(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    change: ConsentChange,
    source: str,
    changed_by: str,
    at: datetime | None = None,
) -> ConsentPublic:
    """Record the latest word of the identifier's holder on `change.channel` (normalised first; idempotent for
    a repeated word, which keeps its first time). Committed."""
    identifier = normalised_or_raise(Identifier(kind=change.kind, value=change.value))
    key = (workspace_id, identifier.kind, identifier.value, change.channel)
    row = _row(session, *key)
    if row is None:
        row = Consent(
            workspace_id=workspace_id, kind=identifier.kind, value=identifier.value, channel=change.channel
        )
        _apply(row, change, source, changed_by, at)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # recorded meanwhile by a concurrent delivery of the same word
            row = _row(session, *key)
            assert row is not None
    if row.opted_out != change.opted_out:
        _apply(row, change, source, changed_by, at)
    public = ConsentPublic.model_validate(row)
    session.commit()
    return public


def _apply(row: Consent, change: ConsentChange, source: str, changed_by: str, at: datetime | None) -> None:
    row.opted_out = change.opted_out
    row.keyword = change.keyword
    row.source = source
    row.changed_by = changed_by[:320]
    row.changed_at = at or utcnow()


def _row(session: Session, workspace_id: uuid.UUID, kind: object, value: str, channel: str) -> Consent | None:
    return session.scalar(
        select(Consent).where(
            Consent.workspace_id == workspace_id,
            Consent.kind == kind,
            Consent.value == value,
            Consent.channel == channel,
        )
    )


def opted_out(
    session: Session, *, workspace_id: uuid.UUID, identifier: Identifier, channel: str
) -> ConsentPublic | None:
    """The opt-out a sender must honour before messaging `identifier` on `channel`, or None when it may."""
    normalised = normalise(identifier)
    if normalised is None:
        return None
    row = _row(session, workspace_id, normalised.kind, normalised.value, channel)
    return ConsentPublic.model_validate(row) if row is not None and row.opted_out else None


def customer_consents(
    session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID
) -> list[ConsentPublic]:
    """What the customer's identifiers said about being messaged, newest first."""
    rows = session.scalars(
        select(Consent)
        .join(
            CustomerIdentifier,
            (CustomerIdentifier.workspace_id == Consent.workspace_id)
            & (CustomerIdentifier.kind == Consent.kind)
            & (CustomerIdentifier.value == Consent.value),
        )
        .where(Consent.workspace_id == workspace_id, CustomerIdentifier.customer_id == customer_id)
        .order_by(Consent.changed_at.desc())
    )
    return [ConsentPublic.model_validate(r) for r in rows]
