"""Resolution: from the identifiers an event carried to the one customer they belong to, merging on the way.

Rules (the identity issue):
- identifiers are normalised first; blocked and invalid values are dropped, so they never link anyone;
- an event whose identifiers include a suppressed one resolves to nobody (collection stops for that person);
- identifiers owned by several customers merge them into one, unless a per-type limit (`KIND_LIMITS`: at most
  one user id) would be exceeded: that merge is refused and logged, and the event's new identifiers attach to
  the side holding the event's highest-priority identifier (its user id, when it has one);
- the survivor of a merge is the customer holding the highest-priority identifier (user id > email > phone >
  provider ids > anonymous id), ties going to the oldest; the merged customer keeps a `merged_into_id` pointer
  and its identifiers move to the survivor; every merge is logged with its reason.

Performance: `resolve_many` looks up every identifier of a batch (and their suppressions) in one indexed query
per 400 identifiers, answers the common case (all identifiers known to one customer) from that, and updates
the seen times of every touched customer in one statement. Nothing here commits: callers resolve inside the
transaction that stores their own write.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.identity.merging import KIND_LIMITS, RANK
from omnicx.identity.models import Customer, CustomerIdentifier, Merge, Suppression
from omnicx.identity.schemas import Identifier, IdentifierKind, MergeStatus, ResolveItem
from omnicx.identity.service.normalise import normalise
from omnicx.identity.service.profile import apply_traits, fill_from_identifiers, merge_profile
from omnicx.kernel.db import insert_rows, new_id, utcnow

log = logging.getLogger("omnicx.identity")

Key = tuple[IdentifierKind, str]
LOOKUP_CHUNK = 400
MAX_ATTEMPTS = 3
# Traits that carry identifiers: an identify call's `traits.email` links the email like an explicit one.
TRAIT_IDENTIFIERS = {"email": IdentifierKind.EMAIL, "phone": IdentifierKind.PHONE}


def _key(identifier: Identifier) -> Key:
    return (identifier.kind, identifier.value)


def prepare(
    identifiers: Iterable[Identifier],
    traits: Mapping[str, Any] | None = None,
    default_region: str | None = None,
) -> list[Identifier]:
    """Normalised, de-duplicated identifiers (plus those in `traits`), strongest first (stable within a kind)."""
    candidates = list(identifiers)
    for trait, kind in TRAIT_IDENTIFIERS.items():
        value = (traits or {}).get(trait)
        if isinstance(value, str):
            candidates.append(Identifier(kind=kind, value=value))
    seen: dict[Key, Identifier] = {}
    for candidate in candidates:
        normalised = normalise(candidate, default_region)
        if normalised is not None:
            seen.setdefault(_key(normalised), normalised)
    return sorted(seen.values(), key=lambda i: -RANK[i.kind])


@dataclass
class _Batch:
    """What one `resolve_many` call learns as it goes, so later items reuse earlier items' work."""

    workspace_id: uuid.UUID
    owners: dict[Key, uuid.UUID] = field(default_factory=dict)
    suppressed: set[Key] = field(default_factory=set)
    merged: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    seen: dict[uuid.UUID, tuple[datetime, datetime]] = field(default_factory=dict)
    traits: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    # Customers of items whose identifiers were all new: inserted together, in one statement per table.
    pending: list[tuple[uuid.UUID, ResolveItem, list[Identifier]]] = field(default_factory=list)
    # New identifiers of one known customer (no merge, nothing refused): inserted together after `pending`;
    # (customer, item, the item's identifiers, those to attach).
    attaching: list[tuple[uuid.UUID, ResolveItem, list[Identifier], list[Identifier]]] = field(
        default_factory=list
    )
    # Identifier counts per kind of customers whose counts this batch knows exactly (limits need them).
    counts: dict[uuid.UUID, Counter[str]] = field(default_factory=dict)

    def current(self, customer_id: uuid.UUID) -> uuid.UUID:
        while customer_id in self.merged:
            customer_id = self.merged[customer_id]
        return customer_id

    def touch(self, customer_id: uuid.UUID, at: datetime, traits: Mapping[str, Any] | None) -> None:
        first, last = self.seen.get(customer_id, (at, at))
        self.seen[customer_id] = (min(first, at), max(last, at))
        if traits:
            self.traits.setdefault(customer_id, {}).update(traits)


