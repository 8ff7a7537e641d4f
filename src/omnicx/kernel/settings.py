"""Settings read once from `OMNICX_*` environment variables and an optional `.env` file.

One `Settings` object is built at start-up and handed to `create_app(settings)` and to CLI commands, so tests can
run several differently configured apps side by side and no module reads `os.environ` on its own.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LANGUAGES = ("en", "fr", "id", "ca")


def _default_data_dir() -> Path:
    return Path.cwd() / ".omnicx"


class TrustedRelay(BaseModel):
    """A mail relay in front of omnicx's SMTP server whose `Authentication-Results` verdict is believed: only
    for mail it hands over itself (from one of its `networks`), and only the header it adds (carrying its
    `authserv_id`). Such a relay must remove headers claiming its authserv-id from the mail it receives."""

    authserv_id: str = Field(min_length=1, max_length=255)
    networks: list[IPvAnyNetwork] = Field(min_length=1)

    @field_validator("authserv_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class Settings(BaseSettings):
    """Everything that differs between a laptop demo, CI and a production deployment."""

    model_config = SettingsConfigDict(env_prefix="OMNICX_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    default_language: Literal["en", "fr", "id", "ca"] = "en"
    default_timezone: str = "UTC"

    # Sign-in protection.
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    session_ttl_hours: int = 24 * 14

    # Jobs: lease is how long a claimed job stays invisible to other workers before it is presumed dead.
    job_lease_seconds: float = 60.0
    job_poll_seconds: float = 0.5
    # How often an open live stream re-checks its caller's credentials, role and teams (revocations end it).
    stream_recheck_seconds: float = Field(default=5.0, gt=0)
    job_backoff_base_seconds: float = 2.0
    job_backoff_cap_seconds: float = 3600.0
    run_worker_in_process: bool = True

    max_request_bytes: int = 4 * 1024 * 1024

    # Email channel: the built-in inbound SMTP server (started by `omnicx serve` when a port is set) and the
    # SMTP server replies are sent through.
    smtp_inbound_host: str = "127.0.0.1"
    smtp_inbound_port: int | None = None
    smtp_max_message_bytes: int = 25 * 1024 * 1024
    smtp_outbound_host: str = "127.0.0.1"
    smtp_outbound_port: int = 25
    smtp_outbound_username: str | None = None
    smtp_outbound_password: str | None = None
    smtp_outbound_starttls: bool = False
    smtp_timeout_seconds: float = 15.0
    # The sender of the mail omnicx writes itself (ownership codes), not on behalf of an inbox.
    smtp_system_from: str = "omnicx <no-reply@localhost>"

    # Relays whose Authentication-Results headers are believed (JSON list of {"authserv_id", "networks"});
    # every other such header is ignored and omnicx checks SPF, DKIM and DMARC itself.
    mail_trusted_relays: list[TrustedRelay] = Field(default_factory=list)

    # DNS (mail authentication and ownership proofs): how long one query may take.
    dns_timeout_seconds: float = Field(default=5.0, gt=0)

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured URL, or an embedded SQLite file in the data directory."""
        if self.database_url:
            return _normalise_db_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'omnicx.db'}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once into the data directory (never committed)."""
        if self.secret_key:
            return self.secret_key
        if self.environment == "production":
            raise RuntimeError("OMNICX_SECRET_KEY must be set in production")
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def _normalise_db_url(url: str) -> str:
    """Accept the common `postgresql://` spelling and use the psycopg 3 driver for it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url
