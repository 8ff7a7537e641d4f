"""Properties of the merge rules (`identity.merging`), on generated graphs held in memory.

A generated world is a few customers (each with an age) and who holds which identifier, always within the
per-kind limits; an event is a few identifiers, some held, some new. `_apply` is what `identity.service` writes
for a plan, on that in-memory world. Properties:

- the survivor is one of the members, holds the strongest identifier among them (ties: the oldest), and does
  not depend on the order the members come in;
- every identifier of the event is accounted for exactly once: held by a member, held by a refused customer,
  attached, or refused;
- a plan never breaks a limit, and refuses only what would break one; the event's strongest identifier always
  lands in the group;
- a plan depends on the order of the event's identifiers only within a kind (and not at all without limits);
- planning again after applying a plan changes nothing: the same survivor, nothing to merge or attach, the same
  refusals.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from omnicx.identity import merging
from omnicx.identity.merging import KIND_LIMITS, RANK, Candidate, Key, Plan
from omnicx.identity.schemas import Identifier, IdentifierKind

KINDS = (
    IdentifierKind.USER_ID,
    IdentifierKind.EMAIL,
    IdentifierKind.PHONE,
    IdentifierKind.WHATSAPP,
    IdentifierKind.ANONYMOUS_ID,
)
POOL = tuple(Identifier(kind=kind, value=value) for kind in KINDS for value in ("a", "b"))
# Few distinct ages, so ties on age (broken by id) are common.
AGES = tuple(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(3))


@dataclass(frozen=True)
class World:
    owners: dict[Key, uuid.UUID]
    created: dict[uuid.UUID, datetime]

    def counts(self, customer_id: uuid.UUID) -> Counter[IdentifierKind]:
        return Counter(kind for (kind, _), owner in self.owners.items() if owner == customer_id)


def within_limits(counts: Counter[IdentifierKind]) -> bool:
    """The limits as the issue states them, written apart from `merging.fits` so a broken `fits` shows."""
    return all(counts[kind] <= limit for kind, limit in KIND_LIMITS.items())


@st.composite
def worlds(draw: st.DrawFn, kinds: tuple[IdentifierKind, ...] = KINDS) -> World:
    ids = draw(st.lists(st.integers(1, 2**64), min_size=0, max_size=4, unique=True))
    customers = [uuid.UUID(int=i) for i in ids]
    created = {c: draw(st.sampled_from(AGES)) for c in customers}
    owners: dict[Key, uuid.UUID] = {}
    held: dict[uuid.UUID, Counter[IdentifierKind]] = {c: Counter() for c in customers}
    for identifier in POOL:
        if identifier.kind not in kinds or not customers:
            continue
        owner = draw(st.one_of(st.none(), st.sampled_from(customers)))
        if owner is None or not within_limits(held[owner] + Counter([identifier.kind])):
            continue
        owners[merging.key(identifier)] = owner
        held[owner][identifier.kind] += 1
    return World(owners, created)


def events(kinds: tuple[IdentifierKind, ...] = KINDS) -> st.SearchStrategy[list[Identifier]]:
    return st.lists(
        st.sampled_from([i for i in POOL if i.kind in kinds]), min_size=1, max_size=7, unique=True
    )


def _plan(world: World, event: list[Identifier]) -> tuple[merging.Group, Plan]:
    """What `identity.service.graph` does before it writes: the event's owners, their counts and ages."""
    owners = {merging.key(i): world.owners[merging.key(i)] for i in event if merging.key(i) in world.owners}
    counts = {owner: world.counts(owner) for owner in owners.values()}
    grown = merging.group(event, owners, counts)
    candidates = {m: Candidate(m, world.created[m], counts[m]) for m in grown.members}
    return grown, merging.plan(grown, candidates)


NEW_CUSTOMER = uuid.UUID(int=2**64 + 1)


def _apply(world: World, plan: Plan) -> tuple[World, uuid.UUID]:
    """What `identity.service` writes for `plan`: the absorbed customers' identifiers and the attached ones now
    belong to the survivor (a new customer, younger than all, when the plan names none)."""
    created = dict(world.created)
    survivor = plan.survivor
    if survivor is None:
        survivor = NEW_CUSTOMER
        created[survivor] = max(AGES) + timedelta(days=1)
    owners = {k: survivor if owner in plan.absorbed else owner for k, owner in world.owners.items()}
    owners.update({merging.key(i): survivor for i in plan.attach})
    return World(owners, created), survivor


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    ids = draw(st.lists(st.integers(1, 2**64), min_size=1, max_size=5, unique=True))
    return [
        Candidate(
            uuid.UUID(int=i),
            draw(st.sampled_from(AGES)),
            Counter(draw(st.lists(st.sampled_from(KINDS), max_size=3))),
        )
        for i in ids
    ]


