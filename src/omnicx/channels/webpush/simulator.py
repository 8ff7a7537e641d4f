"""A local stand-in for a browser vendor's push service, served over real HTTP (tests and the demo), with the
browsers it delivers to.

`subscribe(...)` plays a browser's `pushManager.subscribe({applicationServerKey})`: a new P-256 key pair and
16-byte auth secret for the browser, an endpoint on this service, and the `PushSubscription` JSON a page would
post to omnicx. A push (`POST /push/{channel}`) is accepted as a push service does (RFC 8030, 8291, 8292): it
needs a `TTL`, a `vapid t=<JWT>,k=<key>` Authorization whose key is the one the browser subscribed with and
whose JWT that key signed, for this service (`aud`), unexpired, naming a contact (`sub`); its `aes128gcm` body
is decrypted with the browser's private key and auth secret, and the JSON inside kept in `delivered`. It
answers 201, or 410 for a browser that unsubscribed (`gone`), 500 for the next `failures` pushes, 429 while
`throttled`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import jwt as vapid_jwt
from py_vapid.utils import b64urlencode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

RETRY_AFTER = 2
MAX_EXPIRY_SECONDS = 24 * 3600  # RFC 8292: a JWT valid longer than a day is refused


@dataclass
class Browser:
    """One subscribed browser: its keys (never leave it) and the key it subscribed with."""

    channel: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str

    def keys(self) -> dict[str, str]:
        public = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"p256dh": str(b64urlencode(public)), "auth": str(b64urlencode(self.auth))}


@dataclass
class Delivered:
    """A push the service accepted and the browser decrypted."""

    channel: str
    payload: dict[str, Any]
    ttl: int
    claims: dict[str, Any]


@dataclass
class PushServiceSimulator:
    browsers: dict[str, Browser] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    failures: int = 0
    throttled: bool = False
    delivered: list[Delivered] = field(default_factory=list)
    # Every answer given, as (channel, status), in order.
    answers: list[tuple[str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> list[Route]:
        return [Route("/push/{channel}", self._push, methods=["POST"])]

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def subscribe(
        self, base_url: str, application_server_key: str, *, seed: bytes | None = None
    ) -> dict[str, Any]:
        """A new browser subscribed with `application_server_key`: its `PushSubscription.toJSON()`. With `seed`,
        the same browser (endpoint and keys) every time: a restarted stand-in knows it again."""
        if seed is None:
            channel, auth = secrets.token_urlsafe(24), secrets.token_bytes(16)
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            channel = _derived(seed, b"channel").hex()[:32]
            auth = _derived(seed, b"auth")[:16]
            private = ec.derive_private_key(
                int.from_bytes(_derived(seed, b"key"), "big") % (_P256_ORDER - 1) + 1, ec.SECP256R1()
            )
        browser = Browser(channel, private, auth, application_server_key)
        with self._lock:
            self.browsers[channel] = browser
        return {
            "endpoint": f"{base_url.rstrip('/')}/push/{channel}",
            "expirationTime": None,
            "keys": browser.keys(),
        }

    def received(self, subscription: dict[str, Any]) -> list[dict[str, Any]]:
        """The notifications the browser of `subscription` received, oldest first."""
        channel = str(subscription["endpoint"]).rsplit("/", 1)[1]
        return [d.payload for d in self.delivered if d.channel == channel]

    async def _push(self, request: Request) -> Response:
        channel = request.path_params["channel"]
        answer = await self._answer(request, channel)
        with self._lock:
            self.answers.append((channel, answer.status_code))
        return answer

    async def _answer(self, request: Request, channel: str) -> Response:
        browser = self.browsers.get(channel)
        if browser is None:
            return _error(404, "no such subscription")
        if channel in self.gone:
            return _error(410, "the browser unsubscribed")
        with self._lock:
            failing = self.failures > 0
            if failing:
                self.failures -= 1
        if failing:
            return _error(500, "internal error")
        if self.throttled:
            return _error(429, "too many pushes", {"Retry-After": str(RETRY_AFTER)})
        ttl = request.headers.get("ttl", "")
        if not ttl.isdigit():
            return _error(400, "a TTL header is required")
        claims = _vapid_claims(request, browser, origin=f"{request.url.scheme}://{request.url.netloc}")
        if isinstance(claims, Response):
            return claims
        if request.headers.get("content-encoding") != "aes128gcm":
            return _error(415, "the body must be aes128gcm")
        try:
            plain = http_ece.decrypt(
                await request.body(),
                private_key=browser.private_key,
                auth_secret=browser.auth,
                version="aes128gcm",
            )
            payload = json.loads(plain)
        except (http_ece.ECEException, InvalidTag, ValueError):
            return _error(400, "the body cannot be decrypted with the browser's keys")
        with self._lock:
            self.delivered.append(Delivered(channel, payload, int(ttl), claims))
        return Response(status_code=201, headers={"Location": f"/message/{secrets.token_urlsafe(12)}"})


# The order of P-256's group: a derived private key is taken below it.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _derived(seed: bytes, purpose: bytes) -> bytes:
    return hmac.new(seed, purpose, hashlib.sha256).digest()


def _vapid_claims(request: Request, browser: Browser, *, origin: str) -> dict[str, Any] | Response:
    """The claims of the push's VAPID token, once it holds (RFC 8292), or the refusal."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    parts = dict(item.split("=", 1) for item in credentials.split(",") if "=" in item)
    if scheme.lower() != "vapid" or "t" not in parts or "k" not in parts:
        return _error(401, "a VAPID authorization is required")
    if parts["k"] != browser.application_server_key:
        return _error(403, "the key is not the one the browser subscribed with")
    try:
        claims: dict[str, Any] = vapid_jwt.decode(parts["t"], parts["k"])
    except InvalidSignature:
        return _error(403, "the token's signature does not hold")
    now = time.time()
    if claims.get("aud") != origin:
        return _error(403, f"the token is for {claims.get('aud')}, not {origin}")
    if not now < float(claims.get("exp", 0)) <= now + MAX_EXPIRY_SECONDS:
        return _error(403, "the token is expired or valid too long")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
        return _error(403, "the token names no contact")
    return claims


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": status, "errno": 999, "error": reason, "message": reason}
    return JSONResponse(body, status_code=status, headers=headers)