def _matching(
    kind_column: Any, value_column: Any, keys: Sequence[Key], *, arrays: bool
) -> ColumnElement[bool]:
    """`(kind, value) IN keys`, written as one value test per kind: a single index range scan each, where a
    row-value IN list makes PostgreSQL plan one OR branch per key. On PostgreSQL the values travel as one
    array parameter (`= ANY(:values)`), which binds and plans in a fraction of the time of a long IN list."""
    by_kind: dict[IdentifierKind, list[str]] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, []).append(value)
    tests = []
    for kind, values in by_kind.items():
        if arrays:
            values_test = value_column == any_(bindparam(None, values, type_=postgresql.ARRAY(String)))
        else:
            values_test = value_column.in_(values)
        tests.append(and_(kind_column == kind, values_test))
    return or_(*tests)


def lookup(
    session: Session, *, workspace_id: uuid.UUID, keys: Iterable[Key]
) -> tuple[dict[Key, uuid.UUID], set[Key]]:
    """Owners and suppressions of `keys`: one indexed query per chunk (identifiers UNION ALL suppressions)."""
    owners: dict[Key, uuid.UUID] = {}
    suppressed: set[Key] = set()
    unique = list(dict.fromkeys(keys))
    arrays = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        known = select(
            CustomerIdentifier.kind, CustomerIdentifier.value, CustomerIdentifier.customer_id
        ).where(
            CustomerIdentifier.workspace_id == workspace_id,
            _matching(CustomerIdentifier.kind, CustomerIdentifier.value, chunk, arrays=arrays),
        )
        blocked = select(Suppression.kind, Suppression.value, cast(null(), Uuid)).where(
            Suppression.workspace_id == workspace_id,
            _matching(Suppression.kind, Suppression.value, chunk, arrays=arrays),
        )
        for kind, value, customer_id in session.execute(union_all(known, blocked)):
            key = (IdentifierKind(kind), value)
            if customer_id is None:
                suppressed.add(key)
            else:
                owners[key] = (
                    customer_id if isinstance(customer_id, uuid.UUID) else uuid.UUID(str(customer_id))
                )
    return owners, suppressed


def resolve_many(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    items: Sequence[ResolveItem],
    default_region: str | None = None,
) -> list[uuid.UUID | None]:
    """Resolve a batch of events' identifiers, in order; one answer per item (see `resolve`)."""
    prepared = [prepare(item.identifiers, item.traits, default_region) for item in items]
    owners, suppressed = lookup(
        session, workspace_id=workspace_id, keys=(_key(i) for idents in prepared for i in idents)
    )
    batch = _Batch(workspace_id=workspace_id, owners=owners, suppressed=suppressed)
    now = utcnow()
    results = [
        _resolve_item(session, batch, item, idents, now) for item, idents in zip(items, prepared, strict=True)
    ]
    _apply_touches(session, batch)
    return [batch.current(r) if r is not None else None for r in results]


def resolve(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    identifiers: Sequence[Identifier],
    traits: Mapping[str, Any] | None = None,
    seen_at: datetime | None = None,
    reason: str = "event",
    default_region: str | None = None,
) -> uuid.UUID | None:
    """Find or create the customer owning `identifiers`, merging customers they link; flushes, never commits.

    Returns the current customer id, or None when every identifier was blocked or invalid, or one of them is
    suppressed. `traits` are merged into the profile (newer values win); `traits.email` and `traits.phone` are
    also linked as identifiers.
    """
    item = ResolveItem(
        identifiers=tuple(identifiers),
        traits=dict(traits) if traits else None,
        seen_at=seen_at,
        reason=reason,
    )
    return resolve_many(session, workspace_id=workspace_id, items=[item], default_region=default_region)[0]


