"""The server is SIGKILLed during ingestion and restarted on the same port while a real client keeps retrying:
every event ends up stored exactly once (nothing lost, nothing doubled)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import segment.analytics as segment_analytics

from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.realtime.conftest import free_port
from tests.tracking.conftest import KeyedSource, counts, stored_message_ids

EVENTS = 2500
ROOT = Path(__file__).resolve().parents[2]


def start_server(settings: Settings, port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
        "OMNICX_DATA_DIR": str(tmp_path / "server-data"),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_RUN_WORKER_IN_PROCESS": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.realtime.server_main", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
        assert process.poll() is None, "the server process exited while starting"
    raise AssertionError("the server did not start in time")


def test_sigkill_during_ingestion_loses_and_doubles_nothing(
    runtime: Runtime, settings: Settings, source: KeyedSource, tmp_path: Path
) -> None:
    port = free_port()
    server = start_server(settings, port, tmp_path)
    errors: list[object] = []
    client = segment_analytics.Client(
        source.write_key,
        host=f"http://127.0.0.1:{port}",
        upload_interval=0.01,
        upload_size=100,
        max_retries=12,
        max_queue_size=EVENTS + 10,
        on_error=lambda error, _batch: errors.append(error),
    )
    sent = [
        str(
            client.track(anonymous_id=f"visitor-{i % 50}", event="Page Scrolled", properties={"i": i})[1][
                "messageId"
            ]
        )
        for i in range(EVENTS)
    ]
    try:
        deadline = time.monotonic() + 30
        while counts(runtime).events < EVENTS // 5:  # well into the upload
            assert time.monotonic() < deadline, "the client did not start uploading"
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        assert server.wait(timeout=5) == -signal.SIGKILL
        stored_at_kill = counts(runtime).events
        assert stored_at_kill < EVENTS, "the upload finished before the kill; send more events"
        time.sleep(0.5)  # the client meets a closed port and keeps retrying
        server = start_server(settings, port, tmp_path)
        client.flush()
        client.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert errors == []
    stored = stored_message_ids(runtime)
    assert len(stored) == len(set(stored)) == EVENTS
    assert set(stored) == set(sent)
