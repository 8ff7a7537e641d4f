"""The statements resolution writes: a plan applied to loaded rows, and the batched inserts of the easy cases.

Nothing here decides anything (`merging` does) and nothing commits: callers resolve inside the transaction that
stores their own write, and wrap these in the savepoints that make concurrent writers safe (`graph`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any
from typing import cast as typing_cast

import orjson
from sqlalchemy import Table, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from omnicx.analytics.enums import Stream
from omnicx.identity import merging
from omnicx.identity.models import Customer, CustomerIdentifier, Merge
from omnicx.identity.schemas import Identifier, IdentifierKind, MergeStatus
from omnicx.identity.service.facts import kind_counts, load_customers
from omnicx.identity.service.profile import apply_traits, fill_from_identifiers, merge_profile
from omnicx.kernel.db import insert_rows, new_id, sqlite_times, utcnow
from omnicx.kernel.jobs.feed import record_changes

log = logging.getLogger("omnicx.identity")

# (customer, identifiers to give it): one entry per queued item.
Attachment = tuple[uuid.UUID, Sequence[Identifier]]


def apply_plan(
    session: Session,
    workspace_id: uuid.UUID,
    plan: merging.Plan,
    customers: Mapping[uuid.UUID, Customer],
    *,
    reason: str,
) -> Customer:
    """Write `plan` (its members loaded in `customers`); returns the survivor, created when the plan says so."""
    survivor = customers[plan.survivor] if plan.survivor is not None else _create(session, workspace_id)
    for absorbed in plan.absorbed:
        _merge(session, workspace_id, source=customers[absorbed], target=survivor, reason=reason)
    _attach(session, workspace_id, survivor, plan.attach)
    for refused in plan.refused_customers:
        _log_refusal(session, workspace_id, source_id=refused, target_id=survivor.id, reason=reason)
    for identifier in plan.refused_identifiers:
        _log_refusal(
            session,
            workspace_id,
            source_id=None,
            target_id=survivor.id,
            reason=reason,
            detail={"kind": identifier.kind.value},
        )
    session.flush()
    return survivor


def merge_pair(
    session: Session, *, workspace_id: uuid.UUID, source: Customer, target: Customer, reason: str
) -> bool:
    """Merge two loaded customers if limits allow (manual merges); log a refusal otherwise."""
    counts = kind_counts(session, {source.id, target.id})
    if not merging.fits(counts[target.id], counts[source.id]):
        _log_refusal(session, workspace_id, source_id=source.id, target_id=target.id, reason=reason)
        return False
    _merge(session, workspace_id, source=source, target=target, reason=reason)
    session.flush()
    return True


def _create(session: Session, workspace_id: uuid.UUID) -> Customer:
    now = utcnow()
    customer = Customer(id=new_id(), workspace_id=workspace_id, display_name="", traits={}, created_at=now)
    session.add(customer)
    session.flush()  # its identifiers reference it; insert it first
    return customer


def _attach(
    session: Session, workspace_id: uuid.UUID, customer: Customer, identifiers: Sequence[Identifier]
) -> None:
    now = utcnow()
    for identifier in identifiers:
        session.add(
            CustomerIdentifier(
                id=new_id(),
                workspace_id=workspace_id,
                customer_id=customer.id,
                kind=identifier.kind,
                value=identifier.value,
                created_at=now,
            )
        )
    fill_from_identifiers(customer, identifiers)


def _merge(
    session: Session, workspace_id: uuid.UUID, *, source: Customer, target: Customer, reason: str
) -> None:
    """Fold `source` into `target`: identifiers move, pointers are re-aimed one hop, the merge is logged."""
    session.flush()
    moved = _rowcount(
        session.execute(
            update(CustomerIdentifier)
            .where(CustomerIdentifier.customer_id == source.id)
            .values(customer_id=target.id)
            .execution_options(synchronize_session="fetch")
        )
    )
    session.execute(
        update(Customer)
        .where(Customer.merged_into_id == source.id)
        .values(merged_into_id=target.id)
        .execution_options(synchronize_session="fetch")
    )
    source.merged_into_id = target.id
    merge_profile(source=source, target=target)
    session.add(
        Merge(
            id=new_id(),
            workspace_id=workspace_id,
            source_id=source.id,
            target_id=target.id,
            status=MergeStatus.MERGED,
            reason=reason.replace("\x00", "")[:64],
            detail={"identifiers_moved": moved},
            created_at=utcnow(),
        )
    )
    record_changes(
        session, workspace_id=workspace_id, stream=Stream.CUSTOMER_MAP.value, upserted=[workspace_id]
    )
    log.info("identity: merged customer %s into %s (%s)", source.id, target.id, reason)


def _log_refusal(
    session: Session,
    workspace_id: uuid.UUID,
    *,
    source_id: uuid.UUID | None,
    target_id: uuid.UUID,
    reason: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log a merge a limit refused, once per pair (a shared device would otherwise log it on every event)."""
    if source_id is not None:
        already = session.scalar(
            select(Merge.id)
            .where(
                Merge.workspace_id == workspace_id,
                Merge.status == MergeStatus.REFUSED,
                Merge.source_id == source_id,
                Merge.target_id == target_id,
            )
            .limit(1)
        )
        if already is not None:
            return
    log.warning("identity: refused to merge %s into %s: per-type limit (%s)", source_id, target_id, reason)
    session.add(
        Merge(
            id=new_id(),
            workspace_id=workspace_id,
            source_id=source_id,
            target_id=target_id,
            status=MergeStatus.REFUSED,
            reason=reason.replace("\x00", "")[:64],
            detail={"limit": "user_id", **(detail or {})},
            created_at=utcnow(),
        )
    )


