"""The client's real address behind reverse proxies.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the direct peer is one of
the configured proxies (`OMNICX_TRUSTED_PROXIES`); then the header is read from the right, each trusted proxy's
entry skipped, and the first address not trusted is the client: entries left of it may have been forged by the
client. `TrustedProxyMiddleware` puts that address where Starlette keeps the peer (`scope["client"]`), so every
reader (`deps.client_ip`, rate limits, audit log, sign-in records) sees it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from omnicx.kernel.settings import parse_networks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    """An address from one X-Forwarded-For entry (`1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:80`)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        return cls(parse_networks(text))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address | None) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack socket's IPv4 peer
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The client's address, given the direct peer and the (comma-joined) X-Forwarded-For header."""
        if not self.trusts(_address(peer)):
            return peer
        client = peer
        for entry in reversed(forwarded_for.split(",")):
            if not entry.strip():
                continue
            address = _address(entry)
            if address is None:
                break  # a trusted proxy writes addresses: what is left of this was not written by one
            client = str(address)
            if not self.trusts(address):
                break
        return client


class TrustedProxyMiddleware:
    """Replace the peer address by the forwarded client's when the peer is a trusted proxy."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            forwarded = b",".join(v for k, v in scope.get("headers", []) if k == b"x-forwarded-for")
            if forwarded:
                host, port = scope["client"]
                client = self.proxies.client(host, forwarded.decode("latin-1"))
                if client != host:
                    scope = {**scope, "client": (client, port)}
        await self.app(scope, receive, send)