def alias(
    session: Session, *, workspace_id: uuid.UUID, previous: Identifier, new: Identifier
) -> uuid.UUID | None:
    """Segment's `alias`: the two identifiers are the same person; their customers merge (subject to limits)."""
    return resolve(session, workspace_id=workspace_id, identifiers=[new, previous], reason="alias")


def _resolve_item(
    session: Session, batch: _Batch, item: ResolveItem, idents: list[Identifier], now: datetime
) -> uuid.UUID | None:
    keys = [_key(i) for i in idents]
    if not keys or any(k in batch.suppressed for k in keys):
        return None
    owners = {k: batch.current(batch.owners[k]) for k in keys if k in batch.owners}
    distinct = set(owners.values())
    if len(distinct) == 1 and len(owners) == len(keys):
        customer_id = distinct.pop()  # the common case: nothing to create, nothing to merge
    elif not owners and _fits(Counter(), Counter(i.kind.value for i in idents)):
        customer_id = _create_later(batch, item, idents)  # a newcomer: created with the batch's others
    elif len(distinct) == 1 and _attach_later(session, batch, item, idents, owners):
        customer_id = distinct.pop()  # a known customer gains identifiers: attached with the batch's others
    else:
        _flush_pending(session, batch)
        customer_id = _resolve_with_retry(session, batch, item, idents)
    batch.touch(customer_id, item.seen_at or now, item.traits)
    return customer_id


def _create_later(batch: _Batch, item: ResolveItem, idents: list[Identifier]) -> uuid.UUID:
    customer_id = new_id()
    batch.pending.append((customer_id, item, idents))
    batch.counts[customer_id] = Counter(i.kind.value for i in idents)
    for identifier in idents:
        batch.owners[_key(identifier)] = customer_id
    return customer_id


def _known_counts(session: Session, batch: _Batch, customer_id: uuid.UUID) -> Counter[str]:
    if customer_id not in batch.counts:
        _flush_pending(session, batch)
        batch.counts.update(_kind_counts(session, {customer_id}))
    return batch.counts[customer_id]


def _attach_later(
    session: Session,
    batch: _Batch,
    item: ResolveItem,
    idents: list[Identifier],
    owners: Mapping[Key, uuid.UUID],
) -> bool:
    """Queue the new identifiers of an item whose known identifiers all belong to one customer, when the plan
    `_resolve_slow` would make is exactly "attach them all to that customer" (no merge, nothing refused);
    False (nothing done) otherwise. Saves a savepoint, three queries and a flush per identified visitor."""
    (owner,) = set(owners.values())
    counts = _known_counts(session, batch, owner)
    plan = _plan(idents, owners, {owner: counts})
    if plan.members != [owner] or plan.refused_customers or plan.refused_identifiers:
        return False
    batch.attaching.append((owner, item, idents, plan.attach))
    counts.update(i.kind.value for i in plan.attach)
    for identifier in plan.attach:
        batch.owners[_key(identifier)] = owner
    return True


