"""Behind a reverse proxy the client's address is real: `X-Forwarded-For` is believed only when the direct peer is
a trusted proxy (OMNICX_TRUSTED_PROXIES), and then its rightmost untrusted address is the client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicx.auth.models import LoginAttempt
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.proxies import TrustedProxies
from tests.conftest import World
from tests.helpers import CSRF_INPUT
from tests.realtime.conftest import free_port
from tests.security.conftest import AppFactory, Connect

ROOT = Path(__file__).resolve().parents[2]
PROXIES = TrustedProxies.parse("10.0.0.0/8, 127.0.0.1 ,2001:db8:1::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("203.0.113.9", "203.0.113.5", "203.0.113.9"),  # not a proxy of ours: its header is the client's word
        ("10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # a forged first entry is ignored
        ("10.0.0.1", "203.0.113.5, 10.0.0.2", "203.0.113.5"),  # two proxies of ours in a row
        ("127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # trusted all the way: the leftmost
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "garbage, 203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "203.0.113.5, garbage", "10.0.0.1"),  # our proxy never writes that: keep the peer
        ("10.0.0.1", "203.0.113.5:41234", "203.0.113.5"),
        ("2001:db8:1::5", "[2001:db8:2::7]:443", "2001:db8:2::7"),
        ("2001:db8:1::5", "2001:db8:2::7", "2001:db8:2::7"),
    ],
)
def test_the_rightmost_untrusted_address_is_the_client(peer: str, forwarded: str, client: str) -> None:
    assert PROXIES.client(peer, forwarded) == client


def test_nothing_is_trusted_by_default() -> None:
    assert TrustedProxies.parse("").client("10.0.0.1", "203.0.113.5") == "10.0.0.1"


def test_a_malformed_proxy_setting_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(data_dir=tmp_path, trusted_proxies="10.0.0.0/8, not-an-address")


def test_forwarded_addresses_are_limited_apart_only_behind_a_trusted_proxy(
    make_app: AppFactory, connect: Connect
) -> None:
    def statuses(client: TestClient, forwarded: str, times: int) -> list[int]:
        headers = {"X-Forwarded-For": forwarded}
        return [client.post("/v1/batch", content=b"{}", headers=headers).status_code for _ in range(times)]

    proxied = connect(
        make_app(trusted_proxies="10.0.0.0/8", rate_limit_v1_per_address="2/minute"), "10.0.0.1"
    )
    assert statuses(proxied, "203.0.113.5", 3) == [401, 401, 429]
    assert statuses(proxied, "203.0.113.6", 2) == [401, 401]
    direct = connect(make_app(rate_limit_v1_per_address="2/minute"), "10.0.0.1")
    assert statuses(direct, "203.0.113.5", 1) + statuses(direct, "203.0.113.6", 2) == [401, 401, 429]


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A real `omnicx serve` on a loopback port, trusting the loopback proxy, on the test database."""
    port = free_port()
    env = {
        **os.environ,
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
        "OMNICX_DATA_DIR": str(tmp_path / "served"),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_TRUSTED_PROXIES": "127.0.0.1",
    }
    command = [sys.executable, "-m", "omnicx", "serve", "--port", str(port), "--no-worker"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "omnicx serve exited while starting"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "omnicx serve did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_records_the_forwarded_client_of_a_trusted_proxy(
    served: str, runtime: Runtime, world: World
) -> None:
    with httpx.Client(base_url=served) as browser:
        token = CSRF_INPUT.search(browser.get("/signin").text)
        assert token is not None
        for forwarded in ("6.6.6.6, 203.0.113.50", None):
            headers = {"X-Forwarded-For": forwarded} if forwarded else {}
            answer = browser.post(
                "/signin",
                data={"email": "nobody@acme.example.com", "password": "wrong", "csrf_token": token.group(1)},
                headers=headers,
            )
            assert answer.status_code == 401
    with runtime.sessions() as session:
        recorded = sorted(session.scalars(select(LoginAttempt.ip)))
    assert recorded == ["127.0.0.1", "203.0.113.50"]
