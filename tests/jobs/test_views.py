"""Settings → Jobs page: counts per status, the dead letter, the retry button."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.models import JobStatus
from tests.conftest import World
from tests.jobs.conftest import dead_job


def test_the_jobs_page_shows_counts_and_the_dead_letter(
    client: TestClient, db: Session, world: World
) -> None:
    dead = dead_job(db, workspace_id=world.workspace.id, kind="email.deliver")
    service.enqueue(db, kind="sms.deliver", payload={}, workspace_id=world.workspace.id)
    db.commit()

    page = client.get("/settings/jobs", params={"status": "dead"}, headers=world.token(Role.ADMIN))

    assert page.status_code == 200
    assert "email.deliver" in page.text
    assert "sms.deliver" not in page.text
    assert f'action="/settings/jobs/{dead}/retry?status=dead"' in page.text
    assert "RuntimeError: 502 from the provider" in page.text
    assert 'data-status="queued"' in page.text


def test_retry_from_the_page_requeues_and_redirects_back(
    client: TestClient, db: Session, world: World
) -> None:
    dead = dead_job(db, workspace_id=world.workspace.id)

    response = client.post(
        f"/settings/jobs/{dead}/retry?status=dead", headers=world.token(Role.ADMIN), follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/settings/jobs?status=dead"
    assert service.get_job(db, job_id=dead, workspace_id=world.workspace.id).status is JobStatus.QUEUED


def test_viewers_cannot_open_the_jobs_page(client: TestClient, db: Session, world: World) -> None:
    dead = dead_job(db, workspace_id=world.workspace.id)
    headers = world.token(Role.VIEWER)
    assert client.get("/settings/jobs", headers=headers).status_code == 403
    assert client.post(f"/settings/jobs/{dead}/retry", headers=headers).status_code == 403