def _flush_pending(session: Session, batch: _Batch) -> None:
    """Insert the batch's new customers and their identifiers, two statements in one savepoint.

    If a concurrent writer attached one of these identifiers first (unique violation), the savepoint is undone
    and those items are resolved one by one instead; their provisional ids then point at what they became.
    """
    pending, batch.pending = batch.pending, []
    if not pending:
        _flush_attaching(session, batch)
        return
    now = utcnow()
    customers: list[dict[str, Any]] = []
    identifiers: list[dict[str, Any]] = []
    for customer_id, _item, idents in pending:
        emails = [i.value for i in idents if i.kind is IdentifierKind.EMAIL]
        phones = [i.value for i in idents if i.kind is IdentifierKind.PHONE]
        customers.append(
            {
                "id": customer_id,
                "workspace_id": batch.workspace_id,
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
        identifiers.extend(
            {
                "id": new_id(),
                "workspace_id": batch.workspace_id,
                "customer_id": customer_id,
                "kind": i.kind,
                "value": i.value,
                "created_at": now,
            }
            for i in idents
        )
    try:
        with session.begin_nested():
            insert_rows(session, _table(Customer), customers)
            insert_rows(session, _table(CustomerIdentifier), identifiers)
    except IntegrityError:
        _redo_one_by_one(session, batch, pending)
    _flush_attaching(session, batch)


def _table(model: type[Customer] | type[CustomerIdentifier]) -> Table:
    return typing_cast(Table, model.__table__)


def _fill_statement(column: str) -> Any:
    """Set `column` (email or phone) of customer `cid` to `fill` unless it already has one."""
    table = typing_cast(Table, Customer.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("cid"), or_(table.c[column].is_(None), table.c[column] == ""))
        .values({column: bindparam("fill")})
    )


def _flush_attaching(session: Session, batch: _Batch) -> None:
    """Insert the queued identifiers of known customers in one statement (in one savepoint), and fill their
    email and phone columns where empty, first value first (as `fill_from_identifiers` does one by one).

    If a concurrent writer attached one of them first, the savepoint is undone and those items are resolved
    one by one instead, exactly as without the queue.
    """
    attaching, batch.attaching = batch.attaching, []
    if not attaching:
        return
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "workspace_id": batch.workspace_id,
            "customer_id": batch.current(owner),
            "kind": i.kind,
            "value": i.value,
            "created_at": now,
        }
        for owner, _item, _idents, attach in attaching
        for i in attach
    ]
    try:
        with session.begin_nested():
            insert_rows(session, _table(CustomerIdentifier), rows)
    except IntegrityError:
        _redo_attaching(session, batch, attaching)
        return
    for kind, column in ((IdentifierKind.EMAIL, "email"), (IdentifierKind.PHONE, "phone")):
        params = [{"cid": row["customer_id"], "fill": row["value"]} for row in rows if row["kind"] is kind]
        if params:
            session.connection().execute(_fill_statement(column), params)
            for cid in {p["cid"] for p in params}:
                loaded = session.identity_map.get(session.identity_key(Customer, cid))
                if loaded is not None:
                    session.expire(loaded, ["email", "phone"])


def _redo_attaching(
    session: Session,
    batch: _Batch,
    attaching: list[tuple[uuid.UUID, ResolveItem, list[Identifier], list[Identifier]]],
) -> None:
    """Resolve each queued item again, one by one, from what the database now says."""
    log.info("identity: a concurrent writer attached some of %d identifiers first", len(attaching))
    keys = [_key(i) for _owner, _item, _idents, attach in attaching for i in attach]
    for key in keys:
        batch.owners.pop(key, None)
    owners, _ = lookup(session, workspace_id=batch.workspace_id, keys=keys)
    batch.owners.update(owners)
    for owner, item, idents, _attach in attaching:
        batch.counts.pop(batch.current(owner), None)
        _resolve_with_retry(session, batch, item, idents)


def _redo_one_by_one(
    session: Session, batch: _Batch, pending: list[tuple[uuid.UUID, ResolveItem, list[Identifier]]]
) -> None:
    log.info(
        "identity: a concurrent writer created some of %d new customers' identifiers first", len(pending)
    )
    keys = [_key(i) for _cid, _item, idents in pending for i in idents]
    for key in keys:
        batch.owners.pop(key, None)
    owners, _ = lookup(session, workspace_id=batch.workspace_id, keys=keys)
    batch.owners.update(owners)
    for provisional, item, idents in pending:
        known = {batch.current(batch.owners[_key(i)]) for i in idents if _key(i) in batch.owners}
        if len(known) == 1 and all(_key(i) in batch.owners for i in idents):
            actual = known.pop()
        else:
            actual = _resolve_with_retry(session, batch, item, idents)
        batch.merged[provisional] = actual


