"""Production refuses a secret key with less than 32 random bytes in it, at start-up, with a clear message."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from omnicx.kernel.settings import Settings, UnsafeSettings

WEAK = ["a", "change-me", "x" * 64, "0123456789abcdef" * 2, "password1234567890password1234567890"[:31]]
STRONG = {
    "urlsafe-32": lambda: secrets.token_urlsafe(32),
    "hex-32": lambda: secrets.token_hex(32),
    "base64-32": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
}


@pytest.mark.parametrize("key", WEAK)
def test_production_refuses_a_weak_secret_key(key: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettings, match="OMNICX_SECRET_KEY") as raised:
        Settings(data_dir=tmp_path, environment="production", secret_key=key)
    assert "token_urlsafe(32)" in str(raised.value)  # says how to make a good one
    if len(key) > 1:
        assert key not in str(raised.value)  # and never prints the key back


def test_production_refuses_a_missing_secret_key_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettings, match="OMNICX_SECRET_KEY"):
        Settings(data_dir=tmp_path, environment="production", secret_key=None)


@pytest.mark.parametrize("kind", list(STRONG))
def test_production_accepts_32_random_bytes(kind: str, tmp_path: Path) -> None:
    key = STRONG[kind]()
    settings = Settings(data_dir=tmp_path, environment="production", secret_key=key)
    assert settings.resolved_secret_key == key


def test_development_keeps_accepting_any_key(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, environment="development", secret_key="a").resolved_secret_key == "a"


def test_serve_stops_with_a_clear_message_on_a_weak_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OMNICX_ENVIRONMENT": "production",
        "OMNICX_SECRET_KEY": "a",
        "OMNICX_DATA_DIR": str(tmp_path),
        "OMNICX_DATABASE_URL": f"sqlite:///{tmp_path / 'omnicx.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "omnicx", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "OMNICX_SECRET_KEY" in output
    assert "Traceback" not in output
    assert "Uvicorn running" not in output
