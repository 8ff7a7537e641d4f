"""`omnicx source create`, `omnicx events count` and `omnicx import events`, run as an operator runs them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking import service
from omnicx.tracking.models import Event, RejectedEvent
from tests.conftest import World

Run = Callable[..., tuple[int, str]]
T0 = datetime(2025, 12, 1, tzinfo=UTC)


@pytest.fixture
def run(settings: Settings, tmp_path: Path) -> Run:
    runner = CliRunner()
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
        "COLUMNS": "200",
    }

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.output

    return invoke


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def test_source_create_prints_a_working_key_and_events_count(
    run: Run, client: TestClient, world: World, db: Session
) -> None:
    db.close()
    code, output = run("source", "create", "--workspace", "acme", "Website")
    assert code == 0, output
    key = last_line(output)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    assert client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=auth).status_code == 200
    code, output = run("events", "count", "--workspace", "acme")
    assert (code, last_line(output)) == (0, "1")
    code, output = run("source", "create", "--workspace", "acme", "Website")
    assert code == 1 and "source_exists" in output
    assert run("events", "count", "--workspace", "nope")[0] == 1


def jsonl(path: Path, events: list[object]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    return path


def events(start: int, stop: int) -> list[object]:
    return [
        {
            "type": "track",
            "event": "Order Completed",
            "userId": f"user-{i % 7}",
            "messageId": f"hist-{i}",
            "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
            "properties": {"total": i},
        }
        for i in range(start, stop)
    ]


def test_import_is_validated_deduplicated_and_resumable(
    run: Run, runtime: Runtime, world: World, db: Session, tmp_path: Path
) -> None:
    db.close()
    bad_lines: list[object] = [
        {"type": "track", "event": "No ids"},
        {"type": "track", "userId": "u", "event": "Dup", "messageId": "hist-3"},
    ]
    file = jsonl(tmp_path / "history.jsonl", events(0, 2500) + bad_lines)
    with file.open("ab") as handle:
        handle.write(b"{not json\n")

    # A first run is interrupted after its first chunk (1,000 lines) was committed.
    class Interrupted(Exception):
        pass

    def stop_after_first_chunk(done: int, _total: int) -> None:
        if done > 0:
            raise Interrupted

    with runtime.sessions() as session, pytest.raises(Interrupted):
        service.import_file(
            session, workspace_id=world.workspace.id, path=file, progress=stop_after_first_chunk
        )
    with runtime.sessions() as session:
        assert service.count_events(session, workspace_id=world.workspace.id) == 1000

    code, output = run("import", "events", str(file), "--workspace", "acme", "--source", "legacy-shop")
    assert code == 0, output
    assert "Resumed after line 1000" in output
    assert "1503 lines: 1500 imported, 1 already stored, 2 rejected" in output.replace("\n", " ")
    with runtime.sessions() as session:
        stored = session.execute(select(Event.message_id, Event.timestamp)).all()
        reasons = sorted(session.scalars(select(RejectedEvent.code)))
    assert len(stored) == len({m for m, _ in stored}) == 2500
    assert dict(stored)["hist-42"] == T0 + timedelta(minutes=42)  # historical time kept, no skew applied
    assert reasons == ["invalid_event", "missing_identity"]

    code, output = run("import", "events", str(file), "--workspace", "acme")  # nothing left to do
    assert code == 0 and "0 lines" in output
    assert last_line(run("events", "count", "--workspace", "acme")[1]) == "2500"


def test_csv_import_with_dotted_columns(
    run: Run, runtime: Runtime, world: World, db: Session, tmp_path: Path
) -> None:
    db.close()
    file = tmp_path / "orders.csv"
    file.write_text(
        "type,event,userId,messageId,timestamp,properties.total,properties.paid,context.page.url\n"
        "track,Order Completed,u-1,csv-1,2025-11-02T10:00:00Z,19.90,true,https://shop.example/?utm_source=news\n"
        "identify,,u-2,csv-2,2025-11-02T11:00:00Z,,,\n"
    )
    code, output = run("import", "events", str(file), "--workspace", "acme")
    assert code == 0, output
    with runtime.sessions() as session:
        rows = {e.message_id: e for e in session.scalars(select(Event))}
    assert set(rows) == {"csv-1", "csv-2"}
    order = rows["csv-1"].payload
    assert order["properties"] == {"total": 19.9, "paid": True}
    assert order["context"]["campaign"] == {"source": "news"}
    assert rows["csv-2"].type == "identify"
