"""Resolution: from the identifiers an event carried to the one customer they belong to, merging on the way.

Rules (the identity issue; the merge rules themselves are `identity.merging`, on plain data):
- identifiers are normalised first; blocked and invalid values are dropped, so they never link anyone;
- an event whose identifiers include a suppressed one resolves to nobody (collection stops for that person);
- identifiers owned by several customers merge them into one, unless a per-type limit (`KIND_LIMITS`: at most
  one user id) would be exceeded: that merge is refused and logged, and the event's new identifiers attach to
  the side holding the event's highest-priority identifier (its user id, when it has one);
- the survivor of a merge is the customer holding the highest-priority identifier (user id > email > phone >
  provider ids > anonymous id), ties going to the oldest; the merged customer keeps a `merged_into_id` pointer
  and its identifiers move to the survivor; every merge is logged with its reason.

This module loads the facts (`facts`), asks `merging` for a plan and applies it (`writes`).

Performance: `resolve_many` looks up every identifier of a batch (and their suppressions) in one indexed query
per 400 identifiers, answers the common case (all identifiers known to one customer) from that, queues the next
commonest (a newcomer, or a known customer gaining identifiers) to be inserted with the batch's others, and
updates the seen times of every touched customer in one statement. Nothing here commits: callers resolve inside
the transaction that stores their own write.

Concurrency: every write that can meet a concurrent writer of the same identifier (a unique violation on
PostgreSQL) runs in a savepoint; when one fails, the items concerned are resolved again from what the database
now says (SQLite serialises writers, so there they simply find what the other wrote).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.identity import merging
from omnicx.identity.merging import Key, key
from omnicx.identity.schemas import Identifier, IdentifierKind, ResolveItem
from omnicx.identity.service import writes
from omnicx.identity.service.batch import Batch, Queued
from omnicx.identity.service.facts import kind_counts, load_customers, lookup
from omnicx.identity.service.normalise import normalise
from omnicx.kernel.db import new_id, utcnow

log = logging.getLogger("omnicx.identity")

MAX_ATTEMPTS = 3
# Traits that carry identifiers: an identify call's `traits.email` links the email like an explicit one.
TRAIT_IDENTIFIERS = {"email": IdentifierKind.EMAIL, "phone": IdentifierKind.PHONE}


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
            seen.setdefault(key(normalised), normalised)
    return merging.strongest_first(seen.values())


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
        session, workspace_id=workspace_id, keys=(key(i) for idents in prepared for i in idents)
    )
    batch = Batch(workspace_id=workspace_id, owners=owners, suppressed=suppressed)
    now = utcnow()
    results = [
        _resolve_item(session, batch, item, idents, now) for item, idents in zip(items, prepared, strict=True)
    ]
    _flush(session, batch)
    session.flush()
    writes.record_seen(session, batch.current_touches())
    writes.record_traits(session, workspace_id, batch.current_traits())
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


def resolve_device(
    session: Session, *, workspace_id: uuid.UUID, anonymous_id: str, reason: str = "event"
) -> uuid.UUID | None:
    """The profile of a device known only by its tracking anonymous id, for a sender who proved nothing (a chat
    visitor's claims): the customer holding the id when they hold nothing but anonymous ids, a new customer when
    nobody holds it; None when an identified customer (a user id, an email, a phone...) holds it, or it is
    suppressed or invalid. Never merges, never touches an identified customer; flushes, never commits."""
    prepared = prepare([Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=anonymous_id)])
    if not prepared:
        return None
    owners, suppressed = lookup(session, workspace_id=workspace_id, keys=[key(prepared[0])])
    if suppressed:
        return None
    owner = next(iter(owners.values()), None)
    if owner is None:
        return resolve(session, workspace_id=workspace_id, identifiers=prepared, reason=reason)
    kinds = kind_counts(session, {owner})[owner]
    return owner if all(kind is IdentifierKind.ANONYMOUS_ID for kind in kinds) else None


def alias(
    session: Session, *, workspace_id: uuid.UUID, previous: Identifier, new: Identifier
) -> uuid.UUID | None:
    """Segment's `alias`: the two identifiers are the same person; their customers merge (subject to limits)."""
    return resolve(session, workspace_id=workspace_id, identifiers=[new, previous], reason="alias")


def _resolve_item(
    session: Session, batch: Batch, item: ResolveItem, idents: list[Identifier], now: datetime
) -> uuid.UUID | None:
    keys = [key(i) for i in idents]
    if not keys or any(k in batch.suppressed for k in keys):
        return None
    owners = batch.owners_of(keys)
    customer_id = merging.sole_holder(keys, owners)  # the common case: nothing to create, nothing to merge
    if customer_id is None:
        customer_id = _queue(session, batch, item, idents, owners)
    if customer_id is None:
        _flush(session, batch)
        customer_id = _resolve_with_retry(session, batch, item, idents)
    batch.touch(customer_id, item.seen_at or now, item.traits)
    return customer_id


def _queue(
    session: Session,
    batch: Batch,
    item: ResolveItem,
    idents: list[Identifier],
    owners: Mapping[Key, uuid.UUID],
) -> uuid.UUID | None:
    """Queue an item whose plan only attaches its new identifiers to one customer (a newcomer, or the one
    customer holding its known identifiers): no merge, nothing refused. None (nothing done) otherwise.
    Saves a savepoint, three queries and a flush per identified visitor."""
    holders = set(owners.values())
    if len(holders) > 1:
        return None
    counts = {holder: _known_counts(session, batch, holder) for holder in holders}
    grown = merging.group(idents, owners, counts)
    if not grown.refuses_nothing:
        return None
    customer_id = holders.pop() if holders else new_id()
    batch.queue(Queued(customer_id, item, idents, grown.attach, new=not owners))
    return customer_id


def _known_counts(session: Session, batch: Batch, customer_id: uuid.UUID) -> Counter[IdentifierKind]:
    if customer_id not in batch.counts:
        _flush(session, batch)
        batch.counts.update(kind_counts(session, {customer_id}))
    return batch.counts[customer_id]


def _flush(session: Session, batch: Batch) -> None:
    """Write the queued items: the new customers with their identifiers (two statements), then the new
    identifiers of known customers (one statement) and their email and phone columns where empty.

    Each insert runs in a savepoint: if a concurrent writer attached one of these identifiers first (unique
    violation), it is undone and its items are resolved again, one by one (`_redo`).
    """
    creating, batch.creating = batch.creating, []
    if creating:
        try:
            with session.begin_nested():
                writes.insert_customers(
                    session, batch.workspace_id, [(q.customer_id, q.attach) for q in creating]
                )
        except IntegrityError:
            log.info(
                "identity: a concurrent writer created some of %d new customers' identifiers first",
                len(creating),
            )
            _redo(session, batch, creating)
    attaching, batch.attaching = batch.attaching, []
    if attaching:
        try:
            with session.begin_nested():
                rows = writes.insert_identifiers(
                    session, batch.workspace_id, [(batch.current(q.customer_id), q.attach) for q in attaching]
                )
        except IntegrityError:
            log.info("identity: a concurrent writer attached some of %d identifiers first", len(attaching))
            _redo(session, batch, attaching)
        else:
            writes.fill_contacts(session, rows)


def _redo(session: Session, batch: Batch, queued: list[Queued]) -> None:
    """Resolve the queued items again from what the database now says about the identifiers they meant to
    write. An item whose identifiers the concurrent writer took joins its customer (a provisional customer id,
    of a customer never inserted, then points at what it became); a newcomer none of whose identifiers anyone
    holds yet is created again with the other such newcomers, in one more batch; any other item is resolved
    alone. Two workers processing requests of the same new visitors conflict on a few of a thousand
    newcomers: resolving all the others one by one too made that job several times slower. Each round
    re-creates fewer newcomers (one the conflict was on is now held), so the rounds end."""
    written = [key(i) for q in queued for i in q.attach]
    for k in written:
        batch.owners.pop(k, None)
    owners, _ = lookup(session, workspace_id=batch.workspace_id, keys=written)
    batch.owners.update(owners)
    again: list[Queued] = []
    for q in queued:
        if not q.new:
            batch.counts.pop(batch.current(q.customer_id), None)
        keys = [key(i) for i in q.identifiers]
        held = batch.owners_of(keys)
        if q.new and not held:
            again.append(q)
            continue
        actual = merging.sole_holder(keys, held)
        if actual is None:
            actual = _resolve_with_retry(session, batch, q.item, q.identifiers)
        if q.new:
            batch.merged[q.customer_id] = actual
    if again:
        log.info("identity: creating %d newcomers nobody holds yet again, together", len(again))
        for q in again:
            batch.counts.pop(q.customer_id, None)
            batch.queue(q)
        _flush(session, batch)


def _resolve_with_retry(
    session: Session, batch: Batch, item: ResolveItem, idents: list[Identifier]
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
            owners, _ = lookup(session, workspace_id=batch.workspace_id, keys=[key(i) for i in idents])
            batch.owners.update(owners)
    raise AssertionError("unreachable")


def _resolve_slow(session: Session, batch: Batch, item: ResolveItem, idents: list[Identifier]) -> uuid.UUID:
    """Load the facts, plan, write the plan; the batch learns the outcome only once the writes succeeded."""
    owners = batch.owners_of(key(i) for i in idents)
    counts = kind_counts(session, set(owners.values()))
    grown = merging.group(idents, owners, counts)
    customers = {c.id: c for c in load_customers(session, batch.workspace_id, grown.members)}
    plan = merging.plan(
        grown, {c.id: merging.Candidate(c.id, c.created_at, counts[c.id]) for c in customers.values()}
    )
    survivor = writes.apply_plan(session, batch.workspace_id, plan, customers, reason=item.reason)
    batch.learn(grown, survivor.id, plan.absorbed)
    return survivor.id
