"""`/api/v1/jobs`: who may list, read and retry jobs, and that other workspaces' jobs stay invisible."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs import service
from tests.conftest import World
from tests.jobs.conftest import dead_job


def test_an_admin_lists_reads_and_retries_their_workspaces_jobs(
    client: TestClient, db: Session, world: World
) -> None:
    dead = dead_job(db, workspace_id=world.workspace.id)
    service.enqueue(db, kind="test.effect", payload={}, workspace_id=world.workspace.id)
    db.commit()
    admin = world.token(Role.ADMIN)

    listed = client.get("/api/v1/jobs/", headers=admin)
    assert listed.status_code == 200
    assert listed.json()["total"] == 2
    letter = client.get("/api/v1/jobs/", params={"status": "dead"}, headers=admin).json()
    assert [item["id"] for item in letter["items"]] == [str(dead)]
    assert letter["items"][0]["last_error"].startswith("RuntimeError: 502 from the provider\n")

    shown = client.get(f"/api/v1/jobs/{dead}", headers=admin)
    assert shown.status_code == 200
    assert shown.json()["payload"] == {"to": "ana@example.com"}

    retried = client.post(f"/api/v1/jobs/{dead}/retry", headers=admin)
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)

    again = client.post(f"/api/v1/jobs/{dead}/retry", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "job_not_retryable")


def test_another_workspaces_job_is_not_found(
    client: TestClient, db: Session, world: World, other_world: World
) -> None:
    theirs = dead_job(db, workspace_id=other_world.workspace.id)
    admin = world.token(Role.ADMIN)

    assert client.get("/api/v1/jobs/", headers=admin).json()["total"] == 0
    for response in (
        client.get(f"/api/v1/jobs/{theirs}", headers=admin),
        client.post(f"/api/v1/jobs/{theirs}/retry", headers=admin),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "job_not_found")
    assert client.get(f"/api/v1/jobs/{theirs}", headers=other_world.token(Role.ADMIN)).status_code == 200


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.AGENT, Role.MARKETER])
def test_roles_without_jobs_permissions_are_refused(
    client: TestClient, db: Session, world: World, role: Role
) -> None:
    dead = dead_job(db, workspace_id=world.workspace.id)
    headers = world.token(role)

    for response in (
        client.get("/api/v1/jobs/", headers=headers),
        client.get(f"/api/v1/jobs/{dead}", headers=headers),
        client.post(f"/api/v1/jobs/{dead}/retry", headers=headers),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_an_owner_may_retry(client: TestClient, db: Session, world: World) -> None:
    dead = dead_job(db, workspace_id=world.workspace.id)
    assert client.post(f"/api/v1/jobs/{dead}/retry", headers=world.token(Role.OWNER)).status_code == 200


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"status": "lost"}])
def test_list_parameters_are_bounded(client: TestClient, world: World, params: dict[str, object]) -> None:
    response = client.get("/api/v1/jobs/", params=params, headers=world.token(Role.ADMIN))
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


def test_anonymous_callers_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/jobs/").status_code == 401
