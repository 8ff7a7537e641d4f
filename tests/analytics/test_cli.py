"""`omnicx analytics`: status as JSON, sync and rebuild from an operator's terminal, on the server's data."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.analytics.conftest import assert_copy_matches_store
from tests.analytics.test_sync import visits
from tests.conftest import World
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import drain


def test_status_sync_and_rebuild_from_the_cli(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, cli_env: dict[str, str]
) -> None:
    visits(client, source)
    drain(runtime)
    runner = CliRunner()
    rebuilt = runner.invoke(app, ["analytics", "rebuild"], env=cli_env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt the copy" in rebuilt.stdout
    assert_copy_matches_store(runtime, world.workspace.id)
    status = runner.invoke(app, ["analytics", "status", "-f", "json"], env=cli_env)
    assert status.exit_code == 0, status.output
    printed = json.loads(status.stdout)
    assert printed["pending_changes"] == 0 and printed["rebuilt_at"] is not None
    rows = {t["table"]: t["rows"] for t in printed["tables"]}
    api = client.get("/api/v1/analytics/status", headers=world.token(Role.ADMIN)).json()
    assert rows == {t["table"]: t["rows"] for t in api["tables"]}  # one workspace: the operator sees the same
    assert api["last_sync_rows"] is None and isinstance(
        printed["last_sync_rows"], int
    )  # no other tenant's volume
    synced = runner.invoke(app, ["analytics", "sync"], env=cli_env)
    assert synced.exit_code == 0 and "applied 0 changes" in synced.stdout


def test_a_rebuild_is_queued_from_the_page_by_an_admin_only(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    denied = client.post("/api/v1/analytics/rebuild", headers=world.token(Role.ANALYST))
    assert denied.status_code == 403
    queued = client.post("/api/v1/analytics/rebuild", headers=world.token(Role.ADMIN))
    again = client.post("/api/v1/analytics/rebuild", headers=world.token(Role.OWNER))
    assert (
        queued.status_code == 202 and queued.json() == again.json()
    )  # one rebuild for requests close together
    drain(runtime)
    status = client.get("/api/v1/analytics/status", headers=world.token(Role.ADMIN)).json()
    assert status["rebuilt_at"] is not None


def test_a_copy_never_built_is_queued_for_building_at_start(runtime: Runtime, world: World) -> None:
    from omnicx.analytics import service as analytics_service

    with runtime.sessions() as session:
        assert (
            analytics_service.wake_if_never_built(session) is True
        )  # an upgraded database: nothing copied yet
    drain(runtime)
    with runtime.sessions() as session:
        assert analytics_service.status(session).rebuilt_at is not None
        assert analytics_service.wake_if_never_built(session) is False