def _resolve_with_retry(
    session: Session, batch: _Batch, item: ResolveItem, idents: list[Identifier]
) -> uuid.UUID:
    """Create, attach and merge inside a savepoint; a concurrent writer that attached the same identifier
    first (PostgreSQL unique violation) makes us look again and join its customer instead."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return _resolve_slow(session, batch, item, idents)
        except IntegrityError:
            if attempt == MAX_ATTEMPTS:
                raise
            log.info("identity: concurrent resolution of the same identifiers, retrying (%s)", attempt)
            owners, _ = lookup(session, workspace_id=batch.workspace_id, keys=[_key(i) for i in idents])
            batch.owners.update(owners)
    raise AssertionError("unreachable")


@dataclass
class _Plan:
    """Which customers join into one, which identifiers attach to it, and what a limit kept out."""

    members: list[uuid.UUID] = field(default_factory=list)
    attach: list[Identifier] = field(default_factory=list)
    refused_customers: list[uuid.UUID] = field(default_factory=list)
    refused_identifiers: list[Identifier] = field(default_factory=list)


def _resolve_slow(session: Session, batch: _Batch, item: ResolveItem, idents: list[Identifier]) -> uuid.UUID:
    owners = {_key(i): batch.current(batch.owners[_key(i)]) for i in idents if _key(i) in batch.owners}
    counts = _kind_counts(session, set(owners.values()))
    plan = _plan(idents, owners, counts)
    members = _load_customers(session, batch.workspace_id, plan.members)
    survivor = _choose_survivor(members, counts) if members else _create(session, batch.workspace_id)
    for member in members:
        if member.id != survivor.id:
            _merge(session, batch.workspace_id, source=member, target=survivor, reason=item.reason)
    _attach(session, batch.workspace_id, survivor, plan.attach)
    for refused in plan.refused_customers:
        _log_refusal(
            session, batch.workspace_id, source_id=refused, target_id=survivor.id, reason=item.reason
        )
    for identifier in plan.refused_identifiers:
        _log_refusal(
            session,
            batch.workspace_id,
            source_id=None,
            target_id=survivor.id,
            reason=item.reason,
            detail={"kind": identifier.kind.value},
        )
    session.flush()
    # Only now, after the savepoint's work succeeded, does the batch learn the new state.
    for customer_id in {*plan.members, survivor.id}:
        batch.counts.pop(customer_id, None)
    for member in members:
        if member.id != survivor.id:
            batch.merged[member.id] = survivor.id
    for identifier in plan.attach:
        batch.owners[_key(identifier)] = survivor.id
    return survivor.id


def _plan(
    idents: list[Identifier], owners: Mapping[Key, uuid.UUID], counts: Mapping[uuid.UUID, Counter[str]]
) -> _Plan:
    """Grow one group from the event's strongest identifier down, keeping every per-type limit."""
    plan = _Plan()
    held: Counter[str] = Counter()
    for identifier in idents:
        owner = owners.get(_key(identifier))
        if owner is None:
            extra: Counter[str] = Counter({identifier.kind.value: 1})
            if _fits(held, extra):
                plan.attach.append(identifier)
                held.update(extra)
            else:
                plan.refused_identifiers.append(identifier)
        elif owner not in plan.members and owner not in plan.refused_customers:
            if _fits(held, counts.get(owner, Counter())):
                plan.members.append(owner)
                held.update(counts.get(owner, Counter()))
            else:
                plan.refused_customers.append(owner)
    return plan


def _fits(held: Counter[str], extra: Mapping[str, int]) -> bool:
    return all(held[kind.value] + extra.get(kind.value, 0) <= limit for kind, limit in KIND_LIMITS.items())


def _kind_counts(session: Session, customer_ids: set[uuid.UUID]) -> dict[uuid.UUID, Counter[str]]:
    """How many identifiers of each kind each customer holds (limits and survivor choice need both)."""
    counts: dict[uuid.UUID, Counter[str]] = {cid: Counter() for cid in customer_ids}
    if not customer_ids:
        return counts
    stmt = (
        select(CustomerIdentifier.customer_id, CustomerIdentifier.kind, func.count())
        .where(CustomerIdentifier.customer_id.in_(customer_ids))
        .group_by(CustomerIdentifier.customer_id, CustomerIdentifier.kind)
    )
    for customer_id, kind, count in session.execute(stmt):
        counts[customer_id][IdentifierKind(kind).value] = count
    return counts


