"""Reading the graph: customers, their identifiers and merges, following merges from old ids to survivors."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.identity.errors import CustomerNotFound, MergeRefused
from omnicx.identity.models import Customer, CustomerIdentifier, Merge, Suppression
from omnicx.identity.schemas import (
    CustomerPublic,
    CustomerSearch,
    Identifier,
    IdentifierKind,
    IdentifierPublic,
    MergePublic,
    MergeStatus,
    ResolveItem,
)
from omnicx.identity.service.facts import lookup, suppressed_keys
from omnicx.identity.service.graph import prepare
from omnicx.identity.service.writes import merge_pair
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import among, staged_ids
from omnicx.kernel.web.schemas import Page

MAX_HOPS = 32
# Up to this many suppressions, a batch's check reads the whole list (one short query) instead of searching it.
SHORT_LIST = 500
# Built once: building a statement and its cache key costs more than running it on the collection path.
_ANY_SUPPRESSION = (
    select(Suppression.id).where(Suppression.workspace_id == bindparam("workspace_id")).limit(1)
)
_SUPPRESSIONS = (
    select(Suppression.kind, Suppression.value)
    .where(Suppression.workspace_id == bindparam("workspace_id"))
    .limit(bindparam("limit"))
)


def current_customer_ids(
    session: Session, *, workspace_id: uuid.UUID, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Old id -> surviving id for every known id (live ids map to themselves; unknown or erased ids are absent).

    Events, conversations and orders keep the customer id they were resolved to; they call this when read.
    """
    result: dict[uuid.UUID, uuid.UUID] = {}
    frontier = {cid: cid for cid in customer_ids}
    for _ in range(MAX_HOPS):
        if not frontier:
            break
        rows = session.execute(
            select(Customer.id, Customer.merged_into_id).where(
                Customer.workspace_id == workspace_id, Customer.id.in_(set(frontier.values()))
            )
        ).all()
        pointers = {row.id: row.merged_into_id for row in rows}
        next_frontier: dict[uuid.UUID, uuid.UUID] = {}
        for original, at in frontier.items():
            if at not in pointers:
                continue
            target = pointers[at]
            if target is None:
                result[original] = at
            else:
                next_frontier[original] = target
        frontier = next_frontier
    return result


