"""Settings read once from `OMNICX_*` environment variables and an optional `.env` file.

One `Settings` object is built at start-up and handed to `create_app(settings)` and to CLI commands, so tests can
run several differently configured apps side by side and no module reads `os.environ` on its own.
"""

from __future__ import annotations

import ipaddress
import math
import re
import secrets
import string
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, IPvAnyNetwork, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LANGUAGES = ("en", "fr", "id", "ca")
# A production secret key must carry at least this much randomness (32 random bytes).
SECRET_KEY_MIN_BITS = 256
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_OFF = frozenset({"off", "none", "unlimited", ""})


class UnsafeSettings(RuntimeError):
    """The configuration would run production insecurely; the message says what to change (never the secret)."""


@dataclass(frozen=True)
class Rate:
    """At most `count` requests per `seconds` (a burst of `count`, then one every `seconds / count`)."""

    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds:g} s"


def parse_rate(text: str) -> Rate | None:
    """`"100/second"`, `"30/minute"`, `"1000/hour"`, `"5/10 minutes"`; `"off"` means no limit (None)."""
    if text.strip().lower() in _OFF:
        return None
    match = _RATE.match(text)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"{text!r} is not a rate: write it like 100/second, 30/minute or off")
    per = int(match.group(2) or 1) * _UNITS[match.group(3).lower()]
    return Rate(count=int(match.group(1)), seconds=float(per))


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses and CIDR ranges separated by commas or spaces (`10.0.0.0/8, 127.0.0.1`)."""
    networks = []
    for item in re.split(r"[,\s]+", text.strip()):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or CIDR range") from exc
    return tuple(networks)


def secret_key_bits(key: str) -> float:
    """A generous estimate of the randomness in `key`: its length times the bits per character of the smallest
    alphabet it is written in (hex, base64, printable), nothing for a key of a few repeated characters."""
    if len(set(key)) < 8:
        return 0.0
    if all(c in string.hexdigits for c in key):
        alphabet = 16
    elif all(c in string.ascii_letters + string.digits + "+/-_=" for c in key):
        alphabet = 64
    else:
        alphabet = 95
    return len(key.rstrip("=")) * math.log2(alphabet)


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
    # Where the analytics copy lives: unset for DuckDB over Parquet files in the data directory (nothing to run);
    # `clickhouse://user:password@host:8123/database` for a ClickHouse server (the `clickhouse` extra);
    # `chdb:///absolute/path?database=name` for ClickHouse's engine inside the process (tests and trials).
    analytics_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    # The address people open omnicx at: the links it mails (invitations, password resets) start with it, and
    # cookies are `Secure` (with HSTS) when it is https.
    base_url: str = "http://127.0.0.1:8000"
    default_language: Literal["en", "fr", "id", "ca"] = "en"
    default_timezone: str = "UTC"

    # Sign-in protection: failed sign-ins within the lock-out window lock an account from the address they came
    # from (`login_max_failures`), or from everywhere past `login_max_failures_per_account`.
    login_max_failures: int = 5
    login_max_failures_per_account: int = 50
    login_lockout_seconds: int = 900
    session_ttl_hours: int = 24 * 14

    # Rate limits of the public surfaces ("N/second|minute|hour|day", or "off"), per client address and per key
    # (write key for /v1, widget for /chat). Counted in process memory, or in Redis when `redis_url` is set.
    rate_limits_enabled: bool = True
    rate_limit_v1_per_address: str = "100/second"
    rate_limit_v1_per_key: str = "300/second"
    rate_limit_chat_per_address: str = "120/minute"
    rate_limit_chat_per_key: str = "3000/minute"
    rate_limit_signin_per_address: str = "30/minute"
    # The public forms and endpoints that mail a link or take one (password reset, invitation acceptance).
    rate_limit_account_links_per_address: str = "10/minute"
    # The answers customers send from a satisfaction survey's link.
    rate_limit_feedback_links_per_address: str = "20/minute"
    # The web push endpoints a site's pages call (subscribe, unsubscribe, the public key).
    rate_limit_webpush_per_address: str = "60/minute"
    # The survey a site's pages show (`feedback/site.js`): asking whether there is one, and answering it.
    rate_limit_survey_site_per_address: str = "60/minute"
    # Proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); none by default.
    trusted_proxies: str = ""
    # An identical unexpected error (same kind, same place, same route) is logged with its traceback once per
    # this many seconds; the repeats are counted.
    error_log_interval_seconds: float = 60.0

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
    smtp_outbound_password: str | None = Field(default=None, repr=False)
    smtp_outbound_starttls: bool = False
    smtp_timeout_seconds: float = 15.0
    # The sender of the mail omnicx writes itself (ownership codes), not on behalf of an inbox.
    smtp_system_from: str = "omnicx <no-reply@localhost>"

    # The browser that prints PDF reports (path or name; empty: the first Chromium on the PATH).
    chromium_path: str | None = None

    # Relays whose Authentication-Results headers are believed (JSON list of {"authserv_id", "networks"});
    # every other such header is ignored and omnicx checks SPF, DKIM and DMARC itself.
    mail_trusted_relays: list[TrustedRelay] = Field(default_factory=list)

    # DNS (mail authentication and ownership proofs): how long one query may take.
    dns_timeout_seconds: float = Field(default=5.0, gt=0)

    # Web push: the push services omnicx posts notifications to (host names; their subdomains too), separated by
    # commas. A browser's subscription naming any other endpoint is refused, so a site cannot make omnicx post
    # elsewhere. Plain http is accepted only for a loopback host listed here (a local test push service).
    webpush_push_services: str = (
        "fcm.googleapis.com, push.services.mozilla.com, notify.windows.com, push.apple.com"
    )
    # Who runs the push sender, as push services ask (`mailto:` address or https URL): the subject of a
    # workspace's new VAPID key (editable per workspace); default the address of `smtp_system_from`.
    webpush_subject: str | None = None

    # Media a provider's webhook names (a photo sent by SMS, WhatsApp, Messenger, Instagram or Telegram) is
    # fetched by a job after the message is stored: up to this many bytes per file (the SMTP default's size).
    channel_media_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # Whether that media may be fetched from loopback, private or link-local addresses. A URL in a webhook comes
    # from outside, so production refuses them (no request into the server's own network); development and
    # tests allow them, for the providers' local stand-ins. Set it to decide either way.
    channel_media_private_addresses: bool | None = None

    @field_validator(
        "rate_limit_v1_per_address",
        "rate_limit_v1_per_key",
        "rate_limit_chat_per_address",
        "rate_limit_chat_per_key",
        "rate_limit_signin_per_address",
        "rate_limit_account_links_per_address",
        "rate_limit_feedback_links_per_address",
        "rate_limit_webpush_per_address",
        "rate_limit_survey_site_per_address",
    )
    @classmethod
    def _is_rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _are_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @model_validator(mode="after")
    def _production_secret(self) -> Self:
        # UnsafeSettings is not a ValueError, so pydantic does not wrap it (and echo the key in its report).
        if self.environment == "production":
            if not self.secret_key:
                raise UnsafeSettings(
                    "OMNICX_SECRET_KEY must be set in production: 32 random bytes, such as the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
            if secret_key_bits(self.secret_key) < SECRET_KEY_MIN_BITS:
                raise UnsafeSettings(
                    f"OMNICX_SECRET_KEY is too weak for production (a {len(self.secret_key)}-character key): it must "
                    "hold at least 32 random bytes, such as the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` or `openssl rand -hex 32`"
                )
        return self

    def rate(self, name: str) -> Rate | None:
        """The rate limit setting `rate_limit_<name>` (None when off, or when every limit is off)."""
        if not self.rate_limits_enabled:
            return None
        value: str = getattr(self, f"rate_limit_{name}")
        return parse_rate(value)

    @property
    def media_from_private_addresses(self) -> bool:
        """Whether provider media may be fetched from non-public addresses (see `channel_media_private_addresses`)."""
        if self.channel_media_private_addresses is not None:
            return self.channel_media_private_addresses
        return self.environment != "production"

    @cached_property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return parse_networks(self.trusted_proxies)

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
