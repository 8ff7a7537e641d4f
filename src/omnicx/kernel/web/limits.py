"""Rate limits on the web: a middleware for the machine-facing APIs and a dependency for forms.

`RateLimitMiddleware` refuses, before any routing or body reading, requests over their rule's rate per client
address and per key (a part of the path, such as a chat widget's token), with `429`, `Retry-After` and
`{"code": "rate_limited", "message": ...}`. `per_address_limit(name)` does the same as a route dependency, raising
`RateLimited`, so the app's error handler answers people with a page and API clients with JSON. The rules and
rates come from the settings (`Settings.rate`); the counting from the runtime's limiter (`kernel.limits`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from omnicx.kernel.errors import RateLimited
from omnicx.kernel.limits import Limiter, retry_after_seconds
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Rate
from omnicx.kernel.web.deps import client_ip, public_form_csrf

UNCOUNTED_METHODS = frozenset({"OPTIONS"})  # CORS preflights: browsers send them on their own


def address_key(host: str) -> str:
    """What a per-address limit counts by: the address, or for IPv6 its /64 (one subscriber's network)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def hit(limiter: Limiter, key: str, rate: Rate) -> float:
    """Count one request under `key` without blocking the event loop on a remote limiter; seconds to wait."""
    if limiter.remote:
        return await anyio.to_thread.run_sync(limiter.hit, key, rate)
    return limiter.hit(key, rate)


def too_many(wait: float, what: str) -> RateLimited:
    seconds = retry_after_seconds(wait)
    return RateLimited(f"too many requests {what}; try again in {seconds} s", retry_after=seconds)


@dataclass(frozen=True)
class LimitRule:
    """Requests whose path starts with `prefix`, at most `per_address` per client address and `per_key` per key
    (`key(path)`, None when the path has none); `headers` are added to the 429 answer (CORS, for instance)."""

    name: str
    prefix: str
    per_address: Rate | None
    per_key: Rate | None = None
    key: Callable[[str], str | None] | None = None
    headers: tuple[tuple[str, str], ...] = ()


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: Limiter, rules: list[LimitRule]) -> None:
        self.app = app
        self.limiter = limiter
        self.rules = [r for r in rules if r.per_address is not None or r.per_key is not None]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in UNCOUNTED_METHODS:
            path: str = scope["path"]
            for rule in self.rules:
                if path.startswith(rule.prefix):
                    refusal = await self._check(rule, scope)
                    if refusal is not None:
                        await _send_429(send, refusal, rule.headers)
                        return
                    break
        await self.app(scope, receive, send)

    async def _check(self, rule: LimitRule, scope: Scope) -> RateLimited | None:
        if rule.per_address is not None:
            client = scope.get("client")
            address = address_key(client[0]) if client else ""
            wait = await hit(self.limiter, f"{rule.name}:address:{address}", rule.per_address)
            if wait:
                return too_many(wait, "from this address")
        key = rule.key(scope["path"]) if rule.key is not None else None
        if rule.per_key is not None and key:
            wait = await hit(self.limiter, f"{rule.name}:key:{key}", rule.per_key)
            if wait:
                return too_many(wait, f"for this {rule.name} key")
        return None


async def _send_429(send: Send, refusal: RateLimited, extra: tuple[tuple[str, str], ...]) -> None:
    body = json.dumps({"code": refusal.code, "message": refusal.message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(refusal.retry_after).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def per_address_limit(name: str) -> Any:
    """Route dependency: at most `rate_limit_<name>_per_address` requests per client address."""

    async def check(request: Request) -> None:
        runtime: Runtime = request.app.state.runtime
        rate = runtime.settings.rate(f"{name}_per_address")
        if rate is None:
            return
        wait = await hit(runtime.limiter, f"{name}:address:{address_key(client_ip(request))}", rate)
        if wait:
            raise too_many(wait, "from this address")

    return Depends(check)


def public_form(name: str) -> list[Any]:
    """Route dependencies of a form anyone may post (a rating, a review, an account link): at most
    `rate_limit_<name>_per_address` posts per client address, and the page's CSRF token."""
    return [per_address_limit(name), Depends(public_form_csrf)]
