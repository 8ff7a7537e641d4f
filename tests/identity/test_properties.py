"""Properties of the identity graph, checked on many generated histories against the real database.

- without a limit in play, the final grouping of identifiers does not depend on the order of the events, nor on
  whether they were resolved one by one or as a batch;
- blocked values never link anything: adding them to events changes nothing;
- limits are never exceeded: no customer ever holds two user ids, and every identifier belongs to a live one.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.identity import service
from omnicx.identity.models import Customer, CustomerIdentifier
from omnicx.identity.schemas import Identifier, IdentifierKind, ResolveItem
from tests.identity.conftest import new_workspace

PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

anonymous_ids = st.sampled_from([f"anon-{i}" for i in range(6)]).map(
    lambda v: Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=v)
)
emails = st.sampled_from([f"p{i}@example.com" for i in range(3)]).map(
    lambda v: Identifier(kind=IdentifierKind.EMAIL, value=v)
)
phones = st.sampled_from(["+33612345678", "+14155552671"]).map(
    lambda v: Identifier(kind=IdentifierKind.PHONE, value=v)
)
one_user_id = st.just(Identifier(kind=IdentifierKind.USER_ID, value="the-only-user"))
many_user_ids = st.sampled_from(["u1", "u2", "u3"]).map(
    lambda v: Identifier(kind=IdentifierKind.USER_ID, value=v)
)
blocked = st.sampled_from(["anonymous", "null", "undefined", "0", "-1", "[object Object]", " "]).flatmap(
    lambda v: st.sampled_from(list(IdentifierKind)).map(lambda k: Identifier(kind=k, value=v))
)

no_limit_identifier = st.one_of(anonymous_ids, emails, phones, one_user_id)
Event = list[Identifier]
events_without_limits = st.lists(
    st.lists(no_limit_identifier, min_size=1, max_size=3), min_size=1, max_size=8
)


def _grouping(db: Session, workspace_id: uuid.UUID) -> set[frozenset[tuple[str, str]]]:
    groups: dict[uuid.UUID, set[tuple[str, str]]] = {}
    rows = db.execute(
        select(CustomerIdentifier.customer_id, CustomerIdentifier.kind, CustomerIdentifier.value).where(
            CustomerIdentifier.workspace_id == workspace_id
        )
    )
    for customer_id, kind, value in rows:
        groups.setdefault(customer_id, set()).add((IdentifierKind(kind).value, value))
    db.rollback()
    return {frozenset(g) for g in groups.values()}


def _apply(db: Session, events: list[Event]) -> uuid.UUID:
    workspace_id = new_workspace(db)
    for event in events:
        service.resolve(db, workspace_id=workspace_id, identifiers=event, reason="identify")
    db.commit()
    return workspace_id


@PROPERTY_SETTINGS
@given(events=events_without_limits, data=st.data())
def test_grouping_does_not_depend_on_event_order(
    db: Session, events: list[Event], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(events))
    in_order = _apply(db, events)
    reordered = _apply(db, list(shuffled))
    batched = new_workspace(db)
    service.resolve_many(
        db, workspace_id=batched, items=[ResolveItem(identifiers=tuple(e)) for e in shuffled]
    )
    db.commit()

    expected = _grouping(db, in_order)
    assert _grouping(db, reordered) == expected
    assert _grouping(db, batched) == expected


@PROPERTY_SETTINGS
@given(events=events_without_limits, noise=st.lists(st.tuples(st.integers(0, 7), blocked), max_size=6))
def test_blocked_values_never_link_anything(
    db: Session, events: list[Event], noise: list[tuple[int, Identifier]]
) -> None:
    noisy = [list(e) for e in events]
    for position, junk in noise:
        noisy[position % len(noisy)].append(junk)
    noisy.append([junk for _, junk in noise] or [Identifier(kind=IdentifierKind.USER_ID, value="null")])

    clean = _apply(db, events)
    polluted = _apply(db, noisy)

    assert _grouping(db, polluted) == _grouping(db, clean)


@PROPERTY_SETTINGS
@given(
    events=st.lists(
        st.lists(st.one_of(many_user_ids, anonymous_ids, emails), min_size=1, max_size=4), max_size=10
    )
)
def test_no_customer_ever_holds_two_user_ids(db: Session, events: list[Event]) -> None:
    workspace_id = _apply(db, events)

    for group in _grouping(db, workspace_id):
        assert sum(1 for kind, _ in group if kind == "user_id") <= 1, group
    holders = db.scalars(
        select(Customer.merged_into_id)
        .join(CustomerIdentifier, CustomerIdentifier.customer_id == Customer.id)
        .where(Customer.workspace_id == workspace_id)
    ).all()
    db.rollback()
    assert all(pointer is None for pointer in holders)  # identifiers always sit on live customers