def _identifier_rows(
    workspace_id: uuid.UUID, attachments: Sequence[Attachment], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(),
            "workspace_id": workspace_id,
            "customer_id": customer_id,
            "kind": i.kind,
            "value": i.value,
            "created_at": now,
        }
        for customer_id, identifiers in attachments
        for i in identifiers
    ]


def insert_customers(session: Session, workspace_id: uuid.UUID, attachments: Sequence[Attachment]) -> None:
    """Insert new customers (under the ids given) and their identifiers: two statements in all."""
    now = utcnow()
    customers: list[dict[str, Any]] = []
    for customer_id, identifiers in attachments:
        emails = [i.value for i in identifiers if i.kind is IdentifierKind.EMAIL]
        phones = [i.value for i in identifiers if i.kind is IdentifierKind.PHONE]
        customers.append(
            {
                "id": customer_id,
                "workspace_id": workspace_id,
                "display_name": "",
                "traits": {},
                "email": emails[0] if emails else None,
                "phone": phones[0] if phones else None,
                "first_seen_at": None,
                "last_seen_at": None,
                "merged_into_id": None,
                "created_at": now,
            }
        )
    insert_rows(session, _table(Customer), customers)
    insert_rows(session, _table(CustomerIdentifier), _identifier_rows(workspace_id, attachments, now))


def insert_identifiers(
    session: Session, workspace_id: uuid.UUID, attachments: Sequence[Attachment]
) -> list[dict[str, Any]]:
    """Insert new identifiers of known customers in one statement; returns the rows, for `fill_contacts`."""
    rows = _identifier_rows(workspace_id, attachments, utcnow())
    insert_rows(session, _table(CustomerIdentifier), rows)
    return rows


