"""A web server and a separate `omnicx worker` on one data directory: the worker applies the changes, the server
reads the copy, and neither holds a file the other needs (segments are immutable files any process reads)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.settings import Settings
from tests.conftest import SECRET_KEY, World
from tests.realtime.conftest import free_port
from tests.tracking.conftest import KeyedSource

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_SECRET_KEY": SECRET_KEY,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_RUN_WORKER_IN_PROCESS": "false",
        "OMNICX_JOB_POLL_SECONDS": "0.05",
    }


@pytest.fixture
def processes(settings: Settings) -> Iterator[int]:
    """A server (no worker thread) and a worker process; yields the server's port."""
    port = free_port()
    env = _env(settings)
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.realtime.server_main", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "omnicx", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start in time"
            assert server.poll() is None and worker.poll() is None, "a process exited while starting"
            time.sleep(0.05)
        yield port
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=20)


def test_server_and_worker_processes_share_the_copy(
    processes: int, source: KeyedSource, world: World
) -> None:
    base = f"http://127.0.0.1:{processes}"
    day = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    batch = [
        {
            "type": "page",
            "anonymousId": f"visitor-{i}",
            "timestamp": (day + timedelta(minutes=i)).isoformat(),
            "context": {"page": {"url": "https://shop.example/?utm_source=newsletter&utm_medium=email"}},
        }
        for i in range(20)
    ]
    sent = httpx.post(f"{base}/v1/batch", json={"batch": batch}, headers=source.basic, timeout=10)
    assert sent.json() == {"success": True}
    headers = world.token(Role.ANALYST)
    query = {"date_from": (day.date() - timedelta(days=1)).isoformat(), "date_to": day.date().isoformat()}
    deadline = time.monotonic() + 30
    while True:
        report = httpx.get(f"{base}/api/v1/attribution/report", params=query, headers=headers, timeout=10)
        assert report.status_code == 200, report.text
        if report.json()["sessions"] == 20:
            break
        assert time.monotonic() < deadline, f"the copy never caught up: {report.json()['sessions']} sessions"
        time.sleep(0.1)
    status = httpx.get(f"{base}/api/v1/analytics/status", headers=world.token(Role.ADMIN), timeout=10).json()
    assert status["pending_changes"] == 0
    sessions = {t["table"]: t for t in status["tables"]}["sessions"]
    # Files may hold a row twice when the first sync's build copied it and the change that wrote it came after:
    # a tombstone hides the older copy.
    assert sessions["rows"] - sessions["tombstones"] == 20
