"""The merge rules of the identity graph, on plain data: which identifiers join one group, who survives.

Pure: no database, no clock. `identity.service.graph` loads the facts (who holds which identifier, how many
identifiers of each kind those customers hold, when they were created), asks here what to do, and writes it.

- An event's identifiers are taken strongest first (`PRIORITY`); the group grows from its strongest identifier
  down, and whatever would break a per-kind limit (`KIND_LIMITS`) is kept out: a customer is refused (not
  merged), a new identifier is refused (not attached). The event's highest-priority identifier therefore decides
  on which side its new identifiers land.
- The survivor of a merge is the member holding the highest-priority identifier; ties go to the oldest, then to
  the smallest id, so the choice never depends on the order the members are given in.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from omnicx.identity.schemas import Identifier, IdentifierKind

Key = tuple[IdentifierKind, str]
Counts = Mapping[IdentifierKind, int]

# Strongest first: a user id is asserted by the business, an anonymous id only by a browser cookie.
PRIORITY: tuple[IdentifierKind, ...] = (
    IdentifierKind.USER_ID,
    IdentifierKind.EMAIL,
    IdentifierKind.PHONE,
    IdentifierKind.WHATSAPP,
    IdentifierKind.MESSENGER,
    IdentifierKind.INSTAGRAM,
    IdentifierKind.TELEGRAM,
    IdentifierKind.EXTERNAL,
    IdentifierKind.ANONYMOUS_ID,
)
RANK: dict[IdentifierKind, int] = {kind: len(PRIORITY) - i for i, kind in enumerate(PRIORITY)}

# Per-kind limits: how many identifiers of a kind one customer may hold. A merge that would exceed one is
# refused and logged, so two people who logged in on the same device never become one profile.
KIND_LIMITS: dict[IdentifierKind, int] = {IdentifierKind.USER_ID: 1}


def key(identifier: Identifier) -> Key:
    return (identifier.kind, identifier.value)


def strongest_first(identifiers: Iterable[Identifier]) -> list[Identifier]:
    """By `PRIORITY`; identifiers of one kind keep their order (the first user id of an event wins)."""
    return sorted(identifiers, key=lambda i: -RANK[i.kind])


def count_kinds(identifiers: Iterable[Identifier]) -> Counter[IdentifierKind]:
    return Counter(i.kind for i in identifiers)


def fits(held: Counts, extra: Counts) -> bool:
    """True when a customer holding `held` may also take `extra` without exceeding any per-kind limit."""
    return all(held.get(kind, 0) + extra.get(kind, 0) <= limit for kind, limit in KIND_LIMITS.items())


def sole_holder(keys: Collection[Key], owners: Mapping[Key, uuid.UUID]) -> uuid.UUID | None:
    """The customer holding every one of `keys`, if one does: the common case, nothing to write."""
    if not all(k in owners for k in keys):
        return None
    holders = {owners[k] for k in keys}
    return holders.pop() if len(holders) == 1 else None


@dataclass(frozen=True)
class Group:
    """Who joins into one customer (`members`, strongest identifier first), which new identifiers it takes,
    and what a limit kept out."""

    members: tuple[uuid.UUID, ...] = ()
    attach: tuple[Identifier, ...] = ()
    refused_customers: tuple[uuid.UUID, ...] = ()
    refused_identifiers: tuple[Identifier, ...] = ()

    @property
    def refuses_nothing(self) -> bool:
        return not self.refused_customers and not self.refused_identifiers


def group(
    identifiers: Iterable[Identifier], owners: Mapping[Key, uuid.UUID], counts: Mapping[uuid.UUID, Counts]
) -> Group:
    """Grow one group from the strongest identifier down, keeping every per-kind limit.

    `owners` maps the identifiers already known to their (current) customer; `counts` says how many identifiers
    of each kind those customers hold in all (a customer's limit counts what it holds beyond this event).
    """
    members: list[uuid.UUID] = []
    attach: list[Identifier] = []
    refused_customers: list[uuid.UUID] = []
    refused_identifiers: list[Identifier] = []
    held: Counter[IdentifierKind] = Counter()
    for identifier in strongest_first(identifiers):
        owner = owners.get(key(identifier))
        if owner is None:
            extra: Counts = {identifier.kind: 1}
            if fits(held, extra):
                attach.append(identifier)
                held.update(extra)
            else:
                refused_identifiers.append(identifier)
        elif owner not in members and owner not in refused_customers:
            extra = counts.get(owner, {})
            if fits(held, extra):
                members.append(owner)
                held.update(extra)
            else:
                refused_customers.append(owner)
    return Group(tuple(members), tuple(attach), tuple(refused_customers), tuple(refused_identifiers))


@dataclass(frozen=True)
class Candidate:
    """A member of a group as the survivor choice sees it."""

    id: uuid.UUID
    created_at: datetime
    counts: Counts = field(default_factory=dict)

    def strength(self) -> tuple[int, float, str]:
        """Smaller is stronger: the best kind held, then age, then id (a total order, so no input-order ties).

        The age compares as a timestamp, so a row just created in this transaction and one read back compare alike.
        """
        best = max((RANK[kind] for kind, n in self.counts.items() if n), default=0)
        return (-best, self.created_at.timestamp(), str(self.id))


def choose_survivor(candidates: Iterable[Candidate]) -> Candidate:
    """The candidate holding the highest-priority identifier; ties go to the oldest."""
    return min(candidates, key=Candidate.strength)


@dataclass(frozen=True)
class Plan:
    """What resolving one event writes: `survivor` (None: a new customer) absorbs `absorbed` (in that order, so
    an earlier one's traits win over a later one's), takes `attach`, and the refusals are logged."""

    survivor: uuid.UUID | None
    absorbed: tuple[uuid.UUID, ...] = ()
    attach: tuple[Identifier, ...] = ()
    refused_customers: tuple[uuid.UUID, ...] = ()
    refused_identifiers: tuple[Identifier, ...] = ()


def plan(grown: Group, candidates: Mapping[uuid.UUID, Candidate]) -> Plan:
    """Settle a group: choose its survivor among the members `candidates` describes.

    A member without a candidate (its row vanished, erased since it was looked up) is left out; with no member
    left, the plan creates a customer.
    """
    present: Sequence[Candidate] = [candidates[m] for m in grown.members if m in candidates]
    survivor = choose_survivor(present).id if present else None
    return Plan(
        survivor=survivor,
        absorbed=tuple(c.id for c in present if c.id != survivor),
        attach=grown.attach,
        refused_customers=grown.refused_customers,
        refused_identifiers=grown.refused_identifiers,
    )
