"""Browser fixtures: Debian's Chromium driven by Playwright, and `omnicx demo` running as a real process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest
from playwright.sync_api import Browser

from tests.helpers import chromium_browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIGNIN_LINE = re.compile(r"^signin (\w+) (\S+) (\S+)$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running in this thread while it is
    open, which would break asyncio tests that a parallel worker runs after the browser tests."""
    with chromium_browser() as browser:
        yield browser


@dataclass
class Demo:
    url: str
    credentials: dict[str, tuple[str, str]]
    #: Whether the server answered before the world was seeded (the demo serves first and seeds behind).
    served_while_seeding: bool


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`omnicx demo --size small --no-live` exactly as a new user runs it (the issue's acceptance), in a fresh
    data directory."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNICX_")}
    env["OMNICX_DATA_DIR"] = str(data_dir)
    # The `omnicx` script the set-up command installed next to this interpreter, exactly as the README says.
    command = Path(sys.executable).parent / "omnicx"
    # Its own provider port too: each test worker runs a demo of its own.
    ports = ["--port", str(port), "--providers-port", str(free_port())]
    process = subprocess.Popen(
        [str(command), "demo", "--size", "small", "--no-live", *ports],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=data_dir,
    )
    credentials: dict[str, tuple[str, str]] = {}
    output: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            match = SIGNIN_LINE.match(line.strip())
            if match:
                credentials[match.group(1)] = (match.group(2), match.group(3))
            if len(credentials) == 6:
                break
        assert len(credentials) == 6, "".join(output)
        # Keep reading what the server prints, or a full pipe would block it mid-request.
        seeded = threading.Event()
        threading.Thread(target=_read_on, args=(process.stdout, output, seeded), daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("omnicx demo did not become ready:\n" + "".join(output))
        served_while_seeding = not seeded.is_set()
        if not seeded.wait(timeout=300):
            pytest.fail("omnicx demo did not finish seeding its world:\n" + "".join(output))
        yield Demo(url=url, credentials=credentials, served_while_seeding=served_while_seeding)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _read_on(stream: IO[str], output: list[str], seeded: threading.Event) -> None:
    """Collect what the demo prints; `seeded` is set once it says its world is seeded."""
    for line in stream:
        output.append(line)
        if line.strip() == "seeded":
            seeded.set()
