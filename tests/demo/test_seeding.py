"""The demo world seeded behind the running server: its progress on the API and in every page's top bar, only for
its own workspace; a seeding stopped half-way is found unfinished and starts over."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicx.app import demo as demo_command
from omnicx.app.demo import World as DemoWorld
from omnicx.app.demo import _seed_world
from omnicx.demo.enums import SeedingPhase
from omnicx.demo.providers import RunningProviders
from omnicx.demo.seeding import BOARD, Cancelled, SeedingBoard, mark_seeded, mark_started, unfinished
from omnicx.demo.service import seed_demo
from omnicx.demo.sizes import SizeName
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking.models import Event
from tests.conftest import World
from tests.demo.test_signins import SIGNIN_LINE, start
from tests.helpers import sign_in


@pytest.fixture
def board() -> Iterator[SeedingBoard]:
    """The process's board, left idle afterwards (other tests in this worker read it through pages)."""
    BOARD.reset()
    yield BOARD
    BOARD.reset()


def test_the_board_tells_the_seeding_workspace_only_and_moves_through_the_phases() -> None:
    board, mine, other = SeedingBoard(), uuid.uuid4(), uuid.uuid4()
    assert board.status(mine).state == "idle"
    board.start(mine)
    assert board.status(mine).state == "running" and board.status(mine).share == 0
    board.update("import", 500, 1000)
    halfway = board.status(mine)
    assert (halfway.phase, halfway.done, halfway.total) == (SeedingPhase.IMPORT, 500, 1000)
    assert halfway.share == pytest.approx(0.55 / 2)
    assert board.status(other).state == "idle"
    board.update("conversations", 10, 10)
    assert board.status(mine).share == pytest.approx(1.0)
    board.finish()
    assert board.status(mine).state == "done"
    board.start(mine)
    board.finish(failed="disk full")
    assert board.status(mine).model_dump(include={"state", "message"}) == {
        "state": "failed",
        "message": "disk full",
    }


def test_a_cancelled_board_stops_the_seeding_at_its_next_progress_report() -> None:
    board = SeedingBoard()
    board.start(uuid.uuid4())
    board.update("import", 1, 10)
    board.cancel()
    with pytest.raises(Cancelled):
        board.update("import", 2, 10)
    board.start(uuid.uuid4())
    with pytest.raises(Cancelled):  # asked to stop before it began: it stops too
        board.update("import", 1, 10)
    board.reset()
    board.start(uuid.uuid4())
    board.update("import", 3, 10)  # a seeding runs again


def test_a_seeding_is_unfinished_from_its_start_until_its_end(tmp_path: Path) -> None:
    assert not unfinished(tmp_path)  # a data directory from before the marker: its world counts as whole
    workspace = uuid.uuid4()
    mark_started(tmp_path, workspace)
    assert unfinished(tmp_path)
    mark_seeded(tmp_path, workspace)
    assert not unfinished(tmp_path)
    (tmp_path / "demo-world.json").write_text("{not json", encoding="utf-8")
    assert not unfinished(tmp_path)


def test_the_api_and_the_top_bar_show_the_progress_to_its_workspace_only(
    client: TestClient, world: World, other_world: World, board: SeedingBoard
) -> None:
    viewer = world.token(Role.VIEWER)
    assert client.get("/api/v1/demo/seeding", headers=viewer).json()["state"] == "idle"
    board.start(world.workspace.id)
    board.update("orders", 30, 60)
    status = client.get("/api/v1/demo/seeding", headers=viewer).json()
    assert status["state"] == "running" and status["phase"] == "orders" and status["done"] == 30
    assert status["share"] == pytest.approx(0.55 + 0.15 + 0.05)
    assert client.get("/api/v1/demo/seeding", headers=other_world.token(Role.OWNER)).json()["state"] == "idle"
    assert client.get("/api/v1/demo/seeding").status_code == 401

    member = world.members[Role.AGENT]
    sign_in(client, member.email, member.password)
    page = client.get("/inbox").text
    assert 'id="demo-seeding"' in page and "Placing and fulfilling orders" in page and 'value="0.75"' in page
    part = client.get("/demo/seeding").text
    assert 'hx-trigger="every 1s"' in part
    board.finish()
    ready = client.get("/demo/seeding").text
    assert "The demo world is ready." in ready and "hx-trigger" not in ready  # the poll stops
    assert 'id="demo-seeding"' not in client.get("/inbox").text  # pages opened afterwards show nothing


def test_a_seeding_stopped_half_way_leaves_its_world_unfinished(
    runtime: Runtime, demo_providers: RunningProviders, board: SeedingBoard
) -> None:
    with runtime.sessions() as session:
        workspace, _credentials, created = seed_demo(session)
    assert created
    board.start(workspace.id)
    board.cancel()  # Ctrl+C before the first events were imported
    world = DemoWorld(workspace.id, SizeName.SMALL, 7, demo_providers.accounts)
    with pytest.raises(Cancelled):
        _seed_world(runtime, world)
    assert unfinished(runtime.settings.data_dir)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_the_next_start_seeds_an_unfinished_world_again_from_scratch(
    cli_env: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded: list[uuid.UUID] = []
    monkeypatch.setattr(
        demo_command, "_seed_world", lambda _runtime, world: seeded.append(world.workspace_id)
    )
    first = start(cli_env)
    assert len(seeded) == 1
    mark_started(settings.data_dir, seeded[0])  # as a seeding stopped half-way leaves it
    again = start(cli_env)
    assert "did not finish: it starts over" in again
    assert len(seeded) == 2 and seeded[1] != seeded[0]  # a new workspace, seeded again
    assert SIGNIN_LINE.findall(again) != SIGNIN_LINE.findall(first)
    mark_seeded(settings.data_dir, seeded[1])
    assert "starts over" not in start(cli_env) and len(seeded) == 2  # a whole world is kept