@given(members=candidates(), data=st.data())
def test_the_survivor_is_a_member_and_does_not_depend_on_their_order(
    members: list[Candidate], data: st.DataObject
) -> None:
    survivor = merging.choose_survivor(members)
    shuffled = data.draw(st.permutations(members))

    assert survivor in members
    assert merging.choose_survivor(shuffled) == survivor


@given(members=candidates())
def test_the_survivor_holds_the_strongest_identifier_and_ties_go_to_the_oldest(
    members: list[Candidate],
) -> None:
    def best(candidate: Candidate) -> int:
        return max((RANK[k] for k, n in candidate.counts.items() if n), default=0)

    survivor = merging.choose_survivor(members)

    assert all(best(survivor) >= best(m) for m in members)
    assert all(survivor.created_at <= m.created_at for m in members if best(m) == best(survivor))


@given(world=worlds(), event=events())
def test_every_identifier_of_the_event_is_accounted_for_once(world: World, event: list[Identifier]) -> None:
    grown, plan = _plan(world, event)

    unowned = [i for i in event if merging.key(i) not in world.owners]
    assert sorted(grown.attach + grown.refused_identifiers, key=str) == sorted(unowned, key=str)
    assert not set(grown.attach) & set(grown.refused_identifiers)
    holders = {world.owners[merging.key(i)] for i in event if merging.key(i) in world.owners}
    assert set(grown.members) | set(grown.refused_customers) == holders
    assert not set(grown.members) & set(grown.refused_customers)
    assert len(grown.members) == len(set(grown.members))
    assert (plan.survivor is None) == (not grown.members)
    assert {plan.survivor, *plan.absorbed} - {None} == set(grown.members)
    assert plan.survivor not in plan.absorbed


@given(world=worlds(), event=events())
def test_a_plan_never_breaks_a_limit_and_refuses_only_what_would(
    world: World, event: list[Identifier]
) -> None:
    grown, plan = _plan(world, event)

    joined = sum((world.counts(m) for m in grown.members), Counter()) + Counter(i.kind for i in plan.attach)
    assert within_limits(joined)
    for refused in plan.refused_customers:
        assert not within_limits(joined + world.counts(refused))
    for identifier in plan.refused_identifiers:
        assert not within_limits(joined + Counter([identifier.kind]))
    after, _ = _apply(world, plan)
    assert all(within_limits(after.counts(c)) for c in set(after.owners.values()))


@given(world=worlds(), event=events())
def test_the_events_strongest_identifier_always_lands_in_the_group(
    world: World, event: list[Identifier]
) -> None:
    grown, _ = _plan(world, event)

    strongest = max(event, key=lambda i: RANK[i.kind])
    owner = world.owners.get(merging.key(strongest))
    if owner is None:
        assert any(merging.key(i) == merging.key(strongest) for i in grown.attach)
    else:
        assert owner in grown.members


@given(world=worlds(), event=events(), data=st.data())
def test_a_plan_depends_on_the_order_of_identifiers_only_within_a_kind(
    world: World, event: list[Identifier], data: st.DataObject
) -> None:
    # Deal the event's kinds to shuffled slots, each kind's identifiers keeping their order.
    slots = data.draw(st.permutations([i.kind for i in event]))
    by_kind = {kind: [i for i in event if i.kind is kind] for kind in set(slots)}
    reordered = [by_kind[kind].pop(0) for kind in slots]

    assert _plan(world, reordered) == _plan(world, event)


NO_LIMITED_KIND = tuple(k for k in KINDS if k not in KIND_LIMITS)


@given(world=worlds(NO_LIMITED_KIND), event=events(NO_LIMITED_KIND), data=st.data())
def test_without_a_limit_in_play_the_order_of_identifiers_does_not_matter(
    world: World, event: list[Identifier], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(event))
    grown, plan = _plan(world, event)
    _, replanned = _plan(world, list(shuffled))

    assert grown.refuses_nothing
    assert replanned.survivor == plan.survivor
    assert set(replanned.absorbed) == set(plan.absorbed)
    assert set(replanned.attach) == set(plan.attach)


@given(world=worlds(), event=events())
def test_planning_again_after_applying_a_plan_changes_nothing(world: World, event: list[Identifier]) -> None:
    _, plan = _plan(world, event)
    after, survivor = _apply(world, plan)

    _, again = _plan(after, event)
    assert again == Plan(
        survivor=survivor,
        refused_customers=plan.refused_customers,
        refused_identifiers=plan.refused_identifiers,
    )
    assert _apply(after, again) == (after, survivor)


@given(world=worlds(), event=events())
def test_a_sole_holder_is_named_only_when_it_holds_every_identifier(
    world: World, event: list[Identifier]
) -> None:
    keys = [merging.key(i) for i in event]
    holders = {world.owners.get(k) for k in keys}

    expected = next(iter(holders)) if len(holders) == 1 else None
    assert merging.sole_holder(keys, world.owners) == expected
