"""What the analytics copy reads of identity: each merged-away customer and the customer it now is."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.identity.models import Customer


def customer_map_rows(session: Session, workspace_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """(customer id, current customer id) of every customer merged into another. Merges re-aim pointers as they
    go, so one hop reaches the survivor."""
    stmt = select(Customer.id, Customer.merged_into_id).where(
        Customer.workspace_id == workspace_id, Customer.merged_into_id.is_not(None)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def customer_map_owners(session: Session) -> list[uuid.UUID]:
    """Workspaces with at least one merged customer."""
    stmt = select(Customer.workspace_id).where(Customer.merged_into_id.is_not(None)).distinct()
    return list(session.scalars(stmt))
