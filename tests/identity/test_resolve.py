"""Resolution and merges: identifiers find their customer, shared identifiers merge, limits refuse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.identity import service
from omnicx.identity.models import Customer, CustomerIdentifier, Merge
from omnicx.identity.schemas import CustomerSearch, Identifier, IdentifierKind, MergeStatus, ResolveItem
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from tests.identity.conftest import anon, email, phone, user


def _identifiers_of(db: Session, customer_id: uuid.UUID) -> set[tuple[str, str]]:
    rows = db.execute(
        select(CustomerIdentifier.kind, CustomerIdentifier.value).where(
            CustomerIdentifier.customer_id == customer_id
        )
    )
    return {(IdentifierKind(k).value, v) for k, v in rows}


def test_unknown_identifiers_create_one_customer_and_known_ones_find_it(
    db: Session, workspace_id: uuid.UUID
) -> None:
    first = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("a-1"), email(" Ana@Example.COM ")]
    )
    again = service.resolve(db, workspace_id=workspace_id, identifiers=[email("ana@example.com")])
    db.commit()

    assert first is not None
    assert again == first
    assert _identifiers_of(db, first) == {("anonymous_id", "a-1"), ("email", "ana@example.com")}
    customer = db.get_one(Customer, first)
    assert customer.email == "ana@example.com"
    assert customer.first_seen_at is not None and customer.last_seen_at is not None


def test_blocked_identifiers_alone_resolve_to_nobody(db: Session, workspace_id: uuid.UUID) -> None:
    result = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("undefined"), user("null"), email("x")]
    )
    db.commit()

    assert result is None
    assert db.scalar(select(Customer.id).where(Customer.workspace_id == workspace_id)) is None


def test_an_event_with_two_known_identifiers_merges_into_the_stronger_customer(
    db: Session, workspace_id: uuid.UUID
) -> None:
    browsing = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("device-1")])
    known = service.resolve(db, workspace_id=workspace_id, identifiers=[user("u-42")])
    merged = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("device-1"), user("u-42")], reason="identify"
    )
    db.commit()

    assert merged == known  # the customer holding the user id survives
    assert browsing is not None and known is not None
    assert _identifiers_of(db, known) == {("anonymous_id", "device-1"), ("user_id", "u-42")}
    assert db.get_one(Customer, browsing).merged_into_id == known
    log = db.scalars(select(Merge).where(Merge.workspace_id == workspace_id)).all()
    assert [(m.source_id, m.target_id, m.status, m.reason) for m in log] == [
        (browsing, known, MergeStatus.MERGED, "identify")
    ]


def test_ties_go_to_the_oldest_customer(db: Session, workspace_id: uuid.UUID) -> None:
    older = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("a")])
    newer = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("b")])
    survivor = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("b"), anon("a")])
    db.commit()

    assert survivor == older != newer


def test_two_user_ids_never_merge_and_the_refusal_is_logged_once(
    db: Session, workspace_id: uuid.UUID
) -> None:
    alice = service.resolve(db, workspace_id=workspace_id, identifiers=[user("alice"), anon("shared-device")])
    # Bob logs in on Alice's device: the device stays Alice's, Bob gets his own profile.
    bob = service.resolve(db, workspace_id=workspace_id, identifiers=[user("bob"), anon("shared-device")])
    again = service.resolve(db, workspace_id=workspace_id, identifiers=[user("bob"), anon("shared-device")])
    db.commit()

    assert alice is not None and bob is not None
    assert bob != alice and again == bob
    assert _identifiers_of(db, alice) == {("user_id", "alice"), ("anonymous_id", "shared-device")}
    assert _identifiers_of(db, bob) == {("user_id", "bob")}
    refused = service.refused_merges(db, workspace_id=workspace_id)
    assert [(m.source_id, m.target_id) for m in refused] == [(alice, bob)]


def test_new_identifiers_attach_to_the_side_of_the_events_user_id(
    db: Session, workspace_id: uuid.UUID
) -> None:
    alice = service.resolve(db, workspace_id=workspace_id, identifiers=[user("alice"), anon("device")])
    bob = service.resolve(db, workspace_id=workspace_id, identifiers=[user("bob")])
    result = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("device"), email("bob@example.com"), user("bob")]
    )
    db.commit()

    assert result == bob
    assert alice is not None and bob is not None
    assert ("email", "bob@example.com") in _identifiers_of(db, bob)
    assert ("email", "bob@example.com") not in _identifiers_of(db, alice)


def test_merged_ids_keep_resolving_through_chains(db: Session, workspace_id: uuid.UUID) -> None:
    a = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("a")])
    b = service.resolve(db, workspace_id=workspace_id, identifiers=[phone("+33612345678")])
    c = service.resolve(db, workspace_id=workspace_id, identifiers=[email("c@example.com")])
    service.resolve(db, workspace_id=workspace_id, identifiers=[anon("a"), phone("+33612345678")])
    service.resolve(
        db, workspace_id=workspace_id, identifiers=[phone("+33612345678"), email("c@example.com")]
    )
    db.commit()
    assert a is not None and b is not None and c is not None

    current = service.current_customer_ids(
        db, workspace_id=workspace_id, customer_ids=[a, b, c, uuid.uuid4()]
    )
    db.rollback()

    assert current == {a: c, b: c, c: c}
    assert service.customer_lineage(db, workspace_id=workspace_id, customer_id=a)[0] == c
    assert set(service.customer_lineage(db, workspace_id=workspace_id, customer_id=c)) == {a, b, c}
    assert service.customer_for(db, workspace_id=workspace_id, identifier=anon("a")) == c


def test_alias_merges_the_previous_identity(db: Session, workspace_id: uuid.UUID) -> None:
    old = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("old-cookie")])
    new = service.resolve(db, workspace_id=workspace_id, identifiers=[user("u-1")])
    result = service.alias(db, workspace_id=workspace_id, previous=anon("old-cookie"), new=user("u-1"))
    db.commit()

    assert result == new
    assert old is not None
    assert db.scalar(select(Merge.reason).where(Merge.source_id == old)) == "alias"


def test_suppressed_identifiers_stop_resolution(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    workspace_id = world.workspace.id
    from omnicx.kernel.access.permissions import Role

    principal = world.members[Role.ADMIN].principal
    service.suppress(db, principal=principal, identifier=email("Gone@Example.com"))

    assert service.is_suppressed(
        db, workspace_id=workspace_id, identifiers=[anon("x"), email("gone@example.com")]
    )
    assert not service.is_suppressed(db, workspace_id=workspace_id, identifiers=[anon("x")])
    assert (
        service.resolve(db, workspace_id=workspace_id, identifiers=[anon("x"), email("gone@example.com")])
        is None
    )
    db.commit()
    assert db.scalar(select(Customer.id).where(Customer.workspace_id == workspace_id)) is None


def test_traits_merge_and_name_the_customer(db: Session, workspace_id: uuid.UUID) -> None:
    cid = service.resolve(
        db,
        workspace_id=workspace_id,
        identifiers=[user("u")],
        traits={"first_name": "Ana", "last_name": "Lima", "plan": "free"},
    )
    service.resolve(
        db, workspace_id=workspace_id, identifiers=[user("u")], traits={"plan": "pro", "email": "a@b.co"}
    )
    db.commit()
    assert cid is not None

    customer = service.get_customer(db, workspace_id=workspace_id, customer_id=cid)
    db.rollback()
    assert customer.display_name == "Ana Lima"
    assert customer.traits["plan"] == "pro"
    assert customer.email == "a@b.co"  # traits.email is linked as an identifier


def test_seen_times_widen_with_out_of_order_events(db: Session, workspace_id: uuid.UUID) -> None:
    t0 = datetime(2026, 1, 10, tzinfo=UTC)
    cid = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("a")], seen_at=t0)
    service.resolve(db, workspace_id=workspace_id, identifiers=[anon("a")], seen_at=t0 + timedelta(days=2))
    service.resolve(db, workspace_id=workspace_id, identifiers=[anon("a")], seen_at=t0 - timedelta(days=1))
    db.commit()
    assert cid is not None

    customer = db.get_one(Customer, cid)
    assert customer.first_seen_at == t0 - timedelta(days=1)
    assert customer.last_seen_at == t0 + timedelta(days=2)


def test_resolve_many_matches_resolving_one_by_one(db: Session, workspace_id: uuid.UUID) -> None:
    items = [
        ResolveItem(identifiers=(anon("d1"),)),
        ResolveItem(identifiers=(anon("d1"),)),
        ResolveItem(identifiers=(anon("d2"),)),
        ResolveItem(identifiers=(anon("d2"), email("x@example.com")), reason="identify"),
        ResolveItem(identifiers=(anon("d1"), email("x@example.com")), reason="identify"),
        ResolveItem(identifiers=(anon("null"),)),
    ]
    results = service.resolve_many(db, workspace_id=workspace_id, items=items)
    db.commit()

    assert results[-1] is None
    survivors = set(results[:-1])
    assert len(survivors) == 1  # answers follow merges made later in the batch
    (survivor,) = survivors
    assert survivor is not None
    assert _identifiers_of(db, survivor) == {
        ("anonymous_id", "d1"),
        ("anonymous_id", "d2"),
        ("email", "x@example.com"),
    }


def test_workspaces_never_share_identifiers(db: Session, workspace_id: uuid.UUID) -> None:
    from tests.identity.conftest import new_workspace

    other = new_workspace(db)
    mine = service.resolve(db, workspace_id=workspace_id, identifiers=[email("same@example.com")])
    theirs = service.resolve(db, workspace_id=other, identifiers=[email("same@example.com")])
    db.commit()
    assert mine is not None and theirs is not None and mine != theirs

    assert service.current_customer_ids(db, workspace_id=other, customer_ids=[mine]) == {}
    db.rollback()


def test_manual_merge_is_audited_and_refuses_two_user_ids(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    from omnicx.auth import service as auth_service
    from omnicx.identity.errors import MergeRefused
    from omnicx.kernel.access.permissions import Role

    ws = world.workspace.id
    principal = world.members[Role.AGENT].principal
    a = service.resolve(db, workspace_id=ws, identifiers=[email("a@example.com")])
    b = service.resolve(db, workspace_id=ws, identifiers=[phone("+14155552671")])
    u1 = service.resolve(db, workspace_id=ws, identifiers=[user("1a")])
    u2 = service.resolve(db, workspace_id=ws, identifiers=[user("2b")])
    db.commit()
    assert a and b and u1 and u2

    merged = service.merge_customers(db, principal=principal, source_id=a, target_id=b, reason="duplicate")
    db.commit()
    assert merged.id == b and merged.email == "a@example.com"
    try:
        service.merge_customers(db, principal=principal, source_id=u1, target_id=u2)
        raise AssertionError("merge of two user ids accepted")
    except MergeRefused:
        db.rollback()
    audit = auth_service.list_audit(db, workspace_id=ws, action="customer.merged")
    db.rollback()
    assert audit.total == 1


def test_identifier_kinds_other_than_phone_and_email_are_opaque(db: Session, workspace_id: uuid.UUID) -> None:
    tg = Identifier(kind=IdentifierKind.TELEGRAM, value="  12345678 ")
    wa = Identifier(kind=IdentifierKind.WHATSAPP, value="+33 6 12 34 56 78")
    cid = service.resolve(db, workspace_id=workspace_id, identifiers=[tg, wa])
    db.commit()
    assert cid is not None
    assert _identifiers_of(db, cid) == {("telegram", "12345678"), ("whatsapp", "33612345678")}


def test_nul_characters_never_reach_the_database(db: Session, workspace_id: uuid.UUID) -> None:
    cid = service.resolve(
        db,
        workspace_id=workspace_id,
        identifiers=[anon("a\x00b"), user("u-nul")],
        traits={"name": "A\x00na", "nested": {"k\x00": ["v\x00"]}},
        reason="ev\x00ent",
    )
    db.commit()
    assert cid is not None

    customer = service.get_customer(db, workspace_id=workspace_id, customer_id=cid)
    found = service.search_customers(db, workspace_id=workspace_id, search=service_search("\x00ana"))
    db.rollback()
    assert customer.traits == {"name": "Ana", "nested": {"k": ["v"]}}
    assert _identifiers_of(db, cid) == {("user_id", "u-nul")}
    assert [c.id for c in found.items] == [cid]


def service_search(q: str) -> CustomerSearch:
    return CustomerSearch(q=q)


def test_a_device_resolves_to_its_own_profile_never_to_an_identified_customer(
    db: Session, workspace_id: uuid.UUID
) -> None:
    """`resolve_device` (a claimed chat visitor's device): a new anonymous id gets a profile, an anonymous one
    is found again, one an identified customer holds, a blocked one and a suppressed one resolve to nobody."""
    new = service.resolve_device(db, workspace_id=workspace_id, anonymous_id="d-1")
    assert new is not None
    assert service.resolve_device(db, workspace_id=workspace_id, anonymous_id="d-1") == new
    identified = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("d-2"), email("bo@example.com")]
    )
    assert identified is not None
    assert service.resolve_device(db, workspace_id=workspace_id, anonymous_id="d-2") is None
    assert service.resolve_device(db, workspace_id=workspace_id, anonymous_id="undefined") is None
    owner = Principal(workspace_id=workspace_id, role=Role.OWNER, label="test")
    service.suppress(db, principal=owner, identifier=anon("d-3"))
    assert service.resolve_device(db, workspace_id=workspace_id, anonymous_id="d-3") is None
    db.commit()
    assert _identifiers_of(db, identified) == {("anonymous_id", "d-2"), ("email", "bo@example.com")}