def absorbed_into(
    session: Session, *, workspace_id: uuid.UUID, survivors: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Merged id -> survivor for every customer merged into one of `survivors`.

    A merged customer's pointer names its survivor directly (every later merge re-points it), so one indexed
    probe per survivor answers; most find nothing. Domains that keep rows under the customer id they resolved to
    (tracking's events) ask this to move what merges left behind. The survivors travel as one parameter
    (`kernel.db.among`), so no list is too long for one statement.
    """
    rows = session.connection().execute(
        select(Customer.id, Customer.merged_into_id).where(
            among(session, Customer.merged_into_id, survivors), Customer.workspace_id == workspace_id
        )
    )
    return {row.id: row.merged_into_id for row in rows}


def lock_customers(session: Session, *, workspace_id: uuid.UUID, customer_ids: Collection[uuid.UUID]) -> None:
    """Hold the customers' rows until the end of the transaction, so that two workers writing what derives from
    the same customers (tracking's sessions) take turns; a no-op on SQLite, which admits one writer at a time.

    Rows are taken in id order, the order `writes.record_seen` updates them in, so two transactions cannot each
    hold one the other waits for. Row locks live in the rows themselves: a worker may hold thousands without
    filling PostgreSQL's shared lock table (advisory locks, one per customer, would: at the default
    `max_locks_per_transaction`, three workers at 2,000 customers a job come near it).
    """
    if session.get_bind().dialect.name != "postgresql" or not customer_ids:
        return
    session.connection().execute(
        select(Customer.id)
        .where(among(session, Customer.id, customer_ids), Customer.workspace_id == workspace_id)
        .order_by(Customer.id)
        .with_for_update()
    ).all()


def current_customer_id(session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> uuid.UUID:
    """The surviving id of `customer_id`, or CustomerNotFound."""
    found = current_customer_ids(session, workspace_id=workspace_id, customer_ids=[customer_id])
    if customer_id not in found:
        raise CustomerNotFound(f"customer {customer_id} not found")
    return found[customer_id]


def customer_for(session: Session, *, workspace_id: uuid.UUID, identifier: Identifier) -> uuid.UUID | None:
    """The customer currently holding `identifier` (normalised first), or None."""
    prepared = prepare([identifier])
    if not prepared:
        return None
    owners, _ = lookup(session, workspace_id=workspace_id, keys=[(prepared[0].kind, prepared[0].value)])
    return next(iter(owners.values()), None)


def is_suppressed(session: Session, *, workspace_id: uuid.UUID, identifiers: Sequence[Identifier]) -> bool:
    """True when any of `identifiers` (normalised first) is suppressed: collect nothing about this person."""
    keys = [(i.kind, i.value) for i in prepare(identifiers)]
    if not keys:
        return False
    _, suppressed = lookup(session, workspace_id=workspace_id, keys=keys)
    return bool(suppressed)


def any_suppressed(session: Session, *, workspace_id: uuid.UUID) -> bool:
    """Whether the workspace suppresses anything at all (one index probe): when not, a batch needs no check."""
    return session.execute(_ANY_SUPPRESSION, {"workspace_id": workspace_id}).first() is not None


def suppressed_items(
    session: Session, *, workspace_id: uuid.UUID, items: Sequence[ResolveItem]
) -> list[bool]:
    """For each item of a batch, whether any of its identifiers (those in its traits included, normalised as
    resolution does) is suppressed: what collection must not store. A short suppression list is read whole and
    checked in memory; a long one is searched for the batch's identifiers (one query per 400)."""
    listed = session.execute(_SUPPRESSIONS, {"workspace_id": workspace_id, "limit": SHORT_LIST + 1}).all()
    if not listed:
        return [False] * len(items)
    prepared = [[(i.kind, i.value) for i in prepare(item.identifiers, item.traits)] for item in items]
    if len(listed) <= SHORT_LIST:
        suppressed = {(IdentifierKind(kind), value) for kind, value in listed}
    else:
        keys = {key for item_keys in prepared for key in item_keys}
        suppressed = suppressed_keys(session, workspace_id=workspace_id, keys=keys) if keys else set()
    return [any(key in suppressed for key in item_keys) for item_keys in prepared]


def _load(session: Session, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    customer = session.scalar(
        select(Customer).where(Customer.workspace_id == workspace_id, Customer.id == customer_id)
    )
    if customer is None:
        raise CustomerNotFound(f"customer {customer_id} not found")
    return customer


def get_customer(session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerPublic:
    """The customer `customer_id` resolves to today (a merged id answers with its survivor)."""
    current = current_customer_id(session, workspace_id=workspace_id, customer_id=customer_id)
    return CustomerPublic.model_validate(_load(session, workspace_id, current))


def customer_lineage(session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> list[uuid.UUID]:
    """The surviving id first, then every id merged into it: what other domains' records may still carry."""
    current = current_customer_id(session, workspace_id=workspace_id, customer_id=customer_id)
    merged = session.scalars(
        select(Customer.id)
        .where(Customer.workspace_id == workspace_id, Customer.merged_into_id == current)
        .order_by(Customer.id)
    )
    return [current, *merged]


def list_identifiers(
    session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID
) -> list[IdentifierPublic]:
    """Every identifier of the customer (a merged customer's identifiers belong to its survivor)."""
    current = current_customer_id(session, workspace_id=workspace_id, customer_id=customer_id)
    rows = session.scalars(
        select(CustomerIdentifier)
        .where(CustomerIdentifier.workspace_id == workspace_id, CustomerIdentifier.customer_id == current)
        .order_by(CustomerIdentifier.kind, CustomerIdentifier.created_at)
    )
    return [IdentifierPublic.model_validate(r) for r in rows]


def list_merges(session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> list[MergePublic]:
    """The merge log entries (merges and refusals) touching this customer or anyone merged into it."""
    lineage = customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    rows = session.scalars(
        select(Merge)
        .where(
            Merge.workspace_id == workspace_id,
            or_(Merge.target_id.in_(lineage), Merge.source_id.in_(lineage)),
        )
        .order_by(Merge.created_at.desc(), Merge.id.desc())
    )
    return [MergePublic.model_validate(r) for r in rows]


def search_customers(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    search: CustomerSearch,
    among: Collection[uuid.UUID] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[CustomerPublic]:
    """Live customers, most recently seen first, filtered by `search`.

    `among` is an optional set of customer ids (from another domain: first-touch channel...), however many;
    ids in it that were merged away count for their survivor.
    """
    stmt = select(Customer).where(Customer.workspace_id == workspace_id, Customer.merged_into_id.is_(None))
    stmt = _filtered(stmt, workspace_id, search)
    if among is not None:
        staged = staged_ids(session, among)
        merged_into = select(Customer.merged_into_id).where(
            Customer.workspace_id == workspace_id, Customer.id.in_(staged)
        )
        stmt = stmt.where(or_(Customer.id.in_(staged), Customer.id.in_(merged_into)))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Customer.last_seen_at.desc().nulls_last(), Customer.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page[CustomerPublic](
        items=[CustomerPublic.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )


def _filtered(stmt: Select[Customer], workspace_id: uuid.UUID, search: CustomerSearch) -> Select[Customer]:
    q = (search.q or "").replace("\x00", "").strip()
    if q:
        stmt = stmt.where(_matches(workspace_id, q))
    if search.seen_since is not None:
        stmt = stmt.where(Customer.last_seen_at >= search.seen_since)
    if search.seen_until is not None:
        stmt = stmt.where(Customer.last_seen_at <= search.seen_until)
    if search.has_email is True:
        stmt = stmt.where(Customer.email.is_not(None))
    elif search.has_email is False:
        stmt = stmt.where(Customer.email.is_(None))
    return stmt


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(workspace_id: uuid.UUID, q: str) -> ColumnElement[bool]:
    """Name, email or phone contain `q` (case-insensitive), or an identifier's value equals it exactly."""
    pattern = f"%{_escape_like(q.lower())}%"
    candidates = {q, q.lower()}
    for identifier in prepare(
        [Identifier(kind=k, value=q) for k in (IdentifierKind.EMAIL, IdentifierKind.PHONE)]
    ):
        candidates.add(identifier.value)
    by_identifier = exists().where(
        CustomerIdentifier.workspace_id == workspace_id,
        CustomerIdentifier.customer_id == Customer.id,
        CustomerIdentifier.value.in_(candidates),
    )
    return or_(
        func.lower(Customer.display_name).like(pattern, escape="\\"),
        func.lower(Customer.email).like(pattern, escape="\\"),
        Customer.phone.like(pattern, escape="\\"),
        by_identifier,
    )


def merge_customers(
    session: Session,
    *,
    principal: Principal,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    reason: str = "manual",
) -> CustomerPublic:
    """Merge `source_id` into `target_id` by hand (duplicate contacts); audited; flushes, the caller commits.

    The caller's choice of survivor is kept (a person decided); a per-type limit (two different user ids)
    refuses with MergeRefused, which the caller reports instead of committing.
    """
    workspace_id = principal.workspace_id
    source = _load(
        session, workspace_id, current_customer_id(session, workspace_id=workspace_id, customer_id=source_id)
    )
    target = _load(
        session, workspace_id, current_customer_id(session, workspace_id=workspace_id, customer_id=target_id)
    )
    if source.id == target.id:
        return CustomerPublic.model_validate(target)
    if not merge_pair(session, workspace_id=workspace_id, source=source, target=target, reason=reason):
        raise MergeRefused("both customers have a different user id; they cannot be one person")
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        action="customer.merged",
        target_type="customer",
        target_id=str(target.id),
        detail={"source_id": str(source.id), "reason": reason},
    )
    session.flush()
    return CustomerPublic.model_validate(target)


def refused_merges(
    session: Session, *, workspace_id: uuid.UUID, since: datetime | None = None
) -> list[MergePublic]:
    """Merges a per-type limit refused, newest first (the conflicts an admin may want to review)."""
    stmt = select(Merge).where(Merge.workspace_id == workspace_id, Merge.status == MergeStatus.REFUSED)
    if since is not None:
        stmt = stmt.where(Merge.created_at >= since)
    rows = session.scalars(stmt.order_by(Merge.created_at.desc(), Merge.id.desc()).limit(500))
    return [MergePublic.model_validate(r) for r in rows]


def customer_workspace(session: Session, *, customer_id: uuid.UUID) -> uuid.UUID:
    """The workspace of a customer, for the operator's CLI only (which names customers by id alone)."""
    workspace_id = session.scalar(select(Customer.workspace_id).where(Customer.id == customer_id))
    if workspace_id is None:
        raise CustomerNotFound(f"customer {customer_id} not found")
    return workspace_id


def workspaces_with_customers(session: Session) -> list[uuid.UUID]:
    """Workspaces holding at least one customer, for the operator's CLI only (its default workspace)."""
    return list(session.scalars(select(Customer.workspace_id).distinct().limit(2)))
