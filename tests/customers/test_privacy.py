"""Privacy: export, suppression and erasure, for owners and admins only, each audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.identity import service as identity_service
from omnicx.identity.models import Customer, CustomerIdentifier, Merge
from omnicx.identity.schemas import DataSubject, Identifier, IdentifierKind
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.customers.conftest import make_customer


def _audit_actions(db: Session, world: World) -> list[str]:
    page = auth_service.list_audit(db, workspace_id=world.workspace.id, limit=200)
    db.rollback()
    return [entry.action for entry in page.items]


def test_export_contains_identifiers_merges_and_the_timeline(
    db: Session, client: TestClient, world: World, timeline_provider: str
) -> None:
    ws = world.workspace.id
    anon = make_customer(db, ws, ("anonymous_id", "dev-1"))
    make_customer(db, ws, ("email", "exp@example.com"))
    cid = make_customer(db, ws, ("anonymous_id", "dev-1"), ("email", "exp@example.com"), name="Exa")

    response = client.post(f"/api/v1/identity/customers/{cid}/export", headers=world.token(Role.ADMIN))

    assert response.status_code == 200, response.text
    body = response.json()
    assert {(i["kind"], i["value"]) for i in body["identifiers"]} == {
        ("anonymous_id", "dev-1"),
        ("email", "exp@example.com"),
    }
    assert body["customer"]["display_name"] == "Exa"
    assert body["customer"]["id"] == str(cid)
    assert body["merged_customer_ids"] == [str(anon)]  # the email's customer survived the anonymous one
    assert len(body["merges"]) == 1
    titles = [item["title"] for item in body["sections"]["timeline"]]
    assert "Where is my order?" in titles
    assert "customer.exported" in _audit_actions(db, world)


def test_only_owners_and_admins_handle_privacy(db: Session, client: TestClient, world: World) -> None:
    cid = make_customer(db, world.workspace.id, ("email", "p@example.com"))
    for role in (Role.AGENT, Role.MARKETER, Role.ANALYST, Role.VIEWER):
        for action in ("export", "erase", "suppress"):
            response = client.post(f"/api/v1/identity/customers/{cid}/{action}", headers=world.token(role))
            assert response.status_code == 403, (role, action)
    assert (
        client.post(f"/api/v1/identity/customers/{cid}/export", headers=world.token(Role.OWNER)).status_code
        == 200
    )


def test_erasure_runs_as_a_job_and_leaves_nothing_behind(
    db: Session, client: TestClient, runtime: Runtime, world: World
) -> None:
    ws = world.workspace.id
    old = make_customer(db, ws, ("anonymous_id", "dev-9"))
    cid = make_customer(db, ws, ("user_id", "u-9"))
    assert (
        make_customer(db, ws, ("anonymous_id", "dev-9"), ("user_id", "u-9"), ("email", "gone@example.com"))
        == cid
    )
    keep = make_customer(db, ws, ("email", "stays@example.com"))
    calls: list[DataSubject] = []

    def eraser(session: Session, subject: DataSubject) -> int:
        calls.append(subject)
        return 7

    identity_service.register_eraser("test-events", eraser)
    try:
        requested = client.post(
            f"/api/v1/identity/customers/{old}/erase",
            json={"suppress": True},
            headers=world.token(Role.OWNER),
        )
        assert requested.status_code == 202, requested.text
        job_id = requested.json()["job_id"]
        assert requested.json()["status"] == "queued"
        assert requested.json()["customer_id"] == str(cid)  # the survivor is erased, with what merged into it

        worker = Worker(runtime, "test")
        assert worker.run_once()
        while worker.run_once():  # the erasure, and what it queued
            pass
    finally:
        identity_service.unregister("test-events")

    status = client.get(f"/api/v1/identity/erasures/{job_id}", headers=world.token(Role.ADMIN)).json()
    assert status["status"] == "succeeded"
    lineage = {old, cid}
    [subject] = calls
    assert subject.workspace_id == ws and set(subject.customer_ids) == lineage
    assert subject.customer_ids[0] == cid  # the survivor first
    assert Identifier(kind=IdentifierKind.EMAIL, value="gone@example.com") in subject.identifiers
    assert subject.data_dir == runtime.settings.data_dir  # where the inbox's attachments are deleted
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.id.in_(lineage))) == 0
    assert (
        db.scalar(
            select(func.count())
            .select_from(CustomerIdentifier)
            .where(CustomerIdentifier.customer_id.in_(lineage))
        )
        == 0
    )
    assert db.scalar(select(func.count()).select_from(Merge).where(Merge.workspace_id == ws)) == 0
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.id == keep)) == 1
    db.rollback()
    assert client.get(f"/api/v1/customers/{cid}", headers=world.token(Role.OWNER)).status_code == 404
    # Suppressed with the erasure: the same identifiers no longer create a profile.
    assert (
        identity_service.resolve(
            db, workspace_id=ws, identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="gone@example.com")]
        )
        is None
    )
    db.rollback()
    actions = _audit_actions(db, world)
    assert {"customer.erase_requested", "customer.deleted", "identifier.suppressed"} <= set(actions)


def test_suppressions_api(db: Session, client: TestClient, world: World) -> None:
    admin = world.token(Role.ADMIN)
    created = client.post(
        "/api/v1/identity/suppressions", json={"kind": "email", "value": " No@Example.com"}, headers=admin
    )
    again = client.post(
        "/api/v1/identity/suppressions", json={"kind": "email", "value": "no@example.com"}, headers=admin
    )
    junk = client.post(
        "/api/v1/identity/suppressions", json={"kind": "phone", "value": "call me"}, headers=admin
    )

    assert created.status_code == 201 and created.json()["value"] == "no@example.com"
    assert again.json()["id"] == created.json()["id"]
    assert junk.status_code == 422 and junk.json()["code"] == "invalid_identifier"
    listed = client.get("/api/v1/identity/suppressions", headers=admin).json()
    assert listed["total"] == 1
    assert identity_service.is_suppressed(
        db,
        workspace_id=world.workspace.id,
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="NO@example.com")],
    )
    db.rollback()
    removed = client.delete(f"/api/v1/identity/suppressions/{created.json()['id']}", headers=admin)
    assert removed.status_code == 204
    assert client.get("/api/v1/identity/suppressions", headers=admin).json()["total"] == 0
    assert "identifier.unsuppressed" in _audit_actions(db, world)