def fill_contacts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Fill the email and phone columns of the customers of `rows` where empty, first value first (as
    `fill_from_identifiers` does one by one)."""
    for kind, column in ((IdentifierKind.EMAIL, "email"), (IdentifierKind.PHONE, "phone")):
        params = [{"cid": row["customer_id"], "fill": row["value"]} for row in rows if row["kind"] is kind]
        if params:
            session.connection().execute(_fill_statement(column), params)
            _expire(session, {p["cid"] for p in params}, ["email", "phone"])


def _fill_statement(column: str) -> Any:
    """Set `column` (email or phone) of customer `cid` to `fill` unless it already has one."""
    table = _table(Customer)
    return (
        update(table)
        .where(table.c.id == bindparam("cid"), or_(table.c[column].is_(None), table.c[column] == ""))
        .values({column: bindparam("fill")})
    )


# SQLite, at the driver: the same widening, with times as SQLite stores them (fixed-width text compares in
# time order). At hundreds of customers per processing run, SQLAlchemy's per-parameter processing of the
# portable statement below cost more than the updates.
_SQLITE_SEEN = (
    "UPDATE identity_customer SET"
    " first_seen_at = CASE WHEN first_seen_at IS NULL OR first_seen_at > ?1 THEN ?1 ELSE first_seen_at END,"
    " last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < ?2 THEN ?2 ELSE last_seen_at END"
    " WHERE id = ?3 AND (first_seen_at IS NULL OR last_seen_at IS NULL OR first_seen_at > ?1 OR last_seen_at < ?2)"
)


# PostgreSQL: the same widening in one statement, the customers' times read from one JSON parameter (LEAST and
# GREATEST skip a NULL: a customer never seen takes the new time). Both skip a customer whose times already
# cover the new ones (a late or replayed event): no new row version, no index entries, no change to copy.
_POSTGRES_SEEN = text(
    """
    UPDATE identity_customer
    SET first_seen_at = LEAST(identity_customer.first_seen_at, seen.first),
        last_seen_at = GREATEST(identity_customer.last_seen_at, seen.last)
    FROM jsonb_to_recordset(CAST(:seen AS jsonb)) AS seen(id uuid, first timestamptz, last timestamptz)
    WHERE identity_customer.id = seen.id
      AND (identity_customer.first_seen_at IS NULL OR identity_customer.last_seen_at IS NULL
           OR identity_customer.first_seen_at > seen.first OR identity_customer.last_seen_at < seen.last)
    """
)


def record_seen(session: Session, touched: Mapping[uuid.UUID, tuple[datetime, datetime]]) -> None:
    """Widen the seen times of every touched customer, in one statement (times are timezone-aware)."""
    if not touched:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        firsts, lasts = zip(*touched.values(), strict=True)
        seen = zip(
            sqlite_times(list(firsts)), sqlite_times(list(lasts)), [c.hex for c in touched], strict=True
        )
        connection.exec_driver_sql(_SQLITE_SEEN, list(seen))
    else:
        # In id order, as `customers.lock_customers` takes rows: no two transactions wait on each other in turn.
        ordered = sorted(touched, key=attrgetter("int"))  # UUID order, compared as plain integers
        rows = [{"id": cid, "first": touched[cid][0], "last": touched[cid][1]} for cid in ordered]
        connection.execute(_POSTGRES_SEEN, {"seen": orjson.dumps(rows).decode()})
    _expire(session, touched, ["first_seen_at", "last_seen_at"])


def record_traits(
    session: Session, workspace_id: uuid.UUID, traits: Mapping[uuid.UUID, Mapping[str, Any]]
) -> None:
    """Merge traits into the few customers that got some."""
    if not traits:
        return
    for customer in load_customers(session, workspace_id, list(traits)):
        apply_traits(customer, traits[customer.id])
    session.flush()


def _expire(session: Session, customer_ids: Iterable[uuid.UUID], attributes: list[str]) -> None:
    """Statements above bypass the ORM: customers already loaded must read those columns again."""
    if not session.identity_map:
        return  # nothing loaded (a processing job's session): nothing to look for
    for cid in customer_ids:
        loaded = session.identity_map.get(session.identity_key(Customer, cid))
        if loaded is not None:
            session.expire(loaded, attributes)


def _table(model: type[Customer] | type[CustomerIdentifier]) -> Table:
    return typing_cast(Table, model.__table__)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