def _load_customers(session: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Customer]:
    if not ids:
        return []
    rows = session.scalars(
        select(Customer).where(Customer.workspace_id == workspace_id, Customer.id.in_(ids))
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _choose_survivor(members: list[Customer], counts: Mapping[uuid.UUID, Counter[str]]) -> Customer:
    """The customer holding the highest-priority identifier; ties go to the oldest."""

    def strength(customer: Customer) -> tuple[int, float, str]:
        kinds = [IdentifierKind(k) for k, n in counts.get(customer.id, Counter()).items() if n]
        best = max((RANK[k] for k in kinds), default=0)
        return (-best, customer.created_at.timestamp(), str(customer.id))

    return min(members, key=strength)


def _create(session: Session, workspace_id: uuid.UUID) -> Customer:
    now = utcnow()
    customer = Customer(id=new_id(), workspace_id=workspace_id, display_name="", traits={}, created_at=now)
    session.add(customer)
    session.flush()  # its identifiers reference it; insert it first
    return customer


def _attach(
    session: Session, workspace_id: uuid.UUID, customer: Customer, identifiers: list[Identifier]
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


def merge_pair(
    session: Session, *, workspace_id: uuid.UUID, source: Customer, target: Customer, reason: str
) -> bool:
    """Merge two loaded customers if limits allow (manual merges); log a refusal otherwise."""
    counts = _kind_counts(session, {source.id, target.id})
    if not _fits(counts[target.id], counts[source.id]):
        _log_refusal(session, workspace_id, source_id=source.id, target_id=target.id, reason=reason)
        return False
    _merge(session, workspace_id, source=source, target=target, reason=reason)
    session.flush()
    return True


def _apply_touches(session: Session, batch: _Batch) -> None:
    """Seen times of every touched customer in one statement; traits on the few customers that got some."""
    _flush_pending(session, batch)
    session.flush()
    touched = _current_touches(batch)
    if touched:
        table = typing_cast(Table, Customer.__table__)
        first, last = (
            bindparam("first", type_=table.c.first_seen_at.type),
            bindparam("last", type_=table.c.last_seen_at.type),
        )
        stmt = (
            update(table)
            .where(table.c.id == bindparam("cid"))
            .values(
                first_seen_at=case(
                    (or_(table.c.first_seen_at.is_(None), table.c.first_seen_at > first), first),
                    else_=table.c.first_seen_at,
                ),
                last_seen_at=case(
                    (or_(table.c.last_seen_at.is_(None), table.c.last_seen_at < last), last),
                    else_=table.c.last_seen_at,
                ),
            )
        )
        params = [{"cid": cid, "first": f, "last": la} for cid, (f, la) in touched.items()]
        session.connection().execute(stmt, params)
        for cid in touched:
            loaded = session.identity_map.get(session.identity_key(Customer, cid))
            if loaded is not None:
                session.expire(loaded, ["first_seen_at", "last_seen_at"])
    _apply_traits(session, batch)


def _current_touches(batch: _Batch) -> dict[uuid.UUID, tuple[datetime, datetime]]:
    """Seen ranges re-keyed by current customer (an item may have touched a customer merged later)."""
    merged: dict[uuid.UUID, tuple[datetime, datetime]] = {}
    for cid, (first, last) in batch.seen.items():
        current = batch.current(cid)
        f, la = merged.get(current, (first, last))
        merged[current] = (min(f, first), max(la, last))
    return merged


def _apply_traits(session: Session, batch: _Batch) -> None:
    pending: dict[uuid.UUID, dict[str, Any]] = {}
    for cid, traits in batch.traits.items():
        pending.setdefault(batch.current(cid), {}).update(traits)
    if not pending:
        return
    for customer in _load_customers(session, batch.workspace_id, list(pending)):
        apply_traits(customer, pending[customer.id])
    session.flush()


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
