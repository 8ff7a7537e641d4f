"""Which push endpoints omnicx posts to (pure): a browser's subscription names its push service's URL, and the
site's page hands it in, so only the push services the operator lists (`OMNICX_WEBPUSH_PUSH_SERVICES`) are
accepted, over https; plain http only for a loopback host that list names (a local test push service)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def push_services(setting: str) -> tuple[str, ...]:
    """The host names of `OMNICX_WEBPUSH_PUSH_SERVICES` (separated by commas or spaces), lower-cased."""
    return tuple(host.lower().strip(".") for host in re.split(r"[,\s]+", setting) if host.strip("."))


def refusal(endpoint: str, services: Sequence[str]) -> str | None:
    """Why omnicx will not post to `endpoint`, or None when it is a listed push service's URL."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not any(host == service or host.endswith("." + service) for service in services):
        return f"{host or 'the endpoint'} is not a push service this server posts to"
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK):
        return None
    return "a push endpoint is an https URL"


def host_of(endpoint: str) -> str:
    return (urlsplit(endpoint).hostname or "").lower()


def endpoint_hash(endpoint: str) -> str:
    """What finds a subscription again (the endpoint itself is stored sealed)."""
    return hashlib.sha256(endpoint.encode()).hexdigest()
