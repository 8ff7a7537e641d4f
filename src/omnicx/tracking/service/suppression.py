"""Suppression at the door: an event naming a suppressed identifier is not stored at all.

Suppressing an identifier (or erasing a customer with suppression) means "collect nothing more about this
person". Storing their next events unprofiled would still be collecting, so the collection API and the importer
drop them in the request's transaction, before the insert: every identifier an event names counts (userId,
anonymousId, an alias's previousId, the email and phone of its traits), normalised as identity resolution
normalises them. Refused events of such a person are not recorded either.

The caller of the collection API is not told: its write key is public (sites embed it), so an answer that
differed for a suppressed identifier would tell anyone holding the key who asked to be forgotten.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind, ResolveItem
from omnicx.tracking.context import as_dict, text
from omnicx.tracking.service.processing import traits_of
from omnicx.tracking.wire import Rejection


def _item(kind: str, user_id: str | None, anonymous_id: str | None, payload: dict[str, Any]) -> ResolveItem:
    identifiers: list[Identifier] = []
    if user_id:
        identifiers.append(Identifier(kind=IdentifierKind.USER_ID, value=user_id))
    if anonymous_id:
        identifiers.append(Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=anonymous_id))
    previous = text(payload.get("previousId")) if kind == "alias" else None
    if previous:
        # Resolution decides later which kind it is; either may be the suppressed one.
        identifiers.append(Identifier(kind=IdentifierKind.USER_ID, value=previous))
        identifiers.append(Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=previous))
    return ResolveItem(identifiers=tuple(identifiers), traits=traits_of(kind, payload))


def _rejection_item(rejection: Rejection) -> ResolveItem:
    payload = as_dict(rejection.payload)
    return _item(
        str(payload.get("type") or ""),
        text(payload.get("userId")),
        text(payload.get("anonymousId")),
        payload,
    )


def drop_suppressed(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    rows: list[dict[str, Any]],
    rejected: Sequence[Rejection],
) -> tuple[list[dict[str, Any]], list[Rejection], int]:
    """The rows and refusals to record, without those naming a suppressed identifier, and how many events
    were dropped. A workspace that suppresses nothing pays one index probe per request; one that does, one
    more query (the suppression list, or a search of it when it is long)."""
    if not identity_service.any_suppressed(session, workspace_id=workspace_id):
        return rows, list(rejected), 0
    items = [_item(r["type"], r["user_id"], r["anonymous_id"], r["payload"]) for r in rows]
    items.extend(_rejection_item(r) for r in rejected)
    flags = identity_service.suppressed_items(session, workspace_id=workspace_id, items=items)
    if not any(flags):
        return rows, list(rejected), 0
    kept_rows = [row for row, flag in zip(rows, flags[: len(rows)], strict=True) if not flag]
    kept_rejected = [r for r, flag in zip(rejected, flags[len(rows) :], strict=True) if not flag]
    return kept_rows, kept_rejected, len(rows) - len(kept_rows)
