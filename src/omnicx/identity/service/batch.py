"""What one `resolve_many` call learns as it goes, so later items reuse earlier items' work.

In memory only: the owners of the identifiers seen so far, the merges made, the customers touched, and the
items whose writes wait to be made together (`graph` writes them, `writes` holds the statements).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omnicx.identity.merging import Group, Key, count_kinds, key
from omnicx.identity.schemas import Identifier, IdentifierKind, ResolveItem


@dataclass(frozen=True)
class Queued:
    """An item whose plan only attaches new identifiers to one customer: a customer to create (`new`, under a
    provisional id) or the known customer holding all its other identifiers. Written with the batch's others."""

    customer_id: uuid.UUID
    item: ResolveItem
    identifiers: list[Identifier]  # all the item's identifiers, to resolve it again after a conflict
    attach: tuple[Identifier, ...]
    new: bool


@dataclass
class Batch:
    workspace_id: uuid.UUID
    owners: dict[Key, uuid.UUID] = field(default_factory=dict)
    suppressed: set[Key] = field(default_factory=set)
    merged: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    seen: dict[uuid.UUID, tuple[datetime, datetime]] = field(default_factory=dict)
    traits: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    # New customers (inserted together, one statement per table), then new identifiers of known customers
    # (inserted together after them).
    creating: list[Queued] = field(default_factory=list)
    attaching: list[Queued] = field(default_factory=list)
    # Identifier counts per kind of customers whose counts this batch knows exactly (limits need them).
    counts: dict[uuid.UUID, Counter[IdentifierKind]] = field(default_factory=dict)

    def current(self, customer_id: uuid.UUID) -> uuid.UUID:
        while customer_id in self.merged:
            customer_id = self.merged[customer_id]
        return customer_id

    def owners_of(self, keys: Iterable[Key]) -> dict[Key, uuid.UUID]:
        """The current customer of each of `keys` this batch knows an owner of."""
        return {k: self.current(self.owners[k]) for k in keys if k in self.owners}

    def touch(self, customer_id: uuid.UUID, at: datetime, traits: Mapping[str, Any] | None) -> None:
        first, last = self.seen.get(customer_id, (at, at))
        self.seen[customer_id] = (min(first, at), max(last, at))
        if traits:
            self.traits.setdefault(customer_id, {}).update(traits)

    def queue(self, entry: Queued) -> None:
        """Hold an item's writes for the next flush; later items already see its identifiers as owned."""
        (self.creating if entry.new else self.attaching).append(entry)
        self.counts.setdefault(entry.customer_id, Counter()).update(count_kinds(entry.attach))
        for identifier in entry.attach:
            self.owners[key(identifier)] = entry.customer_id

    def learn(self, grown: Group, survivor: uuid.UUID, absorbed: Iterable[uuid.UUID]) -> None:
        """Take in a resolution the database has just accepted: the members' counts are no longer known exactly,
        the absorbed customers point at the survivor, which now owns the attached identifiers."""
        for customer_id in {*grown.members, survivor}:
            self.counts.pop(customer_id, None)
        for customer_id in absorbed:
            self.merged[customer_id] = survivor
        for identifier in grown.attach:
            self.owners[key(identifier)] = survivor

    def current_touches(self) -> dict[uuid.UUID, tuple[datetime, datetime]]:
        """Seen ranges re-keyed by current customer (an item may have touched a customer merged later)."""
        merged: dict[uuid.UUID, tuple[datetime, datetime]] = {}
        for cid, (first, last) in self.seen.items():
            current = self.current(cid)
            f, la = merged.get(current, (first, last))
            merged[current] = (min(f, first), max(la, last))
        return merged

    def current_traits(self) -> dict[uuid.UUID, dict[str, Any]]:
        """Traits re-keyed by current customer, later items' values winning."""
        pending: dict[uuid.UUID, dict[str, Any]] = {}
        for cid, traits in self.traits.items():
            pending.setdefault(self.current(cid), {}).update(traits)
        return pending
